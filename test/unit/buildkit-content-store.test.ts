/**
 * The session's content store (containerd.services.content.v1.Content), served on a local TCP
 * connection and called by a grpc-js client that plays the daemon's part the way containerd's proxy
 * store does (Write: STAT, WRITEs, COMMIT; ReaderAt: Info then Read{offset,size}). The real daemon is
 * exercised in test/integration/content-store-*.test.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { indexEntryFor, putIndexEntry, Session } from '../../src/buildkit/index.js';
import { codec, WriteAction, type PbWriteContentRequest, type PbWriteContentResponse } from '../../src/buildkit/proto.js';

const P = 'containerd.services.content.v1.';
const M = '/containerd.services.content.v1.Content/';

let session: Session;
let server: net.Server;
let client: grpc.Client;
let root: string;
let writable: string;
let readonly: string;
let dispose: () => Promise<void>;

const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-content-'));
  writable = path.join(root, 'w');
  readonly = path.join(root, 'r');
  const blob = Buffer.from('hello blob');
  await fs.mkdir(path.join(readonly, 'blobs', 'sha256'), { recursive: true });
  await fs.writeFile(path.join(readonly, 'blobs', 'sha256', sha(blob).slice(7)), blob);
  session = new Session({ sharedKey: 'k' });
  dispose = session.registerSolve('ref1', {
    localDirs: {},
    exports: [],
    contentStores: { 'local:w': { dir: writable, writable: true }, 'oci:r': { dir: readonly, writable: false } },
  });
  server = net.createServer((sock) => session.serve(sock));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await dispose();
  await session.close();
  await new Promise((r) => server.close(r));
  await fs.rm(root, { recursive: true, force: true });
});

function meta(store: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('buildkit-attachable-store-id', store);
  return md;
}

function unary<Res>(store: string, method: string, reqType: string, resType: string, req: object): Promise<Res> {
  const rq = codec<object>(P + reqType);
  const rs = codec<Res>(P + resType);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(M + method, (v: object) => rq.serialize(v), (b) => rs.deserialize(b), req, meta(store), (err, res) =>
      err ? reject(err) : resolve(res as Res),
    ),
  );
}

function read(store: string, digest: string, offset = 0, size = 0): Promise<Buffer> {
  const rq = codec<object>(P + 'ReadContentRequest');
  const rs = codec<{ offset: number; data: Buffer }>(P + 'ReadContentResponse');
  const call = client.makeServerStreamRequest(M + 'Read', (v: object) => rq.serialize(v), (b) => rs.deserialize(b), { digest, offset, size }, meta(store));
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    call.on('data', (m: { data: Buffer }) => parts.push(m.data));
    call.on('error', reject);
    call.on('end', () => resolve(Buffer.concat(parts)));
  });
}

/** A Write stream driven message by message, each answered before the next, as containerd's proxy writer does. */
function writer(store: string): { send(req: Partial<PbWriteContentRequest>): Promise<PbWriteContentResponse>; close(): void } {
  const rq = codec<Partial<PbWriteContentRequest>>(P + 'WriteContentRequest');
  const rs = codec<PbWriteContentResponse>(P + 'WriteContentResponse');
  const call = client.makeBidiStreamRequest(M + 'Write', (v: Partial<PbWriteContentRequest>) => rq.serialize(v), (b) => rs.deserialize(b), meta(store));
  const waiting: { resolve(r: PbWriteContentResponse): void; reject(e: unknown): void }[] = [];
  call.on('data', (r: PbWriteContentResponse) => waiting.shift()?.resolve(r));
  call.on('error', (e: unknown) => {
    for (const w of waiting.splice(0)) w.reject(e);
  });
  return {
    send(req) {
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        call.write(req);
      });
    },
    close() {
      call.end();
    },
  };
}

