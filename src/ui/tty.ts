/**
 * `--progress=tty`: a listr2 task list on stderr, one row per target (queued up front), with the
 * target's state and elapsed time, its step counts, the running step (with `current / total` bytes)
 * and the last finished steps (cached ones as CACHED) under it; a failed row keeps its error location
 * and log tail. Each row is a listr2 task whose promise is settled by the target's terminal event.
 * On a non-terminal stderr, listr2's line-by-line "simple" renderer is used instead.
 */
import { DefaultRenderer, Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper, type SimpleRenderer } from 'listr2';
import type { BuildEvent, TargetResult, TargetState } from '../events.js';
import { firstLine, formatDuration, formatFailure, formatProgress, formatSummary, formatWarning } from './format.js';
import { StepTracker, type TrackedStep } from './steps.js';
import type { OutputStream, Renderer, RunSummaryLike } from './types.js';

export interface TtyRendererOptions {
  stderr: OutputStream;
  targets: string[];
  color?: boolean;
}

const LOG_TAIL = 10;
const RECENT_STEPS = 2;
const RUNNING_LOG_LINES = 3;
const TICK_MS = 1000;
// listr2 redraws on every title/output change; busy logs would redraw thousands of times a second.
const REFRESH_MS = 80;

// listr2 picks its renderer by looking at process.stdout; ours draws on stderr, which we check ourselves.
class StderrRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

// listr2's task wrapper type is generic over the renderer classes; rows only use title/output/skip.
type RowTask = Pick<ListrTaskWrapper<unknown, typeof StderrRenderer, typeof SimpleRenderer>, 'title' | 'output' | 'skip'>;

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
  settled: boolean;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const d: Deferred = {
    promise,
    settled: false,
    resolve: () => {
      d.settled = true;
      resolve();
    },
    reject: (err) => {
      d.settled = true;
      reject(err);
    },
  };
  return d;
}

interface Row {
  name: string;
  state: TargetState;
  startedAt?: number;
  durationMs?: number;
  steps: StepTracker;
  error?: string;
  location?: string;
  logTail: string[];
  reason?: string;
  /** The target's latest info message. */
  note?: string;
  task?: RowTask;
  done: Deferred;
}

