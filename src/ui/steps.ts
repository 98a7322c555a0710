/**
 * Per-target bookkeeping of BuildKit vertexes ("steps"): numbering in order of display, merged state
 * (the daemon resends a vertex as it changes), and log lines reassembled from chunks.
 */
import type { StepInfo } from '../events.js';

export interface TrackedStep {
  id: string;
  info: StepInfo;
  /** 1-based number shown as `#n`; 0 until the step is first displayed. */
  index: number;
  /** Complete log lines, the last LOG_KEEP of them. */
  logs: string[];
  /** An unterminated log line waiting for its newline. */
  partial: string;
  /** When the step was first seen (for log timestamps when `started` is missing). */
  firstSeen: number;
  /** What a line-oriented renderer has already printed for this step. */
  printed: { header: boolean; cached: boolean; done: boolean; error: boolean; progressDone: boolean };
}

const LOG_KEEP = 50;

export class StepTracker {
  private readonly byId = new Map<string, TrackedStep>();
  private readonly order: TrackedStep[] = [];
  private nextIndex = 1;

  get size(): number {
    return this.order.length;
  }

  get(id: string): TrackedStep | undefined {
    return this.byId.get(id);
  }

  all(): readonly TrackedStep[] {
    return this.order;
  }

  /** Record a step event, merging it with what was known of the vertex. */
  apply(info: StepInfo, time: number): TrackedStep {
    const known = this.byId.get(info.id);
    if (!known) {
      const step: TrackedStep = {
        id: info.id,
        info: { ...info },
        index: 0,
        logs: [],
        partial: '',
        firstSeen: time,
        printed: { header: false, cached: false, done: false, error: false, progressDone: false },
      };
      this.byId.set(info.id, step);
      this.order.push(step);
      return step;
    }
    known.info = mergeStep(known.info, info);
    return known;
  }

  /** A step that only logs were seen for (the executor names it when it can). */
  ensure(id: string, name: string | undefined, time: number): TrackedStep {
    return this.byId.get(id) ?? this.apply({ id, name: name ?? id, cached: false }, time);
  }

  /** Give the step its display number if it has none yet. */
  number(step: TrackedStep): number {
    if (step.index === 0) step.index = this.nextIndex++;
    return step.index;
  }

  /** Append a log chunk; returns the lines it completed. */
  addLog(step: TrackedStep, data: string): string[] {
    const { lines, rest } = splitLogChunk(step.partial, data);
    step.partial = rest;
    this.keep(step, lines);
    return lines;
  }

  /** The unterminated last line, if any, as a complete one. */
  flush(step: TrackedStep): string | undefined {
    if (step.partial === '') return undefined;
    const line = collapseCarriageReturns(step.partial);
    step.partial = '';
    this.keep(step, [line]);
    return line;
  }

  /** The most recently started step that has not completed. */
  running(): TrackedStep | undefined {
    let best: TrackedStep | undefined;
    for (const s of this.order) {
      if (s.info.started === undefined || s.info.completed !== undefined || s.info.cached) continue;
      if (!best || (s.info.started ?? 0) >= (best.info.started ?? 0)) best = s;
    }
    return best;
  }

  counts(): { total: number; cached: number; completed: number } {
    let cached = 0;
    let completed = 0;
    for (const s of this.order) {
      if (s.info.cached) cached++;
      if (s.info.completed !== undefined || s.info.cached) completed++;
    }
    return { total: this.order.length, cached, completed };
  }

  private keep(step: TrackedStep, lines: string[]): void {
    if (lines.length === 0) return;
    step.logs.push(...lines);
    if (step.logs.length > LOG_KEEP) step.logs.splice(0, step.logs.length - LOG_KEEP);
  }
}

function mergeStep(prev: StepInfo, next: StepInfo): StepInfo {
  return {
    id: next.id,
    name: next.name || prev.name,
    cached: next.cached || prev.cached,
    started: next.started ?? prev.started,
    completed: next.completed ?? prev.completed,
    error: next.error ?? prev.error,
    current: next.current ?? prev.current,
    total: next.total ?? prev.total,
  };
}

/** Lines completed by `data` after the pending `partial`, and what is left unterminated. */
export function splitLogChunk(partial: string, data: string): { lines: string[]; rest: string } {
  const parts = (partial + data).replace(/\r\n/g, '\n').split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts.map(collapseCarriageReturns), rest };
}

/** A progress bar redrawn with `\r` shows only its last state. */
function collapseCarriageReturns(line: string): string {
  if (!line.includes('\r')) return line;
  const segments = line.split('\r').filter((s) => s !== '');
  return segments[segments.length - 1] ?? '';
}
