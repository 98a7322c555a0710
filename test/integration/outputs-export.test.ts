/**
 * Exporters through the real CLI on a remote builder (the test relay in front of Docker 26's BuildKit):
 * OCI and docker tarballs, the OCI layout directory, local directories (with platform-split), tar files
 * and tar on stdout. FROM scratch + COPY, so two platforms need no emulation. Asserts on the artefacts,
 * and that a failing build leaves neither the destination nor a temp file behind.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createReadStream, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine } from '../helpers/env.js';
import { tarEntries } from '../helpers/tar.js';
import { bin, project, runCli } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const uniq = (): string => randomBytes(4).toString('hex');


interface Descriptor {
  mediaType: string;
  digest: string;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

/** The platforms an OCI layout's index.json reaches, following nested image indexes. */
function layoutPlatforms(read: (name: string) => Buffer | undefined): string[] {
  const index = JSON.parse(read('index.json')!.toString('utf8')) as { manifests: Descriptor[] };
  const platforms: string[] = [];
  const walk = (list: Descriptor[]): void => {
    for (const d of list) {
      if (d.mediaType.endsWith('image.index.v1+json') || d.mediaType.endsWith('manifest.list.v2+json')) {
        const blob = read(`blobs/${d.digest.replace(':', '/')}`);
        expect(blob, `blob ${d.digest} of a nested index`).toBeDefined();
        walk((JSON.parse(blob!.toString('utf8')) as { manifests: Descriptor[] }).manifests);
      } else if (d.platform && d.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest') {
        platforms.push(`${d.platform.os}/${d.platform.architecture}${d.platform.variant ? `/${d.platform.variant}` : ''}`);
      }
    }
  };
  walk(index.manifests);
  return platforms.sort();
}

