/**
 * Pushes through the Docker engine, for the docker driver on an engine with the classic image store
 * (Docker 20.10 and later without containerd snapshotters). There BuildKit's `moby` exporter stores the
 * image in the engine and ignores `push=true`; buildx pushes afterwards with the engine's
 * `POST /images/{name}/push` (pushWithMoby in docker/buildx build/build.go), and so does tsbake. The
 * engine uploads every layer and the config before it puts the manifest.
 */
import { TsbakeError } from '../errors.js';
import type { AuthProvider } from '../buildkit/session.js';
import { onJsonLines } from './docker-json-lines.js';
import type { DriverCapabilities } from '../drivers/types.js';

export interface EnginePushInput {
  /** The engine's address (the docker builder's endpoint). */
  host: string;
  /** Image references to push (`registry/repo:tag`). */
  names: string[];
  env: Record<string, string | undefined>;
  auth: AuthProvider;
  signal: AbortSignal;
  onProgress?: (message: string) => void;
}

/**
 * Whether the engine pushes, for a builder whose results land in the engine's store (caps.imageStore
 * set: the docker driver): with the classic store always (its exporter cannot); with the containerd
 * store in the deferred push phase, where the built image is in the engine's store already, so a push
 * costs no second solve (measured: bench/push.js).
 */
export function pushesThroughEngine(caps: Pick<DriverCapabilities, 'imageStore'>, deferredPhase: boolean): boolean {
  if (caps.imageStore === undefined) return false;
  return deferredPhase || caps.imageStore === 'classic';
}

/** Pushes every name; returns the manifest digest the registry took (the last name's, all equal). */
export async function pushThroughEngine(input: EnginePushInput): Promise<{ digest?: string }> {
  const { dockerFromHost } = await import('../drivers/docker-api.js');
  const docker = dockerFromHost(input.host, input.env);
  let digest: string | undefined;
  for (const name of input.names) {
    const host = registryHost(name);
    const cred = await input.auth(host);
    // X-Registry-Auth: base64url JSON; `{}` for anonymous.
    const authconfig = cred ? { username: cred.username, password: cred.secret, serveraddress: host } : {};
    input.onProgress?.(`pushing ${name} through the engine`);
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await docker.getImage(name).push({ authconfig, abortSignal: input.signal } as object)) as NodeJS.ReadableStream;
    } catch (err) {
      throw new TsbakeError('build-failed', `pushing ${name} through the engine at ${input.host} failed: ${(err as Error).message}`, { cause: err });
    }
    digest = await new Promise<string | undefined>((resolve, reject) => {
      let got: string | undefined;
      const onAbort = (): void => {
        (stream as unknown as { destroy?: () => void }).destroy?.();
        reject(input.signal.reason instanceof Error ? input.signal.reason : new Error('push cancelled'));
      };
      input.signal.addEventListener('abort', onAbort, { once: true });
      onJsonLines<{ error?: string; errorDetail?: { message?: string }; aux?: { Digest?: string } }>(stream, (msg) => {
        // Lines that are not JSON are progress text.
        if (msg?.error) {
          input.signal.removeEventListener('abort', onAbort);
          reject(new TsbakeError('build-failed', `pushing ${name} failed: ${msg.errorDetail?.message ?? msg.error}`));
        } else if (msg?.aux?.Digest) got = msg.aux.Digest;
      });
      stream.on('end', () => {
        input.signal.removeEventListener('abort', onAbort);
        resolve(got);
      });
      stream.on('error', (err) => {
        input.signal.removeEventListener('abort', onAbort);
        reject(err);
      });
    });
  }
  return digest ? { digest } : {};
}

/** `127.0.0.1:5000/a/b:1` → `127.0.0.1:5000`; a name without a registry part is Docker Hub's. */
function registryHost(name: string): string {
  const first = name.split('/')[0] ?? '';
  if (name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return 'docker.io';
}
