/**
 * The rebuild state machine: which targets are stale (pending), which are building (running), and what
 * each last produced. Targets start in graph order once none of their dependencies is stale or
 * building; a dependency that failed skips its dependents. A new change to a building target aborts
 * that build and queues it again (or only queues it when cancelInFlight is false).
 */
import type { TargetFailure, TargetResult, WatchEvent } from '../events.js';
import { TsbakeError } from '../errors.js';
import type { Plan } from '../plan/types.js';
import { createTargetGraph, type TargetGraph } from './graph.js';

export interface SchedulerOptions {
  build: (plan: Plan, target: string, signal: AbortSignal) => Promise<TargetResult>;
  /** Reports a watch event (the watcher stamps its time). */
  emit: WatchEmit;
  /** The watch session's signal: it aborts every build (each build also has its own controller). */
  signal: AbortSignal;
  cancelInFlight: boolean;
  concurrency: number;
  /** Returns why a target cannot be built right now (context or Dockerfile missing), or undefined. */
  precheck: (target: string) => string | undefined;
}

/** A watch event without its time. */
export type UntimedWatchEvent = WatchEvent extends infer E ? (E extends unknown ? Omit<E, 'time'> : never) : never;
export type WatchEmit = (event: UntimedWatchEvent) => void;

interface Run {
  controller: AbortController;
  promise: Promise<void>;
  /** Cancelled by a newer change and already replaced: its outcome is no longer reported. */
  superseded: boolean;
}

interface Cycle {
  started: number;
  trigger: string[];
  count: number;
  targets: string[];
  results: TargetResult[];
  initial: boolean;
}

const TRIGGER_SAMPLE = 5;

export class Scheduler {
  readonly #opts: SchedulerOptions;
  #plan: Plan;
  #graph: TargetGraph;
  /** Stale targets → the changed paths that made them stale. */
  readonly #pending = new Map<string, string[]>();
  readonly #running = new Map<string, Run>();
  /** Superseded builds still unwinding (the solve is cancelled, the daemon is tearing it down). */
  readonly #draining = new Set<Run>();
  readonly #last = new Map<string, TargetResult>();
  #cycle: Cycle | undefined;
  #stopped = false;

  constructor(plan: Plan, opts: SchedulerOptions) {
    this.#opts = opts;
    this.#plan = plan;
    this.#graph = createTargetGraph(plan);
  }

  get plan(): Plan {
    return this.#plan;
  }

