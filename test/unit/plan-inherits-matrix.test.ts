import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/types.js';
import { resolvePlan } from '../../src/index.js';
import { ENV, makeLoaded, planError } from '../fixtures/plan/make-loaded.js';

const plan = (config: ConfigFile, names: string[], extra: Record<string, unknown> = {}) =>
  resolvePlan(makeLoaded(config), { names, env: ENV, ...extra });

describe('inherits', () => {
  it('applies parents in order, last parent wins, then the target itself', () => {
    const p = plan(
      {
        target: {
          a: { args: { X: 'a', A: '1' }, tags: ['a'], dockerfile: 'a.Dockerfile' },
          b: { args: { X: 'b', B: '2' }, tags: ['b'] },
          app: { inherits: ['a', 'b'], args: { C: '3' } },
        },
      },
      ['app'],
    );
    const t = p.targets.app!;
    expect(t.args).toEqual({ X: 'b', A: '1', B: '2', C: '3' });
    expect(t.tags).toEqual(['b']);
    expect(t.dockerfile).toBe('a.Dockerfile');
    // Parents are not built unless asked for.
    expect(Object.keys(p.targets)).toEqual(['app']);
  });

  it('is transitive over several levels', () => {
    const p = plan(
      {
        target: {
          root: { platforms: ['linux/amd64'], 'cache-from': ['type=registry,ref=r'] },
          mid: { inherits: ['root'], 'cache-from': ['type=registry,ref=m'], target: 'mid' },
          leaf: { inherits: ['mid'], target: 'leaf' },
        },
      },
      ['leaf'],
    );
    const t = p.targets.leaf!;
    expect(t.platforms).toEqual(['linux/amd64']);
    expect(t.target).toBe('leaf');
    expect(t.cacheFrom.map((c) => c.attrs.ref)).toEqual(['r', 'm']);
  });

  it('a null arg in the child removes the inherited value', () => {
    const p = plan({ target: { base: { args: { A: 'x', B: 'y' } }, app: { inherits: ['base'], args: { A: null } } } }, ['app']);
    expect(p.targets.app!.args).toEqual({ B: 'y' });
  });

  it('reports a cycle with its path, deterministically, at the inherits entry', () => {
    const config: ConfigFile = {
      target: { c: { inherits: ['a'] }, a: { inherits: ['b'] }, b: { inherits: ['c'] } },
    };
    const err = planError(() => resolvePlan(makeLoaded(config, { 'target.c.inherits.0': { line: 9, column: 17 } }), { names: ['a'], env: ENV }));
    expect(err.reason).toBe('cycle');
    expect(err.diagnostics).toHaveLength(1);
    expect(err.diagnostics[0]!.message).toBe('inherits cycle: a -> b -> c -> a');
    expect(err.diagnostics[0]).toMatchObject({ file: '/proj/tsbake.yaml', line: 9, column: 17 });
  });

  it('reports an unknown parent with a suggestion and its position', () => {
    const config: ConfigFile = { target: { base: {}, app: { inherits: ['bsae'] } } };
    const err = planError(() => resolvePlan(makeLoaded(config, { 'target.app.inherits.0': { line: 4, column: 7 } }), { names: ['app'], env: ENV }));
    expect(err.reason).toBe('unknown-target');
    expect(err.diagnostics[0]).toMatchObject({ line: 4, column: 7, suggestion: '"base"' });
    expect(err.message).toContain('did you mean "base"?');
  });

  it('refuses to inherit from a group', () => {
    const err = planError(() => plan({ group: { g: { targets: ['x'] } }, target: { x: {}, app: { inherits: ['g'] } } }, ['app']));
    expect(err.reason).toBe('invalid-config');
    expect(err.message).toContain('inherits from group "g"; only targets can be inherited');
  });

  it('collects several problems in one error', () => {
    const err = planError(() => plan({ target: { a: { inherits: ['nope1'] }, b: { inherits: ['nope2'] } } }, ['a', 'b']));
    expect(err.diagnostics.map((d) => d.message)).toEqual([
      'target "a" inherits from unknown target "nope1"',
      'target "b" inherits from unknown target "nope2"',
    ]);
  });
});

