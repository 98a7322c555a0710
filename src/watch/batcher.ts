/**
 * Trailing debounce with caps. Every relevant change restarts the quiet window. A change to a path the
 * batch already holds adds nothing, so it may extend the batch only up to `maxWaitMs` after the batch
 * last gained a new path: a file rewritten continuously still triggers. New paths keep extending it
 * (chokidar delivers a 5,000-file checkout over seconds, and that must stay one batch) up to `hardCapMs`
 * after the first change, so an endless stream of new files triggers too.
 *
 * The quiet window grows with the batch: chokidar stats and watches each new file before reporting
 * it and, on a busy machine, leaves gaps of 70 ms and more in the middle of a checkout. A burst of
 * hundreds of paths is a checkout or a generator; waiting a few hundred ms more costs nothing next to
 * the rebuild, while splitting it costs a rebuild.
 *
 * A quiet window measured by a timer is not enough on a loaded machine: when the process gets the CPU
 * back after a stall, libuv runs expired timers before it reads the file events that queued up
 * meanwhile, and chokidar stats every changed file on the thread pool before reporting it. So before
 * flushing, the watcher lets both drain (`settle`) and starts the window again if anything came in.
 */
import { stat } from 'node:fs/promises';
import type { Classification } from './watch-set.js';

export interface Batch {
  /** Distinct changed paths, in arrival order. */
  paths: string[];
  targets: Set<string>;
  configChanged: boolean;
  ignoreChanged: Set<string>;
  firstAt: number;
}

export class Batcher {
  readonly #debounceMs: number;
  readonly #maxWaitMs: number;
  readonly #hardCapMs: number;
  readonly #onFlush: (batch: Batch) => void;
  #batch: (Batch & { seen: Set<string>; lastNewAt: number }) | undefined;
  #timer: NodeJS.Timeout | undefined;

  readonly #settle: (() => Promise<void>) | undefined;
  /** Bumped by every add(), so a settle round trip can tell whether anything arrived meanwhile. */
  #generation = 0;

  /**
   * `settle`, when given, runs when a quiet window ends and before the batch flushes: it should let
   * the file watcher deliver what the OS already reported (see `settleFileEvents`). If a change arrives
   * meanwhile the window starts again; the caps still apply.
   */
  constructor(debounceMs: number, maxWaitMs: number, hardCapMs: number, onFlush: (batch: Batch) => void, settle?: () => Promise<void>) {
    this.#debounceMs = debounceMs;
    this.#maxWaitMs = maxWaitMs;
    this.#hardCapMs = Math.max(hardCapMs, maxWaitMs);
    this.#onFlush = onFlush;
    this.#settle = settle;
  }

  add(file: string, c: Classification): void {
    const now = Date.now();
    let b = this.#batch;
    if (!b) {
      b = { paths: [], seen: new Set(), targets: new Set(), configChanged: false, ignoreChanged: new Set(), firstAt: now, lastNewAt: now };
      this.#batch = b;
    }
    if (!b.seen.has(file)) {
      b.seen.add(file);
      b.paths.push(file);
      b.lastNewAt = now;
    }
    for (const t of c.targets) b.targets.add(t);
    for (const t of c.ignoreChanged) b.ignoreChanged.add(t);
    b.configChanged ||= c.configChanged;
    clearTimeout(this.#timer);
    this.#generation++;
    const cap = Math.min(b.lastNewAt + this.#maxWaitMs, b.firstAt + this.#hardCapMs);
    // A long burst (a checkout on a busy disk takes seconds) tolerates a pause as long as itself so far,
    // up to maxWaitMs: the writer itself may be descheduled mid-burst.
    const window = Math.max(quietWindow(this.#debounceMs, b.paths.length), b.paths.length >= 32 ? Math.min(this.#maxWaitMs, b.lastNewAt - b.firstAt) : 0);
    const deadline = Math.min(now + window, cap);
    const wait = Math.max(0, deadline - now);
    this.#timer = setTimeout(() => this.#quiet(b, cap), wait);
  }

  #quiet(b: Batch, cap: number): void {
    this.#timer = undefined;
    if (!this.#settle || Date.now() >= cap) {
      this.flush();
      return;
    }
    const generation = this.#generation;
    void this.#settle().then(
      () => {
        // Something arrived while settling: add() has armed a new window for it.
        if (this.#batch === b && this.#generation === generation) this.flush();
      },
      () => {
        if (this.#batch === b && this.#generation === generation) this.flush();
      },
    );
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const b = this.#batch;
    this.#batch = undefined;
    if (!b) return;
    this.#onFlush({ paths: b.paths, targets: b.targets, configChanged: b.configChanged, ignoreChanged: b.ignoreChanged, firstAt: b.firstAt });
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#batch = undefined;
  }
}

export function quietWindow(debounceMs: number, paths: number): number {
  if (paths >= 512) return debounceMs * 8;
  if (paths >= 32) return debounceMs * 4;
  return debounceMs;
}

/**
 * One round trip through the event loop's I/O phase and the thread pool: file events the OS has already
 * queued are read, and the stats chokidar queued for them (FIFO on the pool) are done, before it resolves.
 */
export async function settleFileEvents(probe: string): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  await stat(probe).catch(() => undefined);
  await new Promise<void>((resolve) => setImmediate(resolve));
}
