/**
 * The session's services, served on a plain local TCP connection and called by a grpc-js client
 * playing the daemon's part (the real daemon is exercised in test/integration/buildkit-solve.test.ts).
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Session } from '../../src/buildkit/index.js';
import { codec, PacketType, type PbPacket } from '../../src/buildkit/proto.js';

let session: Session;
let server: net.Server;
let client: grpc.Client;
let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-sess-'));
  await fs.writeFile(path.join(root, 'a, b.txt'), 'comma');
  await fs.writeFile(path.join(root, 'c.txt'), 'ccc');
  await fs.writeFile(path.join(root, 'd.txt'), 'not asked for');
  session = new Session({
    sharedKey: 'k',
    secrets: async (id) => (id === 'tok' ? Buffer.from('value') : undefined),
    auth: async (host) => (host === 'reg.example' ? { username: 'u', secret: 'p' } : undefined),
  });
  session.registerSolve('ref1', { localDirs: { context: root }, exports: [] });
  server = net.createServer((sock) => session.serve(sock));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await session.close();
  await new Promise((r) => server.close(r));
  await fs.rm(root, { recursive: true, force: true });
});

function unary<Res>(method: string, reqType: string, resType: string, req: object): Promise<Res> {
  const rq = codec<object>(reqType);
  const rs = codec<Res>(resType);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(method, (v: object) => rq.serialize(v), (b) => rs.deserialize(b), req, (err, res) => (err ? reject(err) : resolve(res as Res))),
  );
}

describe('session services', () => {
  test('Health/Check answers SERVING', async () => {
    const res = await unary<{ status: number }>('/grpc.health.v1.Health/Check', 'grpc.health.v1.HealthCheckRequest', 'grpc.health.v1.HealthCheckResponse', {});
    expect(res.status).toBe(1);
  });

  test('Secrets/GetSecret: value, or NOT_FOUND', async () => {
    const res = await unary<{ data: Buffer }>('/moby.buildkit.secrets.v1.Secrets/GetSecret', 'moby.buildkit.secrets.v1.GetSecretRequest', 'moby.buildkit.secrets.v1.GetSecretResponse', { ID: 'tok' });
    expect(res.data.toString()).toBe('value');
    const err = await unary('/moby.buildkit.secrets.v1.Secrets/GetSecret', 'moby.buildkit.secrets.v1.GetSecretRequest', 'moby.buildkit.secrets.v1.GetSecretResponse', { ID: 'nope' }).catch((e: unknown) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect((err as grpc.ServiceError).details).not.toContain('value');
  });

  test('Auth/Credentials: known host, anonymous otherwise; token authority UNIMPLEMENTED', async () => {
    const m = '/moby.filesync.v1.Auth/Credentials';
    const known = await unary<{ Username: string; Secret: string }>(m, 'moby.filesync.v1.CredentialsRequest', 'moby.filesync.v1.CredentialsResponse', { Host: 'reg.example' });
    expect(known).toEqual({ Username: 'u', Secret: 'p' });
    const anon = await unary<{ Username: string; Secret: string }>(m, 'moby.filesync.v1.CredentialsRequest', 'moby.filesync.v1.CredentialsResponse', { Host: 'other' });
    expect(anon).toEqual({ Username: '', Secret: '' });
    const err = await unary('/moby.filesync.v1.Auth/GetTokenAuthority', 'moby.filesync.v1.CredentialsRequest', 'moby.filesync.v1.CredentialsResponse', {}).catch((e: unknown) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.UNIMPLEMENTED);
  });

  test('FileSync/DiffCopy: repeated followpaths kept apart, STATs, REQ → DATA, FIN → FIN', async () => {
    const pk = codec<PbPacket>('fsutil.types.Packet');
    const md = new grpc.Metadata();
    md.set('dir-name', 'context');
    md.add('followpaths', 'a, b.txt');
    md.add('followpaths', 'c.txt');
    const call = client.makeBidiStreamRequest<PbPacket, PbPacket>('/moby.filesync.v1.FileSync/DiffCopy', (v) => pk.serialize(v), (b) => pk.deserialize(b), md);
    const stats: string[] = [];
    const data = new Map<number, string>();
    const ended = new Set<number>();
    let fin = false;
    await new Promise<void>((resolve, reject) => {
      call.on('data', (p: PbPacket) => {
        if (p.type === PacketType.STAT) {
          if (!p.stat) {
            // Ask for every file we were told about, then finish once the data is in.
            stats.forEach((_, i) => call.write({ type: PacketType.REQ, ID: i }));
          } else stats.push(p.stat.path);
        } else if (p.type === PacketType.DATA) {
          if (p.data && p.data.length > 0) data.set(p.ID, (data.get(p.ID) ?? '') + Buffer.from(p.data).toString());
          else {
            // Files may be answered concurrently (each file's packets contiguous): FIN once every file ended.
            ended.add(p.ID);
            if (ended.size === stats.length) call.write({ type: PacketType.FIN, ID: 0 });
          }
        } else if (p.type === PacketType.FIN) fin = true;
      });
      call.on('error', reject);
      call.on('end', resolve);
    });
    expect(stats).toEqual(['a, b.txt', 'c.txt']);
    expect([...data.entries()].sort(([a], [b]) => a - b).map(([, v]) => v)).toEqual(['comma', 'ccc']);
    expect(fin).toBe(true);
  });

  test('FileSync for an unregistered name fails with NOT_FOUND naming it', async () => {
    const pk = codec<PbPacket>('fsutil.types.Packet');
    const md = new grpc.Metadata();
    md.set('dir-name', 'nope');
    const call = client.makeBidiStreamRequest<PbPacket, PbPacket>('/moby.filesync.v1.FileSync/DiffCopy', (v) => pk.serialize(v), (b) => pk.deserialize(b), md);
    const err = await new Promise<unknown>((resolve) => {
      call.on('error', resolve);
      call.on('data', () => undefined);
    });
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    expect((err as grpc.ServiceError).details).toContain('nope');
  });
});
