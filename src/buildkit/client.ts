/**
 * The one BuildKit Control API client: gRPC on Node's http2 over the byte stream the driver dials
 * (grpc-client.ts), no bridge. Sessions open on the driver's own session endpoint when it has one
 * (Docker's `POST /session`), else on Control.Session.
 */
import type { Duplex } from 'node:stream';
import { BuildkitConnectError, BuildkitConnectionLostError, BuildkitError, BuildkitSolveError, abortError } from './errors.js';
import { GrpcChannel, type Dial } from './grpc-client.js';
import { GrpcError, Status } from './grpc-wire.js';
import { codec, protoType, type PbBuildkitVersion, type PbStatusResponse, type PbUsageRecord, type PbWorkerRecord } from './proto.js';
import type { SourceLocation } from './errors.js';
import type { Session, SessionHeaders } from './session.js';
import { bytesStream } from './session-transport.js';
import type { SshAgentProvider } from './sshforward.js';
import type { ContentStoreDir } from './content-store.js';
import { translateStatus } from './status.js';
import type {
  BuildkitVersionInfo,
  CacheSpec,
  ExporterSpec,
  PruneOptions,
  SecretProvider,
  SolveResult,
  SolveTransfer,
  StatusUpdate,
  UsageRecord,
  WorkerInfo,
} from './types.js';

const CONTROL = '/moby.buildkit.v1.Control/';

/** Opens a connection on which the daemon speaks HTTP/2 as the client, announced by `headers` (Docker's `POST /session`). */
export type SessionDial = (headers: SessionHeaders, signal: AbortSignal) => Promise<Duplex>;

export interface ConnectOptions {
  signal?: AbortSignal;
  /** How long to wait for the daemon's first answer (default 20 s). */
  timeoutMs?: number;
  /** Endpoint text for error messages (`unix:///var/run/docker.sock`). */
  endpointName?: string;
  /** The driver's own session endpoint; without one, sessions ride Control.Session. */
  dialSession?: SessionDial;
}

export interface SolveParams {
  /** Client-chosen build id (also used for Status); unique per solve. */
  ref: string;
  /** Default `dockerfile.v0`; ignored when `definition` is given. */
  frontend?: string;
  /** Marshalled LLB ops for a solve without a frontend. */
  definition?: Uint8Array[];
  frontendAttrs: Record<string, string>;
  /** Marshalled LLB definitions (each op a Uint8Array) for `input:KEY` contexts. */
  frontendInputs?: Record<string, Uint8Array[]>;
  exporters: ExporterSpec[];
  cacheImports: CacheSpec[];
  cacheExports: CacheSpec[];
  entitlements: string[];
  session: Session;
  /** This solve's own secrets (replacing the session's): what its target declares, nothing more. */
  secrets?: SecretProvider;
  /** This solve's own SSH agents by id (replacing the session's). */
  ssh?: SshAgentProvider;
  /** Local names this solve asks for → absolute directories (see localName()). */
  localDirs: Record<string, string>;
  /**
   * Content stores served to the daemon for this solve, by store id: `local:<dest|src>` (local caches),
   * `export` (oci/docker exporters with tar=false), `oci:<name>` (oci-layout:// contexts).
   */
  contentStores?: Record<string, ContentStoreDir>;
  /** Filled in with the file bytes sent for this solve's local dirs as they go (also when it fails). */
  transfer?: SolveTransfer;
}


