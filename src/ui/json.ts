/**
 * `--progress=json`: every event (src/events.ts) as one JSON object per line, for other tools. Goes to
 * stderr by default (buildx's rawjson does the same), so stdout stays free for `--print`-like output.
 * A run ends with one `{"type":"run-summary",…}` line carrying the per-target results.
 *
 * A failure is `failure: {reason, message, location?}`. The fields the format had before it are still
 * written, for the tools that read them: `error` (and `location`) beside each `failure`, and `reason`
 * (the message) on `target-skipped` (docs/watch.md, README).
 */
import type { TsbakeEvent } from '../events.js';
import type { OutputStream, Renderer, RunSummaryLike } from './types.js';

/** The last line of a json progress stream. Not a BuildEvent: it is written once, by the renderer. */
export interface RunSummaryLine extends RunSummaryLike {
  type: 'run-summary';
  time: number;
}

/** Event types whose lines carry a failure or results (the others are written as they are). */
const WITH_FAILURES = new Set(['target-failed', 'target-skipped', 'target-finished', 'run-summary', 'watch-build-finished', 'watch-rebuild-summary']);

/** The JSON line of an event (without the newline). */
export function jsonLine(e: TsbakeEvent | RunSummaryLine): string {
  if (e.type === 'watch-planned') {
    // The plan is `tsbake plan --format json`'s business; the event says only that one was made.
    const { plan: _plan, ...rest } = e;
    void _plan;
    return JSON.stringify(rest);
  }
  if (!WITH_FAILURES.has(e.type)) return JSON.stringify(e);
  return JSON.stringify(e, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null || !('failure' in value)) return value;
    const failure = (value as { failure?: { message: string; location?: string } }).failure;
    if (!failure) return value;
    return {
      ...value,
      error: failure.message,
      ...(failure.location ? { location: failure.location } : {}),
      ...((value as { type?: string }).type === 'target-skipped' ? { reason: failure.message } : {}),
    };
  });
}

export function createJsonRenderer(options: { stream: OutputStream }): Renderer {
  const out = options.stream;
  return {
    onEvent(e) {
      // Events are plain data (log data is already a string); nothing secret is put in them upstream.
      out.write(jsonLine(e) + '\n');
    },
    async finish(summary: RunSummaryLike) {
      const line: RunSummaryLine = { type: 'run-summary', time: Date.now(), results: summary.results, durationMs: summary.durationMs, ...(summary.push ? { push: summary.push } : {}) };
      out.write(jsonLine(line) + '\n');
    },
  };
}
