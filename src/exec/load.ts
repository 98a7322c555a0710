/**
 * `--load` on drivers other than docker: the exporter's tarball is streamed from BuildKit straight into
 * the Docker engine's image load endpoint (never held in memory), with the two phases buildx shows:
 * "sending tarball" and "importing to docker".
 */
import { PassThrough, type Readable } from 'node:stream';
import { onJsonLines } from './docker-json-lines.js';
import { TsbakeError } from '../errors.js';

export interface LoadOptions {
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  onProgress?: (message: string) => void;
}

const storeCache = new Map<string, Promise<'containerd' | 'classic'>>();

/** Whether the local engine (DOCKER_HOST) keeps images in containerd's store, which can load OCI indexes. */
export function localEngineStore(env: Record<string, string | undefined>): Promise<'containerd' | 'classic'> {
  const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  let p = storeCache.get(host);
  if (!p) {
    p = (async () => {
      const { dockerFromHost } = await import('../drivers/docker-api.js');
      const info = (await dockerFromHost(host, env).info()) as { DriverStatus?: [string, string][] };
      const status = info.DriverStatus ?? [];
      return status.some(([k, v]) => k === 'driver-type' && v.includes('io.containerd.snapshotter')) ? 'containerd' : 'classic';
    })();
    p.catch(() => storeCache.delete(host));
    storeCache.set(host, p);
  }
  return p;
}

export async function loadImageTarball(tar: Readable, options: LoadOptions): Promise<void> {
  const host = options.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  // dockerode (with its ssh2 stack) is loaded only by runs that load images.
  const { dockerFromHost } = await import('../drivers/docker-api.js');
  const docker = dockerFromHost(host, options.env);
  const started = Date.now();
  let bytes = 0;
  const counted = new PassThrough();
  tar.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  tar.pipe(counted);
  options.onProgress?.('sending tarball');
  let response: NodeJS.ReadableStream;
  try {
    response = await docker.loadImage(counted, { abortSignal: options.signal } as object);
  } catch (err) {
    tar.destroy();
    throw new TsbakeError('daemon-error', `importing to docker at ${host} failed: ${(err as Error).message}`, { cause: err });
  }
  const sent = Date.now();
  options.onProgress?.(`sending tarball: ${formatBytes(bytes)} in ${((sent - started) / 1000).toFixed(1)}s`);
  const messages: string[] = [];
  await new Promise<void>((resolve, reject) => {
    onJsonLines<{ stream?: string; error?: string; errorDetail?: { message?: string } }>(response, (msg, line) => {
      if (msg === undefined) messages.push(line);
      else if (msg.error) reject(new TsbakeError('daemon-error', `importing to docker failed: ${msg.error}`));
      else if (msg.stream) messages.push(msg.stream.trim());
    });
    response.on('end', () => resolve());
    response.on('error', reject);
  });
  options.onProgress?.(
    `importing to docker: ${((Date.now() - started) / 1000).toFixed(1)}s${messages.length ? ` (${messages.join('; ')})` : ''}`,
  );
}

function formatBytes(n: number): string {
  if (n > 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)}MB`;
  if (n > 1024) return `${(n / 1024).toFixed(1)}kB`;
  return `${n}B`;
}
