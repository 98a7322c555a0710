/**
 * The fsutil DiffCopy sender (FileSync): tsbake streams a local directory to the daemon.
 * Protocol (buildkit-protocol.md, "fsutil DiffCopy"): one STAT per entry (walk.ts gives fsutil's
 * order), an empty STAT ends the walk; each REQ{id} is answered with DATA chunks and an empty DATA;
 * FIN is answered with FIN.
 *
 * As fsutil's Go sender does (tonistiigi/fsutil send.go): the STATs are streamed without waiting for
 * anything but transport back-pressure, and a REQ is answered as soon as it arrives, while the walk
 * goes on. Packets are encoded straight into gRPC frames in a shared batch (packet-codec.ts
 * FrameBatch) and handed to the transport a batch at a time; a small file is read synchronously into
 * the batch in one call (from the page cache that is a few microseconds, where a promise-based read
 * made four thread-pool round trips), a big one streams through bounded buffers.
 */
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { BufferPool } from './buffer-pool.js';
import { DATA_HEADER_MAX, FrameBatch, frameDataInPlace, splitFrames } from './packet-codec.js';
import { PacketType, type PbPacket } from './proto.js';
import { TreeWalk, goMode, type WalkFilter } from './walk.js';
import { trace } from '../trace.js';

export { goMode, walkDir, type WalkEntry, type WalkFilter } from './walk.js';

/** Files up to this size are read in one call into the batch and sent as one DATA packet. */
const WHOLE_FILE_MAX = 1024 * 1024;
/** DATA packets of a bigger file: one read each, in a buffer of its own (well under gRPC's 4 MiB). */
const STREAM_CHUNK = 1024 * 1024;
/** A batch is handed to the transport once it holds this much (and at the end of every turn). */
const FLUSH_BYTES = 256 * 1024;
/** Entries walked per turn of the event loop: between turns, REQs and FIN are read. */
const WALK_SLICE = 2000;
/** A big file's chunk buffers: at most two are in use per file (one written, one read). */
const chunkPool = new BufferPool(DATA_HEADER_MAX + STREAM_CHUNK, 2);

/**
 * What the sender needs from the transport under one FileSync DiffCopy call (a gRPC bidi stream of
 * fsutil Packets). Kept this small so the gRPC server underneath can change (the session's ServerCall,
 * grpc-server.ts, has it; a transport without it may pass a MessageCall instead):
 * - `writeFrames`: whole gRPC messages, already length-prefixed (flag byte 0, 32-bit big-endian
 *   length, the Packet), any number in one buffer, sent in order. Returns false when the caller
 *   should wait for 'drain' before writing more. `written`, if the transport can tell, is called once
 *   it no longer holds `frames` (the write completed): the sender then reuses the buffer.
 * - events: 'data' (a decoded PbPacket from the daemon), 'drain', 'error', 'close', 'cancelled'.
 * - `end()`: finish the call with an OK status once everything written is sent.
 */
export interface PacketCall extends PacketEvents {
  writeFrames(frames: Buffer, written?: () => void): boolean;
}

/** The events and ending both transport shapes share. */
export interface PacketEvents {
  end(): void;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  on(event: 'data', listener: (p: PbPacket) => void): unknown;
  on(event: 'drain' | 'close' | 'cancelled', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'data', listener: (p: PbPacket) => void): unknown;
  off(event: 'drain' | 'close' | 'cancelled', listener: () => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
}

/**
 * The other shape a transport may offer: a Duplex of messages whose `write` takes a Packet's encoded
 * bytes (its serializer passes bytes through, as packet-codec.ts `encodePacket` does). The sender
 * then writes each frame's message; the transport frames them again.
 */
export interface MessageCall extends PacketEvents {
  write(message: Uint8Array, cb?: (err?: Error | null) => void): boolean;
}

function asPacketCall(call: PacketCall | MessageCall): PacketCall {
  if (typeof (call as Partial<PacketCall>).writeFrames === 'function') return call as PacketCall;
  const c = call as MessageCall;
  type AnyListener = (...args: never[]) => void;
  const on = (c.on as (e: string, l: AnyListener) => unknown).bind(c);
  const off = (c.off as (e: string, l: AnyListener) => unknown).bind(c);
  return {
    writeFrames(frames: Buffer, written?: () => void): boolean {
      let ok = true;
      const messages = splitFrames(frames);
      // A Writable calls back in order: the last message's callback means all of them were written.
      for (let i = 0; i < messages.length; i++) {
        ok = i === messages.length - 1 && written ? c.write(messages[i]!, (err) => err || written()) : c.write(messages[i]!);
      }
      return ok;
    },
    end: () => c.end(),
    get destroyed() {
      return c.destroyed;
    },
    get writableEnded() {
      return c.writableEnded;
    },
    on: (e: string, l: AnyListener) => on(e, l),
    off: (e: string, l: AnyListener) => off(e, l),
  } as PacketCall;
}

export interface TransferStats {
  /** STAT packets sent (entries walked and sent). */
  stats: number;
  /** Directory entries looked at during the walk (including excluded ones). */
  entriesVisited: number;
  /** REQ packets received. */
  requests: number;
  bytesSent: number;
}

/**
 * One wait per stream for 'drain' (or 'close'), shared by every writer that hit back-pressure
 * (filesend.ts's receivers use it).
 */
const drainWaits = new WeakMap<Writable, Promise<void>>();

function drained(stream: Writable): Promise<void> {
  let wait = drainWaits.get(stream);
  if (!wait) {
    wait = new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        stream.off('close', onClose);
        drainWaits.delete(stream);
        resolve();
      };
      const onClose = (): void => {
        stream.off('drain', onDrain);
        drainWaits.delete(stream);
        reject(new Error('stream closed'));
      };
      stream.once('drain', onDrain);
      stream.once('close', onClose);
    });
    drainWaits.set(stream, wait);
  }
  return wait;
}

