/**
 * Builders opened lazily and shared by every target of a run (and by every run of a watch session).
 */
import type { ResolvedBuilder } from '../plan/types.js';
import { openBuilder, type BuilderHandle } from './builders.js';
import type { SecretProvider } from './secrets.js';
import type { SshAgentProvider } from '../buildkit/sshforward.js';

export class BuilderPool implements AsyncDisposable {
  private readonly open = new Map<string, Promise<BuilderHandle>>();
  private secretsImpl: SecretProvider = async () => undefined;
  /** One provider per run in progress (watch runs one per target, concurrently). */
  private readonly sshProviders = new Set<SshAgentProvider>();

  constructor(
    private readonly env: Record<string, string | undefined>,
    private readonly log?: (message: string) => void,
  ) {}

  /** Secrets are looked up through this indirection so a watch re-plan can swap the provider. */
  setSecrets(provider: SecretProvider): void {
    this.secretsImpl = provider;
  }

  /** Forwarded SSH agents of a run, until the returned function is called (its agents stop with it). */
  useSsh(provider: SshAgentProvider): () => void {
    this.sshProviders.add(provider);
    return () => this.sshProviders.delete(provider);
  }

  private sshLookup(id: string): string | undefined {
    for (const p of this.sshProviders) {
      const socket = p(id);
      if (socket !== undefined) return socket;
    }
    return undefined;
  }

  get(builder: ResolvedBuilder, signal: AbortSignal): Promise<BuilderHandle> {
    const key = JSON.stringify(builder);
    let handle = this.open.get(key);
    if (!handle) {
      handle = openBuilder(builder, {
        env: this.env,
        signal,
        secrets: (id) => this.secretsImpl(id),
        ssh: (id) => this.sshLookup(id),
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
