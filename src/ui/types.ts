import type { BuildEvent, TargetResult } from '../events.js';
import type { PushSummary } from '../exec/push.js';

/** What the user asks for with `--progress`. */
export type ProgressMode = 'auto' | 'tty' | 'plain' | 'json' | 'quiet';
/** What `auto` turned into. */
export type ResolvedProgressMode = Exclude<ProgressMode, 'auto'>;

/** The smallest stream shape the renderers need; `process.stderr` and a `PassThrough` both fit. */
export type OutputStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

export interface RunSummaryLike {
  results: TargetResult[];
  durationMs: number;
  /** The deferred pushes (src/exec/push.ts). */
  push?: PushSummary;
}

export interface Renderer {
  onEvent(e: BuildEvent): void;
  /** Ends live rendering and prints what the mode prints at the end (summary, image IDs). */
  finish(summary: RunSummaryLike): Promise<void>;
}

export interface RendererOptions {
  stdout: OutputStream;
  stderr: OutputStream;
  /** Every target of the run, known before the first event (queued rows in tty mode). */
  targets: string[];
  /** Colour the summary. Default: on when the stream is a terminal and NO_COLOR is unset. */
  color?: boolean;
  /** json mode: where event lines go. Default `stderr`, like buildx's rawjson. */
  jsonStream?: 'stdout' | 'stderr';
}
