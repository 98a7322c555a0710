/**
 * Typed events the executor emits. The UI renders them, `--progress=json` prints them, and the library
 * API hands them to callers. The executor never prints.
 */

import type { PushSummary } from './push.js';

export type TargetState = 'queued' | 'running' | 'built' | 'cached' | 'failed' | 'cancelled' | 'skipped';

export interface StepInfo {
  /** Vertex digest. */
  id: string;
  name: string;
  cached: boolean;
  started?: number; // epoch ms
  completed?: number; // epoch ms
  error?: string;
  /** Progress of the step's current status (bytes or items). */
  current?: number;
  total?: number;
}

export type BuildEvent =
  | { type: 'target-queued'; target: string; time: number }
  | { type: 'target-started'; target: string; builder: string; time: number }
  | { type: 'step'; target: string; step: StepInfo; time: number }
  | { type: 'log'; target: string; stepId: string; stepName?: string; stream: 'stdout' | 'stderr'; data: string; time: number }
  | { type: 'warning'; target: string; message: string; detail?: string; url?: string; location?: string; time: number }
  | { type: 'info'; target?: string; message: string; time: number }
  | { type: 'target-finished'; target: string; state: 'built' | 'cached'; durationMs: number; result: TargetResult; time: number }
  | { type: 'target-failed'; target: string; error: string; location?: string; logTail: string[]; durationMs: number; contextBytes?: number; time: number }
  | { type: 'target-cancelled'; target: string; time: number }
  | { type: 'target-skipped'; target: string; reason: string; time: number }
  /** Every target of the run has built: the deferred pushes start now (src/exec/push.ts). */
  | { type: 'push-ready'; target?: undefined; targets: string[]; time: number }
  /** The deferred pushes are done (or were never started: `withheld`). */
  | { type: 'push-done'; target?: undefined; push: PushSummary; time: number };

export interface TargetResult {
  target: string;
  state: TargetState;
  /** The solve's exporter response (`containerimage.digest`, `image.name`, …). */
  exporterResponse: Record<string, string>;
  buildRef?: string;
  durationMs: number;
  error?: string;
  /** Dockerfile location the error points to (`Dockerfile:3`). */
  location?: string;
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

export type EventSink = (event: BuildEvent) => void;
