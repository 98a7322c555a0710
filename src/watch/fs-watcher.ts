/**
 * The chokidar side: one FSWatcher over the watch set's roots, filtered by `isWatched` so excluded
 * trees, outputs and noise are never even watched.
 *
 * With native events chokidar watches directories only: left to itself it adds an inotify watch per
 * file as well (20,000 files: 2.8 s to start and ~100 MB more), although a directory's watch already
 * names every file in it that changes. Those names arrive as chokidar's `raw` events and are reported
 * as `raw-change`/`raw-rename`; chokidar still adds and drops directory watches as trees come and go,
 * and reports new directories (`addDir`), which covers files written into a directory before its
 * watch existed. Polling has no such shortcut: it stats every file.
 *
 * Replacing the watch set opens a new FSWatcher and closes the old one only once the new one is ready,
 * so no change falls in between (duplicates are harmless: batches are sets of paths).
 */
import type { Stats } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { isWatched, type WatchSet } from './watch-set.js';

export interface FsWatcherOptions {
  /** Polling interval in ms, or false for native events. */
  poll: number | false;
  /** `stats` when chokidar has them (add and change events). */
  onEvent: (kind: string, file: string, stats: Stats | undefined) => void;
  /** Something the user should know (watch limit reached, watcher errors); the watcher keeps going. */
  onWarning: (message: string) => void;
}

export const WATCH_LIMIT_HINT =
  'ran out of file watches; falling back to polling. Raise the limit with `sudo sysctl fs.inotify.max_user_watches=524288` (and fs.inotify.max_user_instances) to use native events.';

/** Most files reported from one new directory (they are reported so the batch names them; the build reads the directory anyway). */
const NEW_DIR_FILES = 10_000;

/** Interval used when falling back to polling because native watches ran out. */
export const FALLBACK_POLL_MS = 500;

export class FsWatcher {
  readonly #opts: FsWatcherOptions;
  #current: FSWatcher | undefined;
  #poll: number | false;
  #closed = false;
  #swap: Promise<void> = Promise.resolve();
  #set: WatchSet | undefined;
  /** Aborted by close(), so a watcher still scanning towards 'ready' does not hold close() up. */
  readonly #closing = new AbortController();
  #opening: FSWatcher | undefined;

  constructor(opts: FsWatcherOptions) {
    this.#opts = opts;
    this.#poll = opts.poll;
  }

  get polling(): boolean {
    return this.#poll !== false;
  }

  /** The polling interval in ms, or false for native events. */
  get pollInterval(): number | false {
    return this.#poll;
  }

  /** Watches `set` (replacing what was watched); resolves when the new watcher is ready. */
  watch(set: WatchSet, poll: number | false = this.#poll): Promise<void> {
    this.#set = set;
    this.#swap = this.#swap.then(() => this.#replace(set, poll));
    return this.#swap;
  }

  /**
   * chokidar's 'error' events. Running out of inotify watches (ENOSPC) or descriptors (EMFILE) switches
   * to polling, which needs neither; the hint names the sysctl that lifts the limit.
   */
  handleError(err: Error): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const code = (err as NodeJS.ErrnoException).code;
    if ((code === 'ENOSPC' || code === 'EMFILE') && this.#poll === false && this.#set) {
      this.#poll = FALLBACK_POLL_MS;
      this.#opts.onWarning(WATCH_LIMIT_HINT);
      return this.watch(this.#set, FALLBACK_POLL_MS).catch((e: unknown) => {
        this.#opts.onWarning(`could not start polling: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
    if (code !== 'ENOSPC' && code !== 'EMFILE') this.#opts.onWarning(`file watcher error: ${err.message}`);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    await this.#opening?.close();
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
      // chokidar spreads options over its defaults, so an undefined interval would erase the default.
      ...(poll === false ? { usePolling: false } : { usePolling: true, interval: poll, binaryInterval: poll }),
      ignorePermissionErrors: true,
      // Native events: directories only (see the file comment); polling must stat every file.
      ignored: (file: string, stats?: Stats) => (poll === false && stats?.isFile() === true) || !isWatched(set, file),
    });
    next.on('all', (kind, file, stats?: Stats) => {
      // Both watchers report during a swap; the old one stops when closed.
      if (!this.#closed) this.#opts.onEvent(kind, file, stats);
    });
    if (poll === false) {
      // Files written into a new directory before chokidar watched it: report what it holds (chokidar
      // reports each new subdirectory on its own).
      next.on('addDir', (dir: string) => {
        if (this.#closed) return;
        void readdir(dir, { withFileTypes: true }).then(
          (entries) => {
            for (const e of entries.slice(0, NEW_DIR_FILES)) {
              const file = path.join(dir, e.name);
              if (!e.isDirectory() && !this.#closed && isWatched(set, file)) this.#opts.onEvent('add', file, undefined);
            }
          },
          () => undefined,
        );
      });
      // A directory's inotify watch reports its files by name: that is the file event.
      next.on('raw', (kind: string, name: unknown, details: unknown) => {
        const dir = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
        if (this.#closed || typeof name !== 'string' || name === '' || typeof dir !== 'string') return;
        this.#opts.onEvent(`raw-${kind}`, path.join(dir, name), undefined);
      });
    }
    next.on('error', (err) => {
      void this.handleError(err instanceof Error ? err : new Error(String(err)));
    });
    this.#opening = next;
    await new Promise<void>((resolve) => {
      next.once('ready', () => resolve());
      this.#closing.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#opening = undefined;
    if (poll !== false && !this.#closed) {
      // chokidar says ready before fs.watchFile has taken its first stat; a change made in between
      // would become the baseline and never be reported. One interval later the baseline exists.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, poll);
        this.#closing.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
    const previous = this.#current;
    this.#current = next;
    if (this.#closed) {
      this.#current = undefined;
      await next.close();
    }
    await previous?.close();
  }
}
