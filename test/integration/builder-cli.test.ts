/**
 * `tsbake builder …` through the real CLI on Docker 26: a remote builder (the test relay in front of the
 * engine's BuildKit), the docker builder, and a docker-container builder running the BuildKit stand-in
 * (`privileged: false`, `network: host`), whose container and volume are checked through the engine.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, engines, ensureStandInImage, requireEngine } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const ENGINE = engines.docker26;
const RUN = randomBytes(3).toString('hex');
const DC = `bcli-${RUN}`;
const CONTAINER = `tsbake_buildkit_${DC}`;
const VOLUME = `${CONTAINER}_state`;

interface Status {
  name: string;
  driver: string;
  status: string;
  buildkitVersion?: string;
  platforms: string[];
  endpoint: string;
}

describe('tsbake builder (Docker 26)', () => {
  let unixRelay: GrpcRelay;
  let tcpRelay: GrpcRelay;
  let sockDir: string;
  let dir: string;
  let standIn: string;
  let image: string;
  const env = { DOCKER_HOST: ENGINE.host };
  const cli = (args: string[]) => runCli(['builder', ...args], { cwd: dir, env, timeoutMs: 90_000 });
  const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };

  async function containerState(): Promise<{ Running: boolean } | undefined> {
    const r = await docker(ENGINE, ['container', 'inspect', '-f', '{{json .State}}', CONTAINER]).catch(() => undefined);
    return r ? (JSON.parse(r.stdout) as { Running: boolean }) : undefined;
  }
  async function volumeExists(): Promise<boolean> {
    return (await docker(ENGINE, ['volume', 'inspect', VOLUME]).catch(() => undefined)) !== undefined;
  }

  beforeAll(async () => {
    await requireEngine(ENGINE);
    sockDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-bcli-'));
    unixRelay = await startGrpcRelay({ engineSocket: ENGINE.host, listen: { unix: path.join(sockDir, 'bk.sock') } });
    tcpRelay = await startGrpcRelay({ engineSocket: ENGINE.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
    standIn = await ensureStandInImage(ENGINE, tcpRelay.port);
    // The stand-in with an entrypoint that takes buildkitd's arguments and stops at once on TERM.
    image = `tsbake-test/buildkit-standin-bcli:${RUN}`;
    const tmp = `bcli-${RUN}-img`;
    await docker(ENGINE, ['create', '--name', tmp, standIn]);
    try {
      await docker(ENGINE, [
        'commit',
        '--change',
        'ENTRYPOINT ["/bin/sh", "-c", "trap \\"exit 0\\" TERM; while :; do sleep 1 & wait $!; done", "buildkitd"]',
        tmp,
        image,
      ]);
    } finally {
      await docker(ENGINE, ['rm', '-f', tmp]);
    }
    dir = await project({
      'tsbake.yaml': [
        'builder:',
        '  rb:',
        '    driver: remote',
        `    endpoint: ${unixRelay.address}`,
        '  dk:',
        '    driver: docker',
        `    endpoint: ${ENGINE.host}`,
        `  ${DC}:`,
        '    driver: docker-container',
        `    endpoint: ${ENGINE.host}`,
        '    driver-opts:',
        `      image: ${image}`,
        '      privileged: false',
        '      network: host',
        '',
      ].join('\n'),
    });
  });

  afterAll(async () => {
    await docker(ENGINE, ['rm', '-f', CONTAINER]).catch(() => undefined);
    await docker(ENGINE, ['volume', 'rm', '-f', VOLUME]).catch(() => undefined);
    if (image) await docker(ENGINE, ['rmi', '-f', image]).catch(() => undefined);
    if (standIn) await docker(ENGINE, ['rmi', '-f', standIn]).catch(() => undefined);
    await Promise.all([unixRelay?.close(), tcpRelay?.close()]);
    for (const d of [sockDir, dir]) if (d) await fs.rm(d, { recursive: true, force: true });
  });

  it('ls --format json: every declared builder with status, BuildKit version and platforms', async () => {
    const rows = json<Status[]>(await cli(['ls', '--format', 'json']));
    expect(rows.map((r) => r.name).sort()).toEqual([DC, 'dk', 'rb'].sort());
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(by.rb).toMatchObject({ driver: 'remote', status: 'running', endpoint: unixRelay.address });
    expect(by.rb!.platforms).toContain('linux/amd64');
    expect(by.rb!.buildkitVersion).toBeTruthy();
    expect(by.dk).toMatchObject({ driver: 'docker', status: 'running' });
    expect(by.dk!.buildkitVersion).toBeTruthy();
    expect(by.dk!.platforms).toContain('linux/amd64');
    // Not created yet.
    expect(by[DC]!.driver).toBe('docker-container');
    expect(by[DC]!.status).not.toBe('running');
    expect(await containerState()).toBeUndefined();
  });

  // Docker's embedded BuildKit answers Info with `v0.0.0+unknown`: `ls` says what the executor goes by.
  it('ls shows the docker builder BuildKit version from the engine release (v0.13 for Docker 26)', async () => {
    const rows = json<Status[]>(await cli(['ls', '--format', 'json']));
    expect(rows.find((r) => r.name === 'dk')!.buildkitVersion).toMatch(/^v0\.13/);
  });

  it('inspect: remote and docker builders in detail; an unknown name gets a suggestion', async () => {
    const rb = json<Status & { details?: { workers?: unknown[] } }>(await cli(['inspect', 'rb', '--format', 'json']));
    expect(rb).toMatchObject({ name: 'rb', driver: 'remote', status: 'running' });
    expect(rb.details?.workers?.length).toBeGreaterThan(0);
    const text = await cli(['inspect', 'dk']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Driver:\s+docker/);
    expect(text.stdout).toMatch(/Status:\s+running/);
    const typo = await cli(['inspect', 'rbb']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean rb?');
  });

  it('du and prune --all on the remote and the docker builder', async () => {
    // Give the cache something to hold first.
    const ctx = await project({
      'tsbake.yaml': `target:\n  warm:\n    output: ["type=cacheonly"]\n`,
      Dockerfile: `FROM local/busybox:1\nRUN echo warm-${RUN} > /w.txt\n`,
    });
    try {
      const built = await runCli(['run', 'warm', '--progress', 'quiet'], { cwd: ctx, env });
      expect(built.code, built.stderr).toBe(0);
    } finally {
      await fs.rm(ctx, { recursive: true, force: true });
    }
    const du = json<{ records: { id: string; size: number }[]; total: number }>(await cli(['du', 'rb', '--format', 'json']));
    expect(du.records.length).toBeGreaterThan(0);
    expect(du.total).toBe(du.records.reduce((n, r) => n + r.size, 0));
    const duText = await cli(['du', 'dk']);
    expect(duText.code, duText.stderr).toBe(0);
    expect(duText.stdout).toMatch(/^Total:\s+\S+/m);

    const pruned = json<{ removed: unknown[]; total: number }>(await cli(['prune', 'dk', '--all', '--format', 'json']));
    expect(pruned.removed.length).toBeGreaterThan(0);
    const after = json<{ records: { inUse: boolean }[] }>(await cli(['du', 'rb', '--format', 'json']));
    // Everything not in use by a running build is gone (other suites may be building on this engine).
    expect(after.records.length).toBeLessThan(du.records.length);
    const again = json<{ removed: unknown[] }>(await cli(['prune', 'rb', '--all', '--format', 'json']));
    expect(Array.isArray(again.removed)).toBe(true);
  });

  it('docker-container: bootstrap creates and starts, stop stops, rm --keep-state keeps the volume', async () => {
    const boot = json<Status>(await cli(['bootstrap', DC, '--format', 'json']));
    expect(boot.status).toBe('running');
    expect((await containerState())?.Running).toBe(true);
    expect(await volumeExists()).toBe(true);

    const ls = json<Status[]>(await cli(['ls', '--format', 'json']));
    const row = ls.find((r) => r.name === DC)!;
    expect(row.status).toBe('running');
    expect(row.platforms).toContain('linux/amd64');

    const stop = await cli(['stop', DC]);
    expect(stop.code, stop.stderr).toBe(0);
    expect((await containerState())?.Running).toBe(false);
    const inspect = json<Status>(await cli(['inspect', DC, '--format', 'json']));
    expect(inspect.status).toBe('stopped');

    const rm = await cli(['rm', DC, '--keep-state']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toContain('state kept');
    expect(await containerState()).toBeUndefined();
    expect(await volumeExists()).toBe(true);

    // A later bootstrap reuses the kept state; rm without --keep-state removes both.
    expect(json<Status>(await cli(['bootstrap', DC, '--format', 'json'])).status).toBe('running');
    const rmAll = await cli(['rm', DC]);
    expect(rmAll.code, rmAll.stderr).toBe(0);
    expect(await containerState()).toBeUndefined();
    expect(await volumeExists()).toBe(false);
  });
});
