/**
 * Builders opened lazily and shared by every target of a run (and by every run of a watch session).
 */
import type { ResolvedBuilder } from '../plan/types.js';
import { openBuilder, type BuilderHandle } from './builders.js';

export class BuilderPool implements AsyncDisposable {
  private readonly open = new Map<string, Promise<BuilderHandle>>();

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly log?: (message: string) => void,
  ) {}

  get(builder: ResolvedBuilder, signal: AbortSignal): Promise<BuilderHandle> {
    const key = JSON.stringify(builder);
    let handle = this.open.get(key);
    if (!handle) {
      handle = openBuilder(builder, {
        env: this.env,
        signal,
        ...(this.log ? { log: this.log } : {}),
      });
      this.open.set(key, handle);
      // A failed open is not cached: the next run (watch) tries again.
      handle.catch(() => this.open.delete(key));
    }
    return handle;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((h) => h.then((x) => x.close()).catch(() => undefined)));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
