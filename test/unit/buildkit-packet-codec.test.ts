/**
 * The hand-written Packet encoder against protobufjs: the same packet decodes to the same value (protobufjs
 * also writes fields present at their default value, which proto3 makes optional, so the bytes differ).
 */
import { describe, expect, it } from 'vitest';
import { DATA_HEADER_MAX, encodePacket, FrameBatch, frameDataInPlace, splitFrames } from '../../src/buildkit/packet-codec.js';
import { codec, type PbPacket } from '../../src/buildkit/proto.js';

const pb = codec<PbPacket>('fsutil.types.Packet');

const cases: [string, PbPacket][] = [
  ['empty STAT (end of walk)', { type: 0, ID: 0 }],
  ['file STAT', { type: 0, ID: 0, stat: { path: 'd12/f34.txt', mode: 0o644, uid: 0, gid: 0, size: '5000', modTime: '1795996214695123456', linkname: '' } }],
  ['dir STAT, Go dir bit', { type: 0, ID: 0, stat: { path: 'a', mode: (0x80000000 | 0o755) >>> 0, size: 0, modTime: '1700000000000000001', linkname: '' } }],
  ['symlink, non-ASCII names, uid/gid', { type: 0, ID: 0, stat: { path: 'é/😀 link', mode: (1 << 27) | 0o777, uid: 1000, gid: 1000, size: 0, modTime: 5, linkname: '../ziel/é' } }],
  ['device numbers', { type: 0, ID: 0, stat: { path: 'dev', mode: (1 << 26) | 0o600, size: 0, modTime: '1', linkname: '', devmajor: 8, devminor: 1 } }],
  ['DATA', { type: 2, ID: 4242, data: Buffer.from('hello, world') }],
  ['large DATA, big ID', { type: 2, ID: 4_000_000_000, data: Buffer.alloc(40_000, 7) }],
  ['empty DATA (end of file)', { type: 2, ID: 7 }],
  ['FIN', { type: 3, ID: 0 }],
  ['ERR', { type: 4, ID: 0, data: Buffer.from('boom') }],
];

describe('encodePacket', () => {
  it.each(cases)('%s', (_name, p) => {
    const ours = encodePacket(p);
    expect(pb.deserialize(ours)).toEqual(pb.deserialize(pb.serialize(p)));
    const back = pb.deserialize(ours);
    expect(back.type).toBe(p.type);
    expect(back.ID).toBe(p.ID);
    if (p.stat) expect(back.stat?.path).toBe(p.stat.path);
  });
});

describe('FrameBatch (gRPC-framed packets written into one buffer)', () => {
  const decodeAll = (frames: Buffer): PbPacket[] => splitFrames(frames).map((m) => pb.deserialize(m));

  it('STAT, DATA, end of walk, FIN and ERR frames decode as protobufjs packets', () => {
    const b = new FrameBatch(64);
    b.stat('d12/f34.txt', 0o644, 5000, 1795996214695123456n, '');
    b.stat('é/😀 link', (1 << 27) | 0o777, 0, 5n, '../ziel/é');
    b.stat('a', (0x80000000 | 0o755) >>> 0, 0, 0n, '');
    b.stat('big', 0o600, 2 ** 40 + 3, -1_000_000_001n, '');
    b.endOfWalk();
    b.data(4242, Buffer.from('hello, world'));
    b.data(7);
    b.data(4_000_000_000, Buffer.alloc(40_000, 7));
    b.fin();
    b.err('boom');
    const got = decodeAll(b.take()!);
    const want: PbPacket[] = [
      { type: 0, ID: 0, stat: { path: 'd12/f34.txt', mode: 0o644, size: '5000', modTime: '1795996214695123456' } },
      { type: 0, ID: 0, stat: { path: 'é/😀 link', mode: (1 << 27) | 0o777, size: 0, modTime: 5, linkname: '../ziel/é' } },
      { type: 0, ID: 0, stat: { path: 'a', mode: (0x80000000 | 0o755) >>> 0 } },
      { type: 0, ID: 0, stat: { path: 'big', mode: 0o600, size: String(2 ** 40 + 3), modTime: '-1000000001' } },
      { type: 0, ID: 0 },
      { type: 2, ID: 4242, data: Buffer.from('hello, world') },
      { type: 2, ID: 7 },
      { type: 2, ID: 4_000_000_000, data: Buffer.alloc(40_000, 7) },
      { type: 3, ID: 0 },
      { type: 4, ID: 0, data: Buffer.from('boom') },
    ];
    expect(got).toEqual(want.map((p) => pb.deserialize(pb.serialize(p))));
    expect(b.take()).toBeUndefined();
  });

  it('dataFrom reads in place; a short read is re-framed; take() leaves earlier batches intact', () => {
    const b = new FrameBatch(32);
    b.data(1, Buffer.from('first'));
    const first = b.take()!;
    const n = b.dataFrom(2, 300, (buf, off) => buf.write('x'.repeat(300), off, 'latin1'));
    expect(n).toBe(300);
    const short = b.dataFrom(3, 200, (buf, off) => buf.write('only this', off, 'latin1'));
    expect(short).toBe(9);
    expect(() => b.dataFrom(4, 10, () => { throw new Error('read failed'); })).toThrow('read failed');
    b.fin();
    const rest = decodeAll(b.take()!);
    expect(decodeAll(first)).toEqual([pb.deserialize(pb.serialize({ type: 2, ID: 1, data: Buffer.from('first') }))]);
    expect(rest.map((p) => [p.type, p.ID, Buffer.from(p.data ?? []).toString('latin1')])).toEqual([
      [2, 2, 'x'.repeat(300)],
      [2, 3, 'only this'],
      [3, 0, ''],
    ]);
  });

  it('frameDataInPlace frames bytes read after DATA_HEADER_MAX of room without copying them', () => {
    const buf = Buffer.alloc(DATA_HEADER_MAX + 100_000, 1);
    const frame = frameDataInPlace(buf, DATA_HEADER_MAX, 99, 100_000);
    expect(frame.buffer).toBe(buf.buffer);
    const [p] = decodeAll(frame);
    expect(p).toMatchObject({ type: 2, ID: 99 });
    expect(Buffer.from(p!.data!).equals(Buffer.alloc(100_000, 1))).toBe(true);
  });
});
