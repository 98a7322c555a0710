/**
 * A BuildKit session: the daemon's gRPC client calls back into tsbake (file sync, exports, secrets,
 * registry credentials, SSH agents, the content store) over an HTTP/2 connection on which the daemon is
 * the client. Transports (chosen by the BuildkitClient, see start()):
 * - the Docker engine's `POST /session` upgrade (docker driver): the session's HTTP/2 runs directly on
 *   a socket of its own, read by nghttp2 with no JavaScript stream in between, and the daemon unwraps
 *   no extra layer;
 * - Control.Session (remote, docker-container, kubernetes): the daemon's HTTP/2 bytes travel in
 *   BytesMessage messages of a bidi call on the Control connection (session-transport.ts).
 * Either way the server is Node's own http2 with tsbake's method table (grpc-server.ts).
 *
 * Routing: FileSync/FileSend calls carry no solve id, and the Dockerfile frontend asks for its build
 * context as `context` even when `contextkey` renames it (seen on BuildKit v0.8 and v0.13: `contextkey`
 * only renames the first `.dockerignore` fetch). So one session cannot tell concurrent solves' contexts
 * apart; every solve runs on a session of its own, derived from the run's Session (same providers,
 * shared counters), with a shared key derived from the context path so BuildKit's incremental transfer
 * keeps one cached copy per directory.
 *
 * The call object FileSync/FileSend handlers (filesync.ts sendDir, filesend.ts receiveDir/receiveTar)
 * get is a `ServerCall` (grpc-server.ts), a Duplex in object mode:
 * - `write(msg)` (a Packet for FileSync, a raw Buffer for FileSend) → false when full, then 'drain';
 * - 'data' (one decoded message each), 'end' (the daemon half-closed), 'error';
 * - 'cancelled', then 'close', when the daemon reset the call or the connection went away;
 * - `end()` finishes the call with OK; `destroyed`, `writableEnded` as on any Duplex.
 */
import { createHash, randomBytes } from 'node:crypto';
import type http2 from 'node:http2';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import type { BuildkitClient } from './client.js';
import { contentMethods, CONTENT_METHODS } from './content-service.js';
import { LayoutContentStore, type ContentStoreDir, type ContentStoreStats } from './content-store.js';
import { abortError, BuildkitError } from './errors.js';
import { receiveDir, receiveTar } from './filesend.js';
import { sendDir, type TransferStats, type WalkFilter } from './filesync.js';
import { GrpcServer, streamMethod, unaryMethod, type ServerCall } from './grpc-server.js';
import { GrpcError, Status, type Metadata } from './grpc-wire.js';
import { encodePacket } from './packet-codec.js';
import { codec, type PbPacket } from './proto.js';
import { sshMethods, SSH_METHODS, type SshAgentProvider } from './sshforward.js';
import type { AuthProvider, ExportTarget, SecretProvider, SolveTransfer, SourceProvider } from './types.js';
import { trace } from '../trace.js';

export type { AuthProvider, SecretProvider, SourceProvider } from './types.js';

export interface SessionOptions {
  name?: string;
  /** Stable across runs on this machine (see defaultSharedKey): lets BuildKit transfer only changed files. */
  sharedKey: string;
  sources?: SourceProvider;
  secrets?: SecretProvider;
  auth?: AuthProvider;
  /** Agent sockets for `RUN --mount=type=ssh`, by id. */
  ssh?: SshAgentProvider;
}

export type SessionStats = TransferStats & {
  fileSyncCalls: number;
  /** REQ packets (files whose content the daemon asked for), per dir-name. */
  requestsByDirName: Record<string, number>;
  /** Content store traffic (local caches, OCI layouts). */
  content: ContentStoreStats;
};

export interface SolveRegistration {
  localDirs: Record<string, string>;
  /** Exporter outputs, indexed like the solve's exporters (undefined for exporters without output). */
  exports: (ExportTarget | undefined)[];
  /** Content stores by store id (`local:…`, `export`, `oci:…`). */
  contentStores: Map<string, LayoutContentStore>;
}

/** The session headers (`x-docker-expose-session-*`), as metadata of Control.Session or headers of `POST /session`. */
export type SessionHeaders = Record<string, string | string[]>;

/** A stable shared key for this machine (hostname-derived), as buildx derives one per node. */
export function defaultSharedKey(): string {
  return createHash('sha256').update(`tsbake:${os.hostname()}`).digest('hex').slice(0, 32);
}

