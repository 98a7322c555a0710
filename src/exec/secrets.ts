/**
 * Secrets are read when BuildKit asks for them, never earlier, and never logged, printed or put in events.
 * Each solve serves only the secrets its own target declares (its own session, see solve-target.ts): an
 * id another target of the run declares is "not found" here, as with buildx's per-build secret store.
 */
import fs from 'node:fs/promises';
import type { ResolvedTarget, SecretEntry } from '../plan/types.js';

export type SecretProvider = (id: string) => Promise<Uint8Array | undefined>;

/** The provider for one target's solve: its own entries only; within the target, the first entry of an id wins. */
export function secretProviderFor(target: ResolvedTarget, env: Record<string, string | undefined>): SecretProvider {
  const byId = new Map<string, SecretEntry>();
  for (const s of target.secrets) if (!byId.has(s.id)) byId.set(s.id, s);
  return async (id) => {
    const entry = byId.get(id);
    if (!entry) return undefined;
    if (entry.source.kind === 'env') {
      const v = env[entry.source.env];
      return v === undefined ? undefined : new TextEncoder().encode(v);
    }
    try {
      return new Uint8Array(await fs.readFile(entry.source.path));
    } catch (err) {
      // Thrown, not "not found": an optional mount would go on without the secret and say nothing. The
      // session sends it to BuildKit as `secret ID: …`, which fails the step with it (buildx refuses a
      // secret file it cannot stat before the build; tsbake reads it when BuildKit asks, so it says so then).
      throw new Error(`cannot read the file ${entry.source.path} (${whyUnreadable(err)})`);
    }
  };
}

function whyUnreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'it does not exist';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return err instanceof Error ? err.message : String(err);
  }
}
