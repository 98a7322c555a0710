/**
 * Trailing debounce with a cap: every relevant change restarts the quiet window, but a batch never
 * waits longer than `maxWaitMs` after its first change, so a continuous stream still triggers.
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
  readonly #onFlush: (batch: Batch) => void;
  #batch: (Batch & { seen: Set<string> }) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(debounceMs: number, maxWaitMs: number, onFlush: (batch: Batch) => void) {
    this.#debounceMs = debounceMs;
    this.#maxWaitMs = maxWaitMs;
    this.#onFlush = onFlush;
  }

  add(file: string, c: Classification): void {
    const now = Date.now();
    let b = this.#batch;
    if (!b) {
      b = { paths: [], seen: new Set(), targets: new Set(), configChanged: false, ignoreChanged: new Set(), firstAt: now };
      this.#batch = b;
    }
    if (!b.seen.has(file)) {
      b.seen.add(file);
      b.paths.push(file);
    }
    for (const t of c.targets) b.targets.add(t);
    for (const t of c.ignoreChanged) b.ignoreChanged.add(t);
    b.configChanged ||= c.configChanged;
    clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(this.#debounceMs, b.firstAt + this.#maxWaitMs - now));
    this.#timer = setTimeout(() => this.flush(), wait);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const b = this.#batch;
    this.#batch = undefined;
    if (!b) return;
    const { seen: _seen, ...batch } = b;
    this.#onFlush(batch);
  }

  cancel(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#batch = undefined;
  }
}
