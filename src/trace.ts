/** `TSBAKE_TRACE=1`: timestamped phase lines on stderr (ms since the process started), for benchmarks. */
import { performance } from 'node:perf_hooks';

const on = Boolean(process.env.TSBAKE_TRACE);

/** Whether tracing is on, for callers whose detail is costly to compute. */
export const traceOn = on;

export function trace(phase: string, detail = ''): void {
  if (on) process.stderr.write(`tsbake-trace ${phase} ${performance.now().toFixed(0)}ms ${detail}\n`);
}
