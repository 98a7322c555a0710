/**
 * The docker driver: the BuildKit inside a Docker engine, reached through the engine API's `/grpc`
 * upgrade. No lifecycle: the engine is managed by whoever runs it. Results go to the engine's own
 * image store (the `moby` exporter).
 */
import { dialDockerGrpc, dialDockerSession } from '../../buildkit/docker-upgrade.js';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { BuilderStatus, Driver, DriverFactory } from '../types.js';
import { TsbakeError } from '../../errors.js';

export const createDockerDriver: DriverFactory = (ctx) => {
  const host = ctx.builder.endpoint ?? ctx.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  let engineVersion: Promise<string | undefined> | undefined;
  /** Ends the shared /version request: the CLI cancels every caller at once, and an open request would keep the process alive. */
  let versionCtl: AbortController | undefined;

  const version = (): Promise<string | undefined> => {
    if (!engineVersion) versionCtl = new AbortController();
    engineVersion ??= fetchEngineVersion(host, ctx.env, (versionCtl ??= new AbortController()).signal)
      .catch((err: unknown) => {
        engineVersion = undefined;
        throw new TsbakeError(
          'daemon-unreachable',
          `builder "${ctx.builder.name}": cannot reach the Docker engine at ${host}: ${(err as Error).message}. Is the Docker daemon running?`,
          { cause: err },
        );
      });
    return engineVersion;
  };
  /** The shared version request, given up by this caller when its run is cancelled. */
  const versionFor = (signal: AbortSignal | undefined): Promise<string | undefined> => {
    if (!signal) return version();
    signal.throwIfAborted();
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = (): void => {
        versionCtl?.abort(signal.reason);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
    return Promise.race([version(), aborted]).finally(() => signal.removeEventListener('abort', onAbort));
  };

  /**
   * The `/grpc` upgrade a kept bootstrap started beside `/version`, for the first dial(): the engine
   * answers both while the CLI loads the executor, where the upgrade used to wait for the version.
   */
  let preDialed: Promise<Duplex> | undefined;

  const driver: Driver = {
    builder: ctx.builder,
    endpoint: () => host,
    async bootstrap(signal, options) {
      if (!options?.keep || preDialed) {
        await versionFor(signal);
        return;
      }
      const given = new AbortController();
      const dialing = dialDockerGrpc(host, AbortSignal.any([signal, given.signal]));
      // Its failure is the dial's to handle (it dials again), never an unhandled rejection.
      dialing.catch(() => undefined);
      // Given up under way (the upgrade closes its socket) or once made (closed here).
      const drop = (reason: unknown): void => {
        given.abort(reason);
        dialing.then((sock) => sock.destroy(), () => undefined);
      };
      try {
        await versionFor(signal);
      } catch (err) {
        // The engine's error is the one to report.
        drop(err);
        throw err;
      }
      preDialed = dialing;
      // Not taken by a dial when the attempt ends (a cancelled run, a closed pool): closed, or its open
      // socket would keep the process alive.
      signal.addEventListener(
        'abort',
        () => {
          if (preDialed !== dialing) return;
          preDialed = undefined;
          drop(signal.reason);
        },
        { once: true },
      );
    },
    async dial(signal) {
      const early = preDialed;
      preDialed = undefined;
      // A failed early upgrade is tried again, as any dial would be (its error is the new attempt's).
      if (early) return early.catch(() => dialDockerGrpc(host, signal));
      return dialDockerGrpc(host, signal);
    },
    // As buildx's docker driver: the session on a socket of its own, not tunnelled inside /grpc.
    async dialSession(headers, signal) {
      return dialDockerSession(host, headers, signal);
    },
    async describeDaemon() {
      const v = await version();
      return v ? { engineVersion: v } : {};
    },
    async inspect(signal): Promise<BuilderStatus> {
      try {
        const v = await versionFor(signal);
        return {
          name: ctx.builder.name,
          driver: 'docker',
          endpoint: host,
          status: 'running',
          platforms: ctx.builder.platforms,
          details: { engineVersion: v },
        };
      } catch (err) {
        if (signal?.aborted) throw err;
        return {
          name: ctx.builder.name,
          driver: 'docker',
          endpoint: host,
          status: 'error',
          platforms: [],
          error: (err as Error).message,
        };
      }
    },
    async stop() {
      throw new TsbakeError('usage', `builder "${ctx.builder.name}" uses the docker driver: the Docker engine is not managed by tsbake`);
    },
    async remove() {
      throw new TsbakeError('usage', `builder "${ctx.builder.name}" uses the docker driver: the Docker engine is not managed by tsbake`);
    },
  };
  return driver;
};

/**
 * `GET /version` of the engine. A plain request on a unix socket or plain tcp keeps dockerode (and the
 * ssh2 stack it loads) out of every docker-driver run; TLS hosts go through dockerode.
 */
async function fetchEngineVersion(
  host: string,
  env: Record<string, string | undefined>,
  signal: AbortSignal,
): Promise<string | undefined> {
  const url = new URL(host);
  const tls = url.protocol === 'https:' || (url.protocol === 'tcp:' && Boolean(env.DOCKER_TLS_VERIFY));
  if (tls || (url.protocol !== 'unix:' && url.protocol !== 'tcp:')) {
    const { dockerCall, dockerFromHost } = await import('../docker-api.js');
    const docker = dockerFromHost(host, env);
    return (await dockerCall(signal, () => docker.version())).Version;
  }
  const target =
    url.protocol === 'unix:'
      ? // `servername: ''`: Node's http agent otherwise works out a TLS server name even for a unix socket,
        // testing the default host with net.isIP, whose IPv6 regular expression V8 compiles on first use
        // (4-5 ms of the run's start-up, before the request is written). Plain HTTP has no server name.
        { socketPath: decodeURIComponent(url.pathname), servername: '' }
      : { host: url.hostname, port: Number(url.port || 2375) };
  return await new Promise<string | undefined>((resolve, reject) => {
    const waitMs = Number(env['TSBAKE_DOCKER_API_TIMEOUT_MS']) > 0 ? Number(env['TSBAKE_DOCKER_API_TIMEOUT_MS']) : 10_000;
    const req = http.get({ ...target, path: '/version', timeout: waitMs, signal }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`GET /version answered ${res.statusCode}: ${body.trim()}`));
        try {
          resolve((JSON.parse(body) as { Version?: string }).Version);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to GET /version within ${waitMs / 1000} s`)));
    req.on('error', reject);
  });
}
