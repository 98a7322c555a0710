/**
 * `--progress=plain`: one line per step event on stderr, each prefixed with its target so that
 * interleaved builds stay readable. Mirrors buildx's plain printer (`#3 [2/3] RUN make`, `#3 CACHED`,
 * `#3 DONE 0.4s`, `#3 0.123 hello`, `#3 ERROR: …`) with a `[target]` prefix; vertexes are numbered per
 * target in the order they are first shown.
 */
import type { BuildEvent, StepInfo } from '../events.js';
import { formatDuration, formatProgress, formatSummary, formatWarning } from './format.js';
import { StepTracker, type TrackedStep } from './steps.js';
import type { OutputStream, Renderer, RunSummaryLike } from './types.js';

export interface PlainRendererOptions {
  stderr: OutputStream;
  color?: boolean;
}

export function createPlainRenderer(options: PlainRendererOptions): Renderer {
  const out = options.stderr;
  const trackers = new Map<string, StepTracker>();
  const trackerOf = (target: string): StepTracker => {
    let t = trackers.get(target);
    if (!t) trackers.set(target, (t = new StepTracker()));
    return t;
  };
  const write = (lines: string[]): void => {
    if (lines.length > 0) out.write(lines.join('\n') + '\n');
  };

  const header = (target: string, tracker: StepTracker, step: TrackedStep): string[] => {
    if (step.printed.header) return [];
    step.printed.header = true;
    return [`[${target}] #${tracker.number(step)} ${step.info.name}`];
  };

  const flushLog = (target: string, tracker: StepTracker, step: TrackedStep, time: number): string[] => {
    const line = tracker.flush(step);
    return line === undefined ? [] : [logLine(target, step, line, time)];
  };

  const onStep = (target: string, info: StepInfo, time: number): void => {
    const tracker = trackerOf(target);
    const step = tracker.apply(info, time);
    const s = step.info;
    // A vertex the daemon only announced (not started) is not shown, as in buildx.
    if (s.started === undefined && !s.cached && s.completed === undefined && s.error === undefined) return;
    const lines = header(target, tracker, step);
    const n = `[${target}] #${step.index}`;
    if (s.cached && !step.printed.cached) {
      step.printed.cached = true;
      lines.push(`${n} CACHED`);
    }
    if (s.total && s.current !== undefined && s.current >= s.total && !step.printed.progressDone) {
      step.printed.progressDone = true;
      lines.push(`${n} ${formatProgress(s.current, s.total)} done`);
    }
    if (s.error !== undefined && !step.printed.error) {
      lines.push(...flushLog(target, tracker, step, time));
      step.printed.error = true;
      step.printed.done = true;
      lines.push(`${n} ERROR: ${s.error}`);
    } else if (s.completed !== undefined && !step.printed.done) {
      lines.push(...flushLog(target, tracker, step, time));
      step.printed.done = true;
      if (!s.cached) lines.push(`${n} DONE ${formatDuration(s.completed - (s.started ?? s.completed))}`);
    }
    write(lines);
  };

  const onLog = (e: Extract<BuildEvent, { type: 'log' }>): void => {
    const tracker = trackerOf(e.target);
    const step = tracker.ensure(e.stepId, e.stepName, e.time);
    const lines = header(e.target, tracker, step);
    for (const line of tracker.addLog(step, e.data)) lines.push(logLine(e.target, step, line, e.time));
    write(lines);
  };

  const flushTarget = (target: string, time: number): void => {
    const tracker = trackers.get(target);
    if (!tracker) return;
    const lines: string[] = [];
    for (const step of tracker.all()) lines.push(...flushLog(target, tracker, step, time));
    write(lines);
  };

  let warnings = 0;
  return {
    onEvent(e) {
      switch (e.type) {
        case 'target-queued':
          return;
        case 'target-started':
          write([`[${e.target}] building with "${e.builder}"`]);
          return;
        case 'step':
          onStep(e.target, e.step, e.time);
          return;
        case 'log':
          onLog(e);
          return;
        case 'warning':
          warnings++;
          write(formatWarning(e));
          return;
        case 'info':
          write([e.target ? `[${e.target}] ${e.message}` : e.message]);
          return;
        case 'target-finished':
          flushTarget(e.target, e.time);
          write([`[${e.target}] ${e.state === 'cached' ? 'CACHED' : 'DONE'} ${formatDuration(e.durationMs)}`]);
          return;
        case 'target-failed':
          flushTarget(e.target, e.time);
          write([
            `[${e.target}] FAILED ${formatDuration(e.durationMs)}: ${e.failure.message}`,
            ...(e.failure.location ? [`[${e.target}]   at ${e.failure.location}`] : []),
          ]);
          return;
        case 'target-cancelled':
          flushTarget(e.target, e.time);
          write([`[${e.target}] CANCELED`]);
          return;
        case 'target-skipped':
          write([`[${e.target}] SKIPPED: ${e.failure.message}`]);
          return;
      }
    },
    async finish(summary: RunSummaryLike) {
      for (const target of trackers.keys()) flushTarget(target, Date.now());
      const note = warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'} (see above)\n` : '';
      out.write('\n' + formatSummary(summary.results, { durationMs: summary.durationMs, color: options.color }) + note);
    },
  };
}

/** `[app] #3 0.123 hello`: seconds since the step started, as buildx prints log lines. */
function logLine(target: string, step: TrackedStep, line: string, time: number): string {
  const since = Math.max(0, time - (step.info.started ?? step.firstSeen)) / 1000;
  return `[${target}] #${step.index} ${since.toFixed(3)} ${line}`;
}