  /** Targets currently building. */
  get running(): string[] {
    return [...this.#running.keys()];
  }

  lastResult(target: string): TargetResult | undefined {
    return this.#last.get(target);
  }

  /** Swaps the plan; builds of targets that no longer exist are cancelled and forgotten. */
  setPlan(plan: Plan): void {
    this.#plan = plan;
    this.#graph = createTargetGraph(plan);
    for (const name of [...this.#pending.keys()]) if (!(name in plan.targets)) this.#pending.delete(name);
    for (const name of [...this.#last.keys()]) if (!(name in plan.targets)) this.#last.delete(name);
    for (const [name, run] of this.#running) if (!(name in plan.targets)) run.controller.abort(new Error('target removed'));
  }

  /**
   * Marks `targets` and everything depending on them stale and (re)starts what can start.
   * `count` is the number of changed paths behind it, `trigger` a sample of them.
   */
  invalidate(targets: Iterable<string>, trigger: string[], count: number, initial = false): string[] {
    if (this.#stopped) return [];
    const affected = this.#graph.withDependents(targets);
    if (affected.size === 0) return [];
    const sample = trigger.slice(0, TRIGGER_SAMPLE);
    if (!this.#cycle) {
      this.#cycle = { started: Date.now(), trigger: [], count: 0, targets: [], results: [], initial };
    }
    for (const p of sample) if (this.#cycle.trigger.length < TRIGGER_SAMPLE && !this.#cycle.trigger.includes(p)) this.#cycle.trigger.push(p);
    this.#cycle.count += count;
    for (const name of this.#graph.order) {
      if (!affected.has(name)) continue;
      this.#pending.set(name, sample);
      const run = this.#running.get(name);
      if (run && this.#opts.cancelInFlight) {
        // Restart at once rather than after the cancelled solve has unwound (tens to hundreds of ms on
        // a busy daemon): the old build is aborted, reported cancelled now, and ignored when it settles.
        run.superseded = true;
        run.controller.abort(new Error('superseded by a newer change'));
        this.#running.delete(name);
        this.#draining.add(run);
        this.#opts.emit({ type: 'watch-build-cancelled', target: name });
      }
    }
    this.#pump();
    return this.#graph.order.filter((n) => affected.has(n));
  }

  /** Cancels every build and waits for them to settle. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending.clear();
    const runs = [...this.#running.values(), ...this.#draining];
    for (const run of runs) run.controller.abort(new Error('watch stopped'));
    await Promise.allSettled(runs.map((r) => r.promise));
  }

  #pump(): void {
    if (this.#stopped || this.#opts.signal.aborted) return;
    for (const name of this.#graph.order) {
      if (!this.#pending.has(name) || this.#running.has(name)) continue;
      if (this.#running.size >= this.#opts.concurrency) break;
      const deps = this.#graph.dependencies(name);
      if (deps.some((d) => this.#pending.has(d) || this.#running.has(d))) continue;
      const failedDep = deps.find((d) => {
        const r = this.#last.get(d);
        return r !== undefined && r.state !== 'built' && r.state !== 'cached';
      });
      if (failedDep !== undefined) {
        this.#finishWithoutBuilding(name, { reason: 'dependency-failed', message: `dependency ${failedDep} did not build` });
        continue;
      }
      const missing = this.#opts.precheck(name);
      if (missing !== undefined) {
        this.#opts.emit({ type: 'watch-warning', message: missing });
        this.#finishWithoutBuilding(name, { reason: 'missing-input', message: missing });
        continue;
      }
      this.#start(name);
    }
    if (this.#pending.size === 0 && this.#running.size === 0 && this.#cycle) {
      const c = this.#cycle;
      this.#cycle = undefined;
      this.#opts.emit({
        type: 'watch-rebuild-summary',
        trigger: c.trigger,
        count: c.count,
        targets: c.targets,
        results: c.results,
        durationMs: Date.now() - c.started,
        initial: c.initial,
      });
    }
  }

  #finishWithoutBuilding(name: string, failure: TargetFailure): void {
    this.#pending.delete(name);
    const result: TargetResult = {
      target: name,
      state: 'skipped',
      exporterResponse: {},
      durationMs: 0,
      failure,
      steps: { total: 0, cached: 0 },
    };
    this.#record(name, result);
  }

  #record(name: string, result: TargetResult): void {
    this.#last.set(name, result);
    if (this.#cycle) {
      this.#cycle.targets.push(name);
      this.#cycle.results.push(result);
    }
    this.#opts.emit({ type: 'watch-build-finished', target: name, result });
  }

  #start(name: string): void {
    const trigger = this.#pending.get(name) ?? [];
    this.#pending.delete(name);
    const controller = new AbortController();
    // Linked to the session's signal: a build never outlives the watch, even before stop() runs. An
    // explicit listener, removed when the build settles (a long session starts thousands of builds).
    const session = this.#opts.signal;
    const onSessionAbort = (): void => controller.abort(session.reason);
    if (session.aborted) controller.abort(session.reason);
    else session.addEventListener('abort', onSessionAbort, { once: true });
    const { signal } = controller;
    const plan = this.#plan;
    const started = Date.now();
    const run: Run = { controller, promise: Promise.resolve(), superseded: false };
    this.#running.set(name, run);
    this.#opts.emit({ type: 'watch-build-started', target: name, trigger });
    run.promise = (async () => {
      let result: TargetResult;
      try {
        result = await this.#opts.build(plan, name, signal);
      } catch (err) {
        result = {
          target: name,
          state: signal.aborted ? 'cancelled' : 'failed',
          exporterResponse: {},
          durationMs: Date.now() - started,
          failure: {
            reason: signal.aborted ? 'cancelled' : err instanceof TsbakeError ? err.reason : 'build-failed',
            message: err instanceof Error ? err.message : String(err),
          },
          steps: { total: 0, cached: 0 },
        };
      } finally {
        session.removeEventListener('abort', onSessionAbort);
      }
      if (run.superseded) {
        this.#draining.delete(run);
        return;
      }
      if (this.#running.get(name) === run) this.#running.delete(name);
      if (signal.aborted || result.state === 'cancelled') {
        this.#opts.emit({ type: 'watch-build-cancelled', target: name });
        // Cancelled by a newer change: it is pending again and will restart. Cancelled for another
        // reason (watch stopping, target removed): remember it so dependents do not build on it.
        if (!this.#pending.has(name) && name in this.#plan.targets) this.#last.set(name, { ...result, state: 'cancelled' });
      } else {
        this.#record(name, result);
      }
      this.#pump();
    })();
  }
}
