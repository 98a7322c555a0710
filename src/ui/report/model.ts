/**
 * The build report's data: what `--report x.json` writes and what the HTML renderer draws. Built from
 * the executor's typed events (src/events.ts) by ReportCollector, one more consumer beside the
 * progress renderers; nothing here talks to a daemon.
 */
import type { BuildEvent, TargetState } from '../../events.js';

export const REPORT_VERSION = 1;

export type StepState = 'built' | 'cached' | 'failed' | 'cancelled' | 'running';
/** A target's state in the report; `unchanged` is a watch-mode target not rebuilt by the last rebuild. */
export type ReportTargetState = TargetState | 'unchanged';
export type ReportStatus = 'succeeded' | 'failed' | 'cancelled' | 'running';

export interface ReportStep {
  /** Vertex digest. */
  id: string;
  name: string;
  state: StepState;
  /** Epoch ms, as BuildKit's status vertex gives them; absent for a step that never started. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface ReportTarget {
  name: string;
  builder?: string;
  state: ReportTargetState;
  /** Epoch ms. */
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Wall time of the target's solve (started → finished), ms. */
  durationMs: number;
  steps: ReportStep[];
  stepsTotal: number;
  stepsCached: number;
  /** File bytes sent to the daemon for the target's local contexts; absent when not known (cancelled). */
  contextBytes?: number;
  /** Time in BuildKit's `exporting …` steps (union of their intervals), ms. */
  exportMs: number;
  error?: string;
  /** Dockerfile location of the failure (`Dockerfile:3`). */
  location?: string;
  /** The failing step's last log lines. */
  logTail?: string[];
  /** Why a skipped target did not build. */
  skipReason?: string;
  /** Watch mode: the target was last built before this rebuild (its row has no bars). */
  earlier?: boolean;
}

export interface ReportData {
  /** Format version of this object. */
  version: typeof REPORT_VERSION;
  tool: 'tsbake';
  status: ReportStatus;
  /** Epoch ms of the first event of the (last) run, and of the report's writing. */
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  /** A failure of the run itself (daemon unreachable, a capability refusal), not of one target. */
  error?: string;
  /** Watch mode: 1 for the initial build, +1 per rebuild; the paths that triggered the last one. */
  rebuild?: { number: number; trigger: string[] };
  /** In plan order (dependencies first). */
  targets: ReportTarget[];
  /** `from` depends on `to`. */
  edges: { from: string; to: string }[];
  /** levels[0] has no dependencies; levels[n] depends only on earlier levels. */
  levels: string[][];
  /** The chain of dependent targets whose wall times sum to the longest (dependency first). */
  criticalPath: { targets: string[]; durationMs: number };
}

/** The parts of a Plan the report needs (kept structural, so tests can hand a small object). */
export interface ReportPlan {
  order: string[];
  levels: string[][];
  edges: { from: string; to: string }[];
  targets: Record<string, { builder: string }>;
}

interface StepRecord {
  id: string;
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
}

interface TargetRecord {
  name: string;
  builder?: string;
  state: TargetState;
  queuedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  durationMs: number;
  steps: Map<string, StepRecord>;
  stepsTotal?: number;
  stepsCached?: number;
  contextBytes?: number;
  error?: string;
  location?: string;
  logTail?: string[];
  skipReason?: string;
}

/**
 * Accumulates events into report data. Each `target-queued` starts a new attempt of that target (watch
 * rebuilds queue it again); `beginRebuild` marks the start of a watch rebuild, so targets not queued
 * since show as `unchanged`.
 */
export class ReportCollector {
  private plan: ReportPlan;
  private readonly records = new Map<string, TargetRecord>();
  private batchStart: number;
  private rebuild: { number: number; trigger: string[] } | undefined;
  private runError: string | undefined;
  private lastEventAt = 0;

  constructor(plan: ReportPlan, options: { now?: number } = {}) {
    this.plan = plan;
    this.batchStart = options.now ?? Date.now();
  }

  /** Watch: the config was reloaded. */
  setPlan(plan: ReportPlan): void {
    this.plan = plan;
  }

  /** Watch: a rebuild starts now (the initial build is number 1). */
  beginRebuild(trigger: string[], now: number = Date.now()): void {
    this.batchStart = now;
    this.runError = undefined;
    this.rebuild = { number: (this.rebuild?.number ?? 0) + 1, trigger: [...trigger] };
  }

  /** A failure of the run as a whole (thrown by the executor before or around the builds). */
  setRunError(message: string): void {
    this.runError = message;
  }

