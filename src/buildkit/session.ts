/**
 * A BuildKit session: the daemon's gRPC client calls back into tsbake (file sync, exports, secrets,
 * registry credentials) over a Control.Session stream that carries raw HTTP/2 bytes.
 *
 * Routing: FileSync/FileSend calls carry no solve id, and the Dockerfile frontend asks for its build
 * context as `context` even when `contextkey` renames it (seen on BuildKit v0.8 and v0.13: `contextkey`
 * only renames the first `.dockerignore` fetch). So one session cannot tell concurrent solves' contexts
 * apart; every solve runs on a session of its own, derived from the run's Session (same providers,
 * shared counters), with a shared key derived from the context path so BuildKit's incremental transfer
 * keeps one cached copy per directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import http2 from 'node:http2';
import os from 'node:os';
import { Duplex } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import type { BuildkitClient } from './client.js';
import { addContentService, CONTENT_METHODS, LayoutContentStore, type ContentStoreDir, type ContentStoreStats } from './content-store.js';
import { abortError, BuildkitError } from './errors.js';
import { receiveDir, receiveTar } from './filesend.js';
import { sendDir, type TransferStats, type WalkFilter } from './filesync.js';
import { grpcPacketCall } from './filesync-grpc.js';
import { encodePacket } from './packet-codec.js';
import { codec, serverMethod, type PbPacket } from './proto.js';
import { addSshService, SSH_METHODS, type SshAgentProvider } from './sshforward.js';
import type { ExportTarget, SolveTransfer } from './types.js';
import { trace } from '../trace.js';

export type SecretProvider = (id: string) => Promise<Uint8Array | undefined>;
export type AuthProvider = (host: string) => Promise<{ username: string; secret: string } | undefined>;
/** Fallback lookup for local names no solve registered. */
export type SourceProvider = (dirName: string) => string | undefined;

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

const SESSION_WINDOW = 32 * 1024 * 1024;
const STREAM_WINDOW = 8 * 1024 * 1024;

/** Metadata keys whose repeated values must be read separately (Node's HTTP/2 joins them with ", "). */
const MULTI_KEYS = ['include-patterns', 'exclude-patterns', 'followpaths'];

/**
 * The daemon sends each `.dockerignore` pattern as a separate `exclude-patterns` header of its FileSync
 * call (fsutil's metadata; buildctl's Go server reads them the same way), so a large file is a large
 * header list. Node's HTTP/2 defaults (128 header pairs, a 64 KiB list) reset such a call with
 * ENHANCE_YOUR_CALM; grpc-go's server takes 16 MiB (defaultServerMaxHeaderListSize), and so does this
 * one. Every header costs at least 32 bytes in the list size, so the pair limit never binds first.
 */
const MAX_HEADER_LIST_BYTES = 16 * 1024 * 1024;
const MAX_HEADER_PAIRS = MAX_HEADER_LIST_BYTES / 32;

/**
 * grpc-js creates its http2 server from its (private) `commonServerOptions` and has no option for the
 * header limits: set them there before the injector's server is created (Node copies the options then).
 */
function allowLargeHeaderLists(server: grpc.Server): void {
  const common = (server as unknown as { commonServerOptions?: http2.ServerOptions }).commonServerOptions;
  if (!common) return;
  common.maxHeaderListPairs = MAX_HEADER_PAIRS;
  common.settings = { ...common.settings, maxHeaderListSize: MAX_HEADER_LIST_BYTES };
}

const raw: { serialize(b: Buffer): Buffer; deserialize(b: Buffer): Buffer } = { serialize: (b) => b, deserialize: (b) => b };

function firstValue(md: grpc.Metadata, key: string): string | undefined {
  const v = md.get(key)[0];
  return v === undefined ? undefined : v.toString();
}

