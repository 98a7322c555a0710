/**
 * The session's gRPC server: Node's own `http2` server session over the connection the daemon calls
 * back on (a socket from Docker's `/session` upgrade, or the Control.Session byte stream), with
 * tsbake's own method table. No grpc-js: one HTTP/2 stack, and metadata read from the raw header list
 * (repeated keys stay apart).
 *
 * The call surface handlers get (`ServerCall`, a Duplex in object mode), which filesync.ts and
 * filesend.ts rely on:
 * - `write(msg)` → false when the buffer is full, then 'drain'; `end()` finishes the call with OK;
 * - 'data' (one decoded request message each), 'end' (the daemon half-closed);
 * - 'cancelled' then 'close' when the daemon reset the stream or the connection went away;
 * - `destroyed`, `writableEnded`, `cancelled`, `metadata` (a Map of lower-case key → values);
 * - `sendStatus(code, details)`: end the call with a status (an error, usually); `destroy()` resets it.
 */
import http2 from 'node:http2';
import { Duplex } from 'node:stream';
import { encodeGrpcMessage, frameAll, GrpcError, MAX_MESSAGE, MessageReader, metadataFromRaw, onDrainOrClose, Status, type Metadata } from './grpc-wire.js';

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
 * Exports (tarballs for --load, local dirs) and FileSync REQs flow from the daemon to this server:
 * HTTP/2's default 64 KiB windows would make every few chunks wait for a round trip.
 */
const CONNECTION_WINDOW = 32 * 1024 * 1024;
const STREAM_WINDOW = 16 * 1024 * 1024;

const { NGHTTP2_CANCEL } = http2.constants;

export interface MethodHandler {
  deserialize(b: Buffer): unknown;
  serialize(v: never): Uint8Array;
  handle(call: ServerCall<never, never>): void;
}

/** One call the daemon made; see the surface at the top of this file. */
export class ServerCall<Req = unknown, Res = unknown> extends Duplex {
  readonly metadata: Metadata;
  readonly path: string;
  /** The daemon reset the call (or the connection went) before it was finished. */
  cancelled = false;
  private readonly h2: http2.ServerHttp2Stream;
  private readonly serialize: (v: Res) => Uint8Array;
  private headersSent = false;
  private finished = false;
  private trailers: http2.OutgoingHttpHeaders = {};

  constructor(h2: http2.ServerHttp2Stream, path: string, metadata: Metadata, deserialize: (b: Buffer) => Req, serialize: (v: Res) => Uint8Array) {
    super({ objectMode: true, readableHighWaterMark: 64, writableHighWaterMark: 64 });
    this.h2 = h2;
    this.path = path;
    this.metadata = metadata;
    this.serialize = serialize;
    const reader = new MessageReader(MAX_MESSAGE);
    h2.on('data', (chunk: Buffer) => {
      if (this.destroyed) return;
      try {
        reader.push(chunk, (m) => {
          if (!this.push(deserialize(m))) h2.pause();
        });
      } catch (err) {
        this.sendStatus(err instanceof GrpcError ? err.code : Status.INTERNAL, err instanceof Error ? err.message : String(err));
        this.destroy();
      }
    });
    h2.on('end', () => {
      if (!this.destroyed) this.push(null);
    });
    h2.on('wantTrailers', () => {
      try {
        h2.sendTrailers(this.trailers);
      } catch {
        // the stream was reset meanwhile
      }
    });
    h2.on('error', () => undefined);
    h2.on('close', () => {
      if (!this.finished) {
        this.cancelled = true;
        this.emit('cancelled', 'cancelled');
      }
      this.destroy();
    });
  }

  /** Headers go out with the first message, or with the status for a call that sends none. */
  private respond(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.h2.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
  }

