/**
 * `--load` on drivers other than docker: the exporter's tarball goes from BuildKit straight into the
 * Docker engine's `POST /images/load`, which starts as the export does: each chunk is written to the
 * request as it arrives, and a full request pauses the export (back-pressure down to the session's
 * HTTP/2 stream), so memory does not grow with the image. The tarball's end is sent only once the solve
 * has succeeded: a failed or cancelled export destroys the request instead, and the engine, having never
 * seen a complete archive, keeps no image. The two phases are those buildx shows: "sending tarball"
 * and "importing to docker".
 */
import type { Readable } from 'node:stream';
import { onJsonLines } from './docker-json-lines.js';
import { TsbakeError } from '../errors.js';
import { engineAddress, engineGetJson, engineMessage, engineRequest } from '../drivers/engine-address.js';
import { trace } from '../trace.js';

export interface LoadOptions {
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  /**
   * Settles with the solve that exports the tarball: the request body is ended only once it resolved;
   * if it rejects, the request is destroyed (no image is loaded).
   */
  built: Promise<void>;
  onProgress?: (message: string) => void;
}

/** Two 512-byte tar blocks of zeros end an archive. */
const HELD_BACK_BYTES = 1024;

const storeCache = new Map<string, Promise<'containerd' | 'classic'>>();

/** Whether the local engine (DOCKER_HOST) keeps images in containerd's store, which can load OCI indexes. */
export function localEngineStore(env: Record<string, string | undefined>): Promise<'containerd' | 'classic'> {
  const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  let p = storeCache.get(host);
  if (!p) {
    p = (async () => {
      const info = await engineGetJson<{ DriverStatus?: [string, string][] | null }>(engineAddress(host, env), '/info');
      const status = info.DriverStatus ?? [];
      return status.some(([k, v]) => k === 'driver-type' && v.includes('io.containerd.snapshotter')) ? 'containerd' : 'classic';
    })();
    p.catch(() => storeCache.delete(host));
    storeCache.set(host, p);
  }
  return p;
}

/**
 * Stream `tar` into the engine at DOCKER_HOST. Listeners are attached before the first await, so an
 * error or early end of `tar` is never missed. Resolves when the engine reports the image loaded.
 */
export function loadImageTarball(tar: Readable, options: LoadOptions): Promise<void> {
  const host = options.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  const started = Date.now();
  let bytes = 0;
  options.onProgress?.('sending tarball');
  let address: ReturnType<typeof engineAddress>;
  try {
    address = engineAddress(host, options.env);
  } catch (err) {
    tar.destroy();
    return Promise.reject(new TsbakeError('daemon-error', `importing to docker at ${host} failed: ${(err as Error).message}`, { cause: err }));
  }
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let tarEnded = false;
    let bodyEnded = false;
    const req = engineRequest(address, {
      method: 'POST',
      path: '/images/load?quiet=0',
      headers: { 'Content-Type': 'application/x-tar' },
      signal: options.signal,
    });
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      tar.destroy();
      // A request whose body never ended: the engine fails the load and keeps nothing.
      req.destroy();
      reject(err);
    };
    req.on('error', (err: Error) => {
      if (err.name === 'AbortError') fail(err);
      else fail(new TsbakeError('daemon-error', `importing to docker at ${host} failed: ${err.message}`, { cause: err }));
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => fail(new TsbakeError('daemon-error', `importing to docker at ${host} failed: ${engineMessage(body) || `HTTP ${res.statusCode}`}`)));
        res.on('error', (err) => fail(err));
        return;
      }
      const messages: string[] = [];
      let engineError: string | undefined;
      onJsonLines<{ stream?: string; error?: string }>(res, (msg, line) => {
        if (msg === undefined) messages.push(line);
        else if (msg.error) engineError ??= msg.error;
        else if (msg.stream) messages.push(msg.stream.trim());
      });
      res.on('error', (err) => fail(err));
      res.on('end', () => {
        if (engineError !== undefined) fail(new TsbakeError('daemon-error', `importing to docker failed: ${engineError}`));
        else if (!bodyEnded) fail(new TsbakeError('daemon-error', `importing to docker at ${host} failed: the engine answered before the tarball was complete`));
        else {
          settled = true;
          options.onProgress?.(`importing to docker: ${((Date.now() - started) / 1000).toFixed(1)}s${messages.length ? ` (${messages.join('; ')})` : ''}`);
          resolve();
        }
      });
    });
    // The tarball's last bytes (at least its end-of-archive blocks) are held back until the solve has
    // succeeded: an engine reads the archive up to those blocks and imports without waiting for the end
    // of the body (Docker 26's containerd store), so only a tarball it never sees complete loads nothing.
    const held: Buffer[] = [];
    let heldBytes = 0;
    let first = true;
    let chunks = 0;
    let waitingForDrain = false;
    const write = (chunk: Buffer): void => {
      if (!req.write(chunk) && !waitingForDrain) {
        waitingForDrain = true;
        tar.pause();
        req.once('drain', () => {
          waitingForDrain = false;
          tar.resume();
        });
      }
    };
    tar.on('data', (chunk: Buffer) => {
      if (first) {
        first = false;
        trace('load-first-bytes', `${chunk.length}`);
      }
      bytes += chunk.length;
      chunks++;
      held.push(chunk);
      heldBytes += chunk.length;
      while (heldBytes - held[0]!.length >= HELD_BACK_BYTES) {
        const out = held.shift()!;
        heldBytes -= out.length;
        write(out);
      }
    });
    let built = false;
    const maybeEnd = (): void => {
      if (!tarEnded || !built || settled) return;
      bodyEnded = true;
      for (const c of held.splice(0)) req.write(c);
      req.end();
    };
    tar.on('error', (err: Error) => fail(err));
    tar.on('close', () => {
      if (!tarEnded) fail(new Error('the export ended before the tarball was complete'));
    });
    tar.on('end', () => {
      tarEnded = true;
      trace('load-sent', `bytes=${bytes} chunks=${chunks}`);
      options.onProgress?.(`sending tarball: ${formatBytes(bytes)} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      maybeEnd();
    });
    options.built.then(
      () => {
        built = true;
        maybeEnd();
      },
      (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))),
    );
  });
}

function formatBytes(n: number): string {
  if (n > 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}MB`;
  if (n > 1024) return `${(n / 1024).toFixed(1)}kB`;
  return `${n}B`;
}