describe('exporters on a remote builder (relay to Docker 26 BuildKit)', () => {
  let relay: GrpcRelay;
  let sockDir: string;
  const dirs: string[] = [];

  async function proj(target: string, extra: Record<string, string> = {}, dockerfile?: string): Promise<string> {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': ['default-builder: rb', 'builder:', '  rb:', '    driver: remote', `    endpoint: ${relay.address}`, 'target:', target, ''].join('\n'),
      Dockerfile: dockerfile ?? 'FROM scratch\nARG TARGETPLATFORM\nCOPY marker.txt /marker.txt\nCOPY sub /sub\n',
      'marker.txt': `marker-${id}`,
      'sub/a.txt': 'a',
      ...extra,
    });
    dirs.push(dir);
    return dir;
  }
  const run = (dir: string, args: string[] = ['app']) =>
    runCli(['run', '--progress', 'plain', ...args], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });

  beforeAll(async () => {
    await requireEngine(engines.docker26);
    sockDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-outexp-'));
    relay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { unix: path.join(sockDir, 'bk.sock') } });
  });

  afterAll(async () => {
    await relay?.close();
    for (const d of [sockDir, ...dirs]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('type=oci,dest=x.tar with two platforms: index.json reaches linux/amd64 and linux/arm64', async () => {
    const dir = await proj('  app:\n    platforms: [linux/amd64, linux/arm64]\n    output: ["type=oci,dest=x.tar"]');
    const r = await run(dir);
    expect(r.code, r.stderr).toBe(0);
    const entries = await tarEntries(createReadStream(path.join(dir, 'x.tar')));
    expect(entries.has('oci-layout')).toBe(true);
    expect(layoutPlatforms((n) => entries.get(n))).toEqual(['linux/amd64', 'linux/arm64']);
  });

  it('type=docker,dest=img.tar: a docker tarball with the tag in manifest.json', async () => {
    const tag = `tsbake-it/dockertar:${uniq()}`;
    const dir = await proj(`  app:\n    tags: ["${tag}"]\n    output: ["type=docker,dest=img.tar"]`);
    const r = await run(dir);
    expect(r.code, r.stderr).toBe(0);
    const entries = await tarEntries(createReadStream(path.join(dir, 'img.tar')));
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8')) as { RepoTags: string[]; Layers: string[] }[];
    expect(manifest[0]!.RepoTags).toContain(tag);
    expect(manifest[0]!.Layers.length).toBeGreaterThan(0);
  });

  it('type=oci,dest=layout,tar=false: an OCI layout directory reaching both platforms', async () => {
    const dir = await proj('  app:\n    platforms: [linux/amd64, linux/arm64]\n    output: ["type=oci,dest=layout,tar=false"]');
    const r = await run(dir);
    expect(r.code, r.stderr).toBe(0);
    const layout = path.join(dir, 'layout');
    expect(JSON.parse(await fs.readFile(path.join(layout, 'oci-layout'), 'utf8')).imageLayoutVersion).toBe('1.0.0');
    const read = (n: string): Buffer | undefined => {
      try {
        return readFileSync(path.join(layout, n));
      } catch {
        return undefined;
      }
    };
    expect(layoutPlatforms(read)).toEqual(['linux/amd64', 'linux/arm64']);
  });

  // Fails most runs (a race; 3 of 4 here): BuildKit sends one FileSend stream per platform, concurrently, and
  // src/buildkit/filesend.ts receiveDir → moveIntoPlace renames each stream's temp dir onto `dest`
  // when `dest` does not exist yet; the second rename hits ENOTEMPTY (see the report).
  it('type=local,dest=out has the files; platform-split with two platforms gives linux_amd64/ and linux_arm64/', async () => {
    const dir = await proj(
      '  one:\n    output: ["type=local,dest=out"]\n  split:\n    platforms: [linux/amd64, linux/arm64]\n    output: ["type=local,dest=split"]',
    );
    const r = await run(dir, ['one', 'split']);
    expect(r.code, r.stderr).toBe(0);
    const marker = await fs.readFile(path.join(dir, 'marker.txt'), 'utf8');
    expect(await fs.readFile(path.join(dir, 'out', 'marker.txt'), 'utf8')).toBe(marker);
    expect(await fs.readFile(path.join(dir, 'out', 'sub', 'a.txt'), 'utf8')).toBe('a');
    expect((await fs.readdir(path.join(dir, 'split'))).sort()).toEqual(['linux_amd64', 'linux_arm64']);
    for (const p of ['linux_amd64', 'linux_arm64']) {
      expect(await fs.readFile(path.join(dir, 'split', p, 'marker.txt'), 'utf8')).toBe(marker);
    }
  });

  it('type=tar,dest=f.tar writes the files as a tarball', async () => {
    const dir = await proj('  app:\n    output: ["type=tar,dest=f.tar"]');
    const r = await run(dir);
    expect(r.code, r.stderr).toBe(0);
    const entries = await tarEntries(createReadStream(path.join(dir, 'f.tar')));
    expect(entries.get('marker.txt')?.toString()).toBe(await fs.readFile(path.join(dir, 'marker.txt'), 'utf8'));
    expect(entries.get('sub/a.txt')?.toString()).toBe('a');
  });

  it('type=tar,dest=- streams the tarball to stdout (piped, parsed), progress stays on stderr', async () => {
    const dir = await proj('  app:\n    output: ["type=tar,dest=-"]');
    const child = execa(bin, ['run', 'app', '--progress', 'plain'], {
      cwd: dir,
      env: { CI: 'true', DOCKER_HOST: engines.docker26.host },
      stdin: 'ignore',
      buffer: { stdout: false, stderr: true },
      reject: false,
    });
    const entries = await tarEntries(child.stdout!);
    const res = await child;
    expect(res.exitCode, String(res.stderr)).toBe(0);
    expect(entries.get('marker.txt')?.toString()).toBe(await fs.readFile(path.join(dir, 'marker.txt'), 'utf8'));
    expect(String(res.stderr)).toContain('[app]');
  });

  it('a failing build leaves no dest file or directory behind, and no temp file', async () => {
    const dir = await proj(
      '  tarball:\n    output: ["type=oci,dest=x.tar"]\n  files:\n    output: ["type=local,dest=out"]',
      {},
      'FROM scratch\nCOPY marker.txt /marker.txt\nCOPY missing-file /nowhere\n',
    );
    const before = (await fs.readdir(dir)).sort();
    const r = await run(dir, ['tarball', 'files', '--keep-going']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing-file');
    expect((await fs.readdir(dir)).sort()).toEqual(before);
  });
});
