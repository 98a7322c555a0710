/** `run` and `watch`: wire the plan to the executor and the progress renderer. */
import type { CliIO, CommonFlags } from './main.js';
import { loadAndPlan, printWarnings } from './common.js';
import { TsbakeError, exitCodeFor, exitCodeForResults } from '../errors.js';
import type { BuildEvent, TargetResult } from '../events.js';
import type { Plan } from '../plan/types.js';
import { trace, traceOn } from '../trace.js';
import { fileDestinationProblem } from '../buildkit/destination.js';
import path from 'node:path';
import { formatPushSummary } from '../exec/push.js';
import { checkEntitlements } from './allow.js';
import { openBuildersEarly } from './early-builders.js';

export interface RunFlags extends CommonFlags {
  parallelism?: number;
  keepGoing?: boolean;
  cache?: boolean;
  pull?: boolean;
  /** `--report FILE.html|FILE.json` (src/ui/report). */
  report?: string;
  /** --push-each: push every image as soon as it is built (bake's behaviour). */
  pushEach?: boolean;
  /** --allow entitlements (fs.read=PATH, fs.write=PATH, fs=PATH, network.host, security.insecure). */
  allow?: string[];
}

export interface WatchFlags extends RunFlags {
  debounce: number;
  poll?: boolean | string;
  cancel?: boolean;
}