export function createTtyRenderer(options: TtyRendererOptions): Renderer {
  const out = options.stderr;
  const interactive = out.isTTY === true;
  const names = [...new Set(options.targets)];
  const width = Math.max(0, ...names.map((n) => n.length));
  const rows = new Map<string, Row>();
  const extra = new Map<string, Row>(); // targets the run reported but nobody announced: summary only
  const warnings: Extract<BuildEvent, { type: 'warning' }>[] = [];
  const infos: string[] = [];

  const newRow = (name: string): Row => ({ name, state: 'queued', steps: new StepTracker(), logTail: [], done: deferred() });
  for (const n of names) rows.set(n, newRow(n));

  const title = (row: Row): string => {
    const name = row.name.padEnd(width);
    const c = row.steps.counts();
    const stepText = c.total === 0 ? '' : `  ${c.completed}/${c.total} steps${c.cached ? `, ${c.cached} cached` : ''}`;
    switch (row.state) {
      case 'queued':
        return `${name}  queued`;
      case 'running':
        return `${name}  running ${formatDuration(Date.now() - (row.startedAt ?? Date.now()))}${stepText}`;
      case 'built':
      case 'cached':
        return `${name}  ${row.state} ${formatDuration(row.durationMs ?? 0)}${stepText}`;
      case 'failed':
        // The line renderer appends the rejection message itself (`[FAILED: …]`).
        return interactive
          ? `${name}  failed ${formatDuration(row.durationMs ?? 0)}  ERROR: ${firstLine(row.error ?? 'build failed')}`
          : `${name}  failed ${formatDuration(row.durationMs ?? 0)}`;
      case 'cancelled':
        return `${name}  cancelled`;
      case 'skipped':
        return `${name}  skipped${row.reason ? `: ${row.reason}` : ''}`;
    }
  };

  const stepLine = (steps: StepTracker, step: TrackedStep): string => {
    const s = step.info;
    const n = `#${steps.number(step)}`;
    if (s.cached) return `${n} CACHED ${s.name}`;
    if (s.error !== undefined) return `${n} ERROR ${s.name}`;
    if (s.completed !== undefined) return `${n} DONE ${formatDuration(s.completed - (s.started ?? s.completed))} ${s.name}`;
    const progress = formatProgress(s.current, s.total);
    const elapsed = formatDuration(Date.now() - (s.started ?? Date.now()));
    return `${n} ${s.name}${progress ? `  ${progress}` : ''}  ${elapsed}`;
  };

  /** The lines under a running row: the last finished steps, the running step, its last log lines. */
  const runningDetail = (row: Row): string => {
    const shown = row.steps.all().filter((s) => s.info.started !== undefined || s.info.cached);
    for (const s of shown) row.steps.number(s); // in order of first appearance, shown or not
    const running = row.steps.running();
    const finished = shown.filter((s) => s !== running && (s.info.completed !== undefined || s.info.cached));
    const lines = finished.slice(-RECENT_STEPS).map((s) => stepLine(row.steps, s));
    if (running) {
      lines.push(`→ ${stepLine(row.steps, running)}`);
      for (const l of running.logs.slice(-RUNNING_LOG_LINES)) lines.push(`  ${l}`);
    }
    if (row.note) lines.push(row.note);
    return lines.join('\n');
  };

  const failedTail = (row: Row): string[] => {
    if (row.logTail.length > 0) return row.logTail;
    // The executor had no tail: use the logs of the step that errored, if we saw them.
    return row.steps.all().find((s) => s.info.error !== undefined)?.logs ?? [];
  };

  const failedDetail = (row: Row): string => {
    const lines: string[] = [];
    if (row.location) lines.push(`at ${row.location}`);
    for (const l of failedTail(row).slice(-LOG_TAIL)) lines.push(`> ${l}`);
    return lines.join('\n');
  };

  const refresh = (row: Row): void => {
    const task = row.task;
    if (!task || row.done.settled) return;
    task.title = title(row);
    // The simple (non-terminal) renderer prints every output change as a line: keep it to the end.
    if (interactive && row.state === 'running') task.output = runningDetail(row);
  };

  const dirty = new Set<Row>();
  let refreshTimer: NodeJS.Timeout | undefined;
  const refreshSoon = (row: Row): void => {
    dirty.add(row);
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = undefined;
      for (const r of dirty) refresh(r);
      dirty.clear();
    }, REFRESH_MS);
    refreshTimer.unref();
  };

  const settle = (row: Row): void => {
    const task = row.task;
    if (!task || row.done.settled) return;
    switch (row.state) {
      case 'built':
      case 'cached':
        task.title = title(row);
        if (interactive) task.output = '';
        row.done.resolve();
        return;
      case 'failed': {
        task.title = title(row);
        // The line renderer would print output before the failure line: the tail goes to finish() there.
        const detail = interactive ? failedDetail(row) : '';
        if (detail) task.output = detail;
        row.done.reject(new Error(firstLine(row.error ?? 'build failed')));
        return;
      }
      case 'cancelled':
      case 'skipped':
        if (interactive) task.output = '';
        task.skip(title(row));
        row.done.resolve();
        return;
      default:
        refresh(row);
    }
  };

  const processOutput = new ProcessOutput(out as NodeJS.WriteStream, out as NodeJS.WriteStream);
  const logger = new ListrLogger({ useIcons: true, toStderr: [], processOutput });
  const list = new Listr<unknown, typeof StderrRenderer, 'simple'>(
    [...rows.values()].map((row) => ({
      title: title(row),
      exitOnError: false,
      rendererOptions: { persistentOutput: true, outputBar: 1 },
      task: (_ctx: unknown, task: RowTask) => {
        row.task = task;
        if (row.state === 'queued' || row.state === 'running') refresh(row);
        else settle(row);
        return row.done.promise;
      },
    })),
    {
      concurrent: true,
      exitOnError: false,
      registerSignalListeners: false,
      renderer: StderrRenderer,
      rendererOptions: {
        logger,
        formatOutput: 'truncate',
        collapseErrors: true,
        showErrorMessage: false,
        collapseSkips: true,
        showSkipMessage: true,
      },
      fallbackRenderer: 'simple',
      fallbackRendererOptions: { logger: new ListrLogger({ useIcons: true, toStderr: [], processOutput }) },
      fallbackRendererCondition: !interactive,
    },
  );
  const running = names.length > 0 ? list.run().then(() => undefined, () => undefined) : Promise.resolve();

  const ticker = interactive
    ? setInterval(() => {
        for (const row of rows.values()) if (row.state === 'running') refresh(row);
      }, TICK_MS)
    : undefined;
  ticker?.unref();

  const rowOf = (target: string): Row => {
    const known = rows.get(target) ?? extra.get(target);
    if (known) return known;
    const row = newRow(target);
    extra.set(target, row);
    return row;
  };

  return {
    onEvent(e: BuildEvent) {
      switch (e.type) {
        case 'warning':
          warnings.push(e);
          return;
        case 'info':
          // A target's info is transient status for its row; run-wide info is kept for the end.
          if (e.target === undefined) infos.push(e.message);
          break;
        case 'target-queued':
          rowOf(e.target);
          return;
        default:
          break;
      }
      if (e.target === undefined) return;
      const row = rowOf(e.target);
      if (row.done.settled) return;
      switch (e.type) {
        case 'info':
          row.note = e.message;
          break;
        case 'target-started':
          row.state = 'running';
          row.startedAt = e.time;
          break;
        case 'step':
          if (row.state === 'queued') {
            row.state = 'running';
            row.startedAt = e.time;
          }
          row.steps.apply(e.step, e.time);
          break;
        case 'log': {
          const step = row.steps.ensure(e.stepId, e.stepName, e.time);
          row.steps.addLog(step, e.data);
          break;
        }
        case 'target-finished':
          row.state = e.state;
          row.durationMs = e.durationMs;
          settle(row);
          return;
        case 'target-failed':
          row.state = 'failed';
          row.durationMs = e.durationMs;
          row.error = e.failure.message;
          row.location = e.failure.location;
          row.logTail = e.logTail;
          settle(row);
          return;
        case 'target-cancelled':
          row.state = 'cancelled';
          settle(row);
          return;
        case 'target-skipped':
          row.state = 'skipped';
          row.reason = e.failure.message;
          settle(row);
          return;
      }
      refreshSoon(row);
    },

    async finish(summary: RunSummaryLike) {
      if (ticker) clearInterval(ticker);
      if (refreshTimer) clearTimeout(refreshTimer);
      refreshTimer = undefined;
      dirty.clear();
      // Rows the events did not close (an executor that stopped early) take the summary's word.
      const byTarget = new Map<string, TargetResult>(summary.results.map((r) => [r.target, r]));
      for (const row of rows.values()) {
        if (row.done.settled) continue;
        if (row.state === 'queued' || row.state === 'running') {
          const r = byTarget.get(row.name);
          row.state = r && r.state !== 'queued' && r.state !== 'running' ? r.state : 'cancelled';
          row.durationMs = r?.durationMs ?? row.durationMs;
          row.error = r?.failure?.message ?? row.error;
          row.location = r?.failure?.location ?? row.location;
          if (row.state === 'skipped') row.reason = r?.failure?.message;
        }
        settle(row); // or, when listr has not called the row's task yet, the task settles itself
      }
      await running;
      const tail: string[] = [];
      if (!interactive) {
        for (const row of rows.values()) {
          if (row.state !== 'failed') continue;
          tail.push(...formatFailure(row.name, row.error ?? 'build failed', row.location, failedTail(row).slice(-LOG_TAIL)), '');
        }
      }
      if (infos.length > 0) tail.push(...infos, '');
      if (warnings.length > 0) {
        tail.push(`${warnings.length} warning${warnings.length === 1 ? '' : 's'} found:`);
        for (const w of warnings) tail.push(...formatWarning(w));
        tail.push('');
      }
      const color = options.color ?? (out.isTTY === true && !process.env.NO_COLOR);
      out.write('\n' + tail.map((l) => l + '\n').join('') + formatSummary(summary.results, { durationMs: summary.durationMs, color }));
    },
  };
}
