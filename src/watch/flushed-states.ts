/**
 * A file event can arrive after the batch that holds its path has been flushed, reporting a state the
 * rebuild already saw. Polling does this by design: a save is a truncate and a write, one poll can see
 * the empty file and the next the full one, and on a loaded machine the second poll lands after the
 * flush (the rebuild then read the full file, yet the second event restarted it: one save, two
 * builds). Native events do it when a writer pauses between the two calls, and during a watcher swap
 * both watchers report.
 *
 * So when a batch is flushed, before anything reads its files, the state of each path (inode, size,
 * mtime, ctime) is recorded; a later event that carries exactly that state reports nothing new and is
 * dropped. Any other state, or an event without stats (unlink), goes through and forgets the record.
 */
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';

/** Most paths recorded per flush: a bigger burst is a checkout, whose rebuild takes longer anyway. */
const PER_FLUSH = 4096;

export function stateKey(s: Pick<Stats, 'ino' | 'size' | 'mtimeMs' | 'ctimeMs'>): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

export class FlushedStates {
  readonly #states = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#states.size;
  }

  has(file: string): boolean {
    return this.#states.has(file);
  }

  /** Records the current state of `paths` (a path that is gone is forgotten). */
  async record(paths: readonly string[]): Promise<void> {
    const some = paths.slice(0, PER_FLUSH);
    const stats = await Promise.all(some.map((p) => stat(p).catch(() => undefined)));
    some.forEach((p, i) => {
      const s = stats[i];
      this.#states.delete(p);
      if (s?.isFile()) this.#states.set(p, stateKey(s));
    });
    // Oldest first: a Map iterates in insertion order.
    for (const key of this.#states.keys()) {
      if (this.#states.size <= this.#limit) break;
      this.#states.delete(key);
    }
  }

  /**
   * Of `paths`, those still recorded whose state on disk is no longer the recorded one (records of
   * them are forgotten). No event reported that change since the flush, or the record would be gone.
   */
  async changedSince(paths: readonly string[]): Promise<string[]> {
    const recorded = paths.filter((p) => this.#states.has(p));
    const stats = await Promise.all(recorded.map((p) => stat(p).catch(() => undefined)));
    const changed: string[] = [];
    recorded.forEach((p, i) => {
      const s = stats[i];
      const before = this.#states.get(p);
      if (before === undefined) return; // an event came meanwhile
      if (!s || stateKey(s) !== before) {
        this.#states.delete(p);
        changed.push(p);
      }
    });
    return changed;
  }

  /** True when the event reports exactly the state recorded at the last flush of `file`. */
  isStale(kind: string, file: string, stats: Stats | undefined): boolean {
    const recorded = this.#states.get(file);
    if (recorded === undefined) return false;
    if ((kind === 'change' || kind === 'add') && stats && stateKey(stats) === recorded) return true;
    this.#states.delete(file);
    return false;
  }
}
