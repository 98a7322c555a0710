/**
 * Shared Docker API helpers for drivers that manage containers through an engine: a dockerode client
 * for a DOCKER_HOST-style address, and the demultiplexer for Docker's attach/exec stream framing.
 */
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { engineAddress } from './engine-address.js';

/** A dockerode client for `host`, else DOCKER_HOST, else the default socket (see engineAddress). */
export function dockerFromHost(host?: string, env: Record<string, string | undefined> = process.env): Docker {
  const address = engineAddress(host, env);
  if (address.kind === 'socket') return new Docker({ socketPath: address.socketPath });
  if (!address.tls) return new Docker({ host: address.host, port: address.port, protocol: 'http' });
  return new Docker({ host: address.host, port: address.port, protocol: 'https', ...address.tls });
}

export interface DemuxHandlers {
  /** A chunk of the process's stdout. Return false to ask for back-pressure (the source is paused). */
  stdout(chunk: Buffer): boolean | void;
  stderr(chunk: Buffer): void;
  /** The source ended (the process closed its output). */
  end?(): void;
}

/**
 * Split Docker's multiplexed stream (non-TTY attach/exec): frames of an 8-byte header — stream type
 * (0 stdin, 1 stdout, 2 stderr, 3 systemerr), three zero bytes, big-endian uint32 length — then the
 * payload. See the Docker Engine API, "Attach to a container" / "Stream format".
 * Returns `resume()` to call when the stdout consumer wants more after returning false.
 */
export function demuxDockerStream(source: Readable, handlers: DemuxHandlers): { resume(): void } {
  let pending: Buffer = Buffer.alloc(0);
  let paused = false;
  const onData = (chunk: Buffer): void => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const kind = pending[0];
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const payload = pending.subarray(8, 8 + size);
      pending = pending.subarray(8 + size);
      if (kind === 1) {
        if (handlers.stdout(payload) === false && !paused) {
          paused = true;
          source.pause();
        }
      } else if (kind === 2 || kind === 3) {
        handlers.stderr(payload);
      }
    }
  };
  source.on('data', onData);
  source.on('end', () => handlers.end?.());
  return {
    resume() {
      if (!paused) return;
      paused = false;
      source.resume();
    },
  };
}

/** The message of a dockerode error without its "(HTTP code 500) server error - " prefix. */
export function dockerErrorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const json = (err as Error & { json?: unknown }).json;
  if (json && typeof json === 'object' && 'message' in json && typeof json.message === 'string') return json.message.trim();
  return err.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/** dockerode's HTTP status of a failed call, when it has one. */
export function dockerStatusCode(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'statusCode' in err && typeof err.statusCode === 'number') return err.statusCode;
  return undefined;
}

/**
 * How long one Docker API request may wait for its answer. An endpoint that accepts the connection and
 * never answers hung `run`, `builder ls` and `builder inspect` forever. TSBAKE_DOCKER_API_TIMEOUT_MS
 * overrides it (tests use a short one).
 */
export function dockerApiTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const v = Number(env['TSBAKE_DOCKER_API_TIMEOUT_MS']);
  return Number.isFinite(v) && v > 0 ? v : 15_000;
}

/** A Docker API request that got no answer within its deadline. */
export class DockerTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs >= 1000 ? `${(timeoutMs / 1000).toFixed(timeoutMs % 1000 === 0 ? 0 : 1)} s` : `${timeoutMs} ms`}`);
    this.name = 'DockerTimeoutError';
  }
}

/**
 * Runs one Docker API request (not a long stream) with a deadline and the run's signal. dockerode gets
 * the combined `abortSignal`, which destroys the HTTP request; the wait is also raced against it, for
 * calls that do not pass it on. Rejects with the signal's reason when the run is cancelled, with a
 * DockerTimeoutError at the deadline.
 */
export async function dockerCall<T>(
  signal: AbortSignal | undefined,
  call: (abortSignal: AbortSignal) => Promise<T>,
  timeoutMs: number = dockerApiTimeoutMs(),
): Promise<T> {
  signal?.throwIfAborted();
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(new DockerTimeoutError(timeoutMs)), timeoutMs);
  const onAbort = (): void => ctl.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let onStop: () => void = () => undefined;
  const stopped = new Promise<never>((_, reject) => {
    onStop = (): void => reject(ctl.signal.reason);
    ctl.signal.addEventListener('abort', onStop, { once: true });
  });
  try {
    return await Promise.race([call(ctl.signal), stopped]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    ctl.signal.removeEventListener('abort', onStop);
    stopped.catch(() => undefined);
  }
}
