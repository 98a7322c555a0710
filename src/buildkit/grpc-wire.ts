/**
 * The little of gRPC's HTTP/2 mapping tsbake needs, on Node's own `http2` (grpc/grpc PROTOCOL-HTTP2.md):
 * a message is a 5-byte prefix (compressed flag 0, big-endian uint32 length) and the bytes; a call
 * ends with trailers `grpc-status`, `grpc-message` (percent-encoded) and, for BuildKit's typed errors,
 * `grpc-status-details-bin` (base64 google.rpc.Status). Compression is never negotiated.
 */

/** gRPC status codes (the subset's names match grpc-js's `status`). */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

/** Request metadata as received: lower-case keys, every value of a repeated key kept apart. */
export type Metadata = ReadonlyMap<string, string[]>;

/** A call that ended with a non-OK status (either side). `details` is the peer's text. */
export class GrpcError extends Error {
  readonly code: number;
  readonly details: string;
  /** The trailers (or trailers-only headers) the status came in; empty when it was made up locally. */
  readonly trailers: Readonly<Record<string, string | string[] | undefined>>;
  constructor(code: number, details: string, trailers: Readonly<Record<string, string | string[] | undefined>> = {}) {
    super(`${code} ${statusName(code)}: ${details}`);
    this.name = 'GrpcError';
    this.code = code;
    this.details = details;
    this.trailers = trailers;
  }
}

export function statusName(code: number): string {
  for (const [k, v] of Object.entries(Status)) if (v === code) return k;
  return 'UNKNOWN';
}

export const MAX_MESSAGE = 16 * 1024 * 1024;

/** The length prefix of a message of `len` bytes. */
export function framePrefix(len: number): Buffer {
  const h = Buffer.allocUnsafe(5);
  h[0] = 0;
  h.writeUInt32BE(len, 1);
  return h;
}

/** `msgs` framed into one buffer (one copy, one write). */
export function frameAll(msgs: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const m of msgs) total += 5 + m.length;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const m of msgs) {
    out[off] = 0;
    out.writeUInt32BE(m.length, off + 1);
    out.set(m, off + 5);
    off += 5 + m.length;
  }
  return out;
}

/**
 * Splits a byte stream into gRPC messages. Chunks are kept as a list and joined only for the message
 * that spans them, so a 3 MiB message arriving in 16 KiB DATA frames costs one copy.
 */
export class MessageReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private need = -1;

  constructor(private readonly maxMessage = MAX_MESSAGE) {}

  /** Feed a chunk; `onMessage` gets each complete message. Throws GrpcError on an oversized or compressed one. */
  push(chunk: Buffer, onMessage: (msg: Buffer) => void): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.length < 5) return;
        const head = this.take(5);
        if (head[0] !== 0) throw new GrpcError(Status.INTERNAL, 'compressed gRPC message, but no compression was negotiated');
        this.need = head.readUInt32BE(1);
        if (this.need > this.maxMessage) throw new GrpcError(Status.RESOURCE_EXHAUSTED, `gRPC message of ${this.need} bytes exceeds the ${this.maxMessage}-byte limit`);
      }
      if (this.length < this.need) return;
      const msg = this.take(this.need);
      this.need = -1;
      onMessage(msg);
    }
  }

  /** Bytes of a message begun but not complete (a stream that ends here was cut off). */
  get partial(): boolean {
    return this.length > 0 || this.need >= 0;
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    this.length -= n;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    // Spans chunks: copy them out, then drop the consumed ones at once (shift() per chunk is quadratic).
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    let i = 0;
    while (off < n) {
      const c = this.chunks[i]!;
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) i++;
      else this.chunks[i] = c.subarray(k);
    }
    this.chunks.splice(0, i);
    return out;
  }
}

