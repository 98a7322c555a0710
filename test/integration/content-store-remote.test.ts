/**
 * What the session content store unlocks, through the real CLI on a remote builder (the test relay in
 * front of Docker 26's BuildKit v0.13):
 * - cache-to/cache-from type=local: the cache survives the builder losing it;
 * - type=oci,tar=false,dest=DIR: a complete OCI layout directory, or nothing;
 * - target: contexts handed over as oci-layout:// (the monorepo example, loaded into Docker 26 and run).
 *
 * The builder's cache is shared with other suites running against the same engine, so the cache test
 * prunes only the records of its own uniquely named step (by id, from DiskUsage), never everything.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildkitClient } from '../../src/buildkit/index.js';
import { docker, engines, REGISTRY_BASE_IMAGE, repoRoot, requireEngine, requireRegistry } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';
import { socketPathOf, startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const uniq = (): string => randomBytes(4).toString('hex');

describe('session content store on a remote builder (relay to Docker 26 BuildKit)', () => {
  let relay: GrpcRelay;
  let sockDir: string;
  const dirs: string[] = [];
  const images: string[] = [];

  const builderYaml = (): string => ['default-builder: rb', 'builder:', '  rb:', '    driver: remote', `    endpoint: ${relay.address}`, ''].join('\n');

  async function proj(targets: string, files: Record<string, string>): Promise<string> {
    const dir = await project({ 'tsbake.yaml': `${builderYaml()}target:\n${targets}\n`, ...files });
    dirs.push(dir);
    return dir;
  }
  const run = (dir: string, args: string[]) => runCli(['run', '--progress', 'plain', ...args], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });

  /** Remove the builder's cache records whose description contains `marker` (the step's own command). */
  async function pruneStep(marker: string): Promise<string[]> {
    const client = await BuildkitClient.connect(async () => net.connect(socketPathOf(relay.address)));
    try {
      const signal = AbortSignal.timeout(30_000);
      const ids = (await client.diskUsage(signal)).filter((r) => r.description.includes(marker)).map((r) => r.id);
      const removed: string[] = [];
      for (const id of ids) removed.push(...(await client.prune(signal, { all: true, filters: [`id==${id}`] })).map((r) => r.id));
      return removed;
    } finally {
      await client.close();
    }
  }

  /** The plain-progress lines of the step whose name contains `marker`: was it CACHED? */
  function runStepCached(stderr: string, marker: string): boolean {
    const m = new RegExp(`\\[app\\] #(\\d+) \\[[^\\]]*\\] RUN [^\\n]*${marker}`).exec(stderr);
    expect(m, `a RUN step with ${marker} in:\n${stderr}`).not.toBeNull();
    return new RegExp(`\\[app\\] #${m![1]} CACHED`).test(stderr);
  }

  beforeAll(async () => {
    await requireEngine(engines.docker26);
    await requireRegistry();
    sockDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-cstore-'));
    relay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { unix: path.join(sockDir, 'bk.sock') } });
  });

  afterAll(async () => {
    for (const img of images) await docker('docker26', ['image', 'rm', '-f', img]).catch(() => undefined);
    await relay?.close();
    for (const d of [sockDir, ...dirs]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('cache-to type=local writes an OCI layout with index.json; after the builder loses the step, cache-from type=local makes it CACHED', async () => {
    const marker = `lc-${uniq()}`;
    const dockerfile = `FROM ${REGISTRY_BASE_IMAGE}\nRUN echo ${marker} > /m.txt\n`;
    const withCache = await proj(
      '  app:\n    cache-to: ["type=local,dest=cache,mode=max"]\n    cache-from: ["type=local,src=cache"]',
      { Dockerfile: dockerfile },
    );
    // 1. First build: nothing to import yet (skipped, not an error); the cache is exported.
    const first = await run(withCache, ['app']);
    expect(first.code, first.stderr).toBe(0);
    expect(runStepCached(first.stderr, marker)).toBe(false);
    const index = JSON.parse(await fs.readFile(path.join(withCache, 'cache', 'index.json'), 'utf8')) as {
      manifests: { digest: string; annotations: Record<string, string> }[];
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations['org.opencontainers.image.ref.name']).toBe('latest');
    const rootBlob = path.join(withCache, 'cache', 'blobs', ...index.manifests[0]!.digest.split(':'));
    const root = JSON.parse(await fs.readFile(rootBlob, 'utf8')) as { manifests?: { digest: string }[]; layers?: { digest: string }[] };
    for (const d of [...(root.manifests ?? []), ...(root.layers ?? [])]) {
      await expect(fs.stat(path.join(withCache, 'cache', 'blobs', ...d.digest.split(':'))), `blob ${d.digest}`).resolves.toBeTruthy();
    }
    const leftovers = (await fs.readdir(path.join(withCache, 'cache'))).filter((n) => n.startsWith('.'));
    expect(leftovers).toEqual([]);

    // 2. Control: once the builder has lost the step, a build without the local cache runs it again.
    expect((await pruneStep(marker)).length).toBeGreaterThan(0);
    const control = await proj('  app: {}', { Dockerfile: dockerfile });
    const rebuilt = await run(control, ['app']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(runStepCached(rebuilt.stderr, marker)).toBe(false);

    // 3. Lose it again; the build with cache-from type=local gets it from the directory.
    expect((await pruneStep(marker)).length).toBeGreaterThan(0);
    const second = await run(withCache, ['app']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/importing cache manifest from local:/);
    expect(runStepCached(second.stderr, marker)).toBe(true);
  });

  it('type=oci,tar=false,dest=layout: index.json names the image and every blob is there; a failed build leaves an existing layout untouched', async () => {
    const tag = `tsbake-it/ocidir:${uniq()}`;
    const dir = await proj(`  app:\n    tags: ["${tag}"]\n    output: ["type=oci,tar=false,dest=layout"]`, {
      Dockerfile: `FROM ${REGISTRY_BASE_IMAGE}\nRUN echo ${uniq()} > /m.txt\n`,
    });
    const r = await run(dir, ['app']);
    expect(r.code, r.stderr).toBe(0);
    const layout = path.join(dir, 'layout');
    expect(JSON.parse(await fs.readFile(path.join(layout, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: { mediaType: string; digest: string; annotations: Record<string, string> }[];
    };
    expect(index.manifests).toHaveLength(1);
    const entry = index.manifests[0]!;
    expect(entry.annotations['io.containerd.image.name']).toBe(`docker.io/${tag}`);
    const blob = (d: string): string => path.join(layout, 'blobs', ...d.split(':'));
    const manifest = JSON.parse(await fs.readFile(blob(entry.digest), 'utf8')) as { config: { digest: string }; layers: { digest: string; size: number }[] };
    expect(manifest.layers.length).toBeGreaterThan(0);
    for (const d of [manifest.config, ...manifest.layers]) await expect(fs.stat(blob(d.digest)), `blob ${d.digest}`).resolves.toBeTruthy();
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.layout'))).toEqual([]);
    expect((await fs.readdir(layout)).filter((n) => n.startsWith('.'))).toEqual([]);

    // A failing build: the previous layout stays as it was, and no temp dir is left beside it.
    await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM ${REGISTRY_BASE_IMAGE}\nRUN echo ${uniq()} && exit 3\n`);
    const failed = await run(dir, ['app']);
    expect(failed.code).not.toBe(0);
    expect(JSON.parse(await fs.readFile(path.join(layout, 'index.json'), 'utf8'))).toEqual(index);
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.layout'))).toEqual([]);
  });

  it('monorepo example: target: contexts handed over as oci-layout://, app --load-ed into Docker 26 prints the base file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-monorepo-'));
    dirs.push(dir);
    await fs.cp(path.join(repoRoot, 'examples', 'monorepo'), dir, { recursive: true });
    const suffix = uniq();
    await fs.writeFile(path.join(dir, 'builder.yaml'), builderYaml());
    const tagApp = `tsbake-it/monorepo-app:${suffix}`;
    const tagBase = `tsbake-it/monorepo-base:${suffix}`;
    images.push(tagApp, tagBase);
    const r = await runCli(
      ['run', '--progress', 'plain', '-f', 'tsbake.yaml', '-f', 'builder.yaml', '--load', '--set', `app.tags=${tagApp}`, '--set', `base.tags=${tagBase}`, 'app'],
      { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[app\] #\d+ \[context base\] OCI load from client/);
    expect(r.stderr).toContain('shared base v1');
    const out = await docker('docker26', ['run', '--rm', tagApp]);
    expect(out.stdout.trim()).toBe('app running on shared base v1');
  });
});
