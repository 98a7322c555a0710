/**
 * The remote driver: a BuildKit daemon someone else runs, reached directly over tcp:// or unix://,
 * with TLS when `cacert` is given (buildx's remote driver options: cacert, cert, key, servername).
 * No lifecycle: bootstrap only waits for the daemon.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { TsbakeError } from '../../errors.js';
import type { BuilderStatus, Driver, DriverContext, DriverFactory, ReadyDaemon } from '../types.js';
import { probeBuildkit, waitForBuildkit } from './readiness.js';

const DEFAULT_TIMEOUT_MS = 20_000;
const KNOWN = ['cacert', 'cert', 'key', 'servername', 'timeout', 'default-load'];

type Address = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

interface TlsMaterial {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

/** A failure the retry loop should not wait out (bad certificate files, a TLS refusal). */
class PermanentDialError extends TsbakeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('daemon-unreachable', message, options);
    this.name = 'PermanentDialError';
  }
}

export function parseRemoteEndpoint(endpoint: string): Address {
  if (endpoint.startsWith('unix://')) {
    const p = endpoint.slice('unix://'.length);
    if (!p.startsWith('/')) throw new Error(`unix endpoint must be absolute (unix:///path), got ${endpoint}`);
    return { kind: 'unix', path: p };
  }
  if (endpoint.startsWith('tcp://')) {
    const url = new URL(endpoint);
    const port = Number(url.port);
    if (!url.hostname || !port) throw new Error(`tcp endpoint needs a host and a port (tcp://host:port), got ${endpoint}`);
    // URL keeps IPv6 brackets; net.connect wants the bare address.
    return { kind: 'tcp', host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  }
  throw new Error(`endpoint must be tcp://host:port or unix:///path, got ${endpoint}`);
}

function parseTimeout(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000 }[m[2] ?? 's'] ?? 1000));
}

/** Longest wait, over TLS 1.3, for the server to show it accepted this client (see RemoteDriver.probe). */
const PROBE_WAIT_MS = 1000;

const TLS_CODES = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

class RemoteDriver implements Driver {
  readonly builder: DriverContext['builder'];
  private readonly ctx: DriverContext;
  private readonly endpointText: string;
  private tlsMaterial: TlsMaterial | undefined | null = null;

  constructor(ctx: DriverContext) {
    this.ctx = ctx;
    this.builder = ctx.builder;
    const opts = ctx.builder.driverOpts;
    for (const key of Object.keys(opts)) {
      if (!KNOWN.includes(key)) {
        throw this.invalid(`unknown driver option "${key}" (known: ${KNOWN.join(', ')})`);
      }
    }
    if (!ctx.builder.endpoint) throw this.invalid('the remote driver needs an endpoint (tcp://host:port or unix:///path)');
    this.endpointText = ctx.builder.endpoint;
    try {
      parseRemoteEndpoint(this.endpointText);
    } catch (err) {
      throw this.invalid((err as Error).message);
    }
    if ((opts.cert === undefined) !== (opts.key === undefined)) {
      throw this.invalid('driver options cert and key go together (client certificate and its key)');
    }
    if (opts.cert !== undefined && opts.cacert === undefined) {
      throw this.invalid('driver option cert needs cacert too (TLS is used when cacert is set)');
    }
    if (ctx.builder.buildkitdConfig !== undefined || ctx.builder.buildkitdConfigInline !== undefined || ctx.builder.buildkitdFlags) {
      throw this.invalid('a remote daemon is configured where it runs: buildkitd-config and buildkitd-flags do not apply');
    }
  }

  private get prefix(): string {
    return `builder "${this.builder.name}": `;
  }

  private invalid(message: string): TsbakeError {
    return new TsbakeError('invalid-config', `builder "${this.builder.name}" (remote): ${message}`);
  }

  endpoint(): string {
    return this.endpointText;
  }

  /** Certificates are read once, on first dial; a missing file is named. */
  private loadTls(): TlsMaterial | undefined {
    if (this.tlsMaterial !== null) return this.tlsMaterial;
    const opts = this.builder.driverOpts;
    if (opts.cacert === undefined) {
      this.tlsMaterial = undefined;
      return undefined;
    }
    const read = (key: string, file: string): Buffer => {
      try {
        return readFileSync(file);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
        throw new PermanentDialError(
          `${this.prefix}cannot read the ${key} file ${file} for ${this.endpointText}: ${why}`,
          { cause: err },
        );
      }
    };
    const material: TlsMaterial = { ca: read('cacert', opts.cacert) };
    if (opts.cert !== undefined && opts.key !== undefined) {
      material.cert = read('cert', opts.cert);
      material.key = read('key', opts.key);
    }
    if (opts.servername) material.servername = opts.servername;
    this.tlsMaterial = material;
    return material;
  }

