/**
 * Wait until a BuildKit daemon answers ListWorkers through a driver's dial, and ask it what it is.
 * Shared by the remote and docker-container drivers.
 */
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BuildkitClient } from '../../buildkit/client.js';
import type { WorkerInfo } from '../../buildkit/types.js';
import { TsbakeError } from '../../errors.js';

export interface DaemonFacts {
  workers: WorkerInfo[];
  /** BuildKit's version (Info, v0.11+), e.g. `v0.13.2`. */
  version?: string;
  platforms: string[];
}

export interface WaitOptions {
  dial: (signal: AbortSignal) => Promise<Duplex>;
  endpointName: string;
  timeoutMs: number;
  signal: AbortSignal;
  /**
   * The fast first check of each attempt (the remote driver's TLS handshake probe); by default a bare
   * dial that is closed again.
   */
  probe?: (signal: AbortSignal) => Promise<void>;
  /** Errors not worth retrying (bad certificate, TLS refusal): thrown at once. */
  isPermanent?: (err: unknown) => boolean;
  /** A better account of the last failure than its message (what the transport said on stderr …). */
  describeLastError?: (lastError: unknown) => string | undefined;
  /** Extra text for the timeout message (the container's log tail …). */
  explainTimeout?: (lastError: unknown) => Promise<string>;
  /** Prefix for messages: `builder "x": `. */
  prefix: string;
  log?: (message: string) => void;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
}

/** One probe: connect, ListWorkers, Info (optional). */
export async function probeBuildkit(
  dial: (signal: AbortSignal) => Promise<Duplex>,
  opts: { signal: AbortSignal; timeoutMs: number; endpointName: string },
): Promise<DaemonFacts> {
  const client = await BuildkitClient.connect(dial, opts);
  try {
    const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(opts.timeoutMs)]);
    const workers = await client.listWorkers(signal);
    let version: string | undefined;
    try {
      version = (await client.info(signal))?.version;
    } catch {
      // Info is a nicety (v0.11+); a daemon that answered ListWorkers is ready.
    }
    const platforms = [...new Set(workers.flatMap((w) => w.platforms))];
    return { workers, platforms, ...(version ? { version } : {}) };
  } finally {
    await client.close();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Retry dial + ListWorkers until the daemon answers or `timeoutMs` passes. */
export async function waitForBuildkit(opts: WaitOptions): Promise<DaemonFacts> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  let attempt = 0;
  for (;;) {
    if (opts.signal.aborted) throw abortReason(opts.signal);
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    attempt += 1;
    // A bare dial first: it fails fast and tells permanent errors (certificates, TLS) from a daemon
    // that is still starting.
    let dialed = false;
    try {
      const attemptSignal = AbortSignal.any([opts.signal, AbortSignal.timeout(Math.min(remaining, 10_000))]);
      if (opts.probe) {
        await opts.probe(attemptSignal);
      } else {
        const stream = await opts.dial(attemptSignal);
        stream.destroy();
      }
      dialed = true;
    } catch (err) {
      if (opts.signal.aborted) throw abortReason(opts.signal);
      if (opts.isPermanent?.(err)) throw err;
      lastError = err;
    }
    if (dialed) {
      try {
        return await probeBuildkit(opts.dial, {
          signal: opts.signal,
          timeoutMs: Math.max(1000, Math.min(deadline - Date.now(), 10_000)),
          endpointName: opts.endpointName,
        });
      } catch (err) {
        if (opts.signal.aborted) throw abortReason(opts.signal);
        const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
        if (opts.isPermanent?.(cause)) throw cause;
        lastError = err;
      }
    }
    if (attempt === 1) opts.log?.(`waiting for BuildKit at ${opts.endpointName}`);
    const pause = Math.min(500, deadline - Date.now());
    if (pause > 0) {
      try {
        await sleep(pause, undefined, { signal: opts.signal });
      } catch {
        throw abortReason(opts.signal);
      }
    }
  }
  const extra = opts.explainTimeout ? await opts.explainTimeout(lastError).catch(() => '') : '';
  throw new TsbakeError(
    'daemon-unreachable',
    `${opts.prefix}BuildKit at ${opts.endpointName} did not answer within ${Math.round(opts.timeoutMs / 1000)}s` +
      (lastError !== undefined ? `: ${opts.describeLastError?.(lastError) ?? message(lastError)}` : '') +
      (extra ? `\n${extra}` : ''),
    { cause: lastError },
  );
}