/** The local name a solve uses for a directory: stable per absolute path, so a shared dir has one key. */
export function localName(kind: string, absPath: string): string {
  return `${kind}-${createHash('sha256').update(absPath).digest('hex').slice(0, 16)}`;
}

const METHODS = {
  health: '/grpc.health.v1.Health/Check',
  fileSync: '/moby.filesync.v1.FileSync/DiffCopy',
  fileSend: '/moby.filesync.v1.FileSend/DiffCopy',
  credentials: '/moby.filesync.v1.Auth/Credentials',
  fetchToken: '/moby.filesync.v1.Auth/FetchToken',
  getTokenAuthority: '/moby.filesync.v1.Auth/GetTokenAuthority',
  verifyTokenAuthority: '/moby.filesync.v1.Auth/VerifyTokenAuthority',
  secret: '/moby.buildkit.secrets.v1.Secrets/GetSecret',
} as const;

/** How long close() waits for export receivers to clean up after its abort. */
const RECEIVER_CLOSE_DEADLINE_MS = 10_000;
/** How long start() waits for the daemon's side of the session connection (its HTTP/2 settings). */
const ACCEPT_TIMEOUT_MS = 20_000;

const raw = (b: Buffer): Buffer => b;

function firstValue(md: Metadata, key: string): string | undefined {
  return md.get(key)?.[0];
}