  /** End the call with `code` (OK or an error) unless it has ended already. */
  sendStatus(code: number, details = ''): void {
    if (this.finished) return;
    this.finished = true;
    if (this.h2.destroyed || this.h2.closed) return;
    const status = { 'grpc-status': String(code), ...(details ? { 'grpc-message': encodeGrpcMessage(details) } : {}) };
    try {
      if (!this.headersSent) {
        // Trailers-only: one HEADERS frame with END_STREAM.
        this.headersSent = true;
        this.h2.respond({ ':status': 200, 'content-type': 'application/grpc', ...status }, { endStream: true });
      } else {
        this.trailers = status;
        this.h2.end();
      }
    } catch {
      // reset meanwhile
    }
  }

  override _read(): void {
    if (!this.h2.destroyed) this.h2.resume();
  }

  /**
   * Whole gRPC frames already encoded (filesync.ts's batches of length-prefixed Packets), as one write
   * on the HTTP/2 stream. Not to be mixed with `write()` on the same call (that queue is not awaited).
   * false: wait for this call's 'drain' (re-emitted from the HTTP/2 stream's). `written` runs once the
   * stream's write of `frames` completed (nghttp2 sends from the buffer itself until then; over a JS
   * stream, Node has copied it out), not when the write failed.
   */
  writeFrames(frames: Buffer, written?: () => void): boolean {
    const h2 = this.h2;
    if (this.finished || h2.destroyed || h2.closed) return false;
    this.respond();
    if (written ? h2.write(frames, (err) => err || written()) : h2.write(frames)) return true;
    if (!this.drainRelayed) {
      this.drainRelayed = true;
      h2.once('drain', () => {
        this.drainRelayed = false;
        this.emit('drain');
      });
    }
    return false;
  }

  private drainRelayed = false;

  override _write(chunk: Res, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.send([this.serialize(chunk)], cb);
  }

  /** Messages queued while the stream was busy go out as one HTTP/2 write (STAT packets are ~100 bytes each). */
  override _writev(chunks: { chunk: Res }[], cb: (err?: Error | null) => void): void {
    const msgs: Uint8Array[] = new Array<Uint8Array>(chunks.length);
    for (let i = 0; i < chunks.length; i++) msgs[i] = this.serialize(chunks[i]!.chunk);
    this.send(msgs, cb);
  }

  private send(msgs: Uint8Array[], cb: (err?: Error | null) => void): void {
    const h2 = this.h2;
    if (this.finished || h2.destroyed || h2.closed) return cb();
    this.respond();
    if (h2.write(frameAll(msgs))) return cb();
    // The stream may close instead of draining: the call is then over (its 'close' destroys this).
    onDrainOrClose(h2, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendStatus(Status.OK);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.finished && !this.h2.destroyed && !this.h2.closed) {
      this.finished = true;
      this.h2.close(NGHTTP2_CANCEL);
    }
    cb(err);
  }
}

/** A unary method: one request, `fn`'s answer (or its GrpcError's status). */
export function unaryMethod<Req, Res>(
  decode: (b: Buffer) => Req,
  encode: (v: Res) => Uint8Array,
  fn: (request: Req, call: ServerCall<Req, Res>) => Promise<Res> | Res,
): MethodHandler {
  return {
    deserialize: decode,
    serialize: encode as (v: never) => Uint8Array,
    handle(c) {
      const call = c as unknown as ServerCall<Req, Res>;
      let got = false;
      call.once('data', (req: Req) => {
        got = true;
        Promise.resolve()
          .then(() => fn(req, call))
          .then(
            (res) => call.end(res),
            (err: unknown) => call.sendStatus(...statusOf(err)),
          );
      });
      call.once('end', () => {
        if (!got) call.sendStatus(Status.INTERNAL, 'no request message');
      });
    },
  };
}

/**
 * One request, a stream of answers: `fn` writes them on the call; the call ends with OK when `fn`
 * resolves, or with its error's status.
 */