/** Write a message honouring back-pressure. */
export async function writeMsg(stream: Writable, msg: unknown): Promise<void> {
  if (stream.destroyed || stream.writableEnded) throw new Error('stream closed');
  if (!stream.write(msg)) await drained(stream);
}

/** A big file waiting to stream, or streaming: one read in flight at a time. */
interface BigFile {
  id: number;
  abs: string;
  /** Where reading starts (a small file that grew since its lstat continues past what was sent). */
  position: number;
  fd?: number;
  reading?: boolean;
}

/**
 * Reads a whole file of `size` bytes into `buf` at `offset` (sync), in the one read call a file in the
 * page cache needs. Returns the bytes read, and whether the file has grown past `size` since its lstat
 * (one 1-byte read at that offset; fsutil sends what it reads).
 */
function readWhole(abs: string, buf: Buffer, offset: number, size: number): { n: number; grew: boolean } {
  const fd = fs.openSync(abs, 'r');
  try {
    let n = 0;
    while (n < size) {
      const got = fs.readSync(fd, buf, offset + n, size - n, n);
      if (got === 0) break;
      n += got;
    }
    return { n, grew: n === size && fs.readSync(fd, probe, 0, 1, size) > 0 };
  } finally {
    fs.closeSync(fd);
  }
}

const probe = Buffer.allocUnsafe(1);

/**
 * Serve one FileSync DiffCopy call: send `root` filtered by `filter` over `call`. Resolves when the
 * receiver's FIN has been answered; rejects (after sending ERR) on a failure or the signal's abort.
 */
