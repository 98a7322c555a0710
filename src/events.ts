/**
 * The one event vocabulary: what a run (the executor) and a watch session (the watcher) report. The
 * renderers in ui/ turn these events into lines, `--progress=json` prints them as they are (ui/json.ts),
 * the report collects them, and the library API hands them to callers. Neither the executor nor the
 * watcher prints.
 *
 * A target that did not build carries a `failure` keyed by `reason` (errors.ts's FailureReason), so
 * the CLI maps results to exit codes in one place (exitCodeForResults).
 */
import type { Diagnostic, FailureReason } from './errors.js';
import type { Plan } from './plan/types.js';

export type TargetState = 'queued' | 'running' | 'built' | 'cached' | 'failed' | 'cancelled' | 'skipped';

/** Why a target did not build: failed, skipped (a dependency did not build, an input is missing) or cancelled. */
export interface TargetFailure {
  reason: FailureReason;
  /** What went wrong, as the user reads it (BuildKit's message for a failed step). */
  message: string;
  /** Dockerfile location the failure points to (`Dockerfile:3`). */
  location?: string;
}

export interface StepInfo {
  /** Vertex digest. */
  id: string;
  name: string;
  cached: boolean;
  started?: number; // epoch ms
  completed?: number; // epoch ms
  /** BuildKit's error for the vertex. */
  error?: string;
  /** Progress of the step's current status (bytes or items). */
  current?: number;
  total?: number;
}

export interface TargetResult {
  target: string;
  state: TargetState;
  /** The solve's exporter response (`containerimage.digest`, `image.name`, …). */
  exporterResponse: Record<string, string>;
  buildRef?: string;
  durationMs: number;
  /** Set when state is failed, skipped or cancelled (a cancelled solve may have none). */
  failure?: TargetFailure;
  steps: { total: number; cached: number };
  /** File bytes sent to the daemon for the target's local contexts (0 when BuildKit had them all). */
  contextBytes?: number;
  /**
   * The Docker engine image store the image landed in (docker driver, or a load), which decides what
   * its image ID is: the config digest in the classic store, the manifest (or index) digest in
   * containerd's. Absent when the image is in no engine (pushed, exported, cache only).
   */
  imageStore?: 'containerd' | 'classic';
}

/** What happened to the run's deferred pushes (src/exec/push.ts); part of the RunSummary. */
export interface PushSummary {
  /**
   * `pushed`: every deferred push went up. `withheld`: nothing was pushed because a target failed or
   * the run was interrupted before the push phase. `failed`: some pushes failed (those in `pushed` are
   * in the registry). `none`: no target of the run pushes (or all push as built).
   */
  state: 'pushed' | 'withheld' | 'failed' | 'none';
  /** Targets whose push was deferred to the end of the run. */
  deferred: string[];
  /** Targets pushed in the push phase. */
  pushed: string[];
  /** Why nothing was pushed (withheld), or which pushes failed. */
  reason?: string;
}

/** What the executor reports about one run (src/exec/runner.ts). */
export type BuildEvent =
  | { type: 'target-queued'; target: string; time: number }
  | { type: 'target-started'; target: string; builder: string; time: number }
  | { type: 'step'; target: string; step: StepInfo; time: number }
  | { type: 'log'; target: string; stepId: string; stepName?: string; stream: 'stdout' | 'stderr'; data: string; time: number }
  | { type: 'warning'; target: string; message: string; detail?: string; url?: string; location?: string; time: number }
  | { type: 'info'; target?: string; message: string; time: number }
  | { type: 'target-finished'; target: string; state: 'built' | 'cached'; durationMs: number; result: TargetResult; time: number }
  | { type: 'target-failed'; target: string; failure: TargetFailure; logTail: string[]; durationMs: number; contextBytes?: number; time: number }
  | { type: 'target-cancelled'; target: string; time: number }
  | { type: 'target-skipped'; target: string; failure: TargetFailure; time: number }
  /** Every target of the run has built: the deferred pushes start now (src/exec/push.ts). */
  | { type: 'push-ready'; target?: undefined; targets: string[]; time: number }
  /** The deferred pushes are done (or were never started: `withheld`). */
  | { type: 'push-done'; target?: undefined; push: PushSummary; time: number };

export type EventSink = (event: BuildEvent) => void;

export interface RebuildSummary {
  /** The first few changed paths that caused this run (empty for the initial build). */
  trigger: string[];
  /** How many distinct changed paths caused it. */
  count: number;
  /** Targets that finished (built, cached, failed or skipped), in the order they finished. */
  targets: string[];
  results: TargetResult[];
  durationMs: number;
  initial: boolean;
}

/** What a watch session reports (src/watch/watcher.ts); the builds it starts report BuildEvents. */
export type WatchEvent =
  /** One debounced batch of relevant changes (irrelevant paths are never reported). */
  | { type: 'watch-changed'; paths: string[]; count: number; time: number }
  | { type: 'watch-planned'; plan: Plan; reason: 'initial' | 'config-changed'; time: number }
  | { type: 'watch-config-error'; diagnostics: Diagnostic[]; time: number }
  | { type: 'watch-build-started'; target: string; trigger: string[]; time: number }
  /** state built/cached/failed, or skipped when a dependency failed or its context is missing. */
  | { type: 'watch-build-finished'; target: string; result: TargetResult; time: number }
  | { type: 'watch-build-cancelled'; target: string; time: number }
  /** The watcher went idle after a run of builds. */
  | ({ type: 'watch-rebuild-summary'; time: number } & RebuildSummary)
  | { type: 'watch-warning'; message: string; time: number }
  | { type: 'watch-ready'; time: number };

export type WatchEventType = WatchEvent['type'];
/** The watch event of one type. */
export type WatchEventOf<K extends WatchEventType> = Extract<WatchEvent, { type: K }>;

/** Every event tsbake reports. */
export type TsbakeEvent = BuildEvent | WatchEvent;

/** Whether a result is a success (its image or files exist). */
export function isBuilt(r: Pick<TargetResult, 'state'> | undefined): boolean {
  return r !== undefined && (r.state === 'built' || r.state === 'cached');
}
