/**
 * Details of what `tsbake run` prints, through the real CLI on the real engines: the image IDs of
 * `--progress=quiet` (what the engine's image store knows), the `TSBAKE_TRACE` lines (one time form,
 * ordered, with the context transfer's phases), and one "no output" warning for many targets.
 */
import os from 'node:os';
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine, docker, type EngineRef } from '../helpers/env.js';
import { project, runCli } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const uniq = (): string => Math.random().toString(36).slice(2, 10);

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('--progress=quiet on %s (docker driver)', (_name, engine) => {
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('prints an image ID that `docker image inspect` knows, the same the engine reports', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': `target:\n  app:\n    tags: ["tsbake-it/quiet-id:${id}"]\n`,
      Dockerfile: `FROM local/busybox:1\nRUN echo ${id} > /id.txt\n`,
    });
    const r = await runCli(['run', 'app', '--progress=quiet'], { cwd: dir, env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    const printed = r.stdout.trim();
    expect(printed).toMatch(/^sha256:[0-9a-f]{64}$/);
    // Docker 26's containerd store knows an image by its manifest digest, not its config digest.
    const inspected = await docker(engine, ['image', 'inspect', '-f', '{{.Id}}', printed]);
    expect(inspected.stdout.trim()).toBe(printed);
    const byTag = await docker(engine, ['image', 'inspect', '-f', '{{.Id}}', `tsbake-it/quiet-id:${id}`]);
    expect(byTag.stdout.trim()).toBe(printed);
  });
});

describe('--progress=quiet with --load from a remote builder into Docker 26 (containerd store)', () => {
  let tmp: string;
  let relay: GrpcRelay;

  beforeAll(async () => {
    await requireEngine(engines.docker26);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tsbake-quiet-load-'));
    relay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { unix: path.join(tmp, 'bk.sock') } });
  });
  afterAll(async () => {
    await relay?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('prints the loaded image ID that `docker image inspect` knows', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': `builder:\n  rb:\n    driver: remote\n    endpoint: ${relay.address}\ndefault-builder: rb\ntarget:\n  app:\n    tags: ["tsbake-it/quiet-load:${id}"]\n`,
      Dockerfile: 'FROM scratch\nCOPY id.txt /id.txt\n',
      'id.txt': id,
    });
    const r = await runCli(['run', 'app', '--load', '--progress=quiet'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(r.code, r.stderr).toBe(0);
    const printed = r.stdout.trim();
    expect(printed).toMatch(/^sha256:[0-9a-f]{64}$/);
    const byTag = await docker(engines.docker26, ['image', 'inspect', '-f', '{{.Id}}', `tsbake-it/quiet-load:${id}`]);
    expect(byTag.stdout.trim()).toBe(printed);
  });
});

describe('TSBAKE_TRACE', () => {
  beforeAll(async () => {
    await requireEngine(engines.docker20);
  });

  it('every line has its time in ms since start, in order, with context-start/context-done for the target', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': 'target:\n  traced: {}\n',
      Dockerfile: 'FROM local/busybox:1\nCOPY payload.txt /payload.txt\n',
      // Unique content, so BuildKit has to ask for the file.
      'payload.txt': `payload ${id}\n`,
    });
    const r = await runCli(['run', 'traced', '--progress=plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker20.host, TSBAKE_TRACE: '1' } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('tsbake-trace '));
    expect(lines.length).toBeGreaterThan(5);
    const times: number[] = [];
    for (const line of lines) {
      const m = /^tsbake-trace (\S+) (\d+)ms(?: (.*))?$/.exec(line);
      expect(m, line).not.toBeNull();
      times.push(Number(m![2]));
    }
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(lines[0]).toMatch(/^tsbake-trace origin 0ms epoch=\d{13}$/);
    expect(lines.some((l) => /^tsbake-trace solve-sent \d+ms traced$/.test(l))).toBe(true);
    const starts = lines.filter((l) => /^tsbake-trace context-start \d+ms traced dir=\S+$/.test(l));
    const dones = lines.filter((l) => /^tsbake-trace context-done \d+ms traced dir=\S+ files=\d+ entries=\d+ bytes=\d+$/.test(l));
    expect(starts.length).toBeGreaterThan(0);
    expect(dones.length).toBe(starts.length);
    // The context's call sent payload.txt: one file, its bytes.
    const sentPayload = dones.some((l) => / files=1 /.test(l) && l.endsWith(` bytes=${`payload ${id}\n`.length}`) && !/dir=df-/.test(l));
    expect(sentPayload, dones.join('\n')).toBe(true);
  });
});

describe('remote builder with several targets and no output', () => {
  let tmp: string;
  let relay: GrpcRelay;

  beforeAll(async () => {
    await requireEngine(engines.docker20);
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tsbake-nooutput-'));
    relay = await startGrpcRelay({ engineSocket: engines.docker20.host, listen: { unix: path.join(tmp, 'bk.sock') } });
  });
  afterAll(async () => {
    await relay?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('prints one warning naming the count and the targets', async () => {
    const dir = await project({
      'tsbake.yaml': [
        'builder:',
        '  rb:',
        '    driver: remote',
        `    endpoint: ${relay.address}`,
        'default-builder: rb',
        'target:',
        '  one: {}',
        '  two: {}',
        '  three: {}',
        'group:',
        '  default:',
        '    targets: [one, two, three]',
        '',
      ].join('\n'),
      Dockerfile: 'FROM scratch\nCOPY a.txt /a.txt\n',
      'a.txt': 'a\n',
    });
    const r = await runCli(['run', '--progress=plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker20.host } });
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => /no output specified/i.test(l));
    expect(warnings, r.stderr).toHaveLength(1);
    expect(warnings[0]).toContain('3 targets (one, three, two)');
    expect(warnings[0]).toContain('with the remote driver');
    // buildx says it when it builds, not in `--print`; `plan` (what a run would do) still says it.
    const printed = await runCli(['print'], { cwd: dir, env: { DOCKER_HOST: engines.docker20.host } });
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stderr).not.toMatch(/no output specified/i);
    const planned = await runCli(['plan'], { cwd: dir, env: { DOCKER_HOST: engines.docker20.host } });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stderr).toMatch(/no output specified for 3 targets/i);
  });
});
