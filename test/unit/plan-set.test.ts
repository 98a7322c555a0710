import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/types.js';
import { resolvePlan } from '../../src/index.js';
import { ENV, makeLoaded, planError } from '../fixtures/plan/make-loaded.js';

const config: ConfigFile = {
  builder: { bk: { driver: 'docker-container' } },
  group: { web: { targets: ['frontend', 'backend'] } },
  target: {
    frontend: { tags: ['fe:1'], args: { A: '1' }, platforms: ['linux/amd64'] },
    backend: { tags: ['be:1'], 'cache-from': ['type=registry,ref=be:cache'] },
    tool: { tags: ['tool:1'] },
    m: { name: 'm-${v}', matrix: { v: ['a', 'b'] } },
  },
};
const all = ['frontend', 'backend', 'tool', 'm'];
const plan = (set: string[], extra: Record<string, unknown> = {}) => resolvePlan(makeLoaded(config), { names: all, set, env: ENV, ...extra });

describe('--set', () => {
  it('*.args.B=2 applies to every target, matrix forks included', () => {
    const p = plan(['*.args.B=2']);
    expect(Object.keys(p.targets).sort()).toEqual(['backend', 'frontend', 'm-a', 'm-b', 'tool']);
    for (const t of Object.values(p.targets)) expect(t.args.B).toBe('2');
  });

  it.each([
    ['f*.tags=x', ['frontend']],
    ['*end.tags=x', ['frontend', 'backend']],
    ['?ool.tags=x', ['tool']],
    ['[fb]*.tags=x', ['frontend', 'backend']],
    ['web.tags=x', ['frontend', 'backend']],
    ['m.tags=x', ['m-a', 'm-b']],
    ['m-a.tags=x', ['m-a']],
  ])('%s applies to exactly %j', (set, matched) => {
    const p = plan([set]);
    for (const [name, t] of Object.entries(p.targets)) expect(t.tags.includes('x'), name).toBe(matched.includes(name));
  });

  it('= replaces the file value, repeated = accumulate, += appends', () => {
    expect(plan(['frontend.tags=a']).targets.frontend!.tags).toEqual(['a']);
    expect(plan(['frontend.tags=a', 'frontend.tags=b']).targets.frontend!.tags).toEqual(['a', 'b']);
    expect(plan(['frontend.tags+=a']).targets.frontend!.tags).toEqual(['fe:1', 'a']);
    expect(plan(['backend.cache-from+=type=local,src=c']).targets.backend!.cacheFrom).toEqual([
      { type: 'registry', attrs: { ref: 'be:cache' } },
      { type: 'local', attrs: { src: '/proj/c' } },
    ]);
  });

  it.each([
    ['frontend.platform=linux/arm64,linux/amd64', (p: ReturnType<typeof plan>) => p.targets.frontend!.platforms, ['linux/arm64', 'linux/amd64']],
    ['frontend.platforms+=linux/arm64', (p: ReturnType<typeof plan>) => p.targets.frontend!.platforms, ['linux/amd64', 'linux/arm64']],
    ['frontend.args.A=9', (p: ReturnType<typeof plan>) => p.targets.frontend!.args, { A: '9' }],
    ['frontend.labels.org=x', (p: ReturnType<typeof plan>) => p.targets.frontend!.labels, { org: 'x' }],
    ['frontend.contexts.src=./src', (p: ReturnType<typeof plan>) => p.targets.frontend!.contexts, { src: { kind: 'local', path: '/proj/src' } }],
    ['frontend.context=web', (p: ReturnType<typeof plan>) => p.targets.frontend!.context, '/proj/web'],
    ['frontend.dockerfile=web.Dockerfile', (p: ReturnType<typeof plan>) => p.targets.frontend!.dockerfile, 'web.Dockerfile'],
    ['frontend.target=prod', (p: ReturnType<typeof plan>) => p.targets.frontend!.target, 'prod'],
    ['frontend.no-cache=true', (p: ReturnType<typeof plan>) => p.targets.frontend!.noCache, true],
    ['frontend.pull=1', (p: ReturnType<typeof plan>) => p.targets.frontend!.pull, true],
    ['frontend.network=host', (p: ReturnType<typeof plan>) => p.targets.frontend!.network, 'host'],
    ['frontend.shm-size=2g', (p: ReturnType<typeof plan>) => p.targets.frontend!.shmSize, '2g'],
    ['frontend.secrets=id=npm,env=NPM', (p: ReturnType<typeof plan>) => p.targets.frontend!.secrets, [{ id: 'npm', source: { kind: 'env', env: 'NPM' } }]],
    ['frontend.ssh=default', (p: ReturnType<typeof plan>) => p.targets.frontend!.ssh, [{ id: 'default', paths: [] }]],
    ['frontend.output=type=local,dest=out', (p: ReturnType<typeof plan>) => p.targets.frontend!.outputs, [{ type: 'local', attrs: { dest: '/proj/out' } }]],
    ['frontend.cache-to=type=inline', (p: ReturnType<typeof plan>) => p.targets.frontend!.cacheTo, [{ type: 'inline', attrs: {} }]],
    ['frontend.annotations=index:a=b', (p: ReturnType<typeof plan>) => p.targets.frontend!.annotations, ['index:a=b']],
    ['frontend.attest=type=provenance,mode=max', (p: ReturnType<typeof plan>) => p.targets.frontend!.attest, [{ type: 'provenance', attrs: { mode: 'max' } }]],
    ['frontend.no-cache-filter=a,b', (p: ReturnType<typeof plan>) => p.targets.frontend!.noCacheFilter, ['a', 'b']],
    ['frontend.push=true', (p: ReturnType<typeof plan>) => p.targets.frontend!.outputs, [{ type: 'image', attrs: { push: 'true' } }]],
    ['frontend.load=true', (p: ReturnType<typeof plan>) => p.targets.frontend!.outputs, [{ type: 'docker', attrs: {} }]],
  ])('%s', (set, get, expected) => {
    expect(get(plan([set], { builder: 'bk' }))).toEqual(expected);
  });

  it('builder set on targets is overridden by --builder but beats default-builder', () => {
    const c: ConfigFile = { builder: { a: {}, b: {} }, 'default-builder': 'a', target: { x: {} } };
    expect(resolvePlan(makeLoaded(c), { names: ['x'], set: ['x.builder=b'], env: ENV }).targets.x!.builder).toBe('b');
    expect(resolvePlan(makeLoaded(c), { names: ['x'], set: ['x.builder=b'], builder: 'a', env: ENV }).targets.x!.builder).toBe('a');
  });

  it.each([
    ['*.dockerfile-inline=FROM x', '"dockerfile-inline" cannot be set with --set'],
    ['*.inherits=a', '"inherits" cannot be set'],
    ['*.matrix=a', '"matrix" cannot be set'],
    ['*.name=a', '"name" cannot be set'],
    ['*.description=a', '"description" cannot be set'],
    ['*.tgas=a', 'unknown key "tgas" (did you mean "tags"?)'],
    ['nothing*.tags=a', 'no target matches "nothing*"'],
    ['frontnd.tags=a', 'no target matches "frontnd" (did you mean "frontend"?)'],
    ['frontend=a', 'expected pattern.key=value'],
    ['frontend.args=a', '"args" needs an entry name'],
    ['frontend.context+=a', 'use = instead of +='],
    ['frontend.push=maybe', '"maybe" is not a boolean'],
  ])('%s is a usage error', (set, message) => {
    const err = planError(() => plan([set]));
    expect(err.reason).toBe('usage');
    expect(err.message).toContain(message);
    expect(err.diagnostics[0]!.key).toBe(set);
  });

  it('applies after inherits and matrix', () => {
    const c: ConfigFile = { target: { base: { args: { A: 'base' } }, app: { inherits: ['base'], args: { A: 'app' } } } };
    expect(resolvePlan(makeLoaded(c), { names: ['app'], set: ['app.args.A=set'], env: ENV }).targets.app!.args.A).toBe('set');
  });

  it('a context set to target:X adds the dependency', () => {
    const p = plan(['tool.contexts.fe=target:frontend'], { names: ['tool'] });
    expect(p.order).toEqual(['frontend', 'tool']);
  });
});
