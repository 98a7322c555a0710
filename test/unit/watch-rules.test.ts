/** The pure parts of watch mode: ignore rules, noise, which targets a path affects, graph, batching. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Plan, ResolvedTarget } from '../../src/plan/types.js';
import { Batcher, quietWindow, type Batch } from '../../src/watch/batcher.js';
import { createContextIgnore } from '../../src/watch/dockerignore.js';
import { createTargetGraph } from '../../src/watch/graph.js';
import { isNoisePath } from '../../src/watch/noise.js';
import { classifyPath, createWatchSet, isWatched } from '../../src/watch/watch-set.js';

describe('dockerignore rules', () => {
  const cases: { patterns: string[]; path: string; excluded: boolean; prunable: boolean }[] = [
    { patterns: ['node_modules'], path: 'node_modules', excluded: true, prunable: true },
    { patterns: ['node_modules'], path: 'node_modules/a/b.js', excluded: true, prunable: true },
    { patterns: ['node_modules'], path: 'src/node_modules', excluded: false, prunable: false },
    { patterns: ['*.log'], path: 'a.log', excluded: true, prunable: true },
    { patterns: ['*.log'], path: 'sub/a.log', excluded: false, prunable: false },
    { patterns: ['**/*.log'], path: 'sub/a.log', excluded: true, prunable: true },
    { patterns: ['/build'], path: 'build', excluded: true, prunable: true },
    // An exception below an excluded dir: the dir must stay watched.
    { patterns: ['docs', '!docs/keep.md'], path: 'docs', excluded: true, prunable: false },
    { patterns: ['docs', '!docs/keep.md'], path: 'docs/keep.md', excluded: false, prunable: false },
    { patterns: ['docs', '!docs/keep.md'], path: 'docs/other.md', excluded: true, prunable: true },
    { patterns: ['docs', '!docs/keep.md'], path: 'src', excluded: false, prunable: false },
    { patterns: ['docs', '!other/keep.md'], path: 'docs', excluded: true, prunable: true },
    { patterns: ['docs', '!d*/x/keep.md'], path: 'docs', excluded: true, prunable: false },
    { patterns: ['docs', '!**/keep.md'], path: 'docs', excluded: true, prunable: false },
    { patterns: ['*', '!src'], path: 'src/a.ts', excluded: false, prunable: false },
    { patterns: ['*', '!src'], path: 'vendor', excluded: true, prunable: true },
    { patterns: [], path: 'anything', excluded: false, prunable: false },
  ];
  it.each(cases)('$patterns: $path excluded=$excluded prunable=$prunable', ({ patterns, path: p, excluded, prunable }) => {
    const ig = createContextIgnore(patterns, '.dockerignore');
    expect(ig.excludes(p)).toBe(excluded);
    expect(ig.canPrune(p)).toBe(prunable);
  });
});

describe('noise', () => {
  it.each([
    ['/p/.git/index', true],
    ['/p/src/.git', true],
    ['/p/src/.main.ts.swp', true],
    ['/p/src/.main.ts.swx', true],
    ['/p/src/main.ts~', true],
    ['/p/src/4913', true],
    ['/p/src/.#main.ts', true],
    ['/p/src/#main.ts#', true],
    ['/p/src/x.tmp', true],
    ['/p/.DS_Store', true],
    ['/p/src/main.ts', false],
    ['/p/src/.gitignore', false],
    ['/p/src/swift.sw', false],
    ['/p/src/#notes', false],
  ])('%s → %s', (p, noise) => {
    expect(isNoisePath(p)).toBe(noise);
  });
});

function target(name: string, context: string, extra: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return {
    name, context, contextIsLocal: true, dockerfile: 'Dockerfile', args: {}, labels: {}, tags: [], platforms: [],
    cacheFrom: [], cacheTo: [], outputs: [], secrets: [], ssh: [], noCache: false, noCacheFilter: [], pull: false,
    ulimits: [], extraHosts: {}, annotations: [], attest: [], entitlements: [], contexts: {}, dependsOn: [],
    builder: 'default', ...extra,
  };
}

function plan(targets: ResolvedTarget[], edges: Plan['edges'] = [], order = targets.map((t) => t.name)): Plan {
  return {
    requested: targets.map((t) => t.name),
    targets: Object.fromEntries(targets.map((t) => [t.name, t])),
    groups: {}, builders: {}, edges, order, levels: [order], warnings: [],
  };
}

