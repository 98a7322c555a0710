/**
 * The chokidar side: one FSWatcher over the watch set's roots, filtered by `isWatched` so excluded
 * trees, outputs and noise are never even watched. Replacing the watch set opens a new FSWatcher and
 * closes the old one only once the new one is ready, so no change falls in between (duplicates are
 * harmless: batches are sets of paths).
 */
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { isWatched, type WatchSet } from './watch-set.js';

export interface FsWatcherOptions {
  /** Polling interval in ms, or false for native events. */
  poll: number | false;
  onEvent: (kind: string, file: string) => void;
  onError: (err: Error) => void;
}

/** Interval used when falling back to polling because native watches ran out. */
export const FALLBACK_POLL_MS = 500;

export class FsWatcher {
  readonly #opts: FsWatcherOptions;
  #current: FSWatcher | undefined;
  #poll: number | false;
  #closed = false;
  #swap: Promise<void> = Promise.resolve();

  constructor(opts: FsWatcherOptions) {
    this.#opts = opts;
    this.#poll = opts.poll;
  }

  get polling(): boolean {
    return this.#poll !== false;
  }

  /** Watches `set` (replacing what was watched); resolves when the new watcher is ready. */
  watch(set: WatchSet, poll: number | false = this.#poll): Promise<void> {
    this.#swap = this.#swap.then(() => this.#replace(set, poll));
    return this.#swap;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#swap.catch(() => undefined);
    const w = this.#current;
    this.#current = undefined;
    await w?.close();
  }

  async #replace(set: WatchSet, poll: number | false): Promise<void> {
    if (this.#closed) return;
    this.#poll = poll;
    const next = chokidarWatch(set.roots, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      usePolling: poll !== false,
      interval: poll === false ? undefined : poll,
      binaryInterval: poll === false ? undefined : poll,
      ignorePermissionErrors: true,
      ignored: (file: string) => !isWatched(set, file),
    });
    next.on('all', (kind, file) => {
      // Both watchers report during a swap; the old one stops when closed.
      if (!this.#closed) this.#opts.onEvent(kind, file);
    });
    next.on('error', (err) => {
      if (!this.#closed) this.#opts.onError(err instanceof Error ? err : new Error(String(err)));
    });
    await new Promise<void>((resolve) => next.once('ready', () => resolve()));
    const previous = this.#current;
    this.#current = next;
    if (this.#closed) {
      this.#current = undefined;
      await next.close();
    }
    await previous?.close();
  }
}