export async function cmdRun(names: string[], flags: RunFlags, ctx: CliIO, signal: AbortSignal): Promise<number> {
  trace('cli');
  const reportFile = checkReportFlag(flags.report);
  const { plan } = await loadAndPlan(names, flags, ctx);
  trace('planned');
  const metadataFile = flags.metadataFile === undefined ? undefined : path.resolve(ctx.cwd, flags.metadataFile);
  if (metadataFile !== undefined) {
    // Found out before a build, not after it (the results would be lost).
    const problem = await fileDestinationProblem(metadataFile);
    if (problem) throw new TsbakeError('usage', `--metadata-file ${flags.metadataFile}: ${problem}`);
  }
  printWarnings(plan, ctx);
  await checkEntitlements(plan, ctx, { allow: flags.allow ?? [], set: flags.set, mayAsk: true, signal });
  // The builders are opened now: their daemons answer while the executor and the renderer load.
  const early = await openBuildersEarly(plan, ctx, signal);
  const [{ runPlan, writeMetadataFile }, { createRenderer, resolveProgressMode }] = await early.until(loadRunModules());
  trace('modules');
  const mode = resolveProgressMode(flags.progress, { isTTY: Boolean(ctx.stderr.isTTY), ci: Boolean(ctx.env.CI) });
  const renderer = createRenderer(mode, { stdout: ctx.stdout, stderr: ctx.stderr, targets: plan.order });
  const report = reportFile ? await early.until(openReport(reportFile, plan, ctx)) : undefined;
  const onEvent = (e: BuildEvent): void => {
    renderer.onEvent(e);
    report?.onEvent(e);
  };
  early.attach((message) => onEvent({ type: 'info', message, time: Date.now() }));
  let summary: Awaited<ReturnType<typeof runPlan>>;
  try {
    summary = await runPlan({
      plan,
      signal,
      env: ctx.env,
      onEvent,
      // The run's executor closes it (as a pool of its own).
      pool: early.pool,
      closePool: true,
      ...(flags.parallelism ? { parallelism: flags.parallelism } : {}),
      ...(flags.keepGoing ? { keepGoing: true } : {}),
      ...(flags.pushEach ? { pushMode: 'each' as const } : {}),
    });
  } catch (err) {
    // A partial report of what happened before the run failed as a whole.
    await report?.write({ status: signal.aborted ? 'cancelled' : 'failed', error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  await renderer.finish(summary);
  const pushLine = mode === 'json' ? undefined : formatPushSummary(summary.push);
  if (pushLine) ctx.stderr.write(`${pushLine}\n`);
  const reportWritten = (await report?.write({ status: summary.cancelled || signal.aborted ? 'cancelled' : summary.ok ? 'succeeded' : 'failed' })) ?? true;
  if (metadataFile !== undefined) {
    try {
      await writeMetadataFile(metadataFile, summary.results, (t) => plan.targets[t]?.builder ?? 'default');
    } catch (err) {
      throw new TsbakeError('io', `cannot write --metadata-file ${flags.metadataFile}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
  const code = exitCodeForResults(summary.results, summary.cancelled || signal.aborted);
  if (code !== 0) return code;
  // Every target built, but the deferred pushes or the report did not complete.
  return summary.ok ? (reportWritten ? 0 : exitCodeFor('io')) : exitCodeFor('build-failed');
}

/**
 * The executor and the renderer, one step per turn of the event loop. Loading a chunk is synchronous
 * work: loaded in one go, the builders' sockets were read only after all of it, so the engine's answers
 * (the docker driver's `/version` and `/grpc` upgrade) waited for it, and the connection's next step
 * with them. Between the steps they are read and answered. The gRPC client first: the driver's
 * connection needs it next.
 */
async function loadRunModules(): Promise<[typeof import('../exec/runner.js'), typeof import('../ui/index.js')]> {
  const turn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
  await import('../buildkit/index.js');
  await turn();
  const runner = await import('../exec/runner.js');
  await turn();
  const ui = await import('../ui/index.js');
  await turn();
  return [runner, ui];
}

function checkReportFlag(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (!/\.(html?|json)$/i.test(file)) {
    throw new TsbakeError('usage', `--report ${file}: the file name must end in .html (a self-contained page) or .json (the same data)`);
  }
  return file;
}

async function openReport(file: string, plan: Plan, ctx: CliIO): Promise<import('../ui/report/index.js').RunReport> {
  const { createRunReport } = await import('../ui/report/index.js');
  return createRunReport(file, plan, (message) => ctx.stderr.write(`tsbake: ${message}\n`));
}

export async function cmdWatch(names: string[], flags: WatchFlags, ctx: CliIO, signal: AbortSignal): Promise<number> {
  const [{ runPlan, checkPlanOnBuilders }, { createWatchRenderer, resolveProgressMode }, { createWatcher }, { BuilderPool }] = await Promise.all([
    import('../exec/runner.js'),
    import('../ui/index.js'),
    import('../watch/index.js'),
    import('../exec/pool.js'),
  ]);
  const reportFile = checkReportFlag(flags.report);
  let report: import('../ui/report/index.js').RunReport | undefined;
  let rebuilding = false;
  const mode = resolveProgressMode(flags.progress, { isTTY: Boolean(ctx.stderr.isTTY), ci: Boolean(ctx.env.CI) });
  const renderer = createWatchRenderer(mode, { stdout: ctx.stdout, stderr: ctx.stderr });
  // The session ends on the user's signal, or when the daemon refuses the initial plan (as run would).
  const session = new AbortController();
  const sessionSignal = AbortSignal.any([signal, session.signal]);
  let refusal: TsbakeError | undefined;
  // Connections belong to the watch (its signal), not to the build that first needs them (pool.ts).
  const pool = new BuilderPool(ctx.env, (message) => ctx.stderr.write(`${message}\n`), { signal: sessionSignal });
  const previous: Record<string, TargetResult> = {};
  // An open session costs CPU while idle (BuildKit health-checks it every second), so the builders are
  // released after 10 s without a build and reopened by the next one.
  const WATCH_IDLE_RELEASE_MS = 10_000;
  let idleTimer: NodeJS.Timeout | undefined;
  const releaseWhenIdle = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void pool.close(), WATCH_IDLE_RELEASE_MS).unref();
  };
  let initialPlan: Plan | undefined;
  /** Plans their builders have accepted (checkPlanOnBuilders), checked again after a failed attempt. */
  const accepted = new WeakSet<Plan>();
  const pollMs = flags.poll === undefined || flags.poll === false ? false : flags.poll === true ? 500 : Number(flags.poll);
  if (pollMs !== false && (!Number.isFinite(pollMs) || pollMs <= 0)) {
    throw new TsbakeError('usage', `--poll expects a positive interval in ms, got "${String(flags.poll)}"`);
  }
  const watcher = createWatcher({
    signal: sessionSignal,
    debounceMs: flags.debounce,
    poll: pollMs,
    cancelInFlight: flags.cancel !== false,
    // The report is rewritten after each rebuild, often inside a context: it must not trigger one.
    ownFiles: reportFile ? [reportFile] : [],
    load: async () => {
      const { loaded, plan } = await loadAndPlan(names, flags, ctx);
      printWarnings(plan, ctx);
      if (reportFile) {
        report ??= await openReport(reportFile, plan, ctx);
        report.collector.setPlan(plan);
      }
      const first = initialPlan === undefined;
      // Asked once, on the first plan; a config edit that needs more is refused (a config error).
      await checkEntitlements(plan, ctx, { allow: flags.allow ?? [], set: flags.set, mayAsk: first, signal });
      if (first) {
        // Checked against the daemons by its first build: the watch must be ready before a connection is.
        initialPlan = plan;
      } else {
        // A config edit the daemons refuse is a config error: the previous plan stays. Any other
        // failure of the check (the daemon cannot be reached) is for the builds to report.
        try {
          await checkPlanOnBuilders(plan, { pool, env: ctx.env, signal: sessionSignal });
          accepted.add(plan);
        } catch (err) {
          if (isRefusal(err)) throw err;
        } finally {
          // An edit that rebuilds nothing must not keep the connections the check opened (a rebuild
          // under way re-arms the release when it ends).
          if (!rebuilding) releaseWhenIdle();
        }
      }
      return { plan, configFiles: loaded.files };
    },
    build: async (plan, target, buildSignal) => {
      // First: a failure of the check below is this build's too, and must be shown.
      const build = renderer.build(target);
      if (!accepted.has(plan)) {
        try {
          await checkPlanOnBuilders(plan, { pool, env: ctx.env, signal: buildSignal });
          accepted.add(plan);
        } catch (err) {
          if (isRefusal(err) && plan === initialPlan && !refusal) {
            refusal = err;
            session.abort(err);
          }
          throw err;
        }
      }
      const summary = await runPlan({
        plan,
        signal: buildSignal,
        env: ctx.env,
        only: [target],
        pool,
        previous,
        onEvent: (e) => {
          build.onEvent(e);
          report?.onEvent(e);
        },
        ...(flags.parallelism ? { parallelism: flags.parallelism } : {}),
        ...(flags.pushEach ? { pushMode: 'each' as const } : {}),
      });
      const result: TargetResult = summary.results[0] ?? {
        target,
        state: buildSignal.aborted ? 'cancelled' : 'failed',
        exporterResponse: {},
        durationMs: summary.durationMs,
        steps: { total: 0, cached: 0 },
      };
      if (result.state === 'built' || result.state === 'cached') previous[target] = result;
      return result;
    },
  });
  watcher.onEvent((e) => {
    if (refusal) return; // the session is ending: the refusal is printed once, as run prints it
    renderer.onEvent(e);
  });
  // --report: one rebuild per file version, rewritten when the watcher goes idle after it.
  watcher.on('watch-build-started', (e) => {
    if (!rebuilding) report?.collector.beginRebuild(e.trigger);
    rebuilding = true;
  });
  watcher.on('watch-rebuild-summary', () => {
    rebuilding = false;
    void report?.write();
  });
  watcher.on('watch-build-started', () => clearTimeout(idleTimer));
  watcher.on('watch-rebuild-summary', () => {
    if (traceOn) {
      // Under `node --expose-gc` (benchmarks), the live heap after a full collection: what a leak grows.
      (globalThis as { gc?: () => void }).gc?.();
      const m = process.memoryUsage();
      trace('watch-memory', `rss=${m.rss} heapUsed=${m.heapUsed} external=${m.external} arrayBuffers=${m.arrayBuffers}`);
    }
    releaseWhenIdle();
  });
  try {
    await watcher.start();
    await watcher.done;
  } finally {
    clearTimeout(idleTimer);
    await pool.close();
    // Interrupted during a rebuild: what it did so far.
    if (rebuilding) await report?.write({ status: 'cancelled' });
    await report?.flush();
  }
  if (refusal && !signal.aborted) throw refusal;
  // Build failures never end a watch: only the user's signal does.
  return signal.aborted ? exitCodeFor('cancelled') : 0;
}

/** A refusal of the plan by its builders (exit 2), as opposed to a daemon that could not be reached. */
function isRefusal(err: unknown): err is TsbakeError {
  return err instanceof TsbakeError && exitCodeFor(err.reason) === 2;
}
