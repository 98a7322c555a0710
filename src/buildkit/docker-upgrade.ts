/**
 * Reach the BuildKit inside a Docker engine with the engine API's HTTP/1.1 upgrades (`Upgrade: h2c`,
 * answered `101 Switching Protocols`):
 * - `POST /grpc`: the socket then speaks gRPC to the engine's BuildKit (HTTP/2 with prior knowledge,
 *   tsbake the client) — moby api/server/router/grpc;
 * - `POST /session` with the `X-Docker-Expose-Session-*` headers: the socket becomes the session's
 *   HTTP/2 connection, the engine the client and tsbake the server — moby api/server/router/session,
 *   as buildx's docker driver opens it. The session then runs on a socket of its own, not inside a
 *   `/grpc` stream the engine must unwrap.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

export interface DockerDialOptions {
  /** TLS options for `tcp://` hosts with DOCKER_TLS_VERIFY. */
  tls?: tls.ConnectionOptions;
  /** Docker API version prefix (`v1.41`); none by default: /grpc exists since API 1.40 unversioned. */
  apiVersion?: string;
}

function connectSocket(dockerHost: string, options: DockerDialOptions): Duplex {
  const url = new URL(dockerHost);
  switch (url.protocol) {
    case 'unix:':
      return net.connect({ path: decodeURIComponent(url.pathname) });
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const port = Number(url.port || (options.tls || url.protocol === 'https:' ? 2376 : 2375));
      const host = url.hostname;
      if (options.tls || url.protocol === 'https:') return tls.connect({ host, port, servername: host, ...options.tls });
      return net.connect({ host, port });
    }
    default:
      throw new Error(`unsupported Docker host ${dockerHost}: expected unix:// or tcp://`);
  }
}

/** Open a fresh connection to the engine's BuildKit. The returned socket carries raw HTTP/2. */
export function dialDockerGrpc(dockerHost: string, signal: AbortSignal, options: DockerDialOptions = {}): Promise<Duplex> {
  return upgrade(dockerHost, '/grpc', {}, signal, options);
}

/**
 * Open a session connection (`POST /session`); `headers` are the session's `x-docker-expose-session-*`
 * headers (repeated `…-grpc-method`). The returned socket carries the session's raw HTTP/2.
 */
export function dialDockerSession(dockerHost: string, headers: Record<string, string | string[]>, signal: AbortSignal, options: DockerDialOptions = {}): Promise<Duplex> {
  return upgrade(dockerHost, '/session', headers, signal, options);
}

/** Header text for the request; a value with CR/LF is refused (it would split the request). */
function headerLines(headers: Record<string, string | string[]>): string {
  let out = '';
  for (const [k, v] of Object.entries(headers)) {
    for (const one of Array.isArray(v) ? v : [v]) {
      if (/[\r\n]/.test(one) || /[\r\n:]/.test(k)) throw new Error(`invalid session header ${k}`);
      out += `${k}: ${one}\r\n`;
    }
  }
  return out;
}

async function upgrade(dockerHost: string, endpoint: '/grpc' | '/session', headers: Record<string, string | string[]>, signal: AbortSignal, options: DockerDialOptions): Promise<Duplex> {
  signal.throwIfAborted();
  const extra = headerLines(headers);
  const sock = connectSocket(dockerHost, options);
  const prefix = options.apiVersion ? `/${options.apiVersion}` : '';
  return await new Promise<Duplex>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('error', onError);
      sock.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error): void => {
      cleanup();
      sock.destroy();
      reject(err);
    };
    const onAbort = (): void => fail(signal.reason instanceof Error ? signal.reason : abortError());
    // An endpoint that accepts the connection and never answers the upgrade would hold the run forever.
    const waitMs = upgradeTimeoutMs();
    const timer = setTimeout(
      () =>
        fail(
          new Error(
            `Docker at ${dockerHost} accepted the connection but did not answer the BuildKit upgrade (POST ${endpoint}) within ${waitMs / 1000} s: ` +
              'check that this address is a running Docker engine (TSBAKE_DOCKER_API_TIMEOUT_MS sets the wait)',
          ),
        ),
      waitMs,
    );
    const onError = (err: Error): void => fail(new Error(`cannot reach Docker at ${dockerHost}: ${err.message}`, { cause: err }));
    const onClose = (): void => fail(new Error(`Docker at ${dockerHost} closed the connection during the ${endpoint} upgrade`));
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 64 * 1024) fail(new Error(`Docker at ${dockerHost} sent an oversized response to ${endpoint}`));
        return;
      }
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      if (!status || status[1] !== '101') {
        const firstLine = head.split('\r\n')[0] ?? '';
        fail(new Error(`Docker at ${dockerHost} refused the BuildKit upgrade (POST ${endpoint}): ${firstLine} ${rest.toString('utf8').trim()}`.trim()));
        return;
      }
      cleanup();
      sock.pause();
      if (rest.length > 0) sock.unshift(rest);
      resolve(sock);
    };
    sock.on('data', onData);
    sock.on('error', onError);
    sock.on('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
    sock.write(`POST ${prefix}${endpoint} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n${extra}Content-Length: 0\r\n\r\n`);
  });
}

/** Same knob as the drivers' Docker API calls (drivers/docker-api.ts dockerApiTimeoutMs). */
function upgradeTimeoutMs(): number {
  const v = Number(process.env['TSBAKE_DOCKER_API_TIMEOUT_MS']);
  return Number.isFinite(v) && v > 0 ? v : 15_000;
}

function abortError(): Error {
  const e = new Error('The operation was aborted');
  e.name = 'AbortError';
  return e;
}
