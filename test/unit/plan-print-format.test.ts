import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/types.js';
import { formatPlan, toBakePrint } from '../../src/plan/index.js';
import { resolvePlan } from '../../src/index.js';
import { ENV, makeLoaded } from '../fixtures/plan/make-loaded.js';

const config: ConfigFile = {
  builder: { bk: { driver: 'docker-container', 'driver-opts': { 'default-load': true, image: 'moby/buildkit:v0.13' } } },
  'default-builder': 'bk',
  group: { default: { targets: ['app'] } },
  target: {
    base: { context: 'base', platforms: ['linux/amd64', 'linux/arm64'] },
    tools: { 'dockerfile-inline': 'FROM busybox' },
    app: {
      contexts: { base: 'target:base' },
      'depends-on': ['tools'],
      args: { A: '1' },
      labels: { l: 'v' },
      tags: ['r/app:1'],
      target: 'prod',
      'cache-from': ['type=registry,ref=r/app:cache'],
      'cache-to': ['type=inline'],
      secret: ['id=npm,env=NPM_TOKEN', 'id=aws,src=aws.txt'],
      ssh: ['default'],
      output: ['type=image,push=true'],
      'no-cache': true,
      pull: true,
      network: 'host',
      'shm-size': '1g',
      annotations: ['index:x=y'],
      attest: ['type=provenance,mode=max'],
    },
  },
};

describe('toBakePrint', () => {
  const printed = toBakePrint(resolvePlan(makeLoaded(config), { env: ENV })) as Record<string, Record<string, Record<string, unknown>>>;

  it('has bake --print shape with tsbake builders', () => {
    expect(Object.keys(printed)).toEqual(['group', 'target', 'builder']);
    expect(printed.group).toEqual({ default: { targets: ['app'] } });
    expect(Object.keys(printed.target!)).toEqual(['app', 'base', 'tools']);
    expect(printed.builder).toEqual({ bk: { driver: 'docker-container', 'driver-opts': { 'default-load': 'true', image: 'moby/buildkit:v0.13' }, 'default-load': true } });
  });

  it("buildx 0.29.1's keys in its order, entries as its objects, paths as written, never a secret value", () => {
    const app = printed.target!.app!;
    expect(Object.keys(app)).toEqual([
      'annotations', 'attest', 'context', 'contexts', 'dockerfile', 'args', 'labels', 'tags', 'cache-from', 'cache-to', 'target',
      'secret', 'ssh', 'output', 'pull', 'no-cache', 'network', 'shm-size', 'entitlements', 'depends-on', 'builder',
    ]);
    expect(app).toMatchObject({
      context: '.',
      contexts: { base: 'target:base' },
      'cache-from': [{ type: 'registry', ref: 'r/app:cache' }],
      'cache-to': [{ type: 'inline' }],
      output: [{ type: 'image', push: 'true' }],
      secret: [{ id: 'npm', env: 'NPM_TOKEN' }, { id: 'aws', src: 'aws.txt' }],
      ssh: [{ id: 'default' }],
      attest: [{ type: 'provenance', mode: 'max' }],
      // network=host implies the entitlement (bake's normalize)
      entitlements: ['network.host'],
      'depends-on': ['tools'],
      builder: 'bk',
    });
    // tools is asked for through depends-on: a build of its own, with no output written.
    expect(printed.target!.tools).toEqual({ context: '.', dockerfile: 'Dockerfile', 'dockerfile-inline': 'FROM busybox', builder: 'bk' });
    // base is reached only through target: — bake's linked target.
    expect(printed.target!.base).toEqual({ context: 'base', dockerfile: 'Dockerfile', platforms: ['linux/amd64', 'linux/arm64'], output: [{ type: 'cacheonly' }], builder: 'bk' });
  });

  it('names the implicit builder and a default group of the names given, sorted', () => {
    const p = toBakePrint(resolvePlan(makeLoaded({ target: { a: {}, b: {} } }), { names: ['b', 'a'], env: {} })) as Record<string, unknown>;
    expect(p).toEqual({
      group: { default: { targets: ['a', 'b'] } },
      target: {
        a: { context: '.', dockerfile: 'Dockerfile', builder: 'default' },
        b: { context: '.', dockerfile: 'Dockerfile', builder: 'default' },
      },
      builder: { default: { driver: 'docker', endpoint: 'unix:///var/run/docker.sock' } },
    });
  });

  it('normalises as bake: duplicates removed, secrets and attestations by id/type, push and load as setPushOverride/setLoadOverride', () => {
    const p = toBakePrint(
      resolvePlan(
        makeLoaded({
          builder: { bk: { driver: 'docker-container' } },
          target: {
            x: {
              builder: 'bk',
              tags: ['t:1', 't:1', 't:2'],
              platforms: ['linux/amd64', 'linux/amd64'],
              secret: ['id=a,env=A', 'id=a,env=B'],
              attest: ['type=sbom', 'type=sbom,disabled=true'],
              'cache-from': ['a/b:c', 'a/b:c', 'type=gha'],
              output: ['type=docker', 'type=docker'],
              labels: { L: 'v${x}' },
              ulimits: ['nofile=1:2', 'nofile=1:2'],
            },
          },
        }),
        { names: ['x'], push: true, env: {} },
      ),
    ) as { target: Record<string, Record<string, unknown>> };
    expect(p.target.x).toMatchObject({
      tags: ['t:1', 't:2'],
      platforms: ['linux/amd64'],
      secret: [{ id: 'a', env: 'B' }],
      attest: [{ type: 'sbom', disabled: true }],
      'cache-from': [{ type: 'registry', ref: 'a/b:c' }, { type: 'gha' }],
      output: [{ type: 'docker' }, { type: 'image', push: 'true' }],
      labels: { L: 'v$${x}' },
      ulimits: ['nofile=1:2'],
    });
  });

  it('a linked target without tags is left alone by --push', () => {
    const loaded = makeLoaded({ target: { base: {}, app: { tags: ['r/app'], contexts: { base: 'target:base' } } } });
    const p = toBakePrint(resolvePlan(loaded, { names: ['app'], push: true, env: {}, printOnly: true })) as { target: Record<string, Record<string, unknown>> };
    expect(p.target.app!.output).toEqual([{ type: 'image', push: 'true' }]);
    expect(p.target.base!.output).toEqual([{ type: 'cacheonly' }]);
    // and a build plan of it does not fail either: base is not pushed
    const plan = resolvePlan(loaded, { names: ['app'], push: true, env: {} });
    expect(plan.targets.base!.outputs.some((o) => o.attrs.push === 'true')).toBe(false);
  });
});

