/**
 * The remote driver against a real BuildKit: an engine's embedded daemon made to look standalone by
 * the test relay (unix socket, TCP with TLS). Connection and error cases on Docker 20.10
 * (TSBAKE_TEST_DOCKER20), a build over mutual TLS on Docker 26 (TSBAKE_TEST_DOCKER26); needs openssl.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildkitClient, Session, defaultSharedKey, localName } from '../../src/buildkit/index.js';
import { createRemoteDriver } from '../../src/drivers/remote/index.js';
import { remoteDescriptor } from '../../src/drivers/remote/descriptor.js';
import { probeBuildkit } from '../../src/drivers/remote/readiness.js';
import { TsbakeError } from '../../src/errors.js';
import type { ResolvedBuilder } from '../../src/plan/types.js';
import { engines, requireEngine } from '../helpers/env.js';
import { generateTlsFiles, startGrpcRelay, type GrpcRelay, type TlsFiles } from '../helpers/relay.js';

const ENGINE = engines.docker20.host;

function builder(endpoint: string, driverOpts: Record<string, string> = {}): ResolvedBuilder {
  return { name: 'rb', driver: 'remote', driverOpts, endpoint, platforms: [], defaultLoad: false, implicit: false };
}

async function failure(p: Promise<unknown>): Promise<TsbakeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TsbakeError);
    return err as TsbakeError;
  }
  throw new Error('expected a failure');
}

/** A TCP port nothing listens on: bind one, note it, close it. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('remote driver', () => {
  let dir: string;
  let certs: TlsFiles;
  let unixRelay: GrpcRelay;
  let tlsRelay: GrpcRelay;
  let mtlsRelay: GrpcRelay;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tsbake-remote-'));
    certs = await generateTlsFiles(path.join(dir, 'certs'));
    unixRelay = await startGrpcRelay({ engineSocket: ENGINE, listen: { unix: path.join(dir, 'bk.sock') } });
    tlsRelay = await startGrpcRelay({
      engineSocket: ENGINE,
      listen: { tcp: { host: '127.0.0.1', port: 0 } },
      tls: { key: certs.serverKey, cert: certs.serverCert },
    });
    mtlsRelay = await startGrpcRelay({
      engineSocket: ENGINE,
      listen: { tcp: { host: '127.0.0.1', port: 0 } },
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.caCert, requestCert: true },
    });
  });

  afterAll(async () => {
    await Promise.all([unixRelay?.close(), tlsRelay?.close(), mtlsRelay?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reaches BuildKit over a unix socket: bootstrap, ListWorkers, inspect', async () => {
    const driver = createRemoteDriver({ builder: builder(unixRelay.address), env: {} });
    expect(driver.endpoint()).toBe(unixRelay.address);
    const signal = AbortSignal.timeout(30_000);
    await driver.bootstrap(signal);
    const facts = await probeBuildkit((s) => driver.dial(s), { signal, timeoutMs: 10_000, endpointName: driver.endpoint() });
    expect(facts.workers.length).toBeGreaterThan(0);
    expect(facts.platforms).toContain('linux/amd64');
    const status = await driver.inspect(signal);
    expect(status.status).toBe('running');
    expect(status.platforms).toContain('linux/amd64');
    expect(unixRelay.acceptedConnections()).toBeGreaterThan(0);
    expect(remoteDescriptor.capabilities(builder(unixRelay.address)).buildkitConfig).toBe(false);
  });

  it('reaches BuildKit over TLS on 127.0.0.1 (server auth, then mutual TLS)', async () => {
    const signal = AbortSignal.timeout(30_000);
    const server = createRemoteDriver({ builder: builder(tlsRelay.address, { cacert: certs.caCert }), env: {} });
    await server.bootstrap(signal);
    expect((await server.inspect(signal)).platforms).toContain('linux/amd64');
    expect(tlsRelay.acceptedConnections()).toBeGreaterThan(0);

    const mutual = createRemoteDriver({
      builder: builder(mtlsRelay.address, { cacert: certs.caCert, cert: certs.clientCert, key: certs.clientKey }),
      env: {},
    });
    await mutual.bootstrap(signal);
    const facts = await probeBuildkit((s) => mutual.dial(s), { signal, timeoutMs: 10_000, endpointName: mutual.endpoint() });
    expect(facts.workers.length).toBeGreaterThan(0);
  });

  it('names the endpoint and the cause for a wrong CA', async () => {
    const driver = createRemoteDriver({ builder: builder(tlsRelay.address, { cacert: certs.otherCaCert }), env: {} });
    const started = Date.now();
    const err = await failure(driver.bootstrap(AbortSignal.timeout(30_000)));
    expect(err.reason).toBe('daemon-unreachable');
    expect(err.message).toContain(tlsRelay.address);
    expect(err.message).toMatch(/TLS handshake .* failed: unable to verify the first certificate/);
    expect(err.message).toContain('cacert');
    // A certificate problem is not retried until the timeout.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names the endpoint and servername for a name mismatch', async () => {
    const driver = createRemoteDriver({
      builder: builder(tlsRelay.address, { cacert: certs.caCert, servername: 'buildkit.example.org' }),
      env: {},
    });
    const err = await failure(driver.bootstrap(AbortSignal.timeout(30_000)));
    expect(err.reason).toBe('daemon-unreachable');
    expect(err.message).toContain(tlsRelay.address);
    expect(err.message).toContain("Hostname/IP does not match certificate's altnames");
    expect(err.message).toContain('buildkit.example.org');
    expect(err.message).toContain('servername');
  });

  it('names the missing certificate file', async () => {
    const missing = path.join(dir, 'nope', 'client.pem');
    const driver = createRemoteDriver({
      builder: builder(mtlsRelay.address, { cacert: certs.caCert, cert: missing, key: certs.clientKey }),
      env: {},
    });
    const err = await failure(driver.bootstrap(AbortSignal.timeout(30_000)));
    expect(err.reason).toBe('daemon-unreachable');
    expect(err.message).toBe(`builder "rb": cannot read the cert file ${missing} for ${mtlsRelay.address}: no such file`);
  });

  it('names an unreachable endpoint (tcp and unix) after waiting for it', async () => {
    const port = await freePort();
    const tcp = createRemoteDriver({ builder: builder(`tcp://127.0.0.1:${port}`, { timeout: '1s' }), env: {} });
    const started = Date.now();
    const err = await failure(tcp.bootstrap(AbortSignal.timeout(30_000)));
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(err.reason).toBe('daemon-unreachable');
    expect(err.message).toContain(`BuildKit at tcp://127.0.0.1:${port} did not answer within 1s`);
    expect(err.message).toContain('connection refused');

    const sock = `unix://${path.join(dir, 'absent.sock')}`;
    const unix = createRemoteDriver({ builder: builder(sock), env: {} });
    const dialErr = await failure(unix.dial(AbortSignal.timeout(5_000)));
    expect(dialErr.message).toContain(`cannot reach BuildKit at ${sock}: no socket at that path`);
    const status = await unix.inspect(AbortSignal.timeout(10_000));
    expect(status.status).toBe('error');
    expect(status.error).toContain(sock);
  });

  it('refuses options it cannot honour', () => {
    expect(() => createRemoteDriver({ builder: builder('tcp://127.0.0.1:1', { cert: '/a' }), env: {} })).toThrow(/cert and key go together/);
    expect(() => createRemoteDriver({ builder: builder('http://x:1'), env: {} })).toThrow(/tcp:\/\/host:port or unix:\/\/\/path/);
    expect(() => createRemoteDriver({ builder: { ...builder('tcp://127.0.0.1:1'), buildkitdFlags: '--debug' }, env: {} })).toThrow(
      /buildkitd-config and buildkitd-flags do not apply/,
    );
    expect(() => createRemoteDriver({ builder: builder('tcp://127.0.0.1:1', { image: 'x' }), env: {} })).toThrow(/unknown driver option "image"/);
  });
});

describe('remote driver: a build over mutual TLS (Docker 26 BuildKit behind a TLS relay)', () => {
  const engine = engines.docker26;
  let dir: string;
  let relay: GrpcRelay;
  let certs: TlsFiles;

  beforeAll(async () => {
    await requireEngine(engine);
    dir = await mkdtemp(path.join(os.tmpdir(), 'tsbake-remote-build-'));
    certs = await generateTlsFiles(path.join(dir, 'certs'));
    relay = await startGrpcRelay({
      engineSocket: engine.host,
      listen: { tcp: { host: '127.0.0.1', port: 0 } },
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.caCert, requestCert: true },
    });
  });

  afterAll(async () => {
    await relay?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('syncs the context, runs a step and writes a local output', async () => {
    // `servername: localhost` checks the certificate's DNS name instead of its IP.
    const driver = createRemoteDriver({
      builder: builder(relay.address, { cacert: certs.caCert, cert: certs.clientCert, key: certs.clientKey, servername: 'localhost' }),
      env: {},
    });
    const signal = AbortSignal.timeout(120_000);
    await driver.bootstrap(signal);
    const ctx = path.join(dir, 'ctx');
    await mkdir(ctx);
    const marker = randomBytes(6).toString('hex');
    await writeFile(path.join(ctx, 'Dockerfile'), 'FROM local/busybox:1 AS b\nCOPY in.txt /\nRUN cat /in.txt > /out.txt\nFROM scratch\nCOPY --from=b /out.txt /\n');
    await writeFile(path.join(ctx, 'in.txt'), marker);
    const client = await BuildkitClient.connect((s) => driver.dial(s), { signal, endpointName: driver.endpoint() });
    const session = new Session({ sharedKey: defaultSharedKey() });
    try {
      await session.start(client, signal);
      const contextKey = localName('context', ctx);
      const dockerfileKey = localName('dockerfile', ctx);
      const out = path.join(dir, 'out');
      await client.solve(
        {
          ref: `tsbake-test-${randomBytes(8).toString('hex')}`,
          frontend: 'dockerfile.v0',
          frontendAttrs: { filename: 'Dockerfile', contextkey: contextKey, dockerfilekey: dockerfileKey },
          exporters: [{ type: 'local', attrs: {}, output: { kind: 'dir', path: out } }],
          cacheImports: [],
          cacheExports: [],
          entitlements: [],
          session,
          localDirs: { [contextKey]: ctx, [dockerfileKey]: ctx },
        },
        signal,
        () => undefined,
      );
      expect(await readFile(path.join(out, 'out.txt'), 'utf8')).toBe(marker);
    } finally {
      await session.close();
      await client.close();
    }
  });
});