/** Values of a metadata key, URL-unescaped when `<key>-encoded: 1` is set (BuildKit v0.12+). */
function values(md: grpc.Metadata, key: string): string[] {
  const encoded = firstValue(md, `${key}-encoded`) === '1';
  return md.get(key).map((v) => {
    const s = v.toString();
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
  private server: grpc.Server | undefined;
  private injector: ReturnType<grpc.Server['createConnectionInjector']> | undefined;
  private call: grpc.ClientDuplexStream<{ data: Buffer }, { data: Buffer }> | undefined;
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

  async start(client: BuildkitClient, signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('session already started');
    this.started = true;
    signal.throwIfAborted();

    const md = new grpc.Metadata({ waitForReady: true });
    md.set('x-docker-expose-session-uuid', this.id);
    md.set('x-docker-expose-session-name', this.name);
    md.set('x-docker-expose-session-sharedkey', this.sharedKey);
    for (const m of this.methods()) md.add('x-docker-expose-session-grpc-method', m);
    const call = client.openSessionStream(md);
    this.call = call;

    // HTTP/2 writes one small frame per call (a STAT packet is ~100 bytes): frames written in the same
    // turn of the event loop go out as one BytesMessage, so 10,000 STATs are not 10,000 messages.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let scheduled = false;
    let blocked = false;
    const waiting: (() => void)[] = [];
    const flush = (): void => {
      scheduled = false;
      if (pending.length === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (!call.write({ data }) && !blocked) {
        blocked = true;
        call.once('drain', () => {
          blocked = false;
          for (const cb of waiting.splice(0)) cb();
        });
      }
    };
    const duplex = new Duplex({
      write(chunk: Buffer, _enc, cb): void {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= 1024 * 1024) flush();
        else if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
        if (blocked) waiting.push(cb);
        else cb();
      },
      final(cb): void {
        flush();
        call.end();
        cb();
      },
      read(): void {
        call.resume();
      },
      destroy(err, cb): void {
        call.cancel();
        cb(err);
      },
    });
    let gotFirstBytes: () => void = () => undefined;
    const firstBytes = new Promise<void>((resolve) => (gotFirstBytes = resolve));
    call.on('data', (m: { data: Buffer }) => {
      gotFirstBytes();
      if (!duplex.push(m.data)) call.pause();
    });
    const ended = new Promise<never>((_, reject) => {
      call.on('error', (err: Error) => {
        duplex.destroy();
        reject(err);
      });
      call.on('end', () => {
        duplex.push(null);
        reject(new Error('the daemon ended the session'));
      });
    });
    ended.catch(() => undefined);

    this.serve(duplex);

    // The daemon opens its HTTP/2 client connection (the preface) as soon as it accepts the session.
    let timer: NodeJS.Timeout | undefined;
    let onAbort: () => void = () => undefined;
    const stopped = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BuildkitError('the daemon did not accept the session within 20 s')), 20_000);
      onAbort = () => reject(abortError(signal));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    stopped.catch(() => undefined);
    try {
      await Promise.race([firstBytes, ended, stopped]);
    } catch (err) {
      await this.close();
      if (err instanceof Error && (err.name === 'AbortError' || err instanceof BuildkitError)) throw err;
      throw new BuildkitError(`cannot open a session with the daemon: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Serve the session's methods on `connection`, a byte stream on which the daemon speaks HTTP/2 as
   * the client. start() uses it with the Control.Session stream; tests and other transports (Docker's
   * /session upgrade) can hand it any duplex.
   */
  serve(connection: Duplex): void {
    if (!this.injector) {
      const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 * 1024, 'grpc.max_send_message_length': 16 * 1024 * 1024 });
      this.server = server;
      this.addHandlers(server);
      allowLargeHeaderLists(server);
      this.injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
      this.patchRawHeaders(server);
    }
    this.injector.injectConnection(connection);
  }

  /**
   * grpc-js builds call metadata from Node's joined header object (`"a, b"` for repeated keys), which
   * is ambiguous for patterns containing ", ". Node passes the raw header list to the http2 server's
   * 'stream' listeners along with the same headers object; a listener added before grpc-js's replaces
   * the joined values of the multi-valued keys by arrays, which grpc-js turns into separate values.
   * The http2 server is reached through grpc-js's (private) `http2Servers` map.
   */
  private patchRawHeaders(server: grpc.Server): void {
    const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
    if (!servers) return;
    for (const h2 of servers.keys()) {
      if ((h2 as unknown as { tsbakePatched?: boolean }).tsbakePatched) continue;
      (h2 as unknown as { tsbakePatched?: boolean }).tsbakePatched = true;
      // Exports (tarballs for --load, local dirs) flow from the daemon to this server: HTTP/2's default
      // 64 KiB windows would make every few chunks wait for a round trip through the bridge.
      h2.prependListener('session', (session: http2.ServerHttp2Session) => {
        session.on('localSettings', () => undefined);
        try {
          session.setLocalWindowSize(SESSION_WINDOW);
          session.settings({ initialWindowSize: STREAM_WINDOW });
        } catch {
          // a session already closing
        }
      });
      h2.prependListener('stream', (_stream: unknown, headers: http2.IncomingHttpHeaders, _flags: unknown, rawHeaders?: string[]) => {
        if (!Array.isArray(rawHeaders)) return;
        const multi = new Map<string, string[]>();
        for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
          const k = (rawHeaders[i] ?? '').toLowerCase();
          if (MULTI_KEYS.includes(k)) {
            const list = multi.get(k) ?? [];
            list.push(rawHeaders[i + 1] ?? '');
            multi.set(k, list);
          }
        }
        for (const [k, list] of multi) (headers as Record<string, string | string[]>)[k] = list;
      });
    }
  }

  private addHandlers(server: grpc.Server): void {
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

    server.addService(
      { Check: serverMethod(METHODS.health, health.req, health.res, false, false) },
      {
        Check: (_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<{ status: number }>) => cb(null, { status: 1 }),
      },
    );

    server.addService(
      { DiffCopy: serverMethod(METHODS.fileSync, packet, { serialize: encodePacket }, true, true) },
      {
        DiffCopy: (call: grpc.ServerDuplexStream<PbPacket, PbPacket | Uint8Array>) => {
          void this.serveFileSync(call);
        },
      },
    );

    server.addService(
      { DiffCopy: serverMethod(METHODS.fileSend, raw, raw, true, true) },
      {
        DiffCopy: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          void this.serveFileSend(call);
        },
      },
    );

    const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<Buffer>): void =>
      cb({ code: grpc.status.UNIMPLEMENTED, details: 'not implemented by tsbake' } as grpc.ServiceError, null);
    server.addService(
      {
        Credentials: serverMethod(METHODS.credentials, creds.req, creds.res, false, false),
        FetchToken: serverMethod(METHODS.fetchToken, raw, raw, false, false),
        GetTokenAuthority: serverMethod(METHODS.getTokenAuthority, raw, raw, false, false),
        VerifyTokenAuthority: serverMethod(METHODS.verifyTokenAuthority, raw, raw, false, false),
      },
      {
        Credentials: (call: grpc.ServerUnaryCall<{ Host: string }, unknown>, cb: grpc.sendUnaryData<{ Username: string; Secret: string }>) => {
          const provider = this.opts.auth;
          if (!provider) {
            cb(null, { Username: '', Secret: '' });
            return;
          }
          provider(call.request.Host).then(
            (c) => cb(null, c ? { Username: c.username, Secret: c.secret } : { Username: '', Secret: '' }),
            (err: unknown) => cb({ code: grpc.status.INTERNAL, details: `credentials for ${call.request.Host}: ${err instanceof Error ? err.message : String(err)}` } as grpc.ServiceError, null),
          );
        },
        FetchToken: unimplemented,
        GetTokenAuthority: unimplemented,
        VerifyTokenAuthority: unimplemented,
      },
    );

    addContentService(server, (id) => this.lookupStore(id), this.stats.content);
    if (this.opts.ssh) addSshService(server, this.opts.ssh);

    server.addService(
      { GetSecret: serverMethod(METHODS.secret, secret.req, secret.res, false, false) },
      {
        GetSecret: (call: grpc.ServerUnaryCall<{ ID: string }, unknown>, cb: grpc.sendUnaryData<{ data: Uint8Array }>) => {
          const provider = this.opts.secrets;
          const id = call.request.ID;
          const notFound = (): void => cb({ code: grpc.status.NOT_FOUND, details: `secret ${id} not found` } as grpc.ServiceError, null);
          if (!provider) {
            notFound();
            return;
          }
          provider(id).then(
            (data) => (data === undefined ? notFound() : cb(null, { data })),
            // Never echo a secret's value; the id is enough.
            (err: unknown) => cb({ code: grpc.status.INTERNAL, details: `secret ${id}: ${err instanceof Error ? err.message : String(err)}` } as grpc.ServiceError, null),
          );
        },
      },
    );
  }

  private async serveFileSync(call: grpc.ServerDuplexStream<PbPacket, PbPacket | Uint8Array>): Promise<void> {
    const md = call.metadata;
    const dirName = firstValue(md, 'dir-name') ?? '';
    const dir = this.lookupDir(dirName);
    this.stats.fileSyncCalls++;
    if (dir === undefined) {
      call.emit('error', { code: grpc.status.NOT_FOUND, details: `no local directory registered as "${dirName}"` });
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
      await sendDir(dir, filter, grpcPacketCall(call), mine, this.closeController.signal);
    } catch (err) {
      if (!call.destroyed && !call.writableEnded) {
        call.emit('error', { code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) });
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

  private async serveFileSend(call: grpc.ServerDuplexStream<Buffer, Buffer>): Promise<void> {
    const idText = firstValue(call.metadata, 'buildkit-attachable-exporter-id');
    const index = idText === undefined ? undefined : Number(idText);
    const found = this.lookupExport(Number.isFinite(index) ? index : undefined);
    if (!found) {
      call.emit('error', { code: grpc.status.NOT_FOUND, details: 'no export destination registered for this session' });
      return;
    }
    const stream = call as unknown as Duplex;
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
        call.emit('error', { code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  async close(): Promise<void> {
    this.closeController.abort();
    this.call?.cancel();
    this.call = undefined;
    const server = this.server;
    this.server = undefined;
    this.injector?.destroy();
    this.injector = undefined;
    if (server) server.forceShutdown();
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