/** grpc-message is percent-encoded UTF-8 (only bytes outside 0x20–0x7E and '%' are escaped). */
export function encodeGrpcMessage(text: string): string {
  return /^[\x20-\x24\x26-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

export function decodeGrpcMessage(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The status a finished response carries, from its trailers (or trailers-only headers). */
export function statusFromTrailers(trailers: Record<string, string | string[] | undefined>): { code: number; details: string } | undefined {
  const raw = trailers['grpc-status'];
  if (raw === undefined) return undefined;
  const code = Number(Array.isArray(raw) ? raw[0] : raw);
  const msg = trailers['grpc-message'];
  return { code: Number.isInteger(code) ? code : Status.UNKNOWN, details: decodeGrpcMessage(String((Array.isArray(msg) ? msg[0] : msg) ?? '')) };
}

/** gRPC's mapping of an HTTP status that is not 200 (a proxy, a wrong endpoint) to a status code. */
export function statusFromHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/**
 * Metadata from Node's raw header list (name, value, name, value …): Node's `headers` object joins a
 * repeated key's values with ", ", which is ambiguous for `.dockerignore` patterns and COPY sources
 * containing ", "; the raw list keeps them apart. Pseudo-headers are skipped. Header bytes arrive as
 * latin1 text: a value with bytes above 0x7F is read back as UTF-8 (what a Go client sends).
 */
export function metadataFromRaw(rawHeaders: readonly string[]): Map<string, string[]> {
  const md = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const key = rawHeaders[i]!.toLowerCase();
    if (key.startsWith(':')) continue;
    let value = rawHeaders[i + 1]!;
    if (/[^\x00-\x7f]/.test(value)) value = Buffer.from(value, 'latin1').toString('utf8');
    const list = md.get(key);
    if (list) list.push(value);
    else md.set(key, [value]);
  }
  return md;
}

/** BytesMessage{1 data} (moby.buildkit.v1 and moby.sshforward.v1): encoded by hand, it is on the hot path. */
export function encodeBytesMessage(data: Uint8Array): Buffer {
  if (data.length === 0) return Buffer.alloc(0);
  const head: number[] = [0x0a];
  let n = data.length;
  while (n > 0x7f) {
    head.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  head.push(n);
  const out = Buffer.allocUnsafe(head.length + data.length);
  for (let i = 0; i < head.length; i++) out[i] = head[i]!;
  out.set(data, head.length);
  return out;
}

/** The `data` of a BytesMessage (fields other than 1 are skipped; repeated field 1 concatenates, as proto3 does for bytes: last wins). */
export function decodeBytesMessage(buf: Buffer): Buffer {
  let pos = 0;
  let data: Buffer = Buffer.alloc(0);
  const varint = (): number => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (pos >= buf.length) throw new Error('truncated BytesMessage');
      const b = buf[pos++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (pos < buf.length) {
    const tag = varint();
    const wire = tag & 7;
    if (wire === 2) {
      const len = varint();
      if (pos + len > buf.length) throw new Error('truncated BytesMessage');
      if (tag >>> 3 === 1) data = buf.subarray(pos, pos + len);
      pos += len;
    } else if (wire === 0) varint();
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`BytesMessage: unsupported wire type ${wire}`);
  }
  return data;
}

/**
 * `parts` (joined) as gRPC-framed BytesMessages of at most `maxChunk` data bytes each, in one buffer:
 * one copy of the bytes from the HTTP/2 layer above to the HTTP/2 stream below. `alloc(n)` gives the
 * buffer to write into (at least n bytes; a pooled one, say); the result is a view of it.
 */
export function frameBytesMessages(parts: readonly Buffer[], maxChunk: number, alloc: (n: number) => Buffer = Buffer.allocUnsafe): Buffer {
  let total = 0;
  for (const p of parts) total += p.length;
  if (total === 0) return Buffer.alloc(0);
  const count = Math.ceil(total / maxChunk);
  // prefix 5 + tag 1 + varint ≤ 5 per message
  const out = alloc(total + count * 11);
  let off = 0;
  let part = 0;
  let partOff = 0;
  let left = total;
  while (left > 0) {
    const n = Math.min(maxChunk, left);
    let varLen = 1;
    for (let v = n; v > 0x7f; v >>>= 7) varLen++;
    out[off] = 0;
    out.writeUInt32BE(1 + varLen + n, off + 1);
    out[off + 5] = 0x0a;
    let p = off + 6;
    let v = n;
    while (v > 0x7f) {
      out[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[p++] = v;
    let need = n;
    while (need > 0) {
      const src = parts[part]!;
      const k = Math.min(src.length - partOff, need);
      src.copy(out, p, partOff, partOff + k);
      p += k;
      need -= k;
      partOff += k;
      if (partOff === src.length) {
        part++;
        partOff = 0;
      }
    }
    off = p;
    left -= n;
  }
  return out.subarray(0, off);
}

/**
 * Calls `cb` once when `stream` drains or closes, whichever comes first: a stream that closes instead
 * of draining ends the wait too (its own 'close' handling reports why).
 */
export function onDrainOrClose(stream: { on(e: 'drain' | 'close', f: () => void): unknown; off(e: 'drain' | 'close', f: () => void): unknown }, cb: () => void): void {
  const done = (): void => {
    stream.off('drain', done);
    stream.off('close', done);
    cb();
  };
  stream.on('drain', done);
  stream.on('close', done);
}
