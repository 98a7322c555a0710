/**
 * Real builds through the real CLI on both test engines with the docker driver: Docker 20.10 (BuildKit
 * v0.8, classic store) and Docker 26 (BuildKit v0.13, containerd store).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { engines, requireEngine, docker, type EngineRef } from '../helpers/env.js';
import { project, runCli, spawnCli } from '../helpers/cli.js';

const uniq = (): string => Math.random().toString(36).slice(2, 8);

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('docker driver on %s', (name, engine) => {
  const env = { DOCKER_HOST: engine.host };
  const isNew = name === 'docker26';
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('builds RUN on the local busybox image with args, labels and tags, loaded into the engine', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': `target:\n  app:\n    tags: ["tsbake-it/app:${id}"]\n    args: {WHO: "world-${id}"}\n    labels: {org.example.id: "${id}"}\n`,
      Dockerfile: 'FROM local/busybox:1\nARG WHO\nCOPY hello.txt /hello.txt\nRUN echo "hello $WHO" > /out.txt\n',
      'hello.txt': 'from the context\n',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.stderr).toContain('[app]');
    expect(r.code, r.stderr).toBe(0);
    const out = await docker(engine, ['run', '--rm', `tsbake-it/app:${id}`, 'cat', '/out.txt', '/hello.txt']);
    expect(out.stdout).toBe(`hello world-${id}\nfrom the context`);
    const label = await docker(engine, ['image', 'inspect', '-f', '{{index .Config.Labels "org.example.id"}}', `tsbake-it/app:${id}`]);
    expect(label.stdout.trim()).toBe(id);
  });

  it('multi-stage target, dockerfile-inline, metadata file', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': [
        'target:',
        '  staged:',
        '    target: second',
        `    tags: ["tsbake-it/staged:${id}"]`,
        '  inline:',
        '    dockerfile-inline: |',
        '      FROM local/busybox:1',
        `      RUN echo inline-${id} > /inline.txt`,
        `    tags: ["tsbake-it/inline:${id}"]`,
        'group:',
        '  default:',
        '    targets: [staged, inline]',
        '',
      ].join('\n'),
      Dockerfile: 'FROM local/busybox:1 AS first\nRUN echo first > /stage.txt\nFROM local/busybox:1 AS second\nRUN echo second > /stage.txt\nFROM first\n',
    });
    const meta = path.join(dir, 'meta.json');
    const r = await runCli(['run', '--progress', 'quiet', '--metadata-file', meta], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect((await docker(engine, ['run', '--rm', `tsbake-it/staged:${id}`, 'cat', '/stage.txt'])).stdout).toBe('second');
    expect((await docker(engine, ['run', '--rm', `tsbake-it/inline:${id}`, 'cat', '/inline.txt'])).stdout).toBe(`inline-${id}`);
    const m = JSON.parse(await fs.readFile(meta, 'utf8'));
    expect(m.staged['containerimage.digest']).toMatch(/^sha256:/);
    expect(m.inline['buildx.build.ref']).toMatch(/^default\/default0\//);
    // quiet prints the image digests on stdout
    expect(r.stdout).toMatch(/sha256:[0-9a-f]{64}/);
  });

  it('.dockerignore: excluded files never reach the build, and an excluded FIFO is never opened', async () => {
    const dir = await project({
      'tsbake.yaml': `target:\n  app:\n    tags: ["tsbake-it/ignore:${uniq()}"]\n`,
      Dockerfile: 'FROM local/busybox:1\nCOPY . /ctx\nRUN test -e /ctx/kept.txt && test ! -e /ctx/secret.env && test ! -e /ctx/big && test -e /ctx/logs/keep.log && test ! -e /ctx/logs/drop.log\n',
      '.dockerignore': 'secret.env\nbig/\nlogs/*.log\n!logs/keep.log\n',
      'kept.txt': 'k',
      'secret.env': 'TOKEN=1',
      'logs/keep.log': 'keep',
      'logs/drop.log': 'drop',
    });
    await fs.mkdir(path.join(dir, 'big'));
    // 100 MB in an excluded dir, plus a FIFO: reading the FIFO would hang the build, so passing proves it is never touched.
    await fs.writeFile(path.join(dir, 'big', 'blob.bin'), Buffer.alloc(100 * 1024 * 1024));
    await execa('mkfifo', [path.join(dir, 'big', 'pipe')]);
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a 3,000-file context arrives whole, with no warnings on the way', async () => {
    const id = Math.random().toString(36).slice(2, 10);
    const files: Record<string, string> = { 'tsbake.yaml': 'target:\n  many: {}\n', Dockerfile: 'FROM local/busybox:1\nCOPY . /ctx\nRUN find /ctx/src -type f | wc -l > /count.txt && cat /count.txt\n' };
    // One file unique to this run, so COPY is not a cache hit from an earlier run of the test.
    for (let i = 0; i < 3000; i++) files[`src/d${i % 30}/f${i}.txt`] = i === 0 ? id : `${i} `.repeat(800);
    const dir = await project(files);
    const r = await runCli(['run', 'many', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\b3000\b/);
    // Node prints these for listeners piling up on a stream (16 file senders waiting for 'drain' once did).
    expect(r.stderr).not.toContain('Warning');
  });

  it('a secret reaches RUN --mount=type=secret and appears in no output', async () => {
    const value = `s3cr3t-${uniq()}`;
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    secret: ["id=tok,env=TSBAKE_IT_TOKEN"]\n',
      // The Dockerfile holds only the value's hash, so any appearance of the value in output is a leak.
      Dockerfile: `FROM local/busybox:1\nRUN --mount=type=secret,id=tok test "$(sha256sum < /run/secrets/tok | cut -d' ' -f1)" = "${createHash('sha256').update(value).digest('hex')}" && echo secret-ok\n`,
    });
    const r = await runCli(['run', 'app', '--progress', 'plain', '--no-cache'], { cwd: dir, env: { ...env, TSBAKE_IT_TOKEN: value } });
    expect(r.code, r.stderr).toBe(0);
    const printed = await runCli(['print', 'app'], { cwd: dir, env: { ...env, TSBAKE_IT_TOKEN: value } });
    expect(JSON.parse(printed.stdout).target.app.secret).toEqual([{ id: 'tok', env: 'TSBAKE_IT_TOKEN' }]);
    for (const s of [r.stdout, r.stderr, printed.stdout, printed.stderr]) expect(s).not.toContain('s3cr3t');
  });

  it('a failing RUN: exit 1, the command and the Dockerfile line in the message', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app: {}\n',
      Dockerfile: 'FROM local/busybox:1\nRUN echo fine\nRUN echo about-to-fail && exit 3\n',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('exit 3');
    expect(r.stderr).toMatch(/exit code: 3/);
    expect(r.stderr).toMatch(/Dockerfile:3/);
    expect(r.stderr).toContain('about-to-fail');
  });

  it('Ctrl-C during a long RUN: exit 130, the engine keeps running, the next run works', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  slow: {}\n',
      Dockerfile: `FROM local/busybox:1\nRUN echo started-${uniq()} && sleep 60\n`,
    });
    const child = spawnCli(['run', 'slow', '--progress', 'plain'], { cwd: dir, env });
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stderr?.on('data', (b: Buffer) => {
        seen += b.toString();
        if (seen.includes('started-')) resolve();
      });
    });
    const t0 = Date.now();
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode).toBe(130);
    expect(Date.now() - t0).toBeLessThan(15_000);
    await requireEngine(engine);
    await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM local/busybox:1\nRUN echo quick\n');
    const again = await runCli(['run', 'slow', '--progress', 'plain'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
  });

  it('monorepo with target: contexts', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': `target:\n  base:\n    context: base\n  app:\n    context: app\n    contexts: {base: "target:base"}\n    tags: ["tsbake-it/mono:${id}"]\n`,
      'base/Dockerfile': `FROM local/busybox:1\nRUN echo base-${id} > /base.txt\n`,
      'app/Dockerfile': 'FROM base\nRUN cat /base.txt > /app.txt\n',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    if (isNew) {
      expect(r.code, r.stderr).toBe(0);
      expect((await docker(engine, ['run', '--rm', `tsbake-it/mono:${id}`, 'cat', '/app.txt'])).stdout).toBe(`base-${id}`);
    } else {
      // BuildKit v0.8's Dockerfile frontend has no named contexts: refused before the build, naming the version.
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/BuildKit v0\.8/);
      expect(r.stderr).toMatch(/docker-container|remote|newer/);
    }
  });
});

describe('attributes newer than the daemon (Docker 20.10, BuildKit v0.8)', () => {
  it('shm-size and ulimits are refused before the build, naming the BuildKit version', async () => {
    await requireEngine(engines.docker20);
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    shm-size: 128m\n    ulimits: ["nofile=1024:1024"]\n',
      Dockerfile: 'FROM local/busybox:1\nRUN true\n',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker20.host } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/shm-size is not supported by BuildKit v0\.8/);
    expect(r.stderr).toMatch(/ulimits is not supported by BuildKit v0\.8/);
    const ok = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(ok.code, ok.stderr).toBe(0);
  });
});
