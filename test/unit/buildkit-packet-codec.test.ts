/**
 * The hand-written Packet encoder against protobufjs: the same packet decodes to the same value (protobufjs
 * also writes fields present at their default value, which proto3 makes optional, so the bytes differ).
 */
import { describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/buildkit/packet-codec.js';
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