describe('watch set', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbake-watchset-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const p = (...s: string[]): string => path.join(dir, ...s);
  mkdirSync(p('web', 'node_modules'), { recursive: true });
  mkdirSync(p('docker'), { recursive: true });
  mkdirSync(p('shared'), { recursive: true });
  writeFileSync(p('web', '.dockerignore'), 'node_modules\n');
  // The Dockerfile-specific ignore file wins over the context's.
  writeFileSync(p('docker', 'api.Dockerfile.dockerignore'), 'tmp\n');
  const web = target('web', p('web'), {
    outputs: [{ type: 'local', attrs: { dest: 'web/dist' } }, { type: 'tar', attrs: { dest: '/abs/out.tar' } }],
  });
  const api = target('api', p('api'), {
    dockerfile: p('docker', 'api.Dockerfile'),
    contexts: { shared: { kind: 'local', path: p('shared') }, img: { kind: 'image', ref: 'alpine' } },
  });
  const remote = target('remote', 'https://github.com/x/y.git', { contextIsLocal: false, dockerfile: 'Dockerfile' });
  const inline = target('inline', p('inline'), { dockerfileInline: 'FROM scratch' });
  const set = createWatchSet(plan([web, api, remote, inline]), ['docker-bake.hcl'], dir);
  const affected = (file: string): string[] => [...classifyPath(set, file).targets].sort();

  it('maps paths to the targets they affect', () => {
    expect(affected(p('web', 'src', 'a.ts'))).toEqual(['web']);
    expect(affected(p('web', 'node_modules', 'x', 'i.js'))).toEqual([]);
    expect(affected(p('web', '.dockerignore'))).toEqual(['web']);
    expect(affected(p('web', 'Dockerfile'))).toEqual(['web']);
    expect(affected(p('web', 'dist', 'bundle.js'))).toEqual([]);
    expect(affected(p('docker', 'api.Dockerfile'))).toEqual(['api']);
    expect(affected(p('docker', 'api.Dockerfile.dockerignore'))).toEqual(['api']);
    expect(affected(p('docker', 'other.Dockerfile'))).toEqual([]);
    expect(affected(p('api', 'tmp', 'x'))).toEqual([]);
    expect(affected(p('api', 'main.go'))).toEqual(['api']);
    expect(affected(p('shared', 'lib.go'))).toEqual(['api']);
    expect(affected(p('inline', 'x'))).toEqual(['inline']);
    expect(affected(p('elsewhere', 'x'))).toEqual([]);
  });

  it('flags config files', () => {
    const c = classifyPath(set, p('docker-bake.hcl'));
    expect(c.configChanged).toBe(true);
    expect(classifyPath(set, p('web', 'x')).configChanged).toBe(false);
  });

  it('watches roots and wanted paths only', () => {
    expect(set.outputDests).toEqual(['/abs/out.tar', p('web', 'dist')]);
    expect(set.roots).toContain(dir);
    expect(set.roots).toContain(p('docker'));
    expect(set.roots.some((r) => r.startsWith('https:'))).toBe(false);
    expect(isWatched(set, p('web'))).toBe(true);
    expect(isWatched(set, p('web', 'src'))).toBe(true);
    expect(isWatched(set, p('web', 'node_modules'))).toBe(false);
    expect(isWatched(set, p('web', 'dist'))).toBe(false);
    expect(isWatched(set, p('web', '.git'))).toBe(false);
    expect(isWatched(set, p('docker', 'api.Dockerfile'))).toBe(true);
    expect(isWatched(set, p('docker', 'unrelated.txt'))).toBe(false);
    expect(isWatched(set, p('unrelated-dir'))).toBe(false);
  });
});

describe('target graph', () => {
  const g = createTargetGraph(
    plan(
      [
        target('base', '/b'),
        target('lib', '/l', { contexts: { base: { kind: 'target', target: 'base' } } }),
        target('app', '/a', { dependsOn: ['lib'] }),
        target('solo', '/s'),
      ],
      [{ from: 'lib', to: 'base', kind: 'context', via: 'base' }],
      ['base', 'solo', 'lib', 'app'],
    ),
  );
  it('collects dependents transitively', () => {
    expect([...g.withDependents(['base'])].sort()).toEqual(['app', 'base', 'lib']);
    expect([...g.withDependents(['lib'])].sort()).toEqual(['app', 'lib']);
    expect([...g.withDependents(['solo'])]).toEqual(['solo']);
    expect([...g.withDependents(['unknown'])]).toEqual([]);
    expect(g.dependencies('app')).toEqual(['lib']);
  });
});

describe('batcher', () => {
  const none = { targets: new Set(['t']), configChanged: false, ignoreChanged: new Set<string>() };
  it('flushes once after a quiet window, counting distinct paths', () => {
    vi.useFakeTimers();
    try {
      const out: Batch[] = [];
      const b = new Batcher(50, 1000, 10_000, (batch) => out.push(batch));
      for (let i = 0; i < 10; i++) {
        b.add(`/f${i % 5}`, none);
        vi.advanceTimersByTime(40);
      }
      expect(out).toHaveLength(0);
      vi.advanceTimersByTime(60);
      expect(out).toHaveLength(1);
      expect(out[0]?.paths).toEqual(['/f0', '/f1', '/f2', '/f3', '/f4']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('still triggers while one file is rewritten continuously', () => {
    vi.useFakeTimers();
    try {
      const out: Batch[] = [];
      const b = new Batcher(50, 1000, 10_000, (batch) => out.push(batch));
      for (let t = 0; t < 1500; t += 20) {
        b.add('/log', none);
        vi.advanceTimersByTime(20);
      }
      expect(out).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('widens the quiet window for large bursts, up to the hard cap', () => {
    expect(quietWindow(50, 1)).toBe(50);
    expect(quietWindow(50, 100)).toBe(200);
    expect(quietWindow(50, 5000)).toBe(400);
    vi.useFakeTimers();
    try {
      const out: Batch[] = [];
      const b = new Batcher(50, 1000, 3000, (batch) => out.push(batch));
      for (let i = 0; i < 400; i++) {
        b.add(`/new${i}`, none);
        vi.advanceTimersByTime(10);
      }
      expect(out.map((x) => x.paths.length)).toEqual([300]);
    } finally {
      vi.useRealTimers();
    }
  });
});