  onEvent(e: BuildEvent): void {
    this.lastEventAt = Math.max(this.lastEventAt, e.time);
    if (e.type === 'info' || e.type === 'warning' || e.type === 'push-ready' || e.type === 'push-done') return;
    if (e.type === 'target-queued') {
      this.records.set(e.target, { name: e.target, state: 'queued', queuedAt: e.time, durationMs: 0, steps: new Map() });
      return;
    }
    const r = this.records.get(e.target) ?? this.newRecord(e.target, e.time);
    switch (e.type) {
      case 'target-started':
        r.state = 'running';
        r.builder = e.builder;
        r.startedAt = e.time;
        break;
      case 'step': {
        const known = r.steps.get(e.step.id);
        // Progress statuses carry `current`: their `started` is the status's, not the vertex's.
        const isVertex = e.step.current === undefined && e.step.total === undefined;
        const s: StepRecord = known ?? { id: e.step.id, name: e.step.name, cached: false };
        s.name = e.step.name || s.name;
        if (isVertex) {
          s.cached = e.step.cached;
          if (e.step.started !== undefined) s.started = e.step.started;
          if (e.step.completed !== undefined) s.completed = e.step.completed;
          if (e.step.error) s.error = e.step.error;
        }
        r.steps.set(s.id, s);
        break;
      }
      case 'log':
        break;
      case 'target-finished':
        r.state = e.state;
        r.finishedAt = e.time;
        r.durationMs = e.durationMs;
        r.stepsTotal = e.result.steps.total;
        r.stepsCached = e.result.steps.cached;
        if (e.result.contextBytes !== undefined) r.contextBytes = e.result.contextBytes;
        break;
      case 'target-failed':
        r.state = 'failed';
        r.finishedAt = e.time;
        r.durationMs = e.durationMs;
        r.error = e.failure.message;
        if (e.failure.location) r.location = e.failure.location;
        r.logTail = [...e.logTail];
        if (e.contextBytes !== undefined) r.contextBytes = e.contextBytes;
        break;
      case 'target-cancelled':
        r.state = 'cancelled';
        r.finishedAt = e.time;
        if (r.startedAt !== undefined) r.durationMs = e.time - r.startedAt;
        break;
      case 'target-skipped':
        r.state = 'skipped';
        r.skipReason = e.failure.message;
        break;
    }
  }

  private newRecord(name: string, time: number): TargetRecord {
    const r: TargetRecord = { name, state: 'queued', queuedAt: time, durationMs: 0, steps: new Map() };
    this.records.set(name, r);
    return r;
  }

  /** The report as of now; `status` defaults to what the targets' states say. */
  snapshot(options: { now?: number; status?: ReportStatus } = {}): ReportData {
    const now = options.now ?? Date.now();
    const names = [...this.plan.order, ...[...this.records.keys()].filter((n) => !this.plan.order.includes(n))];
    const targets: ReportTarget[] = [];
    for (const name of names) {
      const r = this.records.get(name);
      if (!r) {
        targets.push({ name, ...builderOf(this.plan, name), state: 'unchanged', durationMs: 0, steps: [], stepsTotal: 0, stepsCached: 0, exportMs: 0, earlier: true });
        continue;
      }
      targets.push(this.targetOf(r, now));
    }
    const current = targets.filter((t) => !t.earlier);
    const starts = current.map((t) => t.queuedAt ?? t.startedAt).filter((x): x is number => x !== undefined);
    const startedAt = starts.length > 0 ? Math.min(...starts) : this.batchStart;
    const status = options.status ?? statusOf(current, this.runError);
    // A finished run ends at its last event: a watch report rewritten later keeps its rebuild's times.
    const finishedAt = status === 'running' || this.lastEventAt < startedAt ? now : this.lastEventAt;
    const data: ReportData = {
      version: REPORT_VERSION,
      tool: 'tsbake',
      status,
      startedAt,
      finishedAt,
      durationMs: Math.max(0, finishedAt - startedAt),
      ...(this.runError ? { error: this.runError } : {}),
      ...(this.rebuild ? { rebuild: { number: this.rebuild.number, trigger: [...this.rebuild.trigger] } } : {}),
      targets,
      edges: this.plan.edges.map((e) => ({ from: e.from, to: e.to })),
      levels: this.plan.levels.map((l) => [...l]),
      criticalPath: { targets: [], durationMs: 0 },
    };
    data.criticalPath = criticalPath(data.targets.filter((t) => !t.earlier), data.edges);
    return data;
  }