describe('matrix', () => {
  it('forks the cartesian product, first axis slowest, and substitutes ${axis} everywhere', () => {
    const p = plan(
      {
        target: {
          app: {
            name: 'app-${os}-${v}',
            matrix: { os: ['alpine', 'debian'], v: [1, 2] },
            args: { OS: '${os}', '${os}_V': '${v}' },
            tags: ['img:${os}-${v}'],
            target: '${os}',
            dockerfile: '${os}.Dockerfile',
          },
        },
      },
      ['app'],
    );
    expect(p.requested).toEqual(['app-alpine-1', 'app-alpine-2', 'app-debian-1', 'app-debian-2']);
    expect(p.groups.app).toEqual({ targets: ['app-alpine-1', 'app-alpine-2', 'app-debian-1', 'app-debian-2'] });
    const t = p.targets['app-debian-2']!;
    expect(t.args).toEqual({ OS: 'debian', debian_V: '2' });
    expect(t.tags).toEqual(['img:debian-2']);
    expect(t.target).toBe('debian');
    expect(t.dockerfile).toBe('debian.Dockerfile');
  });

  it('names forks <target>-<values> when name is absent, sanitizing values', () => {
    const p = plan({ target: { app: { matrix: { go: ['1.22', '1.23'] } } } }, ['app']);
    expect(p.requested).toEqual(['app-1_22', 'app-1_23']);
  });

  it('refuses duplicate fork names', () => {
    const config: ConfigFile = { target: { app: { name: 'app-${a}', matrix: { a: ['x'], b: ['1', '2'] } } } };
    const err = planError(() => resolvePlan(makeLoaded(config, { 'target.app.name': { line: 3, column: 5 } }), { names: ['app'], env: ENV }));
    expect(err.reason).toBe('invalid-config');
    expect(err.diagnostics[0]).toMatchObject({ line: 3, column: 5 });
    expect(err.message).toContain('matrix fork name "app-x" is not unique');
  });

  it('refuses a fork that takes the name of another target', () => {
    const err = planError(() => plan({ target: { 'app-x': {}, app: { name: 'app-${a}', matrix: { a: ['x'] } } } }, ['app']));
    expect(err.message).toContain('"app-x" is not unique (target "app-x" has it)');
  });

  it('refuses invalid names', () => {
    const err = planError(() => plan({ target: { app: { name: 'app/${a}', matrix: { a: ['x'] } } } }, ['app']));
    expect(err.message).toContain('matrix fork name "app/x" is invalid');
    const err2 = planError(() => plan({ target: { 'a.b': {} } }, ['a.b']));
    expect(err2.message).toContain('invalid target name "a.b"');
  });

  it('lets forks inherit per axis and depend on forks by name', () => {
    const p = plan(
      {
        target: {
          'base-alpine': { args: { BASE: 'alpine:3' } },
          'base-debian': { args: { BASE: 'debian:12' } },
          app: { name: 'app-${os}', matrix: { os: ['alpine', 'debian'] }, inherits: ['base-${os}'], contexts: { base: 'target:base-${os}' } },
        },
      },
      ['app'],
    );
    expect(p.targets['app-debian']!.args).toEqual({ BASE: 'debian:12' });
    expect(p.edges).toContainEqual({ from: 'app-debian', to: 'base-debian', kind: 'context', via: 'base' });
    expect(p.order).toEqual(['base-alpine', 'base-debian', 'app-alpine', 'app-debian']);
  });

  it('a target: context naming a matrix target is refused (it is several targets)', () => {
    const err = planError(() => plan({ target: { m: { matrix: { a: ['1', '2'] } }, app: { contexts: { x: 'target:m' } } } }, ['app']));
    expect(err.message).toContain('names matrix target "m", which is several targets; name one fork: m-1, m-2');
  });
});
