/**
 * The FileSend receivers: the daemon exports a build result to tsbake.
 * - `local` exporter: the daemon is the fsutil sender (STATs, then DATA for each REQ); tsbake writes a
 *   temp dir beside `dest` and, once it is complete, renames it to `dest` or merges it into an existing
 *   `dest` (overwriting the exported files, keeping all others).
 * - `tar`, `oci`, `docker` exporters: raw tar bytes in BytesMessage chunks, until the daemon closes its side.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { PassThrough, type Duplex, type Writable } from 'node:stream';
import { codec, GoMode, PacketType, type PbPacket } from './proto.js';
import type { ExportTarget } from './types.js';
import { followLinks, moveDirIntoPlace, openFileDestination, type FileDestination } from './destination.js';
import { writeMsg } from './filesync.js';

const packetCodec = codec<PbPacket>('fsutil.types.Packet');
const bytesCodec = codec<{ data: Buffer }>('moby.buildkit.v1.BytesMessage');

function tmpName(dest: string, tag: string): string {
  return path.join(path.dirname(dest), `.${path.basename(dest)}.${tag}-${randomBytes(4).toString('hex')}`);
}

function safeJoin(root: string, rel: string): string {
  const norm = path.posix.normalize(rel);
  if (norm.startsWith('../') || norm === '..' || path.posix.isAbsolute(norm)) throw new Error(`unsafe path from the daemon: ${rel}`);
  return path.join(root, ...norm.split('/'));
}

/**
 * Receive a `local` export over a raw (Buffer) duplex into `dest`. When `dest` already exists the
 * export is merged into it (see moveDirIntoPlace): files the export does not contain are never deleted, so
 * `dest=.` or `dest=<a project folder>` keeps the project's own files.
 */
