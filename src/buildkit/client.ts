/**
 * The one BuildKit Control API client. Transport: every connection grpc-js opens goes through a
 * private unix-socket bridge to a fresh `dial()` stream (see bridge.ts).
 */
import * as grpc from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { DialBridge, type Dial } from './bridge.js';
import { BuildkitConnectError, BuildkitConnectionLostError, BuildkitError, BuildkitSolveError, abortError } from './errors.js';
import { codec, protoType, type PbBuildkitVersion, type PbStatusResponse, type PbUsageRecord, type PbWorkerRecord } from './proto.js';
import type { SourceLocation } from './errors.js';
import { translateStatus } from './status.js';
import type {
  BuildkitVersionInfo,
  PruneOptions,
  SolveParams,
  SolveResult,
  StatusUpdate,
  UsageRecord,
  WorkerInfo,
} from './types.js';

const MAX_MESSAGE = 16 * 1024 * 1024;
const CONTROL = '/moby.buildkit.v1.Control/';

export interface ConnectOptions {
  signal?: AbortSignal;
  /** How long to wait for the daemon's first answer (default 20 s). */
  timeoutMs?: number;
  /** Endpoint text for error messages (`unix:///var/run/docker.sock`). */
  endpointName?: string;
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

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number';
}

export class BuildkitClient {
  private readonly bridge: DialBridge;
  private readonly grpcClient: grpc.Client;
  readonly endpointName: string;
  private closed = false;

  private constructor(bridge: DialBridge, grpcClient: grpc.Client, endpointName: string) {
    this.bridge = bridge;
    this.grpcClient = grpcClient;
    this.endpointName = endpointName;
  }