  private targetOf(r: TargetRecord, now: number): ReportTarget {
    const earlier = this.rebuild !== undefined && (r.queuedAt ?? 0) < this.batchStart;
    const finished = r.state !== 'queued' && r.state !== 'running';
    const steps: ReportStep[] = [...r.steps.values()].map((s) => ({
      id: s.id,
      name: s.name,
      state: stepState(s, r.state, finished),
      ...(s.started !== undefined ? { started: s.started } : {}),
      ...(s.completed !== undefined ? { completed: s.completed } : {}),
      ...(s.error ? { error: s.error } : {}),
    }));
    const durationMs = r.state === 'running' && r.startedAt !== undefined ? now - r.startedAt : r.durationMs;
    return {
      name: r.name,
      ...(r.builder ? { builder: r.builder } : builderOf(this.plan, r.name)),
      state: r.state,
      ...(r.queuedAt !== undefined ? { queuedAt: r.queuedAt } : {}),
      ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : {}),
      ...(r.finishedAt !== undefined ? { finishedAt: r.finishedAt } : {}),
      durationMs,
      steps,
      stepsTotal: r.stepsTotal ?? steps.length,
      stepsCached: r.stepsCached ?? steps.filter((s) => s.state === 'cached').length,
      ...(r.contextBytes !== undefined ? { contextBytes: r.contextBytes } : {}),
      exportMs: exportTime(steps, now),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.location !== undefined ? { location: r.location } : {}),
      ...(r.logTail !== undefined ? { logTail: r.logTail } : {}),
      ...(r.skipReason !== undefined ? { skipReason: r.skipReason } : {}),
      ...(earlier ? { earlier: true } : {}),
    };
  }
}

function builderOf(plan: ReportPlan, name: string): { builder?: string } {
  const b = plan.targets[name]?.builder;
  return b ? { builder: b } : {};
}

function stepState(s: StepRecord, target: TargetState, targetFinished: boolean): StepState {
  if (s.cached) return 'cached';
  if (s.error) return target === 'cancelled' || /context canceled|cancelled/i.test(s.error) ? 'cancelled' : 'failed';
  if (s.completed !== undefined) return 'built';
  return targetFinished ? 'cancelled' : 'running';
}

function statusOf(targets: ReportTarget[], runError: string | undefined): ReportStatus {
  if (targets.some((t) => t.state === 'running' || t.state === 'queued') && !runError) return 'running';
  if (targets.some((t) => t.state === 'cancelled')) return 'cancelled';
  if (runError || targets.some((t) => t.state === 'failed' || t.state === 'skipped')) return 'failed';
  return 'succeeded';
}

/** Union of the intervals of BuildKit's `exporting …` steps (image, tarball, local dir, cache). */
export function exportTime(steps: ReportStep[], now: number): number {
  const spans = steps
    .filter((s) => /^exporting\b/i.test(s.name) && s.started !== undefined)
    .map((s) => [s.started!, s.completed ?? now] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [a, b] of spans) {
    if (b <= end) continue;
    total += b - Math.max(a, end);
    end = b;
  }
  return total;
}

/**
 * The longest chain of dependent targets by summed wall time: a longest-path walk in dependency order.
 * Ties go to the name first in sort order, so the same run always names the same path.
 */
export function criticalPath(
  targets: Pick<ReportTarget, 'name' | 'durationMs' | 'startedAt'>[],
  edges: { from: string; to: string }[],
): { targets: string[]; durationMs: number } {
  const weight = new Map(targets.map((t) => [t.name, t.startedAt === undefined ? 0 : Math.max(0, t.durationMs)]));
  const deps = new Map<string, string[]>();
  for (const e of edges) {
    if (!weight.has(e.from) || !weight.has(e.to)) continue;
    deps.set(e.from, [...(deps.get(e.from) ?? []), e.to].sort());
  }
  const best = new Map<string, { total: number; via?: string }>();
  const visiting = new Set<string>();
  const walk = (name: string): number => {
    const known = best.get(name);
    if (known) return known.total;
    if (visiting.has(name)) return 0; // a cycle never reaches the executor; do not loop on bad input
    visiting.add(name);
    let via: string | undefined;
    let longest = 0;
    for (const d of deps.get(name) ?? []) {
      const v = walk(d);
      if (v > longest) {
        longest = v;
        via = d;
      }
    }
    visiting.delete(name);
    const total = (weight.get(name) ?? 0) + longest;
    best.set(name, { total, ...(via !== undefined ? { via } : {}) });
    return total;
  };
  let end: string | undefined;
  let max = -1;
  for (const name of [...weight.keys()].sort()) {
    const v = walk(name);
    if (v > max) {
      max = v;
      end = name;
    }
  }
  if (end === undefined || max <= 0) return { targets: [], durationMs: 0 };
  const chain: string[] = [];
  for (let n: string | undefined = end; n !== undefined; n = best.get(n)?.via) chain.unshift(n);
  return { targets: chain, durationMs: max };
}