/** Values of a metadata key, URL-unescaped when `<key>-encoded: 1` is set (BuildKit v0.12+). */
function values(md: Metadata, key: string): string[] {
  const encoded = firstValue(md, `${key}-encoded`) === '1';
  return (md.get(key) ?? []).map((s) => {
    if (!encoded) return s;
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
}

export class Session {
  readonly id: string;
  readonly name: string;
  readonly sharedKey: string;
  private readonly opts: SessionOptions;
  private readonly registrations = new Map<string, SolveRegistration>();
  private readonly pendingExports = new Map<string, Promise<void>[]>();
  /** Export receivers still running, with what they write: close() waits for them, so their temp files are gone when it returns. */
  private readonly receiving = new Map<Promise<void>, string>();
  private server: GrpcServer | undefined;
  /** The session connection's own resources (the Control.Session call, the /session socket). */
  private connection: Duplex | undefined;
  private readonly closeController = new AbortController();
  private started = false;
  /** Transfer counters, cumulative over the session and the sessions derived from it (tests, `--debug`). */
  readonly stats: SessionStats;
  /** This session's own context bytes (a derived session serves one solve): the solve's `transfer`. */
  private transfer: SolveTransfer | undefined;

  constructor(opts: SessionOptions, stats?: SessionStats) {
    this.opts = opts;
    this.id = randomBytes(13).toString('hex').slice(0, 25);
    this.name = opts.name ?? 'tsbake';
    this.sharedKey = opts.sharedKey;
    this.stats = stats ?? {
      stats: 0,
      entriesVisited: 0,
      requests: 0,
      bytesSent: 0,
      fileSyncCalls: 0,
      requestsByDirName: {},
      content: { reads: 0, bytesRead: 0, commits: 0, bytesWritten: 0, alreadyExists: 0 },
    };
  }

  /**
   * A new (unstarted) session with the same providers and counters; `sharedKeyFor` keys it to a
   * directory. `own` replaces the secret and SSH providers for the solve the session serves alone, so
   * concurrent solves of one run never reach each other's secrets or agents. `transfer` also counts the
   * file bytes this session alone sends (one solve's context).
   */
  derive(sharedKeyFor?: string, own: { secrets?: SecretProvider; ssh?: SshAgentProvider } = {}, transfer?: SolveTransfer): Session {
    const sharedKey = sharedKeyFor === undefined ? this.sharedKey : createHash('sha256').update(`${this.sharedKey}\0${sharedKeyFor}`).digest('hex').slice(0, 32);
    const derived = new Session({ ...this.opts, ...own, sharedKey }, this.stats);
    derived.transfer = transfer;
    return derived;
  }

  /** Register the local dirs, outputs and content stores of one solve; returns the (async) disposer. */
  registerSolve(
    ref: string,
    reg: { localDirs: Record<string, string>; exports: (ExportTarget | undefined)[]; contentStores?: Record<string, ContentStoreDir> },
  ): () => Promise<void> {
    for (const [name, dir] of Object.entries(reg.localDirs)) {
      for (const [otherRef, other] of this.registrations) {
        const otherDir = other.localDirs[name];
        if (otherDir !== undefined && otherDir !== dir) {
          throw new Error(`local name ${name} is used for ${otherDir} by solve ${otherRef} and for ${dir} by solve ${ref}`);
        }
      }
    }
    if (reg.exports.some((e) => e !== undefined) && [...this.registrations.values()].some((r) => r.exports.some((e) => e !== undefined))) {
      throw new Error('a session can serve the outputs of only one solve at a time (FileSend calls name no solve)');
    }
    const stores = new Map<string, LayoutContentStore>();
    for (const [id, spec] of Object.entries(reg.contentStores ?? {})) {
      for (const [otherRef, other] of this.registrations) {
        if (other.contentStores.has(id)) throw new Error(`content store ${id} is used by solve ${otherRef} and by solve ${ref}`);
      }
      stores.set(id, new LayoutContentStore(spec));
    }
    this.registrations.set(ref, { localDirs: { ...reg.localDirs }, exports: [...reg.exports], contentStores: stores });
    return async () => {
      this.registrations.delete(ref);
      // Unfinished writes (a cancelled solve) leave nothing behind in the layouts.
      await Promise.all([...stores.values()].map((st) => st.cleanup().catch(() => undefined)));
    };
  }

  /** Wait for the export writes started for `ref` (they finish before the daemon's solve returns, normally). */
  async waitExports(ref: string, signal: AbortSignal): Promise<void> {
    const list = this.pendingExports.get(ref) ?? [];
    this.pendingExports.delete(ref);
    if (list.length === 0) return;
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(abortError(signal));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([Promise.all(list), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private lookupDir(name: string): string | undefined {
    for (const r of this.registrations.values()) {
      const d = r.localDirs[name];
      if (d !== undefined) return d;
    }
    return this.opts.sources?.(name);
  }

  private lookupStore(id: string): LayoutContentStore | undefined {
    for (const r of this.registrations.values()) {
      const s = r.contentStores.get(id);
      if (s) return s;
    }
    return undefined;
  }

  private lookupExport(index: number | undefined): { ref: string; target: ExportTarget } | undefined {
    for (const [ref, r] of this.registrations) {
      const target = index === undefined ? r.exports.find((e) => e !== undefined) : r.exports[index];
      if (target) return { ref, target };
    }
    return undefined;
  }

  private methods(): string[] {
    // The token-authority methods answer UNIMPLEMENTED, which BuildKit treats as "no authority" and
    // falls back to Credentials.
    const list: string[] = [
      METHODS.health,
      METHODS.fileSync,
      METHODS.fileSend,
      METHODS.credentials,
      METHODS.fetchToken,
      METHODS.getTokenAuthority,
      METHODS.verifyTokenAuthority,
      ...CONTENT_METHODS,
    ];
    if (this.opts.secrets) list.push(METHODS.secret);
    if (this.opts.ssh) list.push(SSH_METHODS.checkAgent, SSH_METHODS.forwardAgent);
    return list;
  }

  /** The `x-docker-expose-session-*` headers announcing this session and the methods it serves. */
  headers(): SessionHeaders {
    return {
      'x-docker-expose-session-uuid': this.id,
      'x-docker-expose-session-name': this.name,
      'x-docker-expose-session-sharedkey': this.sharedKey,
      'x-docker-expose-session-grpc-method': this.methods(),
    };
  }

  /**
   * Open the session with the daemon behind `client` and serve it; resolves once the daemon's HTTP/2
   * client has spoken (its SETTINGS).
   */
  async start(client: BuildkitClient, signal: AbortSignal): Promise<void> {
    await (await this.open(client, signal)).accepted;
  }

  /**
   * Open the session's connection and serve it; resolves as soon as it is open, with `accepted`, which
   * settles when the daemon's HTTP/2 client has spoken (or rejects with why it did not). A Solve naming
   * the session need not wait for that: BuildKit's session manager waits for a session it does not
   * know yet (session/manager.go Get), as buildx's client runs the session beside its Solve.
   */
  async open(client: BuildkitClient, signal: AbortSignal): Promise<{ accepted: Promise<void> }> {
    if (this.started) throw new Error('session already started');
    this.started = true;
    signal.throwIfAborted();
    const fail = async (err: unknown): Promise<never> => {
      await this.close();
      if (err instanceof Error && (err.name === 'AbortError' || err instanceof BuildkitError)) throw err;
      if (signal.aborted) throw abortError(signal);
      const why = err instanceof GrpcError ? err.details : err instanceof Error ? err.message : String(err);
      throw new BuildkitError(`cannot open a session with the daemon: ${why}`, { cause: err });
    };
    let opened: Awaited<ReturnType<BuildkitClient['openSessionConnection']>>;
    let h2: http2.ServerHttp2Session;
    try {
      opened = await client.openSessionConnection(this.headers(), this.closeController.signal, signal);
      this.connection = opened.connection;
      h2 = this.serve(opened.connection);
    } catch (err) {
      return fail(err);
    }
    trace('session-open', `${this.transfer?.label ?? this.name} via=${opened.transport}`);
    let timer: NodeJS.Timeout | undefined;
    let onAbort: () => void = () => undefined;
    const accepted = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new BuildkitError(`the daemon did not accept the session within ${ACCEPT_TIMEOUT_MS / 1000} s`)), ACCEPT_TIMEOUT_MS);
      onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      h2.once('remoteSettings', () => resolve());
      h2.once('close', () => {
        void opened.ended.then(
          () => reject(new Error('the daemon ended the session')),
          (err: unknown) => reject(err),
        );
      });
      opened.ended.catch((err: unknown) => reject(err));
    })
      .catch(fail)
      .finally(() => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      });
    accepted.catch(() => undefined);
    return { accepted };
  }

  /**
   * Serve the session's methods on `connection`, a byte stream on which the daemon speaks HTTP/2 as
   * the client. start() uses it with the connection the client opened; tests hand it any duplex.
   */
  serve(connection: Duplex): http2.ServerHttp2Session {
    if (!this.server) {
      this.server = new GrpcServer();
      this.addHandlers(this.server);
    }
    return this.server.serve(connection);
  }

  private addHandlers(server: GrpcServer): void {
    const packet = codec<PbPacket>('fsutil.types.Packet');
    const health = {
      req: codec<{ service: string }>('grpc.health.v1.HealthCheckRequest'),
      res: codec<{ status: number }>('grpc.health.v1.HealthCheckResponse'),
    };
    const creds = {
      req: codec<{ Host: string }>('moby.filesync.v1.CredentialsRequest'),
      res: codec<{ Username: string; Secret: string }>('moby.filesync.v1.CredentialsResponse'),
    };
    const secret = {
      req: codec<{ ID: string }>('moby.buildkit.secrets.v1.GetSecretRequest'),
      res: codec<{ data: Uint8Array }>('moby.buildkit.secrets.v1.GetSecretResponse'),
    };
    // SERVING
    server.add(METHODS.health, unaryMethod(health.req.deserialize, health.res.serialize, () => ({ status: 1 })));
    server.add(
      METHODS.fileSync,
      streamMethod(packet.deserialize, encodePacket, (call) => void this.serveFileSync(call)),
    );
    server.add(
      METHODS.fileSend,
      streamMethod(raw, raw, (call) => void this.serveFileSend(call)),
    );
    server.add(
      METHODS.credentials,
      unaryMethod(creds.req.deserialize, creds.res.serialize, async (req) => {
        const provider = this.opts.auth;
        if (!provider) return { Username: '', Secret: '' };
        let c: Awaited<ReturnType<AuthProvider>>;
        try {
          c = await provider(req.Host);
        } catch (err) {
          throw new GrpcError(Status.INTERNAL, `credentials for ${req.Host}: ${err instanceof Error ? err.message : String(err)}`);
        }
        return c ? { Username: c.username, Secret: c.secret } : { Username: '', Secret: '' };
      }),
    );
    // The token-authority methods answer UNIMPLEMENTED, which BuildKit treats as "no authority" and
    // falls back to Credentials.
    const unimplemented = unaryMethod(raw, raw, () => {
      throw new GrpcError(Status.UNIMPLEMENTED, 'not implemented by tsbake');
    });
    server.add(METHODS.fetchToken, unimplemented);
    server.add(METHODS.getTokenAuthority, unimplemented);
    server.add(METHODS.verifyTokenAuthority, unimplemented);
    for (const [path, m] of contentMethods((id) => this.lookupStore(id), this.stats.content)) server.add(path, m);
    if (this.opts.ssh) for (const [path, m] of sshMethods(this.opts.ssh)) server.add(path, m);
    server.add(
      METHODS.secret,
      unaryMethod(secret.req.deserialize, secret.res.serialize, async (req) => {
        const provider = this.opts.secrets;
        const id = req.ID;
        let data: Uint8Array | undefined;
        try {
          data = await provider?.(id);
        } catch (err) {
          // Never echo a secret's value; the id is enough.
          throw new GrpcError(Status.INTERNAL, `secret ${id}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (data === undefined) throw new GrpcError(Status.NOT_FOUND, `secret ${id} not found`);
        return { data };
      }),
    );
  }

  private async serveFileSync(call: ServerCall<PbPacket, PbPacket>): Promise<void> {
    const md = call.metadata;
    const dirName = firstValue(md, 'dir-name') ?? '';
    const dir = this.lookupDir(dirName);
    this.stats.fileSyncCalls++;
    if (dir === undefined) {
      call.sendStatus(Status.NOT_FOUND, `no local directory registered as "${dirName}"`);
      return;
    }
    // `override-excludes` (v0.8–v0.11) tells a client with its own excludes to use the daemon's instead;
    // tsbake has none of its own, so the daemon's exclude-patterns are always the ones applied.
    const filter: WalkFilter = {
      includePatterns: values(md, 'include-patterns'),
      excludePatterns: values(md, 'exclude-patterns'),
      followPaths: values(md, 'followpaths'),
    };
    // Counted per call, then added to the shared counters: concurrent solves share `stats`.
    const mine: TransferStats = { stats: 0, entriesVisited: 0, requests: 0, bytesSent: 0 };
    // One pair of lines per FileSync call (a solve makes one per local dir it reads: dockerfile, context, …).
    const traceName = `${this.transfer?.label ?? this.name} dir=${dirName}`;
    trace('context-start', traceName);
    try {
      await sendDir(dir, filter, call, mine, this.closeController.signal, traceName);
    } catch (err) {
      if (!call.destroyed && !call.writableEnded) {
        call.sendStatus(Status.UNKNOWN, err instanceof Error ? err.message : String(err));
      }
    } finally {
      this.stats.stats += mine.stats;
      this.stats.entriesVisited += mine.entriesVisited;
      this.stats.requests += mine.requests;
      this.stats.bytesSent += mine.bytesSent;
      this.stats.requestsByDirName[dirName] = (this.stats.requestsByDirName[dirName] ?? 0) + mine.requests;
      if (this.transfer) this.transfer.bytesSent += mine.bytesSent;
      trace('context-done', `${traceName} files=${mine.requests} entries=${mine.stats} bytes=${mine.bytesSent}`);
    }
  }

  private async serveFileSend(call: ServerCall<Buffer, Buffer>): Promise<void> {
    const idText = firstValue(call.metadata, 'buildkit-attachable-exporter-id');
    const index = idText === undefined ? undefined : Number(idText);
    const found = this.lookupExport(Number.isFinite(index) ? index : undefined);
    if (!found) {
      call.sendStatus(Status.NOT_FOUND, 'no export destination registered for this session');
      return;
    }
    const stream = call;
    const work = found.target.kind === 'dir' ? receiveDir(found.target.path, stream, this.closeController.signal) : receiveTar(found.target, stream, this.closeController.signal);
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.receiving.set(settled, found.target.kind === 'dir' || found.target.kind === 'file' ? found.target.path : found.target.kind);
    void settled.then(() => this.receiving.delete(settled));
    const list = this.pendingExports.get(found.ref) ?? [];
    list.push(work);
    this.pendingExports.set(found.ref, list);
    try {
      await work;
      call.end();
    } catch (err) {
      if (!call.destroyed && !call.writableEnded) {
        call.sendStatus(Status.UNKNOWN, err instanceof Error ? err.message : String(err));
      }
    }
  }

  async close(): Promise<void> {
    this.closeController.abort();
    const server = this.server;
    this.server = undefined;
    server?.close();
    this.connection?.destroy();
    this.connection = undefined;
    // The receivers end on closeController's abort and only clean up local files, so this is quick;
    // still, a receiver that missed the abort must not hold the run forever.
    if (this.receiving.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), RECEIVER_CLOSE_DEADLINE_MS)));
    try {
      const outcome = await Promise.race([Promise.all(this.receiving.keys()), late]);
      if (outcome === 'late') {
        const what = [...new Set(this.receiving.values())].join(', ');
        throw new BuildkitError(`the export to ${what} did not stop within ${RECEIVER_CLOSE_DEADLINE_MS / 1000} s of the session closing; its temp files may remain beside it`);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
