/**
 * tsbake's own gRPC layer: framing, BytesMessage, metadata from raw headers, and the client channel
 * against grpc-js's server (an independent implementation of the same protocol playing the daemon).
 */
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GrpcChannel } from '../../src/buildkit/grpc-client.js';
import { GrpcServer, unaryMethod } from '../../src/buildkit/grpc-server.js';
import {
  decodeBytesMessage,
  decodeGrpcMessage,
  encodeBytesMessage,
  encodeGrpcMessage,
  frameAll,
  frameBytesMessages,
  GrpcError,
  MessageReader,
  metadataFromRaw,
  Status,
} from '../../src/buildkit/grpc-wire.js';
import { codec } from '../../src/buildkit/proto.js';

const bytesCodec = codec<{ data: Buffer }>('moby.buildkit.v1.BytesMessage');

describe('framing', () => {
  test('MessageReader splits framed messages however the bytes are cut', () => {
    const msgs = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(70_000, 7), Buffer.from('last')];
    const wire = frameAll(msgs);
    for (const cut of [1, 3, 5, 6, 4096, wire.length]) {
      const reader = new MessageReader();
      const got: Buffer[] = [];
      for (let off = 0; off < wire.length; off += cut) reader.push(wire.subarray(off, off + cut), (m) => got.push(Buffer.from(m)));
      // Buffer.equals: a deep toEqual over 70,000 bytes takes seconds.
      expect(got.length).toBe(msgs.length);
      got.forEach((g, i) => expect(g.equals(msgs[i]!)).toBe(true));
      expect(reader.partial).toBe(false);
    }
  });

  test('MessageReader refuses an oversized or compressed message', () => {
    const big = Buffer.from([0, 0, 0, 0x10, 0]);
    expect(() => new MessageReader(1024).push(big, () => undefined)).toThrow(GrpcError);
    const compressed = Buffer.from([1, 0, 0, 0, 1, 9]);
    expect(() => new MessageReader().push(compressed, () => undefined)).toThrow(/compressed/);
  });

  test('BytesMessage encoding agrees with protobufjs, both ways', () => {
    for (const len of [0, 1, 127, 128, 16_383, 16_384, 300_000]) {
      const data = Buffer.alloc(len, len % 251);
      // protobufjs writes an empty bytes field that proto3 may omit: compare decoded for that one.
      if (len > 0) expect(encodeBytesMessage(data).equals(bytesCodec.serialize({ data }))).toBe(true);
      expect(bytesCodec.deserialize(encodeBytesMessage(data)).data.equals(data)).toBe(true);
      expect(decodeBytesMessage(bytesCodec.serialize({ data })).equals(data)).toBe(true);
    }
  });

  test('frameBytesMessages splits the bytes into framed BytesMessages of at most maxChunk', () => {
    const parts = [Buffer.alloc(10, 1), Buffer.alloc(300, 2), Buffer.alloc(5, 3)];
    const wire = frameBytesMessages(parts, 128);
    const got: Buffer[] = [];
    new MessageReader().push(wire, (m) => got.push(decodeBytesMessage(m)));
    expect(got.map((g) => g.length)).toEqual([128, 128, 59]);
    expect(Buffer.concat(got)).toEqual(Buffer.concat(parts));
  });

  test('metadata from the raw header list keeps repeated values apart and reads UTF-8', () => {
    const utf8AsLatin1 = Buffer.from('é.txt', 'utf8').toString('latin1');
    const md = metadataFromRaw([':path', '/x', 'FollowPaths', 'a, b.txt', 'followpaths', 'c.txt', 'dir-name', utf8AsLatin1]);
    expect(md.get('followpaths')).toEqual(['a, b.txt', 'c.txt']);
    expect(md.get('dir-name')).toEqual(['é.txt']);
    expect(md.has(':path')).toBe(false);
  });

  test('grpc-message percent-encoding round-trips', () => {
    for (const text of ['plain text', '100% done', 'ünïcode\nline']) expect(decodeGrpcMessage(encodeGrpcMessage(text))).toBe(text);
    expect(encodeGrpcMessage('plain text')).toBe('plain text');
  });
});

