/**
 * Secrets are read when BuildKit asks for them, never earlier, and never logged, printed or put in events.
 */
import fs from 'node:fs/promises';
import type { ResolvedTarget, SecretEntry } from '../plan/types.js';

export type SecretProvider = (id: string) => Promise<Uint8Array | undefined>;

/** One provider for a run: ids from every target (the session is shared); the first definition of an id wins. */
export function secretProviderFor(
  targets: ResolvedTarget[],
  env: Record<string, string | undefined>,
): SecretProvider {
  const byId = new Map<string, SecretEntry>();
  for (const t of targets) for (const s of t.secrets) if (!byId.has(s.id)) byId.set(s.id, s);
  return async (id) => {
    const entry = byId.get(id);
    if (!entry) return undefined;
    if (entry.source.kind === 'env') {
      const v = env[entry.source.env];
      return v === undefined ? undefined : new TextEncoder().encode(v);
    }
    try {
      return new Uint8Array(await fs.readFile(entry.source.path));
    } catch {
      return undefined;
    }
  };
}
