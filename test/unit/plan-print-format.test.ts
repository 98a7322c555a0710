import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/types.js';
import { formatPlan, resolvePlan, toBakePrint } from '../../src/plan/index.js';
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

  it('uses kebab-case keys, CSV strings, and never a secret value', () => {
    const app = printed.target!.app!;
    expect(Object.keys(app)).toEqual([
      'context', 'contexts', 'dockerfile', 'args', 'labels', 'tags', 'target', 'cache-from', 'cache-to', 'output', 'secret', 'ssh',
      'annotations', 'attest', 'no-cache', 'pull', 'network', 'shm-size', 'depends-on', 'builder',
    ]);
    expect(app).toMatchObject({
      context: '/proj',
      contexts: { base: 'target:base' },
      'cache-from': ['type=registry,ref=r/app:cache'],
      'cache-to': ['type=inline'],
      output: ['type=image,push=true'],
      secret: ['id=npm,env=NPM_TOKEN', 'id=aws,src=/proj/aws.txt'],
      ssh: ['default'],
      attest: ['type=provenance,mode=max'],
      'depends-on': ['tools'],
      builder: 'bk',
    });
    expect(printed.target!.tools).toEqual({ context: '/proj', dockerfile: 'Dockerfile', 'dockerfile-inline': 'FROM busybox', output: ['type=docker'], builder: 'bk' });
    expect(printed.target!.base).toEqual({ context: '/proj/base', dockerfile: 'Dockerfile', platforms: ['linux/amd64', 'linux/arm64'], output: ['type=docker'], builder: 'bk' });
  });

  it('names the implicit builder and a default group of the names given', () => {
    const p = toBakePrint(resolvePlan(makeLoaded({ target: { a: {}, b: {} } }), { names: ['b', 'a'], env: {} })) as Record<string, unknown>;
    expect(p).toEqual({
      group: { default: { targets: ['b', 'a'] } },
      target: {
        a: { context: '/proj', dockerfile: 'Dockerfile', output: ['type=docker'], builder: 'default' },
        b: { context: '/proj', dockerfile: 'Dockerfile', output: ['type=docker'], builder: 'default' },
      },
      builder: { default: { driver: 'docker', endpoint: 'unix:///var/run/docker.sock' } },
    });
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
        base: { builder: 'bk', dependsOn: [] },
        tools: { builder: 'bk', dependsOn: [] },
        app: { builder: 'bk', dependsOn: ['base', 'tools'] },
      },
    });
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