describe('GrpcChannel against a grpc-js server', () => {
  let server: grpc.Server;
  let port = 0;
  let dials = 0;
  const sockets: net.Socket[] = [];
  const echo = codec<{ data: Buffer }>('moby.buildkit.v1.BytesMessage');

  beforeAll(async () => {
    server = new grpc.Server();
    const m = (path: string, responseStream: boolean): grpc.MethodDefinition<{ data: Buffer }, { data: Buffer }> => ({
      path,
      requestStream: false,
      responseStream,
      requestSerialize: (v) => echo.serialize(v),
      requestDeserialize: (b) => echo.deserialize(b),
      responseSerialize: (v) => echo.serialize(v),
      responseDeserialize: (b) => echo.deserialize(b),
    });
    server.addService(
      { Echo: m('/t.T/Echo', false), Fail: m('/t.T/Fail', false), Many: m('/t.T/Many', true), Hang: m('/t.T/Hang', false) },
      {
        Echo: (call: grpc.ServerUnaryCall<{ data: Buffer }, unknown>, cb: grpc.sendUnaryData<{ data: Buffer }>) => cb(null, { data: call.request.data }),
        Fail: (_call: unknown, cb: grpc.sendUnaryData<{ data: Buffer }>) => {
          const md = new grpc.Metadata();
          md.set('grpc-status-details-bin', Buffer.from([1, 2, 3]));
          cb({ code: grpc.status.NOT_FOUND, details: 'no such thing: 100%', metadata: md } as grpc.ServiceError, null);
        },
        Many: (call: grpc.ServerWritableStream<{ data: Buffer }, { data: Buffer }>) => {
          for (let i = 0; i < 50; i++) call.write({ data: Buffer.alloc(100_000, i) });
          call.end();
        },
        Hang: () => undefined,
      },
    );
    port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  });
  afterAll(() => server.forceShutdown());

  const channel = (): GrpcChannel =>
    new GrpcChannel(async () => {
      dials++;
      const sock = net.connect(port, '127.0.0.1');
      sockets.push(sock);
      await new Promise((r) => sock.once('connect', r));
      return sock;
    });

  test('unary and server-streaming calls share one connection; errors carry code, text and trailers', async () => {
    const ch = channel();
    const before = dials;
    try {
      const signal = AbortSignal.timeout(10_000);
      const res = await ch.unary('/t.T/Echo', echo.serialize({ data: Buffer.from('hi') }), signal);
      expect(echo.deserialize(res).data.toString()).toBe('hi');
      const got: number[] = [];
      await ch.serverStream('/t.T/Many', echo.serialize({ data: Buffer.alloc(0) }), signal, (m) => got.push(echo.deserialize(m).data[0]!));
      expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
      const err = await ch.unary('/t.T/Fail', echo.serialize({ data: Buffer.alloc(0) }), signal).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GrpcError);
      expect((err as GrpcError).code).toBe(Status.NOT_FOUND);
      expect((err as GrpcError).details).toBe('no such thing: 100%');
      expect(Buffer.from(String((err as GrpcError).trailers['grpc-status-details-bin']), 'base64')).toEqual(Buffer.from([1, 2, 3]));
      const missing = await ch.unary('/t.T/Nope', Buffer.alloc(0), signal).catch((e: unknown) => e);
      expect((missing as GrpcError).code).toBe(Status.UNIMPLEMENTED);
      expect(dials - before).toBe(1);
    } finally {
      await ch.close();
    }
  });

  test('aborting the signal cancels a call; a dropped connection is UNAVAILABLE and the next call redials', async () => {
    const ch = channel();
    try {
      const ctl = new AbortController();
      const pending = ch.unary('/t.T/Hang', echo.serialize({ data: Buffer.alloc(0) }), ctl.signal).catch((e: unknown) => e);
      await ch.unary('/t.T/Echo', echo.serialize({ data: Buffer.from('x') }), AbortSignal.timeout(10_000));
      ctl.abort();
      expect(((await pending) as GrpcError).code).toBe(Status.CANCELLED);

      const hung = await ch.call('/t.T/Hang', AbortSignal.timeout(10_000));
      hung.write(echo.serialize({ data: Buffer.alloc(0) }));
      hung.end();
      const before = dials;
      // The connection goes away under the call (a daemon restart, a relay closing).
      sockets.at(-1)!.destroy();
      expect(((await hung.done.catch((e: unknown) => e)) as GrpcError).code).toBe(Status.UNAVAILABLE);
      const res = await ch.unary('/t.T/Echo', echo.serialize({ data: Buffer.from('again') }), AbortSignal.timeout(10_000));
      expect(echo.deserialize(res).data.toString()).toBe('again');
      expect(dials - before).toBe(1);
    } finally {
      await ch.close();
    }
  });
});

describe('GrpcServer', () => {
  test.each([
    ['http2.performServerHandshake', false],
    ['a private http2 server (Node < 20.12)', true],
  ])('serves a connection through %s', async (_how, fallback) => {
    const saved = http2.performServerHandshake;
    if (fallback) (http2 as { performServerHandshake?: unknown }).performServerHandshake = undefined;
    const server = new GrpcServer();
    const echo = codec<{ data: Buffer }>('moby.buildkit.v1.BytesMessage');
    server.add('/t.T/Echo', unaryMethod(echo.deserialize, echo.serialize, (req) => ({ data: Buffer.concat([req.data, Buffer.from('!')]) })));
    const tcp = net.createServer((sock) => server.serve(sock));
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const client = new grpc.Client(`127.0.0.1:${(tcp.address() as net.AddressInfo).port}`, grpc.credentials.createInsecure());
    try {
      const res = await new Promise<{ data: Buffer }>((resolve, reject) =>
        client.makeUnaryRequest('/t.T/Echo', (v: { data: Buffer }) => echo.serialize(v), (b) => echo.deserialize(b), { data: Buffer.from('hi') }, (err, r) =>
          err ? reject(err) : resolve(r!),
        ),
      );
      expect(res.data.toString()).toBe('hi!');
    } finally {
      (http2 as { performServerHandshake?: unknown }).performServerHandshake = saved;
      client.close();
      server.close();
      await new Promise((r) => tcp.close(r));
    }
  });
});