describe('formatPlan', () => {
  const plan = resolvePlan(makeLoaded(config), { env: ENV });

  it('text: levels with builders and dependencies', () => {
    expect(formatPlan(plan, 'text')).toBe(
      ['level 0:', '  base   builder: bk', '  tools  builder: bk', 'level 1:', '  app    builder: bk  after: base (context base), tools', ''].join('\n'),
    );
  });

  it('json: order, levels, edges, targets', () => {
    expect(JSON.parse(formatPlan(plan, 'json'))).toEqual({
      order: ['base', 'tools', 'app'],
      levels: [['base', 'tools'], ['app']],
      edges: [
        { from: 'app', to: 'base', kind: 'context', via: 'base' },
        { from: 'app', to: 'tools', kind: 'depends-on' },
      ],
      targets: {
        base: expect.objectContaining({ builder: 'bk', dependsOn: [] }),
        tools: expect.objectContaining({ builder: 'bk', dependsOn: [] }),
        app: expect.objectContaining({ builder: 'bk', dependsOn: ['base', 'tools'] }),
      },
    });
    const app = JSON.parse(formatPlan(plan, 'json')).targets.app.resolved;
    expect(app.context).toBe('/proj');
    expect(app.outputs).toEqual(['type=image,push=true']);
    expect(app.secrets).toEqual(['id=npm,env=NPM_TOKEN', 'id=aws,src=/proj/aws.txt']);
  });

  it('dot and mermaid: one node per target, one arrow per edge', () => {
    const dot = formatPlan(plan, 'dot');
    expect(dot.startsWith('digraph tsbake {')).toBe(true);
    expect(dot).toContain('"app" -> "base" [label="context base"];');
    expect(dot).toContain('"app" -> "tools" [label="depends-on", style=dashed];');
    const mermaid = formatPlan(plan, 'mermaid');
    expect(mermaid.split('\n')).toEqual([
      'graph LR',
      '  t0["base<br/>builder: bk"]',
      '  t1["tools<br/>builder: bk"]',
      '  t2["app<br/>builder: bk"]',
      '  t2 -->|context base| t0',
      '  t2 -.->|depends-on| t1',
      '',
    ]);
  });
});
