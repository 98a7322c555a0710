/**
 * A gRPC client channel on Node's `http2`, speaking over the byte stream a driver dials (the Docker
 * engine's `/grpc` upgrade, a TCP/TLS/unix socket, a `buildctl dial-stdio` exec stream): no private
 * socket bridge, no second HTTP/2 stack. One HTTP/2 connection at a time; when it closes (the daemon
 * restarted, a relay dropped it), the next call dials a new one.
 *
 * No keepalive pings: BuildKit's Go gRPC server allows one ping per 5 minutes by default and answers
 * more with GOAWAY (too_many_pings), which would kill long solves and sessions. Node sends none unless
 * asked.
 */
import http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import { frameAll, GrpcError, MessageReader, Status, statusFromHttp, statusFromTrailers } from './grpc-wire.js';

export type Dial = (signal: AbortSignal) => Promise<Duplex>;

/**
 * Session traffic (context uploads, export tarballs) rides the Control.Session stream on remote and
 * docker-container builders: large windows (connection and stream) keep it from stalling on HTTP/2's
 * default 64 KiB, which would make every few chunks wait for a round trip.
 */
const CONNECTION_WINDOW = 32 * 1024 * 1024;
const STREAM_WINDOW = 16 * 1024 * 1024;

export type OutgoingMetadata = Record<string, string | string[]>;

const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_NO_ERROR } = http2.constants;

export class GrpcChannel {
  private session: http2.ClientHttp2Session | undefined;
  /** Every connection dialled and not yet closed (a replaced one may still finish its calls). */
  private readonly sockets = new Set<Duplex>();
  /** Per connection: settles when the daemon's first SETTINGS frame arrives (or the connection fails first). */
  private readonly settings = new WeakMap<http2.ClientHttp2Session, Promise<void>>();
  private connecting: Promise<http2.ClientHttp2Session> | undefined;
  private readonly abort = new AbortController();
  private closed = false;
  /** The last dial failure, so the client can explain why the daemon never answered. */
  lastDialError: Error | undefined;

  constructor(
    private readonly dial: Dial,
    private readonly authority = 'buildkit',
  ) {}

  private connection(signal: AbortSignal): Promise<http2.ClientHttp2Session> {
    const s = this.session;
    if (s && !s.closed && !s.destroyed) return Promise.resolve(s);
    if (this.closed) return Promise.reject(new GrpcError(Status.UNAVAILABLE, 'the client is closed'));
    this.connecting ??= this.dial(this.abort.signal)
      .then(
        (socket) => {
          this.lastDialError = undefined;
          if (this.closed) {
            socket.destroy();
            throw new GrpcError(Status.UNAVAILABLE, 'the client is closed');
          }
          return this.open(socket);
        },
        (err: unknown) => {
          this.lastDialError = err instanceof Error ? err : new Error(String(err));
          throw new GrpcError(Status.UNAVAILABLE, this.lastDialError.message);
        },
      )
      .finally(() => (this.connecting = undefined));
    return raceAbort(this.connecting, signal);
  }

  private open(socket: Duplex): http2.ClientHttp2Session {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const s = http2.connect(`http://${this.authority}`, {
      createConnection: () => socket as unknown as import('node:net').Socket,
      settings: { enablePush: false, initialWindowSize: STREAM_WINDOW },
      // A limit, not an allocation: big windows let the daemon have this much in flight.
      maxSessionMemory: 256,
    });
    this.session = s;
    const settings = new Promise<void>((resolve, reject) => {
      s.once('remoteSettings', () => resolve());
      s.once('error', (err: Error) => reject(new GrpcError(Status.UNAVAILABLE, err.message)));
      s.once('close', () => reject(new GrpcError(Status.UNAVAILABLE, 'the daemon closed the connection before speaking HTTP/2')));
    });
    settings.catch(() => undefined);
    this.settings.set(s, settings);
    const forget = (): void => {
      if (this.session === s) this.session = undefined;
    };
    s.on('error', forget);
    s.on('close', forget);
    // A GOAWAY lets calls in flight finish; new calls go to a new connection.
    s.on('goaway', forget);
    const grow = (): void => {
      try {
        s.setLocalWindowSize(CONNECTION_WINDOW);
      } catch {
        // the session is already going away
      }
    };
    if (s.connecting) s.once('connect', grow);
    else grow();
    return s;
  }

  /**
   * Dial (unless connected) and wait for the daemon's HTTP/2 SETTINGS: it is there and speaks HTTP/2.
   * Costs no gRPC round trip.
   */
  async ready(signal: AbortSignal): Promise<void> {
    const s = await this.connection(signal);
    await raceAbort(this.settings.get(s) ?? Promise.resolve(), signal);
  }

  /** Start a call. Messages arrive through `onMessage`; `done` settles with the call's status. */
  async call(path: string, signal: AbortSignal, metadata: OutgoingMetadata = {}): Promise<ClientCall> {
    signal.throwIfAborted();
    const s = await this.connection(signal);
    let stream: http2.ClientHttp2Stream;
    try {
      stream = s.request({
        ':method': 'POST',
        ':path': path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': 'tsbake',
        ...metadata,
      });
    } catch (err) {
      throw new GrpcError(Status.UNAVAILABLE, err instanceof Error ? err.message : String(err));
    }
    return new ClientCall(stream, s, signal);
  }

