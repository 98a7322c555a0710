import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
// @ts-expect-error: a plain ES module script without types
import { generate, OUT_FILE, readTexts, TEXT_FILE } from '../../scripts/gen-proto.mjs';
import type { PbPacket, PbStatusResponse } from '../../src/buildkit/proto.js';

describe('generated protobuf module (scripts/gen-proto.mjs)', () => {
  it('is up to date with proto-text.ts and the installed protobufjs (run node scripts/gen-proto.mjs)', () => {
    const expected = generate(readTexts(fs.readFileSync(TEXT_FILE, 'utf8')));
    expect(fs.readFileSync(OUT_FILE, 'utf8') === expected).toBe(true);
  });

  it('runs no new Function when loading the types, encoding and decoding', async () => {
    const original = globalThis.Function;
    let made = 0;
    const spy = new Proxy(original, {
      apply(target, self, args) {
        made++;
        return Reflect.apply(target, self, args);
      },
      construct(target, args) {
        made++;
        return Reflect.construct(target, args);
      },
    });
    globalThis.Function = spy;
    try {
      vi.resetModules();
      const { codec, protoType } = await import('../../src/buildkit/proto.js');
      const p = codec<PbPacket>('fsutil.types.Packet');
      const back = p.deserialize(p.serialize({ type: 0, ID: 3, stat: { path: 'a/b', mode: 0o644, size: 12, modTime: '1700000000000000001', linkname: '' } }));
      expect(back.ID).toBe(3);
      expect(back.stat?.path).toBe('a/b');
      expect(back.stat?.modTime).toBe(1700000000000000000);
      const s = codec<PbStatusResponse>('moby.buildkit.v1.StatusResponse');
      const st = s.deserialize(s.serialize({ vertexes: [{ digest: 'sha256:x', inputs: ['i'], name: 'n', cached: true, started: { seconds: 5, nanos: 6 } }] } as unknown as PbStatusResponse));
      expect(st.vertexes[0]?.started).toEqual({ seconds: 5, nanos: 6 });
      expect(st.logs).toEqual([]);
      const any = protoType('google.rpc.Status');
      expect(any.toObject(any.decode(any.encode(any.fromObject({ code: 2, message: 'm' })).finish()), { defaults: true, arrays: true })).toMatchObject({ code: 2, message: 'm', details: [] });
    } finally {
      globalThis.Function = original;
    }
    expect(made).toBe(0);
  });
});