const c = {
  listWorkersReq: codec<{ filter: string[] }>('moby.buildkit.v1.ListWorkersRequest'),
  listWorkersRes: codec<{ record: PbWorkerRecord[] }>('moby.buildkit.v1.ListWorkersResponse'),
  infoReq: codec<Record<string, never>>('moby.buildkit.v1.InfoRequest'),
  infoRes: codec<{ buildkitVersion?: PbBuildkitVersion | null }>('moby.buildkit.v1.InfoResponse'),
  duReq: codec<{ filter: string[] }>('moby.buildkit.v1.DiskUsageRequest'),
  duRes: codec<{ record: PbUsageRecord[] }>('moby.buildkit.v1.DiskUsageResponse'),
  pruneReq: codec<Record<string, unknown>>('moby.buildkit.v1.PruneRequest'),
  usage: codec<PbUsageRecord>('moby.buildkit.v1.UsageRecord'),
  solveReq: codec<Record<string, unknown>>('moby.buildkit.v1.SolveRequest'),
  solveRes: codec<{ ExporterResponse: Record<string, string> }>('moby.buildkit.v1.SolveResponse'),
  statusReq: codec<{ Ref: string }>('moby.buildkit.v1.StatusRequest'),
  statusRes: codec<PbStatusResponse>('moby.buildkit.v1.StatusResponse'),
  bytes: codec<{ data: Buffer }>('moby.buildkit.v1.BytesMessage'),
};

function tsToMs(ts: { seconds: number; nanos: number } | null | undefined): number | undefined {
  if (!ts) return undefined;
  return ts.seconds * 1000 + Math.floor(ts.nanos / 1e6);
}

function isServiceError(err: unknown): err is GrpcError {
  return err instanceof GrpcError;
}

export class BuildkitClient {
  private readonly channel: GrpcChannel;
  private readonly dialSession: SessionDial | undefined;
  readonly endpointName: string;
  private closed = false;

  private constructor(channel: GrpcChannel, endpointName: string, dialSession: SessionDial | undefined) {
    this.channel = channel;
    this.endpointName = endpointName;
    this.dialSession = dialSession;
  }

  /**
   * A client that dials on its first call: for a caller whose first calls say whether the daemon is
   * there (ListWorkers), written with the connection's preface instead of after the daemon's SETTINGS.
   */
  static open(dial: (signal: AbortSignal) => Promise<Duplex>, opts: Pick<ConnectOptions, 'endpointName' | 'dialSession'> = {}): BuildkitClient {
    return new BuildkitClient(new GrpcChannel(dial as Dial), opts.endpointName ?? 'the BuildKit daemon', opts.dialSession);
  }