  /** One request, one response. */
  async unary(path: string, request: Uint8Array, signal: AbortSignal): Promise<Buffer> {
    const call = await this.call(path, signal);
    let response: Buffer | undefined;
    call.onMessage = (m) => (response = m);
    call.write(request);
    call.end();
    await call.done;
    if (response === undefined) throw new GrpcError(Status.INTERNAL, `${path}: the daemon sent no response message`);
    return response;
  }

  /** One request, a stream of responses (each to `onMessage`); resolves when the stream ends with OK. */
  async serverStream(path: string, request: Uint8Array, signal: AbortSignal, onMessage: (m: Buffer) => void): Promise<void> {
    const call = await this.call(path, signal);
    call.onMessage = onMessage;
    call.write(request);
    call.end();
    await call.done;
  }

  /** Close the connection; resolves once every dialled stream is closed. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.abort.abort();
      this.session?.destroy();
      this.session = undefined;
    }
    await Promise.all(
      [...this.sockets].map(
        (sock) =>
          new Promise<void>((resolve) => {
            if (sock.destroyed && sock.closed) return resolve();
            sock.once('close', () => resolve());
            sock.destroy();
          }),
      ),
    );
  }
}

/** A call in progress. `done` resolves with the trailers on OK, rejects with a GrpcError otherwise. */
export class ClientCall {
  onMessage: (m: Buffer) => void = () => undefined;
  readonly done: Promise<Record<string, string | string[] | undefined>>;
  private cancelled = false;

  constructor(
    readonly stream: http2.ClientHttp2Stream,
    session: http2.ClientHttp2Session,
    signal: AbortSignal,
  ) {
    const reader = new MessageReader();
    let status: { code: number; details: string; trailers: Record<string, string | string[] | undefined> } | undefined;
    let failure: GrpcError | undefined;
    let transportError: Error | undefined;
    const onAbort = (): void => this.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    this.done = new Promise((resolve, reject) => {
      stream.on('response', (headers) => {
        const http = Number(headers[':status']);
        const st = statusFromTrailers(headers);
        if (st) status = { ...st, trailers: headers };
        else if (http !== 200) failure = new GrpcError(statusFromHttp(http), `the daemon answered HTTP ${http}`, headers);
      });
      stream.on('data', (chunk: Buffer) => {
        if (failure) return;
        try {
          reader.push(chunk, (m) => this.onMessage(m));
        } catch (err) {
          failure = err instanceof GrpcError ? err : new GrpcError(Status.INTERNAL, err instanceof Error ? err.message : String(err));
          stream.close(NGHTTP2_CANCEL);
        }
      });
      stream.on('trailers', (trailers) => {
        const st = statusFromTrailers(trailers);
        status = st ? { ...st, trailers } : { code: Status.UNKNOWN, details: 'the daemon ended the call without a status', trailers };
      });
      stream.on('error', (err: Error) => (transportError ??= err));
      // Data still in flight when the stream closes is delivered first: settle after 'end' where there is one.
      stream.on('close', () => {
        signal.removeEventListener('abort', onAbort);
        if (failure) return reject(failure);
        if (status) {
          if (status.code === Status.OK) return resolve(status.trailers);
          return reject(new GrpcError(status.code, status.details, status.trailers));
        }
        if (this.cancelled) return reject(new GrpcError(Status.CANCELLED, 'cancelled by the client'));
        const rst = stream.rstCode;
        if (session.destroyed || session.closed || transportError || rst === undefined || rst === NGHTTP2_NO_ERROR) {
          return reject(new GrpcError(Status.UNAVAILABLE, transportError ? `Connection dropped (${transportError.message})` : 'Connection dropped'));
        }
        if (rst === NGHTTP2_REFUSED_STREAM) return reject(new GrpcError(Status.UNAVAILABLE, 'the daemon refused the stream'));
        if (rst === NGHTTP2_CANCEL) return reject(new GrpcError(Status.CANCELLED, 'the daemon cancelled the call'));
        reject(new GrpcError(Status.INTERNAL, `the daemon reset the stream (HTTP/2 error ${rst})`));
      });
    });
    this.done.catch(() => undefined);
  }

  /** Write one message; false when the stream's buffer is full (wait for 'drain' on `stream`). */
  write(message: Uint8Array): boolean {
    return this.writeMany([message]);
  }

  writeMany(messages: readonly Uint8Array[]): boolean {
    if (this.stream.destroyed || this.stream.writableEnded) return true;
    return this.stream.write(frameAll(messages));
  }

  end(): void {
    if (!this.stream.destroyed && !this.stream.writableEnded) this.stream.end();
  }

  /** Cancel the call (RST_STREAM CANCEL: BuildKit cancels the request's context, a Solve's job with it). */
  cancel(): void {
    if (this.stream.closed || this.stream.destroyed) return;
    this.cancelled = true;
    this.stream.close(NGHTTP2_CANCEL);
  }
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new GrpcError(Status.CANCELLED, 'cancelled by the client'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new GrpcError(Status.CANCELLED, 'cancelled by the client'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
