/**
 * Builders opened lazily and shared by every target of a run (and by every run of a watch session).
 *
 * A connection belongs to the pool, not to the build that first asked for it: it is made under the
 * pool's own signal (the run's or the watch's, and close()), and each caller's signal ends only that
 * caller's wait. Otherwise a watch build cancelled while connecting (a save during the first connect)
 * would leave the attempt it started, aborted, cached for the rebuild. An attempt that fails is dropped,
 * so the next get() tries again.
 */
import type { ResolvedBuilder } from '../plan/types.js';
import { abortError } from '../buildkit/errors.js';
import { openBuilder, type BuilderHandle } from './builders.js';

export interface BuilderPoolOptions {
  /** Ends every connection attempt (Ctrl-C of the run or the watch). */
  signal?: AbortSignal;
  /**
   * Keep a failed attempt, so a later get() gets its error instead of trying again: for a one-run pool
   * whose builders are opened before the executor asks for them (cli/run.ts), so a failure is met once.
   */
  keepFailures?: boolean;
}

export class BuilderPool implements AsyncDisposable {
  private readonly open = new Map<string, Promise<BuilderHandle>>();
  /** Aborts the attempts under way; replaced by close() so the pool can be used again (watch reopens). */
  private attempts = new AbortController();
  private readonly signal: AbortSignal | undefined;
  private readonly keepFailures: boolean;

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly log?: (message: string) => void,
    options: BuilderPoolOptions = {},
  ) {
    this.signal = options.signal;
    this.keepFailures = options.keepFailures ?? false;
  }

  /** The open builder, connecting first if need be; `signal` ends this caller's wait, not the connection. */
  get(builder: ResolvedBuilder, signal: AbortSignal): Promise<BuilderHandle> {
    if (signal.aborted) return Promise.reject(abortError(signal));
    const key = JSON.stringify(builder);
    let handle = this.open.get(key);
    if (!handle) {
      const connection = this.signal ? AbortSignal.any([this.signal, this.attempts.signal]) : this.attempts.signal;
      const attempt = openBuilder(builder, {
        env: this.env,
        signal: connection,
        ...(this.log ? { log: this.log } : {}),
      });
      handle = attempt;
      this.open.set(key, attempt);
      // A failed open is not cached: the next run (watch) tries again.
      attempt.catch(() => {
        if (!this.keepFailures && this.open.get(key) === attempt) this.open.delete(key);
      });
    }
    return waitFor(handle, signal);
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    this.attempts.abort(new Error('the builder pool was closed'));
    this.attempts = new AbortController();
    await Promise.all(all.map((h) => h.then((x) => x.close()).catch(() => undefined)));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** `p`, or an AbortError as soon as `signal` aborts (p goes on). */
function waitFor<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
