/**
 * The watcher against real files in temp dirs and real chokidar. `build` is the injected collaborator:
 * a test function that records calls and resolves when the test says (or at once).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TsbakeError } from '../../src/errors.js';
import type { TargetResult } from '../../src/events.js';
import type { Plan, ResolvedTarget } from '../../src/plan/types.js';
import { resolvedTarget } from '../helpers/targets.js';
import { createWatcher, createWatchSet, type Watcher } from '../../src/watch/index.js';
import { FsWatcher, WATCH_LIMIT_HINT } from '../../src/watch/fs-watcher.js';
import type { WatchEventMap } from '../../src/watch/index.js';

const DEBOUNCE = 50;

function target(name: string, context: string, extra: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return resolvedTarget({ name, context, ...extra });
}

/** base ← app (via a `target:` context); other is independent. Config is a JSON file the test edits. */
function planFor(dir: string, config: { appArg: string }): Plan {
  const base = target('base', path.join(dir, 'base'));
  const app = target('app', path.join(dir, 'app'), {
    args: { A: config.appArg },
    contexts: { base: { kind: 'target', target: 'base' } },
    outputs: [{ type: 'local', attrs: { dest: path.join(dir, 'app', 'out') } }],
  });
  const other = target('other', path.join(dir, 'other'));
  return {
    requested: ['app', 'other'],
    targets: { app, base, other },
    groups: {},
    builders: {},
    edges: [{ from: 'app', to: 'base', kind: 'context', via: 'base' }],
    order: ['base', 'other', 'app'],
    levels: [['base', 'other'], ['app']],
    warnings: [],
  };
}

interface BuildCall {
  target: string;
  signal: AbortSignal;
  startedAt: number;
  settled: boolean;
  finish: (state: TargetResult['state']) => void;
}

interface Harness {
  dir: string;
  watcher: Watcher;
  calls: BuildCall[];
  events: { name: keyof WatchEventMap; payload: unknown; at: number }[];
  /** Targets whose builds wait for `finish` instead of succeeding at once. */
  hold: Set<string>;
  write(rel: string, content?: string): void;
  next<K extends keyof WatchEventMap>(event: K, predicate?: (p: WatchEventMap[K]) => boolean): Promise<WatchEventMap[K]>;
  abort(): Promise<void>;
}

const harnesses: Harness[] = [];

afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.abort();
    // Nothing left running: every build the watcher started has settled.
    expect(h.calls.filter((c) => !c.settled).map((c) => c.target)).toEqual([]);
    rmSync(h.dir, { recursive: true, force: true });
  }
});

