/**
 * Which pod a connection goes to. `sticky` (default) hashes the build context path over the ready pods
 * sorted by name, so one context always lands on the same pod (its cache is there) and different contexts
 * spread over the replicas. `random` picks any ready pod.
 */
export type LoadBalance = 'sticky' | 'random';

/** FNV-1a, 32 bit: stable across processes and Node versions, unlike anything seeded. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function pickPod(
  podNames: readonly string[],
  mode: LoadBalance,
  hint: { contextPath?: string; sequence?: number } | undefined,
  random: () => number = Math.random,
): string | undefined {
  const pods = [...podNames].sort();
  if (pods.length === 0) return undefined;
  if (mode === 'random') return pods[Math.floor(random() * pods.length) % pods.length];
  if (hint?.contextPath) return pods[fnv1a(hint.contextPath) % pods.length];
  // No context (a remote one, or a connection not tied to a target): spread by the target's index.
  if (hint?.sequence !== undefined) return pods[Math.abs(hint.sequence) % pods.length];
  return pods[0];
}
