/**
 * `--progress=json`: every BuildEvent as one JSON object per line, for other tools. Goes to stderr by
 * default (buildx's rawjson does the same), so stdout stays free for `--print`-like output. The run
 * ends with one `{"type":"run-summary",…}` line carrying the per-target results.
 */
import type { BuildEvent } from '../exec/events.js';
import type { OutputStream, Renderer, RunSummaryLike } from './types.js';

/** The last line of a json progress stream. Not a BuildEvent: it is written once, by the renderer. */
export interface RunSummaryLine extends RunSummaryLike {
  type: 'run-summary';
  time: number;
}

export function createJsonRenderer(options: { stream: OutputStream }): Renderer {
  const out = options.stream;
  return {
    onEvent(e: BuildEvent) {
      // Events are plain data (log data is already a string); nothing secret is put in them upstream.
      out.write(JSON.stringify(e) + '\n');
    },
    async finish(summary: RunSummaryLike) {
      const line: RunSummaryLine = { type: 'run-summary', time: Date.now(), results: summary.results, durationMs: summary.durationMs, ...(summary.push ? { push: summary.push } : {}) };
      out.write(JSON.stringify(line) + '\n');
    },
  };
}