export function sendDir(
  root: string,
  filter: WalkFilter,
  transport: PacketCall | MessageCall,
  stats: TransferStats,
  signal: AbortSignal,
  /** Names the transfer in the `TSBAKE_TRACE` context-walked line (as context-start names it). */
  traceName = '',
): Promise<void> {
  const call = asPacketCall(transport);
  return new Promise<void>((resolve, reject) => {
    const batch = new FrameBatch(FLUSH_BYTES + WHOLE_FILE_MAX);
    /** Per STAT id: the file's path for a regular file not yet requested, else undefined. */
    const paths: (string | undefined)[] = [];
    const sizes: number[] = [];
    /** REQs waiting while the transport is congested. */
    const requests: number[] = [];
    const bigFiles: BigFile[] = [];
    let big: BigFile | undefined;
    /** Set while a big file's chunk waits for 'drain' before it is written. */
    let resumeBig: (() => void) | undefined;
    let walk: TreeWalk | undefined;
    let walking = true;
    let congested = false;
    let flushQueued = false;
    let walkQueued = false;
    let finRequested = false;
    let settled = false;

    const cleanup = (): void => {
      call.off('data', onData);
      call.off('drain', onDrain);
      call.off('error', onError);
      call.off('close', onGone);
      call.off('cancelled', onGone);
      signal.removeEventListener('abort', onAbort);
      // A read in flight closes its file when it returns.
      if (big?.fd !== undefined && !big.reading) fs.close(big.fd, () => undefined);
    };

    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      const failure = err instanceof Error ? err : new Error(String(err));
      cleanup();
      if (!call.destroyed && !call.writableEnded) {
        batch.err(failure.message);
        call.writeFrames(batch.take()!);
        call.end();
      }
      batch.close();
      reject(failure);
    };

    /** Hands the batch to the transport; false when it asks to wait. */
    const flush = (): void => {
      const frames = batch.take();
      if (frames !== undefined && !call.writeFrames(frames, () => batch.release(frames))) congested = true;
    };

    /** What one turn of the event loop produced (REQ answers) goes out in one write at its end. */
    const queueFlush = (): void => {
      if (flushQueued) return;
      flushQueued = true;
      setImmediate(() => {
        flushQueued = false;
        if (!settled) flush();
      });
    };

    const visit = (rel: string, abs: string, st: fs.BigIntStats, linkname: string): void => {
      const isFile = st.isFile();
      const size = isFile ? Number(st.size) : 0;
      paths.push(isFile ? abs : undefined);
      sizes.push(size);
      batch.stat(rel, goMode(Number(st.mode)), size, st.mtimeNs, linkname);
      stats.stats++;
      if (batch.length >= FLUSH_BYTES) flush();
    };

    /** One slice of the walk per turn, so REQs are answered while it goes on. */
    const walkOn = (): void => {
      walkQueued = false;
      if (settled || !walking) return;
      try {
        walk ??= new TreeWalk(root, filter, stats);
        let more = true;
        for (let n = 0; more && n < WALK_SLICE && !congested; n += 200) more = walk.step(200, visit);
        if (!more) {
          walking = false;
          batch.endOfWalk();
          trace('context-walked', `${traceName} entries=${stats.stats} visited=${stats.entriesVisited}`);
        }
      } catch (err) {
        fail(err);
        return;
      }
      flush();
      if (walking) {
        if (!congested) queueWalk();
      } else maybeFinish();
    };

    const queueWalk = (): void => {
      if (walkQueued) return;
      walkQueued = true;
      setImmediate(walkOn);
    };

    /** Answers one REQ: a small file at once, into the batch; a big one is queued to stream. */
    const answer = (id: number): void => {
      const abs = paths[id];
      if (abs === undefined) throw new Error(`the daemon asked for unknown file id ${id}`);
      paths[id] = undefined;
      const size = sizes[id]!;
      if (size > WHOLE_FILE_MAX) {
        bigFiles.push({ id, abs, position: 0 });
        return;
      }
      if (size === 0) {
        batch.data(id);
        return;
      }
      if (batch.length + size > FLUSH_BYTES) flush();
      let grew = false;
      const n = batch.dataFrom(id, size, (buf, offset) => {
        const r = readWhole(abs, buf, offset, size);
        grew = r.grew;
        return r.n;
      });
      stats.bytesSent += n;
      if (grew) bigFiles.push({ id, abs, position: n });
      else batch.data(id);
    };

    /** Answers queued REQs while the transport takes more, and starts the next big file. */
    const pump = (): void => {
      try {
        while (!congested && requests.length > 0) answer(requests.shift()!);
        if (big === undefined && !congested) {
          const next = bigFiles.shift();
          if (next) {
            next.fd = fs.openSync(next.abs, 'r');
            big = next;
            readChunk(next.position);
          }
        }
      } catch (err) {
        fail(err);
        return;
      }
      queueFlush();
      maybeFinish();
    };

    const readChunk = (position: number): void => {
      const file = big!;
      const buf = chunkPool.get();
      file.reading = true;
      fs.read(file.fd!, buf, DATA_HEADER_MAX, STREAM_CHUNK, position, (err, n) => {
        file.reading = false;
        if (settled || err || n === 0) {
          chunkPool.put(buf);
          fs.close(file.fd!, () => undefined);
          if (settled) return;
          if (err) {
            fail(err);
            return;
          }
          big = undefined;
          batch.data(file.id);
          pump();
          return;
        }
        stats.bytesSent += n;
        const frame = frameDataInPlace(buf, DATA_HEADER_MAX, file.id, n);
        // The next read starts as soon as this chunk is written (it overlaps the wait for 'drain'), so
        // at most two chunks are held. Frames stay whole and in order: what the batch holds goes first.
        const send = (): void => {
          flush();
          if (!call.writeFrames(frame, () => chunkPool.put(buf))) congested = true;
          readChunk(position + n);
        };
        if (congested) resumeBig = send;
        else send();
      });
    };

    const maybeFinish = (): void => {
      if (!finRequested || settled || walking || requests.length > 0 || bigFiles.length > 0 || big !== undefined) return;
      settled = true;
      cleanup();
      batch.fin();
      flush();
      batch.close();
      call.end();
      resolve();
    };

    const onData = (p: PbPacket): void => {
      if (settled) return;
      if (p.type === PacketType.REQ) {
        stats.requests++;
        if (congested || requests.length > 0) {
          requests.push(p.ID);
          return;
        }
        try {
          answer(p.ID);
        } catch (err) {
          fail(err);
          return;
        }
        if (big === undefined && bigFiles.length > 0) pump();
        else queueFlush();
      } else if (p.type === PacketType.FIN) {
        finRequested = true;
        maybeFinish();
      } else if (p.type === PacketType.ERR) {
        fail(new Error(`the daemon aborted the transfer: ${Buffer.from(p.data ?? []).toString('utf8')}`));
      }
    };

    const onDrain = (): void => {
      congested = false;
      if (settled) return;
      const resume = resumeBig;
      resumeBig = undefined;
      if (resume) resume();
      pump();
      if (walking) queueWalk();
    };
    const onError = (err: Error): void => fail(err);
    // The session's ServerCall reports the daemon's reset as 'cancelled', then 'close'.
    const onGone = (): void => fail(new Error('the daemon closed the transfer early'));
    const onAbort = (): void => fail(new Error('cancelled'));

    call.on('data', onData);
    call.on('drain', onDrain);
    call.on('error', onError);
    call.on('close', onGone);
    call.on('cancelled', onGone);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    else walkOn();
  });
}