export function serverStreamMethod<Req, Res>(
  decode: (b: Buffer) => Req,
  encode: (v: Res) => Uint8Array,
  fn: (request: Req, call: ServerCall<Req, Res>) => Promise<void>,
): MethodHandler {
  return {
    deserialize: decode,
    serialize: encode as (v: never) => Uint8Array,
    handle(c) {
      const call = c as unknown as ServerCall<Req, Res>;
      call.once('data', (req: Req) => {
        Promise.resolve()
          .then(() => fn(req, call))
          .then(
            () => {
              if (!call.destroyed && !call.writableEnded) call.end();
            },
            (err: unknown) => call.sendStatus(...statusOf(err)),
          );
      });
    },
  };
}

/** A streaming method: `fn` gets the call and drives it. */
export function streamMethod<Req, Res>(decode: (b: Buffer) => Req, encode: (v: Res) => Uint8Array, fn: (call: ServerCall<Req, Res>) => void): MethodHandler {
  return { deserialize: decode, serialize: encode as (v: never) => Uint8Array, handle: (c) => fn(c as unknown as ServerCall<Req, Res>) };
}

/** [code, details] for an error thrown by a handler: a GrpcError's own, UNKNOWN otherwise. */
export function statusOf(err: unknown): [number, string] {
  if (err instanceof GrpcError) return [err.code, err.details];
  return [Status.UNKNOWN, err instanceof Error ? err.message : String(err)];
}

export class GrpcServer {
  private readonly methods = new Map<string, MethodHandler>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private fallback: http2.Http2Server | undefined;

  add(path: string, handler: MethodHandler): void {
    this.methods.set(path, handler);
  }

  get paths(): string[] {
    return [...this.methods.keys()];
  }

  /**
   * Serve on `connection`, where the daemon speaks HTTP/2 as the client. A socket with a native handle
   * (Docker's `/session`) is read by nghttp2 directly; any other duplex goes through Node's JS stream
   * wrapper.
   */
  serve(connection: Duplex): http2.ServerHttp2Session {
    const options: http2.ServerOptions = {
      maxHeaderListPairs: MAX_HEADER_PAIRS,
      maxSessionMemory: 256,
      settings: { maxHeaderListSize: MAX_HEADER_LIST_BYTES, initialWindowSize: STREAM_WINDOW, enablePush: false },
    };
    let session: http2.ServerHttp2Session;
    if (typeof http2.performServerHandshake === 'function') {
      session = http2.performServerHandshake(connection, options);
    } else {
      // Node < 20.12: a server object only to turn the connection into a session.
      let got: http2.ServerHttp2Session | undefined;
      this.fallback ??= http2.createServer(options);
      const onSession = (s: http2.ServerHttp2Session): void => {
        got = s;
      };
      this.fallback.once('session', onSession);
      this.fallback.emit('connection', connection);
      this.fallback.off('session', onSession);
      if (!got) throw new Error('the HTTP/2 server did not take the session connection');
      session = got;
    }
    this.sessions.add(session);
    session.on('error', () => undefined);
    session.on('close', () => this.sessions.delete(session));
    try {
      session.setLocalWindowSize(CONNECTION_WINDOW);
    } catch {
      // closing already
    }
    session.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      this.dispatch(stream, headers, rawHeaders);
    });
    return session;
  }

  private dispatch(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, rawHeaders: string[]): void {
    stream.on('error', () => undefined);
    const path = String(headers[':path'] ?? '');
    const m = this.methods.get(path);
    if (!m) {
      try {
        stream.respond(
          { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(Status.UNIMPLEMENTED), 'grpc-message': encodeGrpcMessage(`tsbake does not serve ${path}`) },
          { endStream: true },
        );
      } catch {
        // reset meanwhile
      }
      return;
    }
    const call = new ServerCall(stream, path, metadataFromRaw(rawHeaders), m.deserialize, m.serialize);
    m.handle(call as ServerCall<never, never>);
  }

  /** Reset every call and close every connection. */
  close(): void {
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
  }
}