  async dial(signal: AbortSignal): Promise<Duplex> {
    signal.throwIfAborted();
    const address = parseRemoteEndpoint(this.endpointText);
    const material = this.loadTls();
    const where = address.kind === 'unix' ? { path: address.path } : { host: address.host, port: address.port };
    let socket: net.Socket;
    let readyEvent: 'connect' | 'secureConnect';
    if (material) {
      // Node checks the certificate against servername, else host (an IP endpoint matches IP SANs).
      const servername = material.servername ?? (address.kind === 'tcp' && net.isIP(address.host) === 0 ? address.host : undefined);
      socket = tls.connect({
        ...where,
        ALPNProtocols: ['h2'],
        ca: material.ca,
        ...(material.cert ? { cert: material.cert, key: material.key } : {}),
        ...(servername ? { servername } : {}),
      });
      readyEvent = 'secureConnect';
    } else {
      socket = net.connect(where);
      readyEvent = 'connect';
    }
    return await new Promise<Duplex>((resolve, reject) => {
      const cleanup = (): void => {
        socket.off(readyEvent, onReady);
        socket.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      const onReady = (): void => {
        cleanup();
        resolve(socket);
      };
      const onError = (err: Error): void => {
        cleanup();
        socket.destroy();
        reject(this.explainDialError(err));
      };
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(signal.reason);
      };
      socket.once(readyEvent, onReady);
      socket.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Dial and, over TLS 1.3, wait until the server has accepted this client: there the server checks
   * the client certificate after the client's side of the handshake is done, so a missing or refused
   * certificate arrives as an alert a moment after 'secureConnect' (grpc-js then only said "No
   * connection established" until the 20 s timeout). The server's first bytes (a session ticket, its
   * HTTP/2 settings) say it accepted; an alert or a close says why not. At most PROBE_WAIT_MS.
   * Without TLS 1.3 there is nothing to wait for: the connection is returned, to be the first gRPC
   * connection (waitForBuildkit), not dialled twice. Over TLS 1.3 the wait reads the first bytes, so
   * that connection is closed.
   */
  async probe(signal: AbortSignal): Promise<Duplex | undefined> {
    const socket = await this.dial(signal);
    if (!(socket instanceof tls.TLSSocket) || socket.getProtocol() !== 'TLSv1.3') return socket;
    try {
      await new Promise<void>((resolve, reject) => {
        const cleanup = (): void => {
          clearTimeout(timer);
          socket.off('session', onAccepted);
          socket.off('data', onAccepted);
          socket.off('error', onError);
          socket.off('close', onClose);
          signal.removeEventListener('abort', onAbort);
        };
        const onAccepted = (): void => {
          cleanup();
          resolve();
        };
        const onError = (err: Error): void => {
          cleanup();
          reject(this.explainDialError(err));
        };
        const onClose = (): void => {
          cleanup();
          // What a TLS 1.3 server that checks client certificates does with none or an untrusted one.
          const why = this.tlsMaterial?.cert
            ? 'the daemon refused the client certificate (driver-opts cert and key): it is not signed by a CA the daemon trusts'
            : 'the daemon requires a client certificate: set driver-opts cert and key';
          reject(
            new PermanentDialError(
              `${this.prefix}TLS with BuildKit at ${this.endpointText} failed: ${why} (it closed the connection right after the handshake)`,
            ),
          );
        };
        const onAbort = (): void => {
          cleanup();
          reject(signal.reason);
        };
        const timer = setTimeout(onAccepted, PROBE_WAIT_MS);
        socket.once('session', onAccepted);
        socket.once('data', onAccepted);
        socket.once('error', onError);
        socket.once('close', onClose);
        signal.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      socket.destroy();
    }
    return undefined;
  }

  private explainDialError(err: Error): TsbakeError {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const ep = this.endpointText;
    const tlsAdvice = this.tlsRefusal(code, err.message);
    if (tlsAdvice) {
      // OpenSSL's messages carry its source path; its reason (`wrong version number`) is what tells.
      const reason = /:SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message;
      return new PermanentDialError(`${this.prefix}TLS with BuildKit at ${ep} failed: ${tlsAdvice} (${reason})`, { cause: err });
    }
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT' || code === 'ENOTFOUND') {
      const what = code === 'ENOENT' ? 'no socket at that path' : code === 'ENOTFOUND' ? 'unknown host' : 'connection refused';
      return new TsbakeError(
        'daemon-unreachable',
        `${this.prefix}cannot reach BuildKit at ${ep}: ${what} (${err.message}). Is buildkitd running and listening there?`,
        { cause: err },
      );
    }
    if (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /certificate|ssl|tls/i.test(err.message)) {
      const hint =
        code === 'ERR_TLS_CERT_ALTNAME_INVALID'
          ? 'the server certificate does not name this host; set driver-opts servername to a name it carries'
          : 'check driver-opts cacert (the CA that signed the daemon\'s certificate) and cert/key';
      return new PermanentDialError(`${this.prefix}TLS handshake with BuildKit at ${ep} failed: ${err.message} (${hint})`, {
        cause: err,
      });
    }
    return new TsbakeError('daemon-unreachable', `${this.prefix}cannot reach BuildKit at ${ep}: ${err.message}`, { cause: err });
  }

  /** What a TLS failure that is not about the server's certificate means, by OpenSSL's reason. */
  private tlsRefusal(code: string, message: string): string | undefined {
    const text = `${code} ${message}`;
    if (/CERTIFICATE_REQUIRED|alert number 116|HANDSHAKE_FAILURE.*alert|alert handshake failure/i.test(text) && !this.tlsMaterial?.cert) {
      return 'the daemon requires a client certificate: set driver-opts cert and key';
    }
    if (/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED|DECRYPT_ERROR|CERTIFICATE_REQUIRED)|alert number (42|46|48|49|51|116)|alert (bad certificate|unknown ca|certificate unknown)/i.test(text)) {
      return 'the daemon refused the client certificate (driver-opts cert and key): it is not signed by a CA the daemon trusts';
    }
    if (/WRONG_VERSION_NUMBER|wrong version number|packet length too long|http request|UNKNOWN_PROTOCOL|record layer failure/i.test(text)) {
      return 'the endpoint does not speak TLS: for a plain-TCP daemon leave out cacert, cert and key, or check the port';
    }
    if (code === 'ECONNRESET' && /before secure TLS connection was established/.test(message)) {
      return 'the endpoint closed the connection during the TLS handshake: it may not speak TLS (leave out cacert, cert and key for a plain-TCP daemon) or may refuse this client';
    }
    return undefined;
  }

  private timeoutMs(): number {
    const t = this.builder.driverOpts.timeout;
    if (t === undefined) return DEFAULT_TIMEOUT_MS;
    const ms = parseTimeout(t);
    if (ms === undefined || ms <= 0) throw this.invalid(`driver option timeout must be a duration like 20s, got "${t}"`);
    return ms;
  }

  async bootstrap(signal: AbortSignal, options: { keep?: boolean } = {}): Promise<ReadyDaemon | undefined> {
    const ready = await waitForBuildkit({
      dial: (s) => this.dial(s),
      probe: (s) => this.probe(s),
      endpointName: this.endpointText,
      timeoutMs: this.timeoutMs(),
      signal,
      isPermanent: (err) => err instanceof PermanentDialError,
      prefix: this.prefix,
      ...(this.ctx.log ? { log: this.ctx.log } : {}),
      ...(options.keep ? { keep: true } : {}),
    });
    return ready.client ? { client: ready.client, workers: ready.workers, ...(ready.version ? { buildkitVersion: ready.version } : {}) } : undefined;
  }

  async inspect(signal: AbortSignal): Promise<BuilderStatus> {
    const base = { name: this.builder.name, driver: 'remote', endpoint: this.endpointText };
    try {
      const first = await this.probe(AbortSignal.any([signal, AbortSignal.timeout(Math.min(this.timeoutMs(), 10_000))]));
      const facts = await probeBuildkit((s) => this.dial(s), {
        ...(first ? { first } : {}),
        signal,
        timeoutMs: Math.min(this.timeoutMs(), 10_000),
        endpointName: this.endpointText,
      });
      return {
        ...base,
        status: 'running',
        platforms: facts.platforms,
        ...(facts.version ? { buildkitVersion: facts.version } : {}),
        details: { workers: facts.workers.map((w) => w.id) },
      };
    } catch (err) {
      if (signal.aborted) throw err;
      return { ...base, status: 'error', platforms: this.builder.platforms, error: err instanceof Error ? err.message : String(err) };
    }
  }

  async stop(_signal: AbortSignal): Promise<void> {
    this.ctx.log?.(`builder "${this.builder.name}" uses the remote driver: its daemon at ${this.endpointText} is managed elsewhere; nothing to stop`);
  }

  async remove(_signal: AbortSignal, _options: { keepState: boolean }): Promise<void> {
    this.ctx.log?.(`builder "${this.builder.name}" uses the remote driver: its daemon at ${this.endpointText} is managed elsewhere; nothing to remove`);
  }
}

export const createRemoteDriver: DriverFactory = (ctx) => new RemoteDriver(ctx);
