/**
 * TLS misconfigurations with the remote driver, through the real CLI (issue 15, 9d): a missing or
 * untrusted client certificate, and a TLS client against a plain-TCP daemon, are named at once rather
 * than after the 20 s timeout as "No connection established". The daemon is Docker 20.10's BuildKit
 * behind the test relay (TLS, mutual TLS, plain TCP).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';
import { generateTlsFiles, startGrpcRelay, type GrpcRelay, type TlsFiles } from '../helpers/relay.js';

const ENGINE = engines.docker20;

describe('remote driver TLS errors', () => {
  let dir: string;
  let certs: TlsFiles;
  let mtlsRelay: GrpcRelay;
  let plainRelay: GrpcRelay;

  beforeAll(async () => {
    await requireEngine(ENGINE);
    dir = await mkdtemp(path.join(os.tmpdir(), 'tsbake-tls-'));
    certs = await generateTlsFiles(path.join(dir, 'certs'));
    mtlsRelay = await startGrpcRelay({
      engineSocket: ENGINE.host,
      listen: { tcp: { host: '127.0.0.1', port: 0 } },
      tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.caCert, requestCert: true },
    });
    plainRelay = await startGrpcRelay({ engineSocket: ENGINE.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
  });

  afterAll(async () => {
    await Promise.all([mtlsRelay?.close(), plainRelay?.close()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function runWith(endpoint: string, opts: Record<string, string>): Promise<{ code: number; stderr: string }> {
    const p = await project({
      'tsbake.yaml': [
        'builder:',
        '  rb:',
        '    driver: remote',
        `    endpoint: ${endpoint}`,
        '    driver-opts:',
        ...Object.entries(opts).map(([k, v]) => `      ${k}: ${v}`),
        'target:',
        '  app: {}',
        '',
      ].join('\n'),
      Dockerfile: 'FROM scratch\n',
    });
    return runCli(['run', 'app', '--builder', 'rb', '--progress', 'plain'], { cwd: p, timeoutMs: 60_000 });
  }

  const expectNamed = (r: { code: number; stderr: string }, endpoint: string, what: string): void => {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`builder "rb": TLS with BuildKit at ${endpoint} failed: ${what}`);
    expect(r.stderr).not.toContain('No connection established');
    expect(r.stderr).not.toContain('did not answer within');
  };

  it('no client certificate for a daemon that requires one', async () => {
    const r = await runWith(mtlsRelay.address, { cacert: certs.caCert });
    expectNamed(r, mtlsRelay.address, 'the daemon requires a client certificate: set driver-opts cert and key');
  });

  it('a client certificate the daemon does not trust', async () => {
    const r = await runWith(mtlsRelay.address, { cacert: certs.caCert, cert: certs.otherClientCert, key: certs.otherClientKey });
    expectNamed(
      r,
      mtlsRelay.address,
      'the daemon refused the client certificate (driver-opts cert and key): it is not signed by a CA the daemon trusts',
    );
  });

  it('TLS options against a daemon that speaks plain TCP', async () => {
    const r = await runWith(plainRelay.address, { cacert: certs.caCert });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `builder "rb": TLS with BuildKit at ${plainRelay.address} failed: the endpoint does not speak TLS: ` +
        'for a plain-TCP daemon leave out cacert, cert and key, or check the port (wrong version number)',
    );
    expect(r.stderr).not.toContain('No connection established');
  });

  it('the right client certificate still builds', async () => {
    const r = await runWith(mtlsRelay.address, { cacert: certs.caCert, cert: certs.clientCert, key: certs.clientKey });
    expect(r.code, r.stderr).toBe(0);
  });
});