/** Fails with a readable message instead of hanging until the test timeout. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

async function createHarness(poll: number | false, opts: { cancelInFlight?: boolean; debounceMs?: number } = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsbake-watch-'));
  const write = (rel: string, content = `${rel} ${Date.now()} ${Math.random()}\n`): void => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  };
  write('base/Dockerfile', 'FROM scratch\n');
  write('base/a.txt');
  write('app/Dockerfile', 'FROM base\n');
  write('app/src/main.ts');
  write('app/.dockerignore', 'ignored\n*.log\n');
  write('app/ignored/x.txt');
  mkdirSync(path.join(dir, 'app', 'out'));
  write('other/Dockerfile', 'FROM scratch\n');
  mkdirSync(path.join(dir, 'other', 'burst'));
  mkdirSync(path.join(dir, 'other', '.git'));
  write('bake.json', JSON.stringify({ appArg: 'one' }));

  const controller = new AbortController();
  const calls: BuildCall[] = [];
  const hold = new Set<string>();
  const configFile = path.join(dir, 'bake.json');
  const watcher = createWatcher({
    signal: controller.signal,
    debounceMs: DEBOUNCE,
    poll,
    ...opts,
    load: async () => {
      const text = readFileSync(configFile, 'utf8');
      let config: { appArg: string };
      try {
        config = JSON.parse(text) as { appArg: string };
      } catch (err) {
        throw new TsbakeError('invalid-config', 'bake.json is not valid JSON', {
          diagnostics: [{ file: configFile, line: 1, column: 1, message: String(err), severity: 'error' }],
        });
      }
      return { plan: planFor(dir, config), configFiles: [configFile] };
    },
    build: (plan, name, signal) =>
      new Promise<TargetResult>((resolve) => {
        const started = Date.now();
        const call: BuildCall = {
          target: name,
          signal,
          startedAt: started,
          settled: false,
          finish: (state) => {
            if (call.settled) return;
            call.settled = true;
            resolve({ target: name, state, exporterResponse: {}, durationMs: Date.now() - started, steps: { total: 1, cached: 0 } });
          },
        };
        calls.push(call);
        signal.addEventListener('abort', () => call.finish('cancelled'), { once: true });
        const t = plan.targets[name];
        // A Dockerfile containing BROKEN fails, like a real build would.
        const dockerfile = t ? path.join(t.context, t.dockerfile) : '';
        let broken = false;
        try {
          broken = readFileSync(dockerfile, 'utf8').includes('BROKEN');
        } catch {
          broken = true;
        }
        if (broken) setImmediate(() => call.finish('failed'));
        else if (!hold.has(name)) setImmediate(() => call.finish('built'));
      }),
  });
  const events: Harness['events'] = [];
  watcher.onEvent((e) => events.push({ name: e.type, payload: e, at: Date.now() }));
  const h: Harness = {
    dir,
    watcher,
    calls,
    events,
    hold,
    write,
    next: (event, predicate) => within(watcher.once(event, predicate), 10_000, `event ${String(event)}`),
    abort: async () => {
      controller.abort();
      await within(watcher.done, 10_000, 'watcher.done');
    },
  };
  harnesses.push(h);
  const initial = h.next('watch-rebuild-summary', (s) => s.initial);
  await watcher.start();
  await initial;
  return h;
}

const rel = (h: Harness, p: string): string => path.relative(h.dir, p);

describe.each([
  { mode: 'native events', poll: false as const },
  { mode: 'polling', poll: 100 },
])('watch ($mode)', ({ poll }) => {
  const slack = poll === false ? 0 : poll * 2;

  it('builds everything in graph order at start', async () => {
    const h = await createHarness(poll);
    const order = h.calls.map((c) => c.target);
    expect(order.sort()).toEqual(['app', 'base', 'other']);
    const started = h.events.filter((e) => e.name === 'watch-build-started').map((e) => (e.payload as { target: string }).target);
    expect(started.indexOf('base')).toBeLessThan(started.indexOf('app'));
    expect(h.events.some((e) => e.name === 'watch-planned')).toBe(true);
  });

  it('rebuilds the changed target and its dependents, nothing else', async () => {
    const h = await createHarness(poll);
    const before = h.calls.length;
    const summary = h.next('watch-rebuild-summary');
    h.write('base/a.txt');
    const s = await summary;
    expect([...s.targets].sort()).toEqual(['app', 'base']);
    expect(s.trigger.map((p) => rel(h, p))).toEqual(['base/a.txt']);
    const rebuilt = h.calls.slice(before).map((c) => c.target);
    expect(rebuilt).toEqual(['base', 'app']);
    // The dependent starts after its dependency finished.
    const baseDone = h.events.findIndex((e, i) => i > 0 && e.name === 'watch-build-finished' && (e.payload as { target: string }).target === 'base' && e.at >= (h.calls[before]?.startedAt ?? 0));
    const appStart = h.events.findIndex((e) => e.name === 'watch-build-started' && (e.payload as { target: string }).target === 'app' && e.at >= (h.calls[before]?.startedAt ?? 0));
    expect(baseDone).toBeGreaterThanOrEqual(0);
    expect(appStart).toBeGreaterThan(baseDone);
  });

  it('ignores .dockerignore-excluded files, editor temp files and .git', async () => {
    const h = await createHarness(poll);
    const changed = h.next('watch-changed');
    h.write('app/ignored/x.txt');
    h.write('app/ignored/new/y.txt');
    h.write('app/debug.log');
    h.write('app/src/.main.ts.swp');
    h.write('app/src/main.ts~');
    h.write('app/src/4913');
    h.write('other/.git/index');
    // Give the ignored writes time to be seen (and wrongly reported) before the sentinel.
    await new Promise((r) => setTimeout(r, DEBOUNCE * 4 + slack));
    h.write('app/src/main.ts');
    const first = await changed;
    expect(first.paths.map((p) => rel(h, p))).toEqual(['app/src/main.ts']);
  });

  it('re-watches when .dockerignore changes, and honours ! exceptions', async () => {
    const h = await createHarness(poll);
    const summary = h.next('watch-rebuild-summary');
    h.write('app/.dockerignore', '*.log\nignored\n!ignored/keep/**\n');
    expect((await summary).targets).toEqual(['app']);
    const changed = h.next('watch-changed');
    h.write('app/ignored/x.txt');
    await new Promise((r) => setTimeout(r, DEBOUNCE * 4 + slack));
    h.write('app/ignored/keep/k.txt');
    expect((await changed).paths.map((p) => rel(h, p))).toEqual(['app/ignored/keep/k.txt']);
    // Dropping the rule makes the formerly pruned directory a trigger.
    const dropped = h.next('watch-rebuild-summary', (x) => x.trigger.some((p) => p.endsWith('.dockerignore')));
    h.write('app/.dockerignore', '*.log\n');
    await dropped;
    const again = h.next('watch-changed');
    h.write('app/ignored/x.txt');
    expect((await again).paths.map((p) => rel(h, p))).toEqual(['app/ignored/x.txt']);
  });

  it('reports files written into a new directory at once (before its watch exists)', async () => {
    const h = await createHarness(poll);
    const file = path.join(h.dir, 'other', 'fresh', 'deep', 'f.txt');
    const changed = h.next('watch-changed', (c) => c.paths.includes(file));
    h.write('other/fresh/deep/f.txt');
    const c = await changed;
    expect(c.paths.every((p) => p.startsWith(path.join(h.dir, 'other')))).toBe(true);
  });

  it('never reacts to a target output destination inside its context', async () => {
    const h = await createHarness(poll);
    const changed = h.next('watch-changed');
    h.write('app/out/result.txt');
    h.write('app/out/deep/more.txt');
    await new Promise((r) => setTimeout(r, DEBOUNCE * 4 + slack));
    h.write('app/src/other.ts');
    const first = await changed;
    expect(first.paths.map((p) => rel(h, p))).toEqual(['app/src/other.ts']);
  });

  it('coalesces a burst of 2,000 files into one batch', async () => {
    const h = await createHarness(poll);
    const changedEvents: WatchEventMap['watch-changed'][] = [];
    h.watcher.on('watch-changed', (c) => changedEvents.push(c));
    const summary = h.next('watch-rebuild-summary');
    for (let i = 0; i < 2000; i++) h.write(`other/burst/f${i}.txt`, `${i}\n`);
    const s = await summary;
    expect(s.count).toBe(2000);
    expect(s.targets).toEqual(['other']);
    // Prove no second batch of the burst follows: the next batch is the sentinel alone.
    const next = h.next('watch-changed', (c) => c.paths.some((p) => p.endsWith('sentinel.txt')));
    h.write('other/sentinel.txt');
    await next;
    expect(changedEvents.map((c) => c.count)).toEqual([2000, 1]);
  });

  it('aborts a running build on a new change and restarts it promptly', async () => {
    const h = await createHarness(poll);
    h.hold.add('other');
    const started = h.next('watch-build-started', (e) => e.target === 'other');
    h.write('other/one.txt');
    await started;
    const running = h.calls[h.calls.length - 1];
    expect(running?.target).toBe('other');
    const cancelled = h.next('watch-build-cancelled', (e) => e.target === 'other');
    const restarted = h.next('watch-build-started', (e) => e.target === 'other');
    const writtenAt = Date.now();
    h.write('other/two.txt');
    await cancelled;
    expect(running?.signal.aborted).toBe(true);
    await restarted;
    const latency = Date.now() - writtenAt;
    expect(latency).toBeLessThan(DEBOUNCE + 200 + slack);
    // Unaffected targets were not touched.
    expect(h.events.filter((e) => e.name === 'watch-build-cancelled').map((e) => (e.payload as { target: string }).target)).toEqual(['other']);
    const done = h.next('watch-build-finished', (e) => e.target === 'other');
    h.calls[h.calls.length - 1]?.finish('built');
    expect((await done).result.state).toBe('built');
  });

  it('queues instead of cancelling with cancelInFlight: false', async () => {
    const h = await createHarness(poll, { cancelInFlight: false });
    h.hold.add('other');
    const started = h.next('watch-build-started', (e) => e.target === 'other');
    h.write('other/one.txt');
    await started;
    const first = h.calls[h.calls.length - 1];
    const changed = h.next('watch-changed', (c) => c.paths.some((p) => p.endsWith('two.txt')));
    h.write('other/two.txt');
    await changed;
    expect(first?.signal.aborted).toBe(false);
    const restarted = h.next('watch-build-started', (e) => e.target === 'other');
    first?.finish('built');
    await restarted;
    expect(h.calls.filter((c) => c.target === 'other')).toHaveLength(3);
    h.calls[h.calls.length - 1]?.finish('built');
  });

  it('keeps watching after a failed build and rebuilds once fixed', async () => {
    const h = await createHarness(poll);
    const failed = h.next('watch-rebuild-summary');
    h.write('base/Dockerfile', 'FROM scratch\nBROKEN\n');
    const f = await failed;
    const states = Object.fromEntries(f.results.map((r) => [r.target, r.state]));
    expect(states).toEqual({ base: 'failed', app: 'skipped' });
    const fixed = h.next('watch-rebuild-summary');
    h.write('base/Dockerfile', 'FROM scratch\n');
    const g = await fixed;
    expect(Object.fromEntries(g.results.map((r) => [r.target, r.state]))).toEqual({ base: 'built', app: 'built' });
  });

  it('keeps the old plan on an invalid config and re-plans once it is valid', async () => {
    const h = await createHarness(poll);
    const before = h.calls.length;
    const error = h.next('watch-config-error');
    h.write('bake.json', '{ "appArg": ');
    const e = await error;
    expect(e.diagnostics[0]?.file).toBe(path.join(h.dir, 'bake.json'));
    // Still watching with the old plan.
    const stillWorks = h.next('watch-rebuild-summary');
    h.write('other/x.txt');
    expect((await stillWorks).targets).toEqual(['other']);
    const planned = h.next('watch-planned', (p) => p.reason === 'config-changed');
    const summary = h.next('watch-rebuild-summary');
    h.write('bake.json', JSON.stringify({ appArg: 'two' }));
    expect((await planned).plan.targets.app?.args.A).toBe('two');
    // Only the target whose resolved definition changed (and its dependents) rebuilds.
    expect((await summary).targets).toEqual(['app']);
    expect(h.calls.slice(before).map((c) => c.target)).toEqual(['other', 'app']);
  });

  it('warns when the Dockerfile is deleted and rebuilds when it is restored', async () => {
    const h = await createHarness(poll);
    const warning = h.next('watch-warning', (w) => w.message.includes('Dockerfile'));
    const before = h.calls.length;
    rmSync(path.join(h.dir, 'other', 'Dockerfile'));
    const w = await warning;
    expect(w.message).toContain(path.join(h.dir, 'other', 'Dockerfile'));
    expect(h.calls.length).toBe(before);
    const rebuilt = h.next('watch-build-finished', (e) => e.target === 'other' && e.result.state === 'built');
    h.write('other/Dockerfile', 'FROM scratch\n');
    await rebuilt;
  });

  it('warns when a context dir is deleted and rebuilds when it is restored', async () => {
    const h = await createHarness(poll);
    const warning = h.next('watch-warning', (w) => w.message.includes('context directory'));
    rmSync(path.join(h.dir, 'base'), { recursive: true });
    await warning;
    const rebuilt = h.next('watch-rebuild-summary', (s) => s.results.some((r) => r.target === 'base' && r.state === 'built'));
    // Restore the way a checkout does: build it aside, then move it in.
    mkdirSync(path.join(h.dir, 'tmp-base'));
    writeFileSync(path.join(h.dir, 'tmp-base', 'Dockerfile'), 'FROM scratch\n');
    renameSync(path.join(h.dir, 'tmp-base'), path.join(h.dir, 'base'));
    const s = await rebuilt;
    expect([...s.targets].sort()).toEqual(['app', 'base']);
  });

  it('cancels running builds and closes everything on abort', async () => {
    const h = await createHarness(poll);
    h.hold.add('other');
    const started = h.next('watch-build-started', (e) => e.target === 'other');
    h.write('other/one.txt');
    await started;
    const running = h.calls[h.calls.length - 1];
    await h.abort();
    expect(running?.signal.aborted).toBe(true);
    expect(running?.settled).toBe(true);
  });
});

describe('watch limit', () => {
  it('falls back to polling on ENOSPC and keeps reporting changes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsbake-watch-limit-'));
    mkdirSync(path.join(dir, 'ctx'));
    writeFileSync(path.join(dir, 'ctx', 'Dockerfile'), 'FROM scratch\n');
    const set = createWatchSet(planFor(dir, { appArg: 'x' }), [], dir);
    const warnings: string[] = [];
    let resolveSeen!: (file: string) => void;
    const seen = new Promise<string>((r) => (resolveSeen = r));
    const fsw = new FsWatcher({
      poll: false,
      onEvent: (_kind, file) => resolveSeen(file),
      onWarning: (m) => warnings.push(m),
    });
    try {
      await fsw.watch(set);
      expect(fsw.polling).toBe(false);
      // What chokidar reports when inotify_add_watch fails for lack of watches.
      await fsw.handleError(Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' }));
      expect(fsw.polling).toBe(true);
      expect(warnings).toEqual([WATCH_LIMIT_HINT]);
      expect(WATCH_LIMIT_HINT).toContain('fs.inotify.max_user_watches=524288');
      writeFileSync(path.join(dir, 'other-new.txt'), 'x');
      mkdirSync(path.join(dir, 'other'));
      writeFileSync(path.join(dir, 'other', 'new.txt'), 'x');
      expect(await within(seen, 10_000, 'a change seen by the polling watcher')).toMatch(/other/);
    } finally {
      await fsw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a short debounce', () => {
  it('--debounce 0: a second save inside chokidar’s 50 ms change throttle is still rebuilt', async () => {
    const h = await createHarness(false, { debounceMs: 0 });
    const file = path.join(h.dir, 'other', 'f.txt');
    const added = h.next('watch-changed', (c) => c.paths.includes(file));
    h.write('other/f.txt', 'new\n');
    await added;
    await new Promise((r) => setTimeout(r, 100));
    const first = h.next('watch-changed', (c) => c.paths.includes(file));
    h.write('other/f.txt', 'one\n');
    await first;
    // chokidar drops this file's change events for 50 ms after the one it delivered.
    await new Promise((r) => setTimeout(r, 15));
    const t2 = Date.now();
    const second = h.next('watch-changed', (c) => c.paths.includes(file));
    h.write('other/f.txt', 'second save\n');
    await second;
    const after = h.events.filter((e) => e.name === 'watch-changed' && e.at >= t2);
    expect(after.length).toBeGreaterThanOrEqual(1);
  });
});
