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
 */
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

  constructor(debounceMs: number, maxWaitMs: number, hardCapMs: number, onFlush: (batch: Batch) => void) {
    this.#debounceMs = debounceMs;
    this.#maxWaitMs = maxWaitMs;
    this.#hardCapMs = Math.max(hardCapMs, maxWaitMs);
    this.#onFlush = onFlush;
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
    const deadline = Math.min(now + quietWindow(this.#debounceMs, b.paths.length), b.lastNewAt + this.#maxWaitMs, b.firstAt + this.#hardCapMs);
    const wait = Math.max(0, deadline - now);
    this.#timer = setTimeout(() => this.flush(), wait);
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
