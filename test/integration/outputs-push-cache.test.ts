/**
 * Pushes and caches through the real CLI: `--push`/`type=registry` into the test registry (manifests
 * read back over the registry API), a registry cache exported with mode=max and imported on an emptied
 * builder (remote builder = relay to Docker 26's BuildKit), inline cache on the docker driver, and the
 * docker driver's store-dependent refusals: Docker 20.10's classic store refuses registry cache export
 * and tarball outputs before the build, Docker 26's containerd store takes them.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, engines, requireEngine, requireRegistry, REGISTRY_BASE_IMAGE, type EngineRef } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const REG = engines.registry;
const uniq = (): string => randomBytes(4).toString('hex');
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

interface Manifest {
  mediaType?: string;
  manifests?: { platform?: { os: string; architecture: string }; annotations?: Record<string, string> }[];
  layers?: unknown[];
}

async function registryManifest(repo: string, ref: string): Promise<{ status: number; contentType: string; body: Manifest | undefined }> {
  const res = await fetch(`http://${REG}/v2/${repo}/manifests/${ref}`, { headers: { Accept: ACCEPT }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: res.ok ? (JSON.parse(text) as Manifest) : undefined };
}

function platformsOf(m: Manifest): string[] {
  return (m.manifests ?? [])
    .filter((d) => d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest' && d.platform && d.platform.os !== 'unknown')
    .map((d) => `${d.platform!.os}/${d.platform!.architecture}`)
    .sort();
}

interface JsonStep {
  type: string;
  step?: { name: string; cached: boolean };
}

describe('push and registry cache on a remote builder (relay to Docker 26 BuildKit)', () => {
  let relay: GrpcRelay;
  let sockDir: string;
  const dirs: string[] = [];
  const env = { DOCKER_HOST: engines.docker26.host };

  async function proj(targets: string, dockerfile: string, files: Record<string, string> = {}): Promise<string> {
    const dir = await project({
      'tsbake.yaml': ['default-builder: rb', 'builder:', '  rb:', '    driver: remote', `    endpoint: ${relay.address}`, 'target:', targets, ''].join('\n'),
      Dockerfile: dockerfile,
      ...files,
    });
    dirs.push(dir);
    return dir;
  }

  beforeAll(async () => {
    await Promise.all([requireEngine(engines.docker26), requireRegistry()]);
    sockDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-outpush-'));
    relay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { unix: path.join(sockDir, 'bk.sock') } });
  });

  afterAll(async () => {
    await relay?.close();
    for (const d of [sockDir, ...dirs]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('--push: the manifest is in the registry', async () => {
    const id = uniq();
    const dir = await proj(`  app:\n    tags: ["${REG}/tsbake-it/x:${id}"]`, `FROM ${REGISTRY_BASE_IMAGE}\nRUN echo pushed-${id} > /p.txt\n`);
    const r = await runCli(['run', 'app', '--push', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const m = await registryManifest('tsbake-it/x', id);
    expect(m.status).toBe(200);
    expect(m.contentType).toMatch(/manifest/);
  });

  it('type=registry with two platforms pushes an index with both', async () => {
    const id = uniq();
    const dir = await proj(
      `  multi:\n    tags: ["${REG}/tsbake-it/x:${id}"]\n    platforms: [linux/amd64, linux/arm64]\n    output: ["type=registry,registry.insecure=true"]`,
      'FROM scratch\nARG TARGETPLATFORM\nCOPY marker.txt /marker.txt\n',
      { 'marker.txt': id },
    );
    const r = await runCli(['run', 'multi', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const m = await registryManifest('tsbake-it/x', id);
    expect(m.status).toBe(200);
    expect(m.contentType).toMatch(/index|manifest\.list/);
    expect(platformsOf(m.body!)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('a pushed target without tags is refused before the build (exit 2)', async () => {
    const dir = await proj('  notag: {}', `FROM ${REGISTRY_BASE_IMAGE}\n`);
    const r = await runCli(['run', 'notag', '--push', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/target notag: tag is needed when pushing to registry/);
    expect(r.stderr).not.toContain('building with');
  });

  it('registry cache (mode=max) exported, builder pruned, then imported: the RUN step is CACHED', async () => {
    const id = uniq();
    const ref = `${REG}/tsbake-it/cache:${id}`;
    const dockerfile = `FROM ${REGISTRY_BASE_IMAGE}\nRUN echo cache-${id} > /c.txt && sleep 1\n`;
    const exportDir = await proj(`  app:\n    cache-to: ["type=registry,ref=${ref},mode=max,registry.insecure=true"]`, dockerfile);
    const first = await runCli(['run', 'app', '--progress', 'json'], { cwd: exportDir, env });
    expect(first.code, first.stderr).toBe(0);
    expect((await registryManifest('tsbake-it/cache', id)).status).toBe(200);

    // Empty the builder: the next build can only find the step in the registry cache.
    // A prune's time grows with the whole daemon's cache (shared with the other suites): its own deadline.
    const pruned = await runCli(['builder', 'prune', 'rb', '--all', '--format', 'json'], { cwd: exportDir, env, timeoutMs: 240_000 });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect((JSON.parse(pruned.stdout) as { removed: unknown[] }).removed.length).toBeGreaterThan(0);

    const importDir = await proj(`  app:\n    cache-from: ["type=registry,ref=${ref},registry.insecure=true"]`, dockerfile);
    const second = await runCli(['run', 'app', '--progress', 'json'], { cwd: importDir, env });
    expect(second.code, second.stderr).toBe(0);
    const steps = second.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as JsonStep)
      .filter((e) => e.type === 'step' && e.step?.name.includes(`RUN echo cache-${id}`));
    expect(steps.length).toBeGreaterThan(0);
    // A vertex is resent as its state changes; the last word on the RUN step is that it came from cache.
    expect(steps.at(-1)!.step!.cached).toBe(true);
    expect(second.stderr).toContain(`importing cache manifest from ${ref}`);
  }, 400_000);

  it('cache-to type=local writes an OCI layout cache (index.json) through the session content store', async () => {
    const id = uniq();
    const dir = await proj('  app:\n    cache-to: ["type=local,dest=cachedir,mode=max"]', `FROM ${REGISTRY_BASE_IMAGE}\nRUN echo local-cache-${id} > /l.txt\n`);
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const index = JSON.parse(await fs.readFile(path.join(dir, 'cachedir', 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests.length).toBeGreaterThan(0);
    const blob = index.manifests[0]!.digest.replace(':', '/');
    expect((await fs.stat(path.join(dir, 'cachedir', 'blobs', blob))).size).toBeGreaterThan(0);
  });
});

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('docker driver on %s: inline cache, store-dependent exports', (name, engine) => {
  const env = { DOCKER_HOST: engine.host };
  const dirs: string[] = [];
  const images: string[] = [];
  beforeAll(async () => {
    await Promise.all([requireEngine(engine), requireRegistry()]);
  });
  afterAll(async () => {
    for (const image of images) await docker(engine, ['rmi', '-f', image]).catch(() => undefined);
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  it('type=inline cache export is accepted', async () => {
    const id = uniq();
    images.push(`tsbake-it/inline:${id}`);
    const dir = await project({
      'tsbake.yaml': `target:\n  app:\n    tags: ["tsbake-it/inline:${id}"]\n    cache-to: ["type=inline"]\n`,
      Dockerfile: `FROM local/busybox:1\nRUN echo inline-${id} > /i.txt\n`,
    });
    dirs.push(dir);
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
  });

  const config = (id: string): string =>
    `target:\n  app:\n    cache-to: ["type=registry,ref=${REG}/tsbake-it/cache:${id},mode=max,registry.insecure=true"]\n    output: ["type=oci,dest=x.tar"]\n`;

  if (name === 'docker20') {
    it("registry cache export and type=oci,dest= are refused before the build with buildx's wording (exit 2)", async () => {
      const dir = await project({ 'tsbake.yaml': config(uniq()), Dockerfile: 'FROM local/busybox:1\nRUN true\n' });
      dirs.push(dir);
      const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Cache export is not supported for the docker driver. Switch to a different driver, or turn on the containerd image store');
      expect(r.stderr).toContain('OCI exporter is not supported for the docker driver');
      expect(r.stderr).not.toContain('building with');
      await expect(fs.stat(path.join(dir, 'x.tar'))).rejects.toThrow(/ENOENT/);
    });
  } else {
    // The plan-time check leaves store-dependent refusals to the executor, which reads the containerd
    // store from the worker label before any build is sent.
    it('registry cache export and type=oci,dest= are accepted and work (containerd store detected)', async () => {
      const id = uniq();
      const dir = await project({ 'tsbake.yaml': config(id), Dockerfile: `FROM local/busybox:1\nRUN echo d26-${id} > /d.txt\n` });
      dirs.push(dir);
      const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect((await fs.stat(path.join(dir, 'x.tar'))).size).toBeGreaterThan(0);
      expect((await registryManifest('tsbake-it/cache', id)).status).toBe(200);
    });
  }
});