  static async connect(dial: (signal: AbortSignal) => Promise<Duplex>, opts: ConnectOptions = {}): Promise<BuildkitClient> {
    const endpoint = opts.endpointName ?? 'the BuildKit daemon';
    opts.signal?.throwIfAborted();
    const bridge = await DialBridge.start(dial as Dial);
    const grpcClient = new grpc.Client(`unix://${bridge.socketPath}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE,
      'grpc.max_send_message_length': MAX_MESSAGE,
      // No client keepalive pings: Go gRPC servers (BuildKit) allow one ping per 5 minutes by default and
      // answer more with GOAWAY (too_many_pings), which would kill long solves and sessions.
      'grpc.default_authority': 'buildkit',
      // Session traffic (context uploads, export tarballs) rides the Control.Session stream: a large
      // window keeps it from stalling on HTTP/2's default 64 KiB.
      'grpc-node.flow_control_window': 32 * 1024 * 1024,
    });
    const client = new BuildkitClient(bridge, grpcClient, endpoint);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? 20_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      // Fail fast: an unreachable daemon should say so now, not after the timeout.
      await client.listWorkers(signal, false);
      return client;
    } catch (err) {
      await client.close();
      if (opts.signal?.aborted) throw abortError(opts.signal);
      const why = bridge.lastDialError?.message ?? (timeout.aborted ? `no answer within ${opts.timeoutMs ?? 20_000} ms` : errorText(err));
      throw new BuildkitConnectError(endpoint, why, { cause: bridge.lastDialError ?? err });
    }
  }

  private unary<Req, Res>(
    method: string,
    req: Req,
    reqC: { serialize(v: Req): Buffer },
    resC: { deserialize(b: Buffer): Res },
    signal: AbortSignal,
    waitForReady = true,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (signal.aborted) {
        reject(abortError(signal));
        return;
      }
      const call = this.grpcClient.makeUnaryRequest<Req, Res>(
        CONTROL + method,
        (v) => reqC.serialize(v),
        (b) => resC.deserialize(b),
        req,
        new grpc.Metadata({ waitForReady }),
        {},
        (err, res) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) reject(abortError(signal));
          else if (err) reject(err);
          else resolve(res as Res);
        },
      );
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  async listWorkers(signal: AbortSignal, waitForReady = true): Promise<WorkerInfo[]> {
    const res = await this.unary('ListWorkers', { filter: [] }, c.listWorkersReq, c.listWorkersRes, signal, waitForReady);
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
      if (isServiceError(err) && err.code === grpc.status.UNIMPLEMENTED) return undefined;
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
    const call = this.grpcClient.makeServerStreamRequest<Record<string, unknown>, PbUsageRecord>(
      CONTROL + 'Prune',
      (v) => c.pruneReq.serialize(v),
      (b) => c.usage.deserialize(b),
      req,
      new grpc.Metadata({ waitForReady: true }),
      {},
    );
    const out: UsageRecord[] = [];
    const onAbort = (): void => call.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        call.on('data', (r: PbUsageRecord) => {
          const rec = toUsageRecord(r);
          out.push(rec);
          onRecord?.(rec);
        });
        call.on('error', reject);
        call.on('end', () => resolve());
      });
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      throw wrapDaemonError('Prune', err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return out;
  }

  /**
   * Open the Control.Session stream (used by Session.start). The returned duplex carries the raw
   * HTTP/2 bytes of the session connection in BytesMessage frames.
   */
  openSessionStream(metadata: grpc.Metadata): grpc.ClientDuplexStream<{ data: Buffer }, { data: Buffer }> {
    return this.grpcClient.makeBidiStreamRequest<{ data: Buffer }, { data: Buffer }>(
      CONTROL + 'Session',
      (v) => c.bytes.serialize(v),
      (b) => c.bytes.deserialize(b),
      metadata,
      {},
    );
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
    try {
      await solveSession.start(this, signal);
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
      const res = await this.solveCall(req, signal);
      if (res === undefined) throw abortError(signal);
      // Let the status stream drain (it ends when the job is done), but never hang on it.
      await Promise.race([statusDone, new Promise((r) => setTimeout(r, 3000).unref())]);
      await solveSession.waitExports(params.ref, signal);
      return { exporterResponse: { ...res.ExporterResponse } };
    } catch (err) {
      if (signal.aborted) throw abortError(signal);
      if (err instanceof Error && err.name === 'AbortError') throw err;
      // The transport failed, not the build: say where, so a dead daemon is not mistaken for a bad Dockerfile.
      if (isServiceError(err) && err.code === grpc.status.UNAVAILABLE) throw new BuildkitConnectionLostError(this.endpointName, errorText(err), { cause: err });
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
      statusAbort.abort();
      await disposeRegistration?.();
      await solveSession.close();
    }
  }

  /** Resolves undefined when `signal` aborted the call. */
  private solveCall(req: Record<string, unknown>, signal: AbortSignal): Promise<{ ExporterResponse: Record<string, string> } | undefined> {
    return new Promise((resolve, reject) => {
      const call = this.grpcClient.makeUnaryRequest<Record<string, unknown>, { ExporterResponse: Record<string, string> }>(
        CONTROL + 'Solve',
        (v) => c.solveReq.serialize(v),
        (b) => c.solveRes.deserialize(b),
        req,
        new grpc.Metadata({ waitForReady: true }),
        {},
        (err, res) => {
          signal.removeEventListener('abort', onAbort);
          if (signal.aborted) resolve(undefined);
          else if (err) reject(err);
          else resolve(res);
        },
      );
      // Cancelling the call makes BuildKit cancel the job (its context is the request's).
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Follow Status for `ref` until the stream ends or `signal` aborts; errors end it quietly. */
  private followStatus(ref: string, signal: AbortSignal, onUpdate: (u: StatusUpdate) => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const call = this.grpcClient.makeServerStreamRequest<{ Ref: string }, PbStatusResponse>(
        CONTROL + 'Status',
        (v) => c.statusReq.serialize(v),
        (b) => c.statusRes.deserialize(b),
        { Ref: ref },
        new grpc.Metadata({ waitForReady: true }),
        {},
      );
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      call.on('data', (r: PbStatusResponse) => {
        try {
          onUpdate(translateStatus(r));
        } catch {
          // A consumer's exception must not break the build.
        }
      });
      call.on('error', done);
      call.on('end', done);
    });
  }

  /** The private bridge socket (diagnostics; gone after close()). */
  get bridgeSocketPath(): string {
    return this.bridge.socketPath;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.grpcClient.close();
    await this.bridge.close();
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

/** grpc-js prefixes messages with `<code> <NAME>: `; the daemon's text is in `details`. */
function cleanGrpcMessage(err: grpc.ServiceError): string {
  return err.details || err.message;
}

const rpcStatusType = protoType('google.rpc.Status');
const errSourceType = protoType('moby.buildkit.v1.ErrSource');

/**
 * BuildKit attaches typed error details (grpc-status-details-bin: google.rpc.Status whose details are
 * Any values); the `…errdefs.Source` one names the Dockerfile and line ranges.
 */
function sourceLocationFromStatus(err: grpc.ServiceError): SourceLocation | undefined {
  try {
    const raw = err.metadata?.get('grpc-status-details-bin') ?? [];
    for (const v of raw) {
      const st = rpcStatusType.toObject(rpcStatusType.decode(Buffer.isBuffer(v) ? v : Buffer.from(v, 'base64')), { defaults: true, arrays: true }) as {
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
