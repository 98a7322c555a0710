/**
 * `TSBAKE_TRACE=1`: timestamped phase lines on stderr, for benchmarks. Every line is
 * `tsbake-trace <phase> <ms since the process started>ms <detail>`; the first one written is
 * `tsbake-trace origin 0ms epoch=<epoch ms of the process start>`, so a reader can line the phases up
 * with its own clock (a file write in a watch benchmark).
 */
import { performance } from 'node:perf_hooks';

const on = Boolean(process.env.TSBAKE_TRACE);
let originWritten = false;

/** Whether tracing is on, for callers whose detail is costly to compute. */
export const traceOn = on;

export function trace(phase: string, detail = ''): void {
  if (!on) return;
  if (!originWritten) {
    originWritten = true;
    process.stderr.write(`tsbake-trace origin 0ms epoch=${Math.round(performance.timeOrigin)}\n`);
  }
  process.stderr.write(`tsbake-trace ${phase} ${performance.now().toFixed(0)}ms ${detail}\n`);
}