export async function receiveDir(dest: string, stream: Duplex, signal: AbortSignal): Promise<void> {
  // A dest that is a symlink to a directory exports into that directory (the temp dir goes beside it).
  const absDest = (await followLinks(dest)).path;
  await fs.mkdir(path.dirname(absDest), { recursive: true });
  const tmp = tmpName(absDest, 'tmp');
  await fs.mkdir(tmp, { mode: 0o755 });
  const entries: { abs: string; mode: number; mtimeNs: bigint; isLink: boolean }[] = [];
  const files = new Map<number, { abs: string; fh?: fs.FileHandle; writes: Promise<void> }>();
  let outstanding = 0;
  let walkDone = false;
  let success = false;
  let onAbort: () => void = () => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let id = 0;
      let chain: Promise<void> = Promise.resolve();
      let failed = false;
      let finRequested = false;
      let finishedWithFin: () => void = () => undefined;
      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const maybeFinish = (): void => {
        if (walkDone && outstanding === 0 && !finRequested) {
          finRequested = true;
          chain = chain.then(() => writeMsg(stream, packetCodec.serialize({ type: PacketType.FIN, ID: 0 })));
          chain.catch(fail);
        }
      };
      // The abort stays effective until the receive is over (removed in `finally`): a stream that has
      // ended may still leave a write waiting in the chain, and close() must end that too.
      onAbort = (): void => fail(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      signal.addEventListener('abort', onAbort, { once: true });
      // Complete once every file's data is in and our FIN is queued. BuildKit's exporter returns after
      // answering FIN without closing its side, and the stream is then cancelled (grpc-js 'cancelled',
      // possibly before the FIN answer is delivered), so 'end'/'cancelled'/'close' all settle, and
      // success only depends on what was received.
      const settle = (): void => {
        void chain.then(() => (finRequested ? resolve() : fail(new Error('the daemon ended the export early'))), fail);
      };
      stream.on('error', fail);
      stream.on('end', settle);
      stream.on('cancelled', settle);
      stream.on('close', settle);
      finishedWithFin = settle;
      stream.on('data', (buf: Buffer) => {
        const p = packetCodec.deserialize(buf);
        // Handle packets strictly in order: file creation, writes and closes depend on it.
        chain = chain.then(async () => {
          switch (p.type) {
            case PacketType.STAT: {
              if (!p.stat) {
                walkDone = true;
                maybeFinish();
                return;
              }
              const myId = id++;
              const st = p.stat;
              const abs = safeJoin(tmp, st.path);
              const mtimeNs = BigInt(st.modTime);
              const perm = st.mode & 0o7777;
              if (st.mode & GoMode.dir) {
                await fs.mkdir(abs, { recursive: true, mode: 0o755 });
                entries.push({ abs, mode: perm, mtimeNs, isLink: false });
              } else if (st.mode & GoMode.symlink) {
                await fs.symlink(st.linkname, abs);
                entries.push({ abs, mode: perm, mtimeNs, isLink: true });
              } else if ((st.mode & (GoMode.device | GoMode.namedPipe | GoMode.socket | GoMode.charDevice)) === 0) {
                if (st.linkname) {
                  // A hardlink to an earlier path.
                  await fs.link(safeJoin(tmp, st.linkname), abs);
                } else {
                  files.set(myId, { abs, writes: Promise.resolve() });
                  entries.push({ abs, mode: perm, mtimeNs, isLink: false });
                  outstanding++;
                  await writeMsg(stream, packetCodec.serialize({ type: PacketType.REQ, ID: myId }));
                }
              }
              return;
            }
            case PacketType.DATA: {
              const f = files.get(p.ID);
              if (!f) throw new Error(`the daemon sent data for unknown file id ${p.ID}`);
              f.fh ??= await fs.open(f.abs, 'w', 0o644);
              const data = p.data ?? Buffer.alloc(0);
              if (data.length > 0) {
                await f.fh.write(data);
              } else {
                await f.fh.close();
                files.delete(p.ID);
                outstanding--;
                maybeFinish();
              }
              return;
            }
            case PacketType.FIN:
              if (finRequested) finishedWithFin();
              return;
            case PacketType.ERR:
              throw new Error(`the daemon aborted the export: ${Buffer.from(p.data ?? []).toString('utf8')}`);
            default:
              return;
          }
        });
        chain.catch(fail);
      });
      // The awaits above (the dest, the temp dir) leave a window in which the session can close: its
      // abort and the call's cancel/close are then over before these listeners exist, and would
      // never fire (fail-fast cancelling a solve whose export had just begun hung the run).
      if (signal.aborted) onAbort();
      else if (stream.destroyed) fail(new Error('the daemon closed the export before it began'));
    });
    // Modes and times after all writes; directories last-to-first so their mtimes stick.
    for (const e of [...entries].reverse()) {
      if (e.isLink) continue;
      await fs.chmod(e.abs, e.mode);
      const t = Number(e.mtimeNs / 1000n) / 1e6;
      await fs.utimes(e.abs, t, t);
    }
    await moveDirIntoPlace(tmp, absDest);
    success = true;
  } finally {
    signal.removeEventListener('abort', onAbort);
    for (const f of files.values()) await f.fh?.close().catch(() => undefined);
    if (!success) await fs.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Receive a tarball (BytesMessage chunks) for a file, stdout or stream target. Each chunk is written to
 * the sink as it arrives; while the sink is full the call is paused, so the daemon's sends wait on
 * HTTP/2 flow control and nothing piles up here. A file target is written as buildkit/destination.ts
 * decides (temp file renamed over a regular file; devices and FIFOs written through). A stream target's
 * consumer gets the bytes as a Readable that ends when the daemon has sent everything; this resolves
 * then, without waiting for the consumer (its own promise says when it is done; a consumer that fails
 * before the end fails the export). On failure or cancellation the sink is destroyed (a stream target's
 * with the error) and, for a temp file, closed and removed before this returns, so nothing is left beside
 * the destination and the old file is intact.
 */
export async function receiveTar(target: Exclude<ExportTarget, { kind: 'dir' }>, stream: Duplex, signal: AbortSignal): Promise<void> {
  let sink: Writable;
  let dest: FileDestination | undefined;
  let consumer: Promise<void> | undefined;
  if (target.kind === 'file') {
    dest = await openFileDestination(target.path);
    sink = createWriteStream(dest.writePath, { mode: 0o644 });
  } else if (target.kind === 'stdout') {
    // Written directly (with back-pressure), never ended: stdout belongs to the process.
    sink = process.stdout;
  } else {
    const pt = new PassThrough();
    // The consumer has its own listeners; this one keeps a destroy-with-error from being unhandled.
    pt.on('error', () => undefined);
    sink = pt;
    consumer = target.onTarStream(pt);
  }
  const ownSink = target.kind !== 'stdout';
  // A temp file is removed only once its descriptor is closed (an open still in flight would recreate it).
  const sinkClosed = ownSink && dest?.direct !== true ? new Promise<void>((resolve) => sink.once('close', () => resolve())) : undefined;
  let ok = false;
  let failure: Error | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      let ended = false;
      let waitingForDrain = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        failure = err instanceof Error ? err : new Error(String(err));
        reject(failure);
      };
      const succeed = (): void => {
        if (settled) return;
        settled = true;
        resolve();
      };
      // Write errors (a full disk, a FIFO whose reader left) fail the export. The listener stays for the
      // life of the sink: writes still queued when it is destroyed report ERR_STREAM_DESTROYED here.
      if (ownSink) sink.on('error', fail);
      // A consumer that gives up (e.g. the image load failed) must fail the export, not stall it.
      consumer?.catch(fail);
      const onAbort = (): void => fail(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const onDrain = (): void => {
        waitingForDrain = false;
        if (!settled) stream.resume();
      };
      stream.on('data', (buf: Buffer) => {
        if (settled) return;
        const { data } = bytesCodec.deserialize(buf);
        if (data.length === 0) return;
        if (!sink.write(data) && !waitingForDrain) {
          waitingForDrain = true;
          stream.pause();
          sink.once('drain', onDrain);
        }
      });
      stream.on('error', fail);
      stream.on('cancelled', () => fail(new Error('the daemon cancelled the export')));
      // A connection that drops closes the call without 'end'.
      stream.on('close', () => {
        if (!ended) fail(new Error('the daemon closed the export before it was complete'));
      });
      // Destroyed while the destination was being opened: its 'close' is over (see receiveDir).
      if (stream.destroyed && !ended) fail(new Error('the daemon closed the export before it was complete'));
      stream.on('end', () => {
        ended = true;
        if (settled) return;
        signal.removeEventListener('abort', onAbort);
        if (target.kind === 'file') {
          sink.once('finish', succeed);
          sink.end();
        } else {
          if (ownSink) sink.end();
          succeed();
        }
      });
    });
    await dest?.commit();
    ok = true;
  } finally {
    if (!ok) {
      if (ownSink) sink.destroy(target.kind === 'stream' ? (failure ?? new Error('the export failed')) : undefined);
      await sinkClosed;
      await dest?.discard();
    }
  }
}
