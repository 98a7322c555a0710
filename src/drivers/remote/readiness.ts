/**
 * Wait until a BuildKit daemon answers ListWorkers through a driver's dial, and ask it what it is.
 * Shared by the remote and docker-container drivers. The connection the check made is kept for the
 * caller when it asks (`keep`): a run's first gRPC connection is then the one that found the daemon
 * ready, and ListWorkers and Info are not asked twice.
 */
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { BuildkitClient } from '../../buildkit/client.js';
import { BuildkitConnectError } from '../../buildkit/errors.js';
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
   * dial. A stream it returns is the attempt's connection for ListWorkers (not dialled again).
   */
  probe?: (signal: AbortSignal) => Promise<Duplex | void>;
  /** Keep the client that found the daemon ready, and return it (the caller closes it). */
  keep?: boolean;
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

/** What waitForBuildkit found, with the client that found it when asked to keep it. */
export type ReadyFacts = DaemonFacts & { client?: BuildkitClient };

/**
 * One probe: connect, ListWorkers, Info (optional). `first` is a stream already dialled, used as the
 * first connection. With `keep`, the client is returned open (the caller closes it).
 */
export async function probeBuildkit(
  dial: (signal: AbortSignal) => Promise<Duplex>,
  opts: { signal: AbortSignal; timeoutMs: number; endpointName: string; keep?: boolean; first?: Duplex },
): Promise<ReadyFacts> {
  let first = opts.first;
  const dialFirst = (signal: AbortSignal): Promise<Duplex> => {
    const stream = first;
    first = undefined;
    return stream && !stream.destroyed ? Promise.resolve(stream) : dial(signal);
  };
  // ListWorkers and Info go out together with the connection's preface: no wait for the daemon's
  // SETTINGS first, and one round trip for both. An unreachable daemon fails ListWorkers.
  const client = BuildkitClient.open(dialFirst, { endpointName: opts.endpointName });
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = AbortSignal.any([opts.signal, timeout]);
  let kept = false;
  try {
    const [workers, version] = await Promise.all([
      client.listWorkers(signal),
      // Info is a nicety (v0.11+); a daemon that answered ListWorkers is ready.
      client.info(signal).then(
        (info) => info?.version,
        () => undefined,
      ),
    ]);
    const platforms = [...new Set(workers.flatMap((w) => w.platforms))];
    kept = opts.keep === true;
    return { workers, platforms, ...(version ? { version } : {}), ...(kept ? { client } : {}) };
  } catch (err) {
    if (timeout.aborted && !opts.signal.aborted) throw new BuildkitConnectError(opts.endpointName, `no answer within ${opts.timeoutMs} ms`, { cause: err });
    throw err;
  } finally {
    first?.destroy();
    if (!kept) await client.close();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Retry dial + ListWorkers until the daemon answers or `timeoutMs` passes. */
export async function waitForBuildkit(opts: WaitOptions): Promise<ReadyFacts> {
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
    let first: Duplex | undefined;
    try {
      const attemptSignal = AbortSignal.any([opts.signal, AbortSignal.timeout(Math.min(remaining, 10_000))]);
      first = (opts.probe ? await opts.probe(attemptSignal) : await opts.dial(attemptSignal)) ?? undefined;
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
          ...(first ? { first } : {}),
          ...(opts.keep ? { keep: true } : {}),
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
