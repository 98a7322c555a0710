/**
 * Watch mode: load the plan, build everything selected, then turn file events into "these targets
 * changed" and rebuild them and their dependents. The executor and config loader are injected, so
 * this folder knows nothing of Docker or YAML.
 */
import { existsSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { TsbakeError, isAbortError, type Diagnostic } from '../errors.js';
import type { TargetResult, WatchEvent, WatchEventOf, WatchEventType } from '../events.js';
import type { Plan } from '../plan/types.js';
import { trace } from '../trace.js';
import { Batcher, settleFileEvents, type Batch } from './batcher.js';
import { TypedEmitter, type Listener } from './emitter.js';
import { FlushedStates } from './flushed-states.js';
import { FsWatcher } from './fs-watcher.js';
import { Scheduler, type WatchEmit } from './scheduler.js';
import { classifyPath, createWatchSet, reloadIgnores, type WatchSet } from './watch-set.js';

/** chokidar's per-file throttle of change events (`_throttle('change', path, 50)`). */
const CHOKIDAR_THROTTLE_MS = 50;
/** Largest batch re-checked after that throttle: small edits are where a short debounce is used. */
const RECHECK_MAX = 64;

export interface WatchOptions {
  /** Loads config files and resolves the plan for the selected names; throws TsbakeError('invalid-config', …, {diagnostics}) on a bad config. */
  load: (signal: AbortSignal) => Promise<{ plan: Plan; configFiles: string[] }>;
  /** Builds exactly `target` (its dependencies are already built), honouring `signal`; resolves with its TargetResult, never throws for a build failure. */
  build: (plan: Plan, target: string, signal: AbortSignal) => Promise<TargetResult>;
  /** Quiet window in ms before a batch of changes is acted on (default 50). */
  debounceMs?: number;
  /** Longest repeated changes to paths already in a batch may delay it (default max(1000, 10 × debounceMs)). */
  maxWaitMs?: number;
  /** Longest a batch waits after its first change, however many new paths keep arriving (default max(10000, 10 × maxWaitMs)). */
  maxBatchMs?: number;
  /** Polling interval in ms, or false for native events (default false). */
  poll?: number | false;
  /** Default true; false (--no-cancel) queues a rebuild after the running build instead. */
  cancelInFlight?: boolean;
  /** Most builds at once (default unlimited, like bake). */
  concurrency?: number;
  /** Directory relative output `dest`s resolve against (default process.cwd()). */
  cwd?: string;
  /** Files tsbake writes during the session (the `--report` file): never watched, never a trigger. */
  ownFiles?: string[];
  /** Stops the watcher. */
  signal: AbortSignal;
}

/** The watcher's events by type (src/events.ts). */
export type WatchEventMap = { [K in WatchEventType]: WatchEventOf<K> };

export interface Watcher {
  /** Initial load, starts watching, then schedules the build of everything selected; resolves once watching is ready. */
  start(): Promise<void>;
  on<K extends WatchEventType>(type: K, listener: Listener<WatchEventMap[K]>): () => void;
  /** Every watch event, in order. */
  onEvent(listener: Listener<WatchEvent>): () => void;
  /** The first event of `type` matching `predicate`; rejects when `signal` aborts. */
  once<K extends WatchEventType>(type: K, predicate?: (e: WatchEventMap[K]) => boolean, signal?: AbortSignal): Promise<WatchEventMap[K]>;
  /** Resolves when the signal has aborted and every build, timer and file watcher is closed. */
  readonly done: Promise<void>;
}

export function createWatcher(options: WatchOptions): Watcher {
  const emitter = new TypedEmitter<WatchEventMap>();
  const all = new TypedEmitter<{ event: WatchEvent }>();
  const emit: WatchEmit = (e) => {
    const event = { ...e, time: Date.now() } as WatchEvent;
    emitter.emit(event.type, event as never);
    all.emit('event', event);
  };
  const debounceMs = options.debounceMs ?? 50;
  const maxWaitMs = options.maxWaitMs ?? Math.max(1000, 10 * debounceMs);
  const maxBatchMs = options.maxBatchMs ?? Math.max(10_000, 10 * maxWaitMs);
  const cwd = options.cwd ?? process.cwd();
  const { signal } = options;

  let watchSet: WatchSet | undefined;
  let configFiles: string[] = [];
  let scheduler: Scheduler | undefined;
  let stopped = false;
  let processing: Promise<void> = Promise.resolve();

  const flushed = new FlushedStates();
  function onFileEvent(kind: string, file: string, stats: Stats | undefined): void {
    if (stopped || !watchSet) return;
    if (stats === undefined && kind !== 'unlink' && flushed.has(file)) {
      // A directory event names the file but carries no state: look, then decide.
      void stat(file).then(
        (s) => onFileEvent(kind === 'raw-rename' ? 'add' : 'change', file, s),
        () => onFileEvent('unlink', file, undefined),
      );
      return;
    }
    if (flushed.isStale(kind, file, stats)) {
      trace('watch-stale-event', file);
      return;
    }
    const c = classifyPath(watchSet, file);
    if (c.targets.size > 0 || c.configChanged) batcher.add(file, c);
  }
  const fs = new FsWatcher({ poll: options.poll ?? false, onEvent: onFileEvent, onWarning: (message) => warn(message) });

  const batcher = new Batcher(
    debounceMs,
    maxWaitMs,
    maxBatchMs,
    (batch) => {
      processing = processing.then(() => processBatch(batch)).catch((err: unknown) => {
        if (!stopped) warn(`could not process changes: ${err instanceof Error ? err.message : String(err)}`);
      });
    },
    async () => {
      // Polling stats each file on its own timer: files written together are seen up to one interval
      // apart, so a batch is only complete once every file has been polled again after its last change.
      const interval = fs.pollInterval;
      if (interval !== false) await new Promise<void>((resolve) => setTimeout(resolve, interval).unref());
      await settleFileEvents(watchSet?.roots[0] ?? cwd);
    },
  );

  function warn(message: string): void {
    emit({ type: 'watch-warning', message });
  }

  function precheck(target: string): string | undefined {
    const spec = watchSet?.targets.find((t) => t.name === target);
    if (!spec) return undefined;
    if (spec.context && !existsSync(spec.context)) {
      return `target "${target}": context directory ${spec.context} does not exist; waiting for it to come back`;
    }
    if (spec.dockerfile && !existsSync(spec.dockerfile)) {
      return `target "${target}": Dockerfile ${spec.dockerfile} does not exist; waiting for it to come back`;
    }
    return undefined;
  }

  /** Reloads the config; returns the targets whose resolved definition changed, or undefined when invalid. */
  async function reloadConfig(): Promise<Set<string> | undefined> {
    const sched = scheduler;
    if (!sched) return undefined;
    let loaded: { plan: Plan; configFiles: string[] };
    try {
      loaded = await options.load(signal);
    } catch (err) {
      if (stopped || isAbortError(err)) return undefined;
      emit({ type: 'watch-config-error', diagnostics: diagnosticsOf(err) });
      return undefined;
    }
    const old = sched.plan;
    const changed = new Set<string>();
    for (const [name, t] of Object.entries(loaded.plan.targets)) {
      const before = old.targets[name];
      if (!before || JSON.stringify(before) !== JSON.stringify(t)) changed.add(name);
    }
    sched.setPlan(loaded.plan);
    configFiles = loaded.configFiles;
    emit({ type: 'watch-planned', plan: loaded.plan, reason: 'config-changed' });
    await rewatch(createWatchSet(loaded.plan, configFiles, cwd, options.ownFiles));
    return changed;
  }

  async function rewatch(next: WatchSet): Promise<void> {
    const before = watchSet ? signature(watchSet) : '';
    watchSet = next;
    if (signature(next) !== before) await fs.watch(next);
  }

  async function processBatch(batch: Batch): Promise<void> {
    if (stopped || !scheduler || !watchSet) return;
    // Before anything reads these files: later events reporting these very states are stale.
    await flushed.record(batch.paths);
    if (stopped) return;
    if (debounceMs < CHOKIDAR_THROTTLE_MS && batch.paths.length <= RECHECK_MAX) {
      // chokidar drops a file's change events for 50 ms after one it delivered; with a shorter quiet
      // window a write in that span would go unseen, so look at those files again once it has passed.
      const paths = batch.paths;
      const timer = setTimeout(() => {
        void flushed.changedSince(paths).then((changed) => {
          for (const file of changed) onFileEvent('change', file, undefined);
        });
      }, CHOKIDAR_THROTTLE_MS + 10);
      timer.unref();
    }
    emit({ type: 'watch-changed', paths: batch.paths, count: batch.paths.length });
    const affected = new Set(batch.targets);
    if (batch.configChanged) {
      const changed = await reloadConfig();
      if (stopped) return;
      for (const t of changed ?? []) affected.add(t);
    }
    if (batch.ignoreChanged.size > 0 && watchSet) {
      // The rules decide which directories are pruned from watching, so a change of rules re-watches.
      const before = signature(watchSet);
      reloadIgnores(watchSet, batch.ignoreChanged);
      if (signature(watchSet) !== before) await fs.watch(watchSet);
    }
    if (stopped) return;
    const names = [...affected].filter((t) => t in scheduler!.plan.targets);
    scheduler.invalidate(names, batch.paths, batch.paths.length);
  }

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  async function shutdown(): Promise<void> {
    stopped = true;
    batcher.cancel();
    try {
      await processing;
      await scheduler?.stop();
    } finally {
      await fs.close();
      resolveDone();
    }
  }

  if (signal.aborted) void shutdown();
  else signal.addEventListener('abort', () => void shutdown(), { once: true });

  async function start(): Promise<void> {
    if (scheduler) throw new Error('watcher already started');
    if (stopped) return;
    const loaded = await options.load(signal);
    if (stopped) return;
    configFiles = loaded.configFiles;
    emit({ type: 'watch-planned', plan: loaded.plan, reason: 'initial' });
    await rewatch(createWatchSet(loaded.plan, configFiles, cwd, options.ownFiles));
    if (stopped) return;
    scheduler = new Scheduler(loaded.plan, {
      build: options.build,
      emit,
      signal,
      cancelInFlight: options.cancelInFlight ?? true,
      concurrency: options.concurrency ?? Number.POSITIVE_INFINITY,
      precheck,
    });
    emit({ type: 'watch-ready' });
    scheduler.invalidate(loaded.plan.order, [], 0, true);
  }

  return {
    start,
    on: (type, listener) => emitter.on(type, listener),
    onEvent: (listener) => all.on('event', listener),
    once: (type, predicate, s) => emitter.once(type, predicate, s),
    done,
  };
}

function diagnosticsOf(err: unknown): Diagnostic[] {
  if (err instanceof TsbakeError && err.diagnostics.length > 0) return err.diagnostics;
  const message = err instanceof Error ? err.message : String(err);
  return [{ file: '', line: 0, column: 0, message, severity: 'error' }];
}

/** What decides which paths chokidar watches: a change means re-watching. */
function signature(set: WatchSet): string {
  return JSON.stringify({
    roots: set.roots,
    configFiles: set.configFiles,
    outputDests: set.outputDests,
    targets: set.targets.map((t) => [t.name, t.context, t.dockerfile, t.dockerignoreFiles, t.namedContexts, t.ignore.source, t.ignore.patterns]),
  });
}
