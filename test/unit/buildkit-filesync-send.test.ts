/**
 * The FileSync sender against an in-process stand-in for fsutil's receiver (the daemon's side): it
 * decodes the frames the sender writes, asks for every regular file once the walk has ended (as
 * fsutil's receiver may, in any order), checks the bytes, then sends FIN. The transport stand-in
 * applies back-pressure (writeFrames returns false every few writes, 'drain' follows later), so the
 * paths that wait for it run too. Real engines are exercised by test/integration/filesync-edge.test.ts.
 */
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDir, type MessageCall, type PacketCall, type TransferStats } from '../../src/buildkit/filesync.js';
import { splitFrames } from '../../src/buildkit/packet-codec.js';
import { codec, PacketType, type PbPacket } from '../../src/buildkit/proto.js';

const pb = codec<PbPacket>('fsutil.types.Packet');

class ReceiverStandIn extends EventEmitter implements PacketCall {
  destroyed = false;
  writableEnded = false;
  readonly stats: { path: string; mode: number; size: number }[] = [];
  readonly files = new Map<number, Buffer[]>();
  readonly done = new Map<number, Buffer>();
  readonly types: number[] = [];
  writes = 0;
  private walkEnded = false;

  constructor(
    private readonly pressureEvery: number,
    private readonly order: 'forward' | 'reverse',
    /** Runs when the walk has ended, before the first REQ (a file changing meanwhile). */
    private readonly beforeRequests?: () => void,
  ) {
    super();
  }

  writeFrames(frames: Buffer): boolean {
    this.writes++;
    for (const m of splitFrames(frames)) this.receive(pb.deserialize(m));
    if (this.pressureEvery > 0 && this.writes % this.pressureEvery === 0) {
      setImmediate(() => this.emit('drain'));
      return false;
    }
    return true;
  }

  /** One message per write, as a Duplex of messages takes them (the MessageCall shape). */
  write(message: Uint8Array): boolean {
    this.writes++;
    this.receive(pb.deserialize(Buffer.from(message)));
    return true;
  }

  end(): void {
    this.writableEnded = true;
  }

  private receive(p: PbPacket): void {
    this.types.push(p.type);
    if (p.type === PacketType.STAT) {
      if (!p.stat) {
        this.walkEnded = true;
        const ids = this.stats.flatMap((s, id) => ((s.mode & 0xff000000) === 0 && (s.mode & 0x80000000) === 0 ? [id] : []));
        if (this.order === 'reverse') ids.reverse();
        this.beforeRequests?.();
        // REQs arrive later, in small bursts, as from a real connection.
        let i = 0;
        const burst = (): void => {
          for (let k = 0; k < 7 && i < ids.length; k++) {
            this.files.set(ids[i]!, []);
            this.emit('data', { type: PacketType.REQ, ID: ids[i++]! });
          }
          if (i < ids.length) setImmediate(burst);
        };
        setImmediate(burst);
        return;
      }
      expect(this.walkEnded).toBe(false);
      this.stats.push({ path: p.stat.path ?? '', mode: Number(p.stat.mode ?? 0), size: Number(p.stat.size ?? 0) });
    } else if (p.type === PacketType.DATA) {
      const parts = this.files.get(p.ID);
      if (parts === undefined) throw new Error(`DATA for ${p.ID}, never requested`);
      if (p.data && p.data.length > 0) parts.push(Buffer.from(p.data));
      else {
        this.done.set(p.ID, Buffer.concat(parts));
        this.files.delete(p.ID);
        if (this.files.size === 0 && this.done.size === this.stats.filter((s) => (s.mode >>> 24) === 0).length) {
          setImmediate(() => this.emit('data', { type: PacketType.FIN, ID: 0 }));
        }
      }
    }
  }
}

