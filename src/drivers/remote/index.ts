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
import type { DriverCapabilities } from '../../plan/types.js';
import type { BuilderStatus, Driver, DriverContext, DriverFactory } from '../types.js';
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
  readonly loadsViaTarball = true;
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

  staticCapabilities(): DriverCapabilities {
    return {
      loadsByDefault: false,
      cacheExport: 'all',
      tarballOutput: true,
      multiPlatform: true,
      buildkitConfig: false,
      namedContexts: true,
      multipleExporters: true,
      daemon: `BuildKit at ${this.endpointText}`,
    };
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

  private explainDialError(err: Error): TsbakeError {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const ep = this.endpointText;
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

  private timeoutMs(): number {
    const t = this.builder.driverOpts.timeout;
    if (t === undefined) return DEFAULT_TIMEOUT_MS;
    const ms = parseTimeout(t);
    if (ms === undefined || ms <= 0) throw this.invalid(`driver option timeout must be a duration like 20s, got "${t}"`);
    return ms;
  }

  async bootstrap(signal: AbortSignal): Promise<void> {
    await waitForBuildkit({
      dial: (s) => this.dial(s),
      endpointName: this.endpointText,
      timeoutMs: this.timeoutMs(),
      signal,
      isPermanent: (err) => err instanceof PermanentDialError,
      prefix: this.prefix,
      ...(this.ctx.log ? { log: this.ctx.log } : {}),
    });
  }

  async inspect(signal: AbortSignal): Promise<BuilderStatus> {
    const base = { name: this.builder.name, driver: 'remote', endpoint: this.endpointText };
    try {
      const facts = await probeBuildkit((s) => this.dial(s), {
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
