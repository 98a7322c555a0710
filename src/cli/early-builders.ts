/**
 * `run` opens the plan's builders before it loads the executor and the renderer: the driver's first
 * requests (the engine's /version, a container's start) are answered while the CLI compiles and
 * evaluates the rest of itself, instead of after it. The run's executor gets the pool and finds the
 * connections made or on their way; what the drivers log meanwhile waits for the renderer.
 */
import type { BuilderPool } from '../exec/pool.js';
import type { Plan } from '../plan/types.js';
import type { CliIO } from './main.js';

export interface EarlyBuilders {
  pool: BuilderPool;
  /** Where the drivers' messages go from now on; those logged before are passed on first. */
  attach(sink: (message: string) => void): void;
  /** `step`'s result; when it fails, the builders are closed first (the executor will not get them). */
  until<T>(step: Promise<T>): Promise<T>;
}

export async function openBuildersEarly(plan: Plan, ctx: CliIO, signal: AbortSignal): Promise<EarlyBuilders> {
  const { BuilderPool } = await import('../exec/pool.js');
  const pending: string[] = [];
  let sink: ((message: string) => void) | undefined;
  // A failure is kept for the executor's get(), which reports it as it always has (no second attempt).
  const pool = new BuilderPool(ctx.env, (message) => (sink ? sink(message) : pending.push(message)), { signal, keepFailures: true });
  const names = new Set<string>();
  for (const t of plan.order) {
    const name = plan.targets[t]?.builder;
    if (name !== undefined) names.add(name);
  }
  for (const name of [...names].sort()) {
    const builder = plan.builders[name];
    // Unknown builders and every failure are the executor's to report.
    if (builder) pool.get(builder, signal).catch(() => undefined);
  }
  // Two turns of the event loop: the drivers' sockets connect and their first requests are written
  // before the caller goes on to load modules (synchronous work that would hold them back).
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  return {
    pool,
    attach(next) {
      sink = next;
      for (const message of pending.splice(0)) next(message);
    },
    async until(step) {
      try {
        return await step;
      } catch (err) {
        await pool.close();
        throw err;
      }
    },
  };
}
