/**
 * `--load` through the real CLI on a remote builder (the test relay in front of Docker 26's BuildKit):
 * the docker-exporter tarball streams back over the session and into the engine at DOCKER_HOST —
 * Docker 26 (containerd store, OCI tarball) and Docker 20.10 (classic store, docker tarball) — plus
 * default-load and the multi-platform refusal on a classic store.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, engines, requireEngine, requireRegistry, REGISTRY_BASE_IMAGE } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const RUN = randomBytes(3).toString('hex');
const uniq = (): string => `${RUN}-${randomBytes(3).toString('hex')}`;

describe('--load on a remote builder (relay to Docker 26 BuildKit)', () => {
  let relay: GrpcRelay;
  let sockDir: string;
  const images: [typeof engines.docker20, string][] = [];
  const dirs: string[] = [];

  const builders = (defaultLoad = false): string =>
    [
      'default-builder: rb',
      'builder:',
      '  rb:',
      '    driver: remote',
      `    endpoint: ${relay.address}`,
      ...(defaultLoad ? ['    driver-opts:', '      default-load: true'] : []),
      '',
    ].join('\n');

  async function proj(files: Record<string, string>): Promise<string> {
    const dir = await project(files);
    dirs.push(dir);
    return dir;
  }

  beforeAll(async () => {
    await Promise.all([requireEngine(engines.docker26), requireEngine(engines.docker20), requireRegistry()]);
    sockDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-outload-'));
    relay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { unix: path.join(sockDir, 'bk.sock') } });
  });

  afterAll(async () => {
    for (const [engine, image] of images) await docker(engine, ['rmi', '-f', image]).catch(() => undefined);
    await relay?.close();
    for (const d of [sockDir, ...dirs]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it.each([
    ['docker26', engines.docker26],
    ['docker20', engines.docker20],
  ] as const)('--load into %s: the image is in the engine and runs; progress shows both phases', async (_name, engine) => {
    const id = uniq();
    const tag = `tsbake-it/load:${id}`;
    images.push([engine, tag]);
    const dir = await proj({
      'tsbake.yaml': `${builders()}target:\n  app:\n    tags: ["${tag}"]\n`,
      Dockerfile: `FROM ${REGISTRY_BASE_IMAGE}\nRUN echo loaded-${id} > /out.txt\n`,
    });
    const r = await runCli(['run', 'app', '--load', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('sending tarball');
    expect(r.stderr).toContain('importing to docker');
    const out = await docker(engine, ['run', '--rm', tag, 'cat', '/out.txt']);
    expect(out.stdout).toBe(`loaded-${id}`);
  });

  async function hasImage(engine: typeof engines.docker20, ref: string): Promise<boolean> {
    const r = await docker(engine, ['image', 'inspect', ref]).catch(() => undefined);
    return r !== undefined;
  }

  it('FROM local/busybox:1 works on the remote builder too (Docker 26 BuildKit sees its engine store)', async () => {
    const id = uniq();
    const tag = `tsbake-it/load-local:${id}`;
    images.push([engines.docker26, tag]);
    const dir = await proj({
      'tsbake.yaml': `${builders()}target:\n  app:\n    tags: ["${tag}"]\n`,
      Dockerfile: `FROM local/busybox:1\nRUN echo local-${id} > /out.txt\n`,
    });
    const r = await runCli(['run', 'app', '--load', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(r.code, r.stderr).toBe(0);
    expect((await docker(engines.docker26, ['run', '--rm', tag, 'cat', '/out.txt'])).stdout).toBe(`local-${id}`);
  });

  it('default-load: true without outputs loads; an explicit type=local does not, and --load adds the load back', async () => {
    const id = uniq();
    const tags = { plain: `tsbake-it/dl-plain:${id}`, local: `tsbake-it/dl-local:${id}` };
    images.push([engines.docker26, tags.plain], [engines.docker26, tags.local]);
    const dir = await proj({
      'tsbake.yaml': [
        builders(true),
        'target:',
        '  plain:',
        `    tags: ["${tags.plain}"]`,
        '  local:',
        `    tags: ["${tags.local}"]`,
        '    output: ["type=local,dest=out"]',
        '',
      ].join('\n'),
      Dockerfile: `FROM scratch\nCOPY marker.txt /marker-${id}.txt\n`,
      'marker.txt': id,
    });
    const env = { DOCKER_HOST: engines.docker26.host };
    const r = await runCli(['run', 'plain', 'local', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(await hasImage(engines.docker26, tags.plain)).toBe(true);
    // The explicit output replaced the default: files on disk, nothing in the engine.
    expect(await fs.readFile(path.join(dir, 'out', `marker-${id}.txt`), 'utf8')).toBe(id);
    expect(await hasImage(engines.docker26, tags.local)).toBe(false);
    expect(r.stderr).not.toMatch(/\[local\] importing to docker/);

  });

  // Docker 26's embedded BuildKit answers Info with `v0.0.0+unknown`: a daemon that answers Info is v0.11+,
  // taken as current, so type=local + the load go in one solve (two exporters, v0.13).
  it('remote + default-load: --load adds the load back next to an explicit type=local', async () => {
    const id = uniq();
    const tag = `tsbake-it/dl-again:${id}`;
    images.push([engines.docker26, tag]);
    const dir = await proj({
      'tsbake.yaml': `${builders(true)}target:\n  local:\n    tags: ["${tag}"]\n    output: ["type=local,dest=out"]\n`,
      Dockerfile: `FROM scratch\nCOPY marker.txt /marker-${id}.txt\n`,
      'marker.txt': id,
    });
    const again = await runCli(['run', 'local', '--load', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('importing to docker');
    expect(await hasImage(engines.docker26, tag)).toBe(true);
    expect(await fs.readFile(path.join(dir, 'out', `marker-${id}.txt`), 'utf8')).toBe(id);
  });

  // The number of outputs per solve is checked against the daemon (Docker 26 → BuildKit v0.13), not the
  // docker driver's static table.
  it('docker driver on Docker 26: an explicit type=local does not load, --load adds the load back (two exporters)', async () => {
    const id = uniq();
    const tag = `tsbake-it/dd-again:${id}`;
    images.push([engines.docker26, tag]);
    const dir = await proj({
      'tsbake.yaml': `target:\n  local:\n    tags: ["${tag}"]\n    output: ["type=local,dest=out"]\n`,
      Dockerfile: `FROM local/busybox:1\nRUN echo dd-${id} > /marker.txt\n`,
    });
    const env = { DOCKER_HOST: engines.docker26.host };
    const first = await runCli(['run', 'local', '--progress', 'plain'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect(await fs.readFile(path.join(dir, 'out', 'marker.txt'), 'utf8')).toBe(`dd-${id}\n`);
    expect(await hasImage(engines.docker26, tag)).toBe(false);
    await fs.rm(path.join(dir, 'out'), { recursive: true });
    const again = await runCli(['run', 'local', '--load', '--progress', 'plain'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect((await docker(engines.docker26, ['run', '--rm', tag, 'cat', '/marker.txt'])).stdout).toBe(`dd-${id}`);
    expect(await fs.readFile(path.join(dir, 'out', 'marker.txt'), 'utf8')).toBe(`dd-${id}\n`);
  });

  it('multi-platform --load into the classic store of Docker 20.10 is refused, saying why; into Docker 26 it loads', async () => {
    const id = uniq();
    const tag = `tsbake-it/load-multi:${id}`;
    images.push([engines.docker26, tag], [engines.docker20, tag]);
    const dir = await proj({
      'tsbake.yaml': `${builders()}target:\n  multi:\n    tags: ["${tag}"]\n    platforms: [linux/amd64, linux/arm64]\n`,
      Dockerfile: 'FROM scratch\nARG TARGETPLATFORM\nCOPY marker.txt /marker.txt\n',
      'marker.txt': id,
    });
    const refused = await runCli(['run', 'multi', '--load', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker20.host } });
    expect(refused.code).toBe(2); // refused before any build, like the capabilities
    expect(refused.stderr).toContain('linux/amd64, linux/arm64');
    expect(refused.stderr).toMatch(/classic image store cannot hold an image index/);
    expect(refused.stderr).toContain(engines.docker20.host);
    expect(refused.stderr).not.toContain('sending tarball');
    expect(await hasImage(engines.docker20, tag)).toBe(false);

    const loaded = await runCli(['run', 'multi', '--load', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(loaded.code, loaded.stderr).toBe(0);
    const inspect = await engineJson(`/images/${encodeURIComponent(tag)}/json`);
    expect(inspect.Id).toMatch(/^sha256:/);
  });
});

async function engineJson(apiPath: string): Promise<{ Id?: string }> {
  const { engineApi } = await import('../helpers/env.js');
  const r = await engineApi(engines.docker26, apiPath);
  expect(r.status, r.body).toBe(200);
  return JSON.parse(r.body) as { Id?: string };
}
