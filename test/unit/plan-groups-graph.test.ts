import { describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/types.js';
import { resolvePlan } from '../../src/index.js';
import { ENV, makeLoaded, planError } from '../fixtures/plan/make-loaded.js';

const plan = (config: ConfigFile, names: string[] = []) => resolvePlan(makeLoaded(config), { names, env: ENV });

describe('groups', () => {
  it('nested groups expand to their targets, sorted and unique', () => {
    const p = plan(
      {
        group: { all: { targets: ['web', 'db'] }, web: { targets: ['fe', 'be', 'db'] } },
        target: { fe: {}, be: {}, db: {}, other: {} },
      },
      ['all'],
    );
    expect(p.requested).toEqual(['be', 'db', 'fe']);
    expect(p.groups.all).toEqual({ targets: ['web', 'db'] });
    expect(p.groups.web).toEqual({ targets: ['fe', 'be', 'db'] });
    expect(p.groups.default).toEqual({ targets: ['all'] });
  });

  it('builds the default group when no name is given', () => {
    const p = plan({ group: { default: { targets: ['a'] } }, target: { a: {}, b: {} } });
    expect(p.requested).toEqual(['a']);
    expect(p.groups.default).toEqual({ targets: ['a'] });
  });

  it('builds a target named default when no default group exists', () => {
    expect(plan({ target: { default: {}, b: {} } }).requested).toEqual(['default']);
  });

  it('without a default group or target, fails listing the targets', () => {
    const err = planError(() => plan({ target: { b: {}, a: {} } }));
    expect(err.reason).toBe('unknown-target');
    expect(err.message).toBe('failed to find target default: name the targets to build, or add a group "default". Targets: a, b');
  });

  it('a config without targets plans to nothing, with a warning (builders only)', () => {
    const p = plan({ builder: { bk: {} } });
    expect(p.requested).toEqual([]);
    expect(Object.keys(p.builders)).toEqual(['bk']);
    expect(p.warnings.map((w) => w.message)).toEqual(['the config defines no targets: nothing to build']);
  });

  it('a group wins over a target of the same name, and may list that target', () => {
    const p = plan({ group: { app: { targets: ['app', 'worker'] } }, target: { app: { target: 'x' }, worker: {} } }, ['app']);
    expect(p.requested).toEqual(['app', 'worker']);
    const p2 = plan({ group: { app: { targets: ['worker'] } }, target: { app: {}, worker: {} } }, ['app']);
    expect(p2.requested).toEqual(['worker']);
  });

  it('reports group cycles with their path', () => {
    const config: ConfigFile = { group: { a: { targets: ['b'] }, b: { targets: ['c'] }, c: { targets: ['a'] } }, target: {} };
    const err = planError(() => resolvePlan(makeLoaded(config, { 'group.c.targets.0': { line: 12, column: 3 } }), { names: ['a'], env: ENV }));
    expect(err.reason).toBe('cycle');
    expect(err.diagnostics[0]).toMatchObject({ message: 'group cycle: a -> b -> c -> a', line: 12, column: 3 });
  });

  it('an unknown name on the command line suggests the closest one', () => {
    const err = planError(() => plan({ group: { backend: { targets: ['api'] } }, target: { api: {}, frontend: {} } }, ['fronted']));
    expect(err.reason).toBe('unknown-target');
    expect(err.diagnostics[0]).toMatchObject({ message: 'unknown target or group "fronted"', suggestion: '"frontend"', file: '' });
    const err2 = planError(() => plan({ group: { backend: { targets: ['api'] } }, target: { api: {} } }, ['backed']));
    expect(err2.diagnostics[0]!.suggestion).toBe('"backend"');
  });

  it('an unknown target in a group is reported where it is written', () => {
    const config: ConfigFile = { group: { default: { targets: ['api', 'wrker'] } }, target: { api: {}, worker: {} } };
    const err = planError(() => resolvePlan(makeLoaded(config, { 'group.default.targets.1': { line: 3, column: 20 } }), { env: ENV }));
    expect(err.reason).toBe('unknown-target');
    expect(err.diagnostics[0]).toMatchObject({ line: 3, column: 20, suggestion: '"worker"' });
  });
});

describe('graph', () => {
  const config: ConfigFile = {
    target: {
      base: {},
      tools: {},
      app: { contexts: { base: 'target:base', src: './src', img: 'docker-image://alpine:3' }, 'depends-on': ['tools'] },
      test: { contexts: { app: 'target:app' } },
    },
  };

  it('adds dependencies to the plan, with edges, levels and order', () => {
    const p = plan(config, ['test']);
    expect(p.requested).toEqual(['test']);
    expect(Object.keys(p.targets).sort()).toEqual(['app', 'base', 'test', 'tools']);
    expect(p.edges).toEqual([
      { from: 'app', to: 'base', kind: 'context', via: 'base' },
      { from: 'app', to: 'tools', kind: 'depends-on' },
      { from: 'test', to: 'app', kind: 'context', via: 'app' },
    ]);
    expect(p.levels).toEqual([['base', 'tools'], ['app'], ['test']]);
    expect(p.order).toEqual(['base', 'tools', 'app', 'test']);
    expect(p.targets.app!.dependsOn).toEqual(['base', 'tools']);
    expect(p.targets.app!.contexts).toEqual({
      base: { kind: 'target', target: 'base' },
      src: { kind: 'local', path: '/proj/src' },
      img: { kind: 'image', ref: 'alpine:3' },
    });
  });

  it('depends-on may name a group', () => {
    const p = plan({ group: { pre: { targets: ['x', 'y'] } }, target: { x: {}, y: {}, app: { 'depends-on': ['pre'] } } }, ['app']);
    expect(p.levels).toEqual([['x', 'y'], ['app']]);
  });

  it('reports a cycle with the exact path, the same every time', () => {
    const cyc: ConfigFile = {
      target: {
        d: { contexts: { b: 'target:b' } },
        b: { 'depends-on': ['c'] },
        c: { contexts: { d: 'target:d' } },
        a: { contexts: { b: 'target:b' } },
      },
    };
    for (let i = 0; i < 3; i++) {
      const err = planError(() => plan(cyc, ['a']));
      expect(err.reason).toBe('cycle');
      expect(err.message).toBe('dependency cycle: b -> c -> d -> b');
    }
  });

  it('a target depending on itself is a cycle', () => {
    const err = planError(() => plan({ target: { a: { 'depends-on': ['a'] } } }, ['a']));
    expect(err.message).toBe('dependency cycle: a -> a');
  });

  it('unknown target: references are reported with a suggestion at the context', () => {
    const config2: ConfigFile = { target: { base: {}, app: { contexts: { b: 'target:bsae' }, 'depends-on': ['bas'] } } };
    const err = planError(() => resolvePlan(makeLoaded(config2, { 'target.app.contexts.b': { line: 5, column: 11 } }), { names: ['app'], env: ENV }));
    expect(err.reason).toBe('unknown-target');
    expect(err.diagnostics).toHaveLength(2);
    expect(err.diagnostics[0]).toMatchObject({ line: 5, column: 11, suggestion: '"base"', message: 'target "app": context "b" refers to unknown target "bsae"' });
    expect(err.diagnostics[1]).toMatchObject({ message: 'target "app" depends on unknown target "bas"', suggestion: '"base"' });
  });

  it('resolves contexts and Dockerfile paths against the config directory', () => {
    const p = plan(
      {
        target: {
          a: { context: 'web', dockerfile: 'docker/Dockerfile' },
          b: { context: 'https://github.com/x/y.git#main', dockerfile: '/abs/Dockerfile' },
          c: {},
        },
      },
      ['a', 'b', 'c'],
    );
    expect(p.targets.a).toMatchObject({ context: '/proj/web', contextIsLocal: true, dockerfile: 'docker/Dockerfile' });
    expect(p.targets.b).toMatchObject({ context: 'https://github.com/x/y.git#main', contextIsLocal: false, dockerfile: '/abs/Dockerfile' });
    expect(p.targets.c).toMatchObject({ context: '/proj', dockerfile: 'Dockerfile' });
  });
});
