/**
 * NODE_EXTRA_CA_CERTS is taken off Node's start-up and given back lazily (src/extra-ca.ts, bin/tsbake.js's
 * /bin/sh line). The CLI run as a program must not make Node read the file at start (Node 20 warns at once
 * about a file it cannot load, which is how these tests see whether it did); the certificates must still be
 * trusted wherever Node would have trusted them: tls.connect, https and fetch with no `ca` of their own,
 * and not where a `ca` is given.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, repoRoot } from '../helpers/cli.js';
import { generateTlsFiles, type TlsFiles } from '../helpers/relay.js';

const NODE_WARNING = 'Warning: Ignoring extra certs from';

describe('NODE_EXTRA_CA_CERTS', () => {
  let dir: string;
  let certs: TlsFiles;
  let probe: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tsbake-extra-ca-'));
    certs = await generateTlsFiles(path.join(dir, 'certs'));
    // A TLS server with a certificate from the test CA, and three clients without a `ca` of their own plus
    // one with another CA; prints what each saw, and the environment the process ended with.
    probe = path.join(dir, 'probe.mjs');
    const extraCa = JSON.stringify(path.join(repoRoot, 'dist/extra-ca.js'));
    await writeFile(
      probe,
      `import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';
if (process.env.RESTORE) (await import(${extraCa})).restoreExtraCaCertificates();
const files = ${JSON.stringify(certs)};
const srv = https.createServer({ key: fs.readFileSync(files.serverKey), cert: fs.readFileSync(files.serverCert) }, (q, r) => r.end('ok'));
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const url = 'https://127.0.0.1:' + srv.address().port + '/';
const out = {};
try { out.fetch = await (await fetch(url)).text(); } catch (e) { out.fetch = e.cause?.code ?? e.message; }
out.https = await new Promise((done) => https.get(url, (r) => { r.resume(); done(String(r.statusCode)); }).on('error', (e) => done(e.code)));
const viaTls = (options) => new Promise((done) => {
  const s = tls.connect({ host: '127.0.0.1', port: srv.address().port, ...options }, () => { s.end(); done('ok'); });
  s.on('error', (e) => done(e.code));
});
out.tls = await viaTls({});
out.tlsOwnCa = await viaTls({ ca: fs.readFileSync(files.otherCaCert) });
out.env = { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? null, TSBAKE_EXTRA_CA_CERTS: process.env.TSBAKE_EXTRA_CA_CERTS ?? null };
srv.close();
console.log(JSON.stringify(out));
`,
    );
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const withoutVar = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env['NODE_EXTRA_CA_CERTS'];
    delete env['TSBAKE_EXTRA_CA_CERTS'];
    return env;
  };

  it('run as a program, Node does not read the file at start; `node bin/tsbake.js` still does', async () => {
    const env = { ...withoutVar(), NODE_EXTRA_CA_CERTS: path.join(dir, 'missing.pem') };
    const asProgram = await execa(bin, ['--version'], { env, extendEnv: false, reject: false });
    expect(asProgram.exitCode).toBe(0);
    expect(asProgram.stdout).toMatch(/^tsbake \d/);
    expect(asProgram.stderr).not.toContain(NODE_WARNING);
    const viaNode = await execa('node', [bin, '--version'], { env, extendEnv: false, reject: false });
    expect(viaNode.stderr).toContain(NODE_WARNING);
  });

  it('is left to Node when NODE_OPTIONS chooses another CA store', async () => {
    const env = { ...withoutVar(), NODE_EXTRA_CA_CERTS: path.join(dir, 'missing.pem'), NODE_OPTIONS: '--use-openssl-ca' };
    const r = await execa(bin, ['--version'], { env, extendEnv: false, reject: false });
    expect(r.stderr).toContain(NODE_WARNING);
  });

  it('the certificates are trusted by tls, https and fetch without a ca, not by a connection with its own ca', async () => {
    const restored = await execa('node', [probe], {
      env: { ...withoutVar(), RESTORE: '1', TSBAKE_EXTRA_CA_CERTS: certs.caCert },
      extendEnv: false,
    });
    expect(JSON.parse(restored.stdout)).toEqual({
      fetch: 'ok',
      https: '200',
      tls: 'ok',
      tlsOwnCa: expect.stringMatching(/CERT|SIGNATURE|ISSUER/),
      env: { NODE_EXTRA_CA_CERTS: certs.caCert, TSBAKE_EXTRA_CA_CERTS: null },
    });
    // The same process with Node's own handling gives the same answers; with neither, nothing is trusted.
    const node = await execa('node', [probe], { env: { ...withoutVar(), NODE_EXTRA_CA_CERTS: certs.caCert }, extendEnv: false });
    expect({ ...JSON.parse(node.stdout), env: null }).toEqual({ ...JSON.parse(restored.stdout), env: null });
    const none = JSON.parse((await execa('node', [probe], { env: withoutVar(), extendEnv: false })).stdout);
    expect(none.tls).not.toBe('ok');
    expect(none.fetch).not.toBe('ok');
  });

  it('an unreadable file is ignored with Node\'s warning, once, at the first TLS connection', async () => {
    const missing = path.join(dir, 'missing.pem');
    const r = await execa('node', [probe], { env: { ...withoutVar(), RESTORE: '1', TSBAKE_EXTRA_CA_CERTS: missing }, extendEnv: false });
    expect(r.stderr.split(NODE_WARNING).length - 1).toBe(1);
    expect(JSON.parse(r.stdout).tls).not.toBe('ok');
  });
});