  static async connect(dial: (signal: AbortSignal) => Promise<Duplex>, opts: ConnectOptions = {}): Promise<BuildkitClient> {
    const endpoint = opts.endpointName ?? 'the BuildKit daemon';
    opts.signal?.throwIfAborted();
    const client = BuildkitClient.open(dial, opts);
    const channel = client.channel;
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 20_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      // Fail fast: an unreachable daemon should say so now, not at the first solve. The daemon's HTTP/2
      // SETTINGS say it is there; every caller's first call (ListWorkers) follows at once, so a gRPC
      // call here would only add a round trip.
      await channel.ready(signal);
      return client;
    } catch (err) {
      await client.close();
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const why = channel.lastDialError?.message ?? (timeout.aborted ? `no answer within ${opts.timeoutMs ?? 20_000} ms` : errorText(err));
      throw new BuildkitConnectError(endpoint, why, { cause: channel.lastDialError ?? err });
    }
  }

  private async unary<Req, Res>(method: string, req: Req, reqC: { serialize(v: Req): Buffer }, resC: { deserialize(b: Buffer): Res }, signal: AbortSignal): Promise<Res> {
    try {
      return resC.deserialize(await this.channel.unary(CONTROL + method, reqC.serialize(req), signal));
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      throw err;
    }
  }

  /** The daemon's workers. A daemon that cannot be reached (or dropped the connection) is a BuildkitConnectError. */
  async listWorkers(signal: AbortSignal): Promise<WorkerInfo[]> {
    let res: { record: PbWorkerRecord[] };
    try {
      res = await this.unary('ListWorkers', { filter: [] }, c.listWorkersReq, c.listWorkersRes, signal);
    } catch (err) {
      if (isServiceError(err) && err.code === Status.UNAVAILABLE) {
        throw new BuildkitConnectError(this.endpointName, this.channel.lastDialError?.message ?? errorText(err), { cause: this.channel.lastDialError ?? err });
      }
      throw wrapDaemonError('ListWorkers', err);
    }
    return res.record.map((w) => ({
      id: w.ID,
      labels: { ...w.Labels },
      platforms: w.platforms.map((p) => [p.OS, p.Architecture, p.Variant].filter(Boolean).join('/')),
    }));
  }

  /** The daemon's version; undefined for BuildKit older than v0.11 (no Info method). */
  async info(signal: AbortSignal): Promise<BuildkitVersionInfo | undefined> {
    try {
      const res = await this.unary('Info', {}, c.infoReq, c.infoRes, signal);
      const v = res.buildkitVersion;
      return v ? { version: v.version, package: v.package, revision: v.revision } : undefined;
    } catch (err) {
      if (isServiceError(err) && err.code === Status.UNIMPLEMENTED) return undefined;
      throw wrapDaemonError('Info', err);
    }
  }

  async diskUsage(signal: AbortSignal, opts: { filters?: string[] } = {}): Promise<UsageRecord[]> {
    try {
      const res = await this.unary('DiskUsage', { filter: opts.filters ?? [] }, c.duReq, c.duRes, signal);
      return res.record.map(toUsageRecord);
    } catch (err) {
      throw wrapDaemonError('DiskUsage', err);
    }
  }

  /** Prune the build cache; `onRecord` sees each removed record. Resolves with all of them. */
  async prune(signal: AbortSignal, opts: PruneOptions = {}, onRecord?: (r: UsageRecord) => void): Promise<UsageRecord[]> {
    signal.throwIfAborted();
    const req: Record<string, unknown> = { filter: opts.filters ?? [], all: opts.all ?? false };
    if (opts.keepBytes !== undefined) req['keepBytes'] = opts.keepBytes;
    // keepDuration is a Go time.Duration: nanoseconds.
    if (opts.keepDurationMs !== undefined) req['keepDuration'] = String(BigInt(Math.round(opts.keepDurationMs)) * 1_000_000n);
    const out: UsageRecord[] = [];
    try {
      await this.channel.serverStream(CONTROL + 'Prune', c.pruneReq.serialize(req), signal, (m) => {
        const rec = toUsageRecord(c.usage.deserialize(m));
        out.push(rec);
        onRecord?.(rec);
      });
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      throw wrapDaemonError('Prune', err);
    }
    return out;
  }

  /**
   * A connection for a session (used by Session.start), on which the daemon speaks HTTP/2 as the
   * client: the driver's session endpoint (Docker's `POST /session`, the session then runs on a socket
   * of its own), else a Control.Session call whose BytesMessages carry the bytes. `lifetime` ends it;
   * `signal` only gives up the opening. `ended` settles when the daemon's side is gone (rejects with
   * why, where it says).
   */
  async openSessionConnection(
    headers: SessionHeaders,
    lifetime: AbortSignal,
    signal: AbortSignal,
  ): Promise<{ connection: Duplex; transport: 'session-endpoint' | 'control-session'; ended: Promise<void> }> {
    if (this.dialSession) {
      const connection = await this.dialSession(headers, AbortSignal.any([lifetime, signal]));
      const ended = new Promise<void>((resolve) => connection.once('close', () => resolve()));
      return { connection, transport: 'session-endpoint', ended };
    }
    const call = await this.channel.call(CONTROL + 'Session', lifetime, headers);
    return { connection: bytesStream(call), transport: 'control-session', ended: call.done.then(() => undefined) };
  }

  async solve(params: SolveParams, signal: AbortSignal, onStatus: (s: StatusUpdate) => void): Promise<SolveResult> {
    signal.throwIfAborted();
    // Each solve runs on a session of its own (see session.ts: the daemon's file requests cannot be
    // routed to one of several concurrent solves), keyed to its context directory.
    const attrs = params.frontendAttrs;
    const contextDir = params.localDirs[attrs['contextkey'] ?? 'context'] ?? params.localDirs['context'] ?? Object.values(params.localDirs)[0];
    const solveSession = params.session.derive(contextDir ?? params.ref, {
      ...(params.secrets ? { secrets: params.secrets } : {}),
      ...(params.ssh ? { ssh: params.ssh } : {}),
    }, params.transfer);
    // The frontend still asks for `context`/`dockerfile` when `contextkey`/`dockerfilekey` rename them.
    const localDirs = { ...params.localDirs };
    for (const [attr, name] of [['contextkey', 'context'], ['dockerfilekey', 'dockerfile']] as const) {
      const key = attrs[attr];
      const dir = key === undefined ? undefined : params.localDirs[key];
      if (dir !== undefined && localDirs[name] === undefined) localDirs[name] = dir;
    }
    let disposeRegistration: (() => Promise<void>) | undefined;
    const statusAbort = new AbortController();
    const vertexErrors = new Map<string, { vertex: string; name: string; error: string }>();
    let statusDone: Promise<void> = Promise.resolve();
    // Cancels the Solve when its session fails before the daemon accepted it.
    const callAbort = new AbortController();
    try {
      // The Solve goes out without waiting for the daemon's side of the session (see Session.open).
      const { accepted } = await solveSession.open(this, signal);
      const sessionFailed = accepted.then(() => new Promise<never>(() => undefined));
      sessionFailed.catch(() => undefined);
      disposeRegistration = solveSession.registerSolve(params.ref, {
        localDirs,
        exports: params.exporters.map((e) => e.output),
        ...(params.contentStores ? { contentStores: params.contentStores } : {}),
      });
      statusDone = this.followStatus(params.ref, statusAbort.signal, (u) => {
        for (const v of u.vertexes) {
          if (v.error) vertexErrors.set(v.digest, { vertex: v.digest, name: v.name, error: v.error });
        }
        onStatus(u);
      });
      const first = params.exporters[0];
      const req: Record<string, unknown> = {
        Ref: params.ref,
        Session: solveSession.id,
        ...(params.definition ? { Definition: { def: params.definition } } : { Frontend: params.frontend ?? 'dockerfile.v0' }),
        FrontendAttrs: params.frontendAttrs,
        Cache: {
          Exports: params.cacheExports.map((e) => ({ Type: e.type, Attrs: e.attrs })),
          Imports: params.cacheImports.map((e) => ({ Type: e.type, Attrs: e.attrs })),
        },
        Entitlements: params.entitlements,
        Exporters: params.exporters.map((e) => ({ Type: e.type, Attrs: e.attrs })),
      };
      if (first) {
        req['Exporter'] = first.type;
        req['ExporterAttrs'] = first.attrs;
      }
      if (params.frontendInputs) {
        req['FrontendInputs'] = Object.fromEntries(Object.entries(params.frontendInputs).map(([k, defs]) => [k, { def: defs }]));
      }
      const res = await Promise.race([this.solveCall(req, AbortSignal.any([signal, callAbort.signal])), sessionFailed]);
      if (res === undefined) throw abortError(signal);
      // Let the status stream drain (it ends when the job is done), but never hang on it.
      await Promise.race([statusDone, new Promise((r) => setTimeout(r, 3000).unref())]);
      await solveSession.waitExports(params.ref, signal);
      return { exporterResponse: { ...res.ExporterResponse } };
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      if (err instanceof Error && err.name === 'AbortError') throw err;
      // The transport failed, not the build: say where, so a dead daemon is not mistaken for a bad Dockerfile.
      if (isServiceError(err) && err.code === Status.UNAVAILABLE) throw new BuildkitConnectionLostError(this.endpointName, errorText(err), { cause: err });
      if (isServiceError(err)) {
        await Promise.race([statusDone, new Promise((r) => setTimeout(r, 500).unref())]);
        throw new BuildkitSolveError(cleanGrpcMessage(err), {
          grpcCode: err.code,
          location: sourceLocationFromStatus(err),
          vertexErrors: [...vertexErrors.values()],
          cause: err,
        });
      }
      throw err;
    } finally {
      callAbort.abort();
      statusAbort.abort();
      await disposeRegistration?.();
      await solveSession.close();
    }
  }

  /** Resolves undefined when `signal` aborted the call. Cancelling the call makes BuildKit cancel the job (its context is the request's). */
  private async solveCall(req: Record<string, unknown>, signal: AbortSignal): Promise<{ ExporterResponse: Record<string, string> } | undefined> {
    try {
      return c.solveRes.deserialize(await this.channel.unary(CONTROL + 'Solve', c.solveReq.serialize(req), signal));
    } catch (err) {
      if (signal.aborted) return undefined;
      throw err;
    }
  }

  /** Follow Status for `ref` until the stream ends or `signal` aborts; errors end it quietly. */
  private async followStatus(ref: string, signal: AbortSignal, onUpdate: (u: StatusUpdate) => void): Promise<void> {
    try {
      await this.channel.serverStream(CONTROL + 'Status', c.statusReq.serialize({ Ref: ref }), signal, (m) => {
        try {
          onUpdate(translateStatus(c.statusRes.deserialize(m)));
        } catch {
          // A consumer's exception must not break the build.
        }
      });
    } catch {
      // The solve's own result says what went wrong.
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.channel.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function toUsageRecord(r: PbUsageRecord): UsageRecord {
  const createdAt = tsToMs(r.CreatedAt);
  const lastUsedAt = tsToMs(r.LastUsedAt);
  return {
    id: r.ID,
    mutable: r.Mutable,
    inUse: r.InUse,
    size: r.Size,
    parents: r.Parents.length > 0 ? r.Parents : r.Parent ? [r.Parent] : [],
    ...(createdAt !== undefined && createdAt > 0 ? { createdAt } : {}),
    ...(lastUsedAt !== undefined && lastUsedAt > 0 ? { lastUsedAt } : {}),
    usageCount: r.UsageCount,
    description: r.Description,
    recordType: r.RecordType,
    shared: r.Shared,
  };
}

function errorText(err: unknown): string {
  if (isServiceError(err)) return err.details || err.message;
  return err instanceof Error ? err.message : String(err);
}

function wrapDaemonError(method: string, err: unknown): Error {
  if (err instanceof Error && err.name === 'AbortError') return err;
  if (isServiceError(err)) return new BuildkitError(`BuildKit ${method} failed: ${errorText(err)}`, { cause: err, grpcCode: err.code });
  return err instanceof Error ? err : new Error(String(err));
}

/** The daemon's own text (the error's message also names the code). */
function cleanGrpcMessage(err: GrpcError): string {
  return err.details || err.message;
}

const rpcStatusType = protoType('google.rpc.Status');
const errSourceType = protoType('moby.buildkit.v1.ErrSource');

/**
 * BuildKit attaches typed error details (grpc-status-details-bin: google.rpc.Status whose details are
 * Any values); the `…errdefs.Source` one names the Dockerfile and line ranges.
 */
function sourceLocationFromStatus(err: GrpcError): SourceLocation | undefined {
  try {
    const header = err.trailers['grpc-status-details-bin'];
    const raw = header === undefined ? [] : Array.isArray(header) ? header : [header];
    for (const v of raw) {
      const st = rpcStatusType.toObject(rpcStatusType.decode(Buffer.from(v, 'base64')), { defaults: true, arrays: true }) as {
        details: { type_url: string; value: Uint8Array }[];
      };
      for (const d of st.details) {
        type Src = {
          info?: { filename: string } | null;
          ranges?: { start?: { line?: number; character?: number } | null; end?: { line?: number; character?: number } | null }[];
        };
        let src: Src;
        // Newer daemons encode the detail as JSON (`…errdefs.Source+json`), older ones as protobuf.
        if (d.type_url.endsWith('errdefs.Source+json')) src = JSON.parse(Buffer.from(d.value).toString('utf8')) as Src;
        else if (d.type_url.endsWith('errdefs.Source')) src = errSourceType.toObject(errSourceType.decode(d.value), { defaults: true, arrays: true }) as Src;
        else continue;
        if (!src.info) continue;
        return {
          filename: src.info.filename,
          ranges: (src.ranges ?? []).map((r) => ({
            start: { line: r.start?.line ?? 0, character: r.start?.character ?? 0 },
            end: { line: r.end?.line ?? 0, character: r.end?.character ?? 0 },
          })),
        };
      }
    }
  } catch {
    // Details are a nicety; a malformed one must not hide the error itself.
  }
  return undefined;
}

export type { SourceLocation };
