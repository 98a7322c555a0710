/**
 * Pushing to a registry that wants credentials: Debian's docker-registry with htpasswd (bcrypt) auth,
 * started by this test on a free port of 127.0.0.1, and Docker 26's BuildKit (docker driver,
 * containerd image store) pushing through the real CLI. BuildKit asks tsbake's session
 * (`Auth/Credentials`) for the host's credentials, which come from `$DOCKER_CONFIG/config.json`:
 * inline `auths`, or a credential helper found on PATH.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { engines, requireEngine } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';

const USER = 'tsbake';
const PASSWORD = 'it-is-a-test';
const uniq = (): string => Math.random().toString(36).slice(2, 10);

let dir: string;
let registry: ResultPromise | undefined;
let host: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function manifestStatus(repo: string, tag: string): Promise<number> {
  const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
    headers: {
      Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`,
      Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  return res.status;
}

/** A DOCKER_CONFIG directory holding `config`. */
async function dockerConfig(config: unknown): Promise<string> {
  const d = await fs.mkdtemp(path.join(dir, 'dockercfg-'));
  await fs.writeFile(path.join(d, 'config.json'), JSON.stringify(config));
  return d;
}

beforeAll(async () => {
  await requireEngine(engines.docker26);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-authreg-'));
  // bcrypt, the only scheme the registry's htpasswd accepts.
  const { stdout: hash } = await execa('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', PASSWORD]);
  await fs.writeFile(path.join(dir, 'htpasswd'), `${USER}:${hash.trim()}\n`);
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  await fs.writeFile(
    path.join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log: {level: warn}',
      `storage: {filesystem: {rootdirectory: ${path.join(dir, 'data')}}}`,
      `http: {addr: "${host}"}`,
      `auth: {htpasswd: {realm: tsbake-test, path: ${path.join(dir, 'htpasswd')}}}`,
      '',
    ].join('\n'),
  );
  registry = execa('docker-registry', ['serve', path.join(dir, 'config.yml')], { reject: false, stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    const status = await fetch(`http://${host}/v2/`).then((r) => r.status, () => 0);
    if (status === 401) break;
    if (Date.now() > deadline) throw new Error(`the authenticating registry on ${host} did not come up (last status ${status})`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  registry?.kill('SIGTERM');
  await registry;
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('push to a registry that requires credentials (Docker 26, docker driver)', () => {
  async function pushProject(tag: string): Promise<string> {
    return project({
      'tsbake.yaml': `target:\n  app:\n    tags: ["${host}/tsbake-it/auth:${tag}"]\n`,
      Dockerfile: `FROM scratch\nCOPY f.txt /f.txt\n`,
      'f.txt': tag,
    });
  }

  it('credentials from config.json `auths` let the push through', async () => {
    const tag = uniq();
    const cfg = await dockerConfig({ auths: { [host]: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString('base64') } } });
    const r = await runCli(['run', 'app', '--push', '--progress', 'plain'], { cwd: await pushProject(tag), env: { DOCKER_HOST: engines.docker26.host, DOCKER_CONFIG: cfg } });
    expect(r.code, r.stderr).toBe(0);
    expect(await manifestStatus('tsbake-it/auth', tag)).toBe(200);
  });

  it('a credential helper on PATH is asked, with the host on stdin', async () => {
    const tag = uniq();
    const bin = await fs.mkdtemp(path.join(dir, 'bin-'));
    const asked = path.join(bin, 'asked.txt');
    await fs.writeFile(
      path.join(bin, 'docker-credential-tsbaketest'),
      `#!/bin/sh\n[ "$1" = get ] || exit 1\ncat > ${asked}\nprintf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$(cat ${asked})"\n`,
      { mode: 0o755 },
    );
    const cfg = await dockerConfig({ credHelpers: { [host]: 'tsbaketest' } });
    const r = await runCli(['run', 'app', '--push', '--progress', 'plain'], {
      cwd: await pushProject(tag),
      env: { DOCKER_HOST: engines.docker26.host, DOCKER_CONFIG: cfg, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.readFile(asked, 'utf8')).trim()).toBe(host);
    expect(await manifestStatus('tsbake-it/auth', tag)).toBe(200);
    expect(r.stderr).not.toContain(PASSWORD);
  });

  it('without credentials the push fails as unauthorized and nothing is pushed', async () => {
    const tag = uniq();
    const cfg = await dockerConfig({});
    const r = await runCli(['run', 'app', '--push', '--progress', 'plain'], { cwd: await pushProject(tag), env: { DOCKER_HOST: engines.docker26.host, DOCKER_CONFIG: cfg } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401|[Uu]nauthorized|authorization/);
    expect(await manifestStatus('tsbake-it/auth', tag)).toBe(404);
  });
});