describe('session content store', () => {
  test('Info and Read (whole, offset+size) of a blob in a read-only layout; NOT_FOUND for a missing one', async () => {
    const d = sha('hello blob');
    const info = await unary<{ info: { digest: string; size: number } }>('oci:r', 'Info', 'InfoRequest', 'InfoResponse', { digest: d });
    expect(info.info).toMatchObject({ digest: d, size: 10 });
    expect((await read('oci:r', d)).toString()).toBe('hello blob');
    expect((await read('oci:r', d, 6, 3)).toString()).toBe('blo');
    const err = await unary('oci:r', 'Info', 'InfoRequest', 'InfoResponse', { digest: sha('nope') }).catch((e: unknown) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
  });

  test('an unknown store id is NOT_FOUND; a read-only store refuses writes', async () => {
    const err = await unary('local:other', 'Info', 'InfoRequest', 'InfoResponse', { digest: sha('x') }).catch((e: unknown) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect((err as grpc.ServiceError).details).toContain('unknown store local:other');
    const w = writer('oci:r');
    const werr = await w.send({ action: WriteAction.STAT, ref: 'r1', total: 1, expected: sha('y') }).catch((e: unknown) => e);
    expect((werr as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  test('Write: STAT, two WRITEs, COMMIT with the expected digest → blob renamed into blobs/; a second write of it is ALREADY_EXISTS', async () => {
    const data = Buffer.from('0123456789abcdef');
    const d = sha(data);
    const w = writer('local:w');
    const st = await w.send({ action: WriteAction.STAT, ref: 'layer-1', total: data.length, expected: d });
    expect(st.offset).toBe(0);
    const ingests = await unary<{ statuses: { ref: string; total: number }[] }>('local:w', 'ListStatuses', 'ListStatusesRequest', 'ListStatusesResponse', { filters: [] });
    expect(ingests.statuses).toEqual([expect.objectContaining({ ref: 'layer-1', total: 16 })]);
    expect((await w.send({ action: WriteAction.WRITE, offset: 0, data: data.subarray(0, 10) })).offset).toBe(10);
    expect((await w.send({ action: WriteAction.WRITE, offset: 10, data: data.subarray(10) })).offset).toBe(16);
    // Not visible before the commit.
    await expect(fs.stat(path.join(writable, 'blobs', 'sha256', d.slice(7)))).rejects.toThrow();
    const c = await w.send({ action: WriteAction.COMMIT, offset: 16, total: 16, expected: d });
    w.close();
    expect(c).toMatchObject({ action: WriteAction.COMMIT, offset: 16, digest: d });
    expect(await fs.readFile(path.join(writable, 'blobs', 'sha256', d.slice(7)), 'utf8')).toBe('0123456789abcdef');
    expect((await read('local:w', d)).toString()).toBe('0123456789abcdef');

    const again = writer('local:w');
    const err = await again.send({ action: WriteAction.STAT, ref: 'layer-1b', total: 16, expected: d }).catch((e: unknown) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.ALREADY_EXISTS);
  });

  test('COMMIT with a wrong digest is FAILED_PRECONDITION and stores nothing; a write at a wrong offset is OUT_OF_RANGE', async () => {
    const w = writer('local:w');
    await w.send({ action: WriteAction.STAT, ref: 'bad', total: 3 });
    await w.send({ action: WriteAction.WRITE, offset: 0, data: Buffer.from('abc') });
    const err = await w.send({ action: WriteAction.COMMIT, offset: 3, total: 3, expected: sha('xyz') }).catch((e: unknown) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.FAILED_PRECONDITION);
    await expect(fs.stat(path.join(writable, 'blobs', 'sha256', sha('abc').slice(7)))).rejects.toThrow();

    const w2 = writer('local:w');
    await w2.send({ action: WriteAction.STAT, ref: 'gap', total: 3 });
    const gap = await w2.send({ action: WriteAction.WRITE, offset: 2, data: Buffer.from('c') }).catch((e: unknown) => e);
    expect((gap as grpc.ServiceError).code).toBe(grpc.status.OUT_OF_RANGE);
  });

  test('an interrupted ingest resumes at its offset (Status), and Abort removes it', async () => {
    const w = writer('local:w');
    await w.send({ action: WriteAction.STAT, ref: 'resume', total: 6 });
    await w.send({ action: WriteAction.WRITE, offset: 0, data: Buffer.from('abc') });
    w.close();
    // The server releases the ingest's lock once it has seen the end of the stream.
    let status: { status: { offset: number } } | undefined;
    for (let i = 0; i < 50; i++) {
      const w2 = writer('local:w');
      const st = await w2.send({ action: WriteAction.STAT, ref: 'resume' }).catch((e: unknown) => e);
      if ((st as grpc.ServiceError).code === grpc.status.UNAVAILABLE) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      expect((st as PbWriteContentResponse).offset).toBe(3);
      await w2.send({ action: WriteAction.WRITE, offset: 3, data: Buffer.from('def') });
      status = await unary('local:w', 'Status', 'StatusRequest', 'StatusResponse', { ref: 'resume' });
      const c = await w2.send({ action: WriteAction.COMMIT, total: 6, offset: 6, expected: sha('abcdef') });
      expect(c.digest).toBe(sha('abcdef'));
      w2.close();
      break;
    }
    expect(status?.status.offset).toBe(6);

    const w3 = writer('local:w');
    await w3.send({ action: WriteAction.STAT, ref: 'dropme', total: 2 });
    w3.close();
    await new Promise((r) => setTimeout(r, 50));
    await unary('local:w', 'Abort', 'AbortRequest', 'Empty', { ref: 'dropme' });
    const gone = await unary('local:w', 'Status', 'StatusRequest', 'StatusResponse', { ref: 'dropme' }).catch((e: unknown) => e);
    expect((gone as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
  });

  test('index.json: putIndexEntry replaces the entry with the same tag; indexEntryFor finds it', async () => {
    const dir = path.join(root, 'layout');
    await putIndexEntry(dir, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha('a'), size: 1 }, [{ tag: 'latest' }]);
    await putIndexEntry(dir, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha('b'), size: 2 }, [{ tag: 'latest' }]);
    await putIndexEntry(dir, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha('c'), size: 3 }, [{ name: 'docker.io/example/app:dev' }]);
    const index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; annotations: Record<string, string> }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([sha('b'), sha('c')]);
    expect(index.manifests[1]!.annotations).toEqual({ 'io.containerd.image.name': 'docker.io/example/app:dev', 'org.opencontainers.image.ref.name': 'dev' });
    expect(JSON.parse(await fs.readFile(path.join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect((await indexEntryFor(dir, 'latest'))?.digest).toBe(sha('b'));
    expect((await indexEntryFor(dir, 'docker.io/example/app:dev'))?.digest).toBe(sha('c'));
  });
});