let root: string;
const content = new Map<string, Buffer>();

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsbake-send-'));
  const put = (rel: string, data: Buffer): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), data);
    content.set(rel, data);
  };
  put('empty', Buffer.alloc(0));
  put('small.txt', Buffer.from('small'));
  // Exactly at, and just past, the one-read limit; and a big one streamed in several chunks.
  put('d/at-limit.bin', Buffer.alloc(1024 * 1024, 3));
  put('d/past-limit.bin', Buffer.alloc(1024 * 1024 + 1, 4));
  put('d/big.bin', Buffer.from(Array.from({ length: 3 * 1024 * 1024 + 17 }, (_, i) => i % 251)));
  for (let i = 0; i < 3000; i++) put(`many/f${String(i).padStart(4, '0')}.txt`, Buffer.from(`file ${i}\n`.repeat(i % 50)));
  fs.symlinkSync('small.txt', path.join(root, 'link'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('sendDir against a receiver stand-in', () => {
  it.each([
    ['no back-pressure, REQs in walk order', 0, 'forward'],
    ['back-pressure every 2nd write, REQs in reverse order', 2, 'reverse'],
  ] as const)('%s: every file arrives whole, each STAT once, FIN last', async (_name, pressureEvery, order) => {
    const call = new ReceiverStandIn(pressureEvery, order);
    const stats: TransferStats = { stats: 0, entriesVisited: 0, requests: 0, bytesSent: 0 };
    await sendDir(root, { excludePatterns: [], includePatterns: [], followPaths: [] }, call, stats, new AbortController().signal);
    expect(call.writableEnded).toBe(true);
    expect(call.types[call.types.length - 1]).toBe(PacketType.FIN);
    const byPath = new Map(call.stats.map((s, id) => [s.path, id]));
    expect(call.stats.length).toBe(3000 + 8); // files, link, d, many
    for (const [rel, data] of content) {
      const id = byPath.get(rel);
      expect(id, rel).toBeDefined();
      expect(call.done.get(id!)?.equals(data), rel).toBe(true);
    }
    expect(call.done.has(byPath.get('link')!)).toBe(false);
    const total = [...content.values()].reduce((n, b) => n + b.length, 0);
    expect(stats).toMatchObject({ stats: 3008, requests: 3005, bytesSent: total });
    // Batched: far fewer transport writes than packets.
    expect(call.writes).toBeLessThan(call.types.length / 20);
  });

  it('a transport that reports its writes gets its buffers reused only after each write completed', async () => {
    // The stand-in reads each write's bytes only when it reports the write done: a buffer reused too
    // early would have been overwritten by then.
    const standIn = new ReceiverStandIn(3, 'forward');
    const take = standIn.writeFrames.bind(standIn);
    const call = Object.assign(standIn, {
      writeFrames(frames: Buffer, written?: () => void): boolean {
        const copy = Buffer.from(frames);
        setImmediate(() => {
          expect(frames.equals(copy)).toBe(true);
          written?.();
        });
        return take(frames);
      },
    });
    const stats: TransferStats = { stats: 0, entriesVisited: 0, requests: 0, bytesSent: 0 };
    await sendDir(root, { excludePatterns: [], includePatterns: [], followPaths: [] }, call, stats, new AbortController().signal);
    const byPath = new Map(standIn.stats.map((s, id) => [s.path, id]));
    for (const [rel, data] of content) expect(standIn.done.get(byPath.get(rel)!)?.equals(data), rel).toBe(true);
  });

  it('a transport that takes one message per write (MessageCall) gets the same packets', async () => {
    const standIn = new ReceiverStandIn(0, 'reverse');
    const messageCall: MessageCall = {
      write: (m) => standIn.write(m),
      end: () => standIn.end(),
      get destroyed() {
        return standIn.destroyed;
      },
      get writableEnded() {
        return standIn.writableEnded;
      },
      on: (e, l) => standIn.on(e, l),
      off: (e, l) => standIn.off(e, l),
    };
    const stats: TransferStats = { stats: 0, entriesVisited: 0, requests: 0, bytesSent: 0 };
    await sendDir(root, { excludePatterns: [], includePatterns: [], followPaths: [] }, messageCall, stats, new AbortController().signal);
    const byPath = new Map(standIn.stats.map((s, id) => [s.path, id]));
    for (const [rel, data] of content) expect(standIn.done.get(byPath.get(rel)!)?.equals(data), rel).toBe(true);
    expect(standIn.writes).toBe(standIn.types.length);
    expect(standIn.types[standIn.types.length - 1]).toBe(PacketType.FIN);
  });

  it('a REQ for an id that is not a file fails the transfer with ERR', async () => {
    const call = new ReceiverStandIn(0, 'forward');
    call.writeFrames = function (frames: Buffer): boolean {
      for (const m of splitFrames(frames)) {
        const p = pb.deserialize(m);
        this.types.push(p.type);
        // id 0 is the directory `d`.
        if (p.type === PacketType.STAT && !p.stat) setImmediate(() => this.emit('data', { type: PacketType.REQ, ID: 0 }));
      }
      return true;
    };
    const stats: TransferStats = { stats: 0, entriesVisited: 0, requests: 0, bytesSent: 0 };
    await expect(sendDir(root, { excludePatterns: [], includePatterns: [], followPaths: [] }, call, stats, new AbortController().signal)).rejects.toThrow('unknown file id 0');
    expect(call.types[call.types.length - 1]).toBe(PacketType.ERR);
    expect(call.writableEnded).toBe(true);
  });

  it('a file that grew or shrank between its STAT and its REQ is sent as it is when read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsbake-change-'));
    try {
      fs.writeFileSync(path.join(dir, 'grow.txt'), 'hello');
      fs.writeFileSync(path.join(dir, 'shrink.txt'), 'hello');
      const call = new ReceiverStandIn(0, 'forward', () => {
        fs.appendFileSync(path.join(dir, 'grow.txt'), ' and more');
        fs.truncateSync(path.join(dir, 'shrink.txt'), 2);
      });
      const stats: TransferStats = { stats: 0, entriesVisited: 0, requests: 0, bytesSent: 0 };
      await sendDir(dir, { excludePatterns: [], includePatterns: [], followPaths: [] }, call, stats, new AbortController().signal);
      expect(call.done.get(0)?.toString()).toBe('hello and more');
      expect(call.done.get(1)?.toString()).toBe('he');
      expect(stats.bytesSent).toBe(16);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing directory is reported by name', async () => {
    const call = new ReceiverStandIn(0, 'forward');
    await expect(sendDir(path.join(root, 'nope'), { excludePatterns: [], includePatterns: [], followPaths: [] }, call, { stats: 0, entriesVisited: 0, requests: 0, bytesSent: 0 }, new AbortController().signal)).rejects.toThrow(
      `local directory ${path.join(root, 'nope')} does not exist`,
    );
    expect(call.types).toEqual([PacketType.ERR]);
  });
});
