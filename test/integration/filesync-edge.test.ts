/**
 * The context transfer's edge cases through the real CLI on both engines (Docker 20.10 / BuildKit
 * v0.8 and Docker 26 / v0.13). What arrived is checked where it arrived: `RUN` in the busybox image
 * prints modes, sizes, link targets and digests of what `COPY` received (Docker 20.10's classic store
 * has no tar exporter, and exporting 1 GiB back would double the work).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, project, runCli } from '../helpers/cli.js';
import { BASE_IMAGE, engines, requireEngine, type EngineRef } from '../helpers/env.js';

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Runs the CLI under /usr/bin/time for its peak RSS (KiB); undefined where time(1) is missing. */
async function runMeasured(args: string[], cwd: string, engine: EngineRef, timeoutMs: number): Promise<{ code: number; out: string; rssKb: number | undefined }> {
  const timed = existsSync('/usr/bin/time');
  const cmd = timed ? '/usr/bin/time' : 'node';
  const argv = timed ? ['-f', 'tsbake-peak-rss-kb=%M', 'node', bin, ...args] : [bin, ...args];
  const r = await execa(cmd, argv, { cwd, env: { CI: 'true', DOCKER_HOST: engine.host }, reject: false, stdin: 'ignore', timeout: timeoutMs, all: true });
  const out = String(r.all);
  const m = /tsbake-peak-rss-kb=(\d+)/.exec(out);
  return { code: r.exitCode ?? -1, out, rssKb: m ? Number(m[1]) : undefined };
}

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('context transfer edge cases on %s', (_name, engine) => {
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('empty and small files, modes, relative/absolute/dangling symlinks; FIFOs and sockets in excluded paths do not hang the transfer', async () => {
    const marker = randomBytes(8).toString('hex');
    const names = ['empty.txt', 'small.txt', 'exec.sh', 'private', 'suid', 'sgid', 'sticky', 'sticky/in.txt', 'sub/nested/deep.txt', 'rel-link', 'abs-link', 'dangling', 'dir-link'];
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=cacheonly"]\n',
      // busybox stat: name, octal mode with the setuid/setgid/sticky bits, type, size; readlink: targets.
      Dockerfile: [
        `FROM ${BASE_IMAGE}`,
        'COPY . /ctx/',
        `RUN cd /ctx && stat -c 'st:%n:%a:%F:%s' ${names.join(' ')} && echo "links:$(readlink rel-link):$(readlink abs-link):$(readlink dangling):$(readlink dir-link)" && echo "small:$(cat small.txt)" && echo "unsent:$(ls -d special *.fifo 2>/dev/null | wc -l)"`,
        '',
      ].join('\n'),
      '.dockerignore': 'special\n*.fifo\n',
      'empty.txt': '',
      'small.txt': marker,
      'exec.sh': '#!/bin/sh\necho hi\n',
      private: 'secret-ish',
      suid: 'setuid',
      sgid: 'setgid',
      'sub/nested/deep.txt': 'deep',
      'special/keep-out.txt': 'never sent',
    });
    await fs.chmod(path.join(dir, 'exec.sh'), 0o755);
    await fs.chmod(path.join(dir, 'private'), 0o600);
    await fs.chmod(path.join(dir, 'suid'), 0o4755);
    await fs.chmod(path.join(dir, 'sgid'), 0o2750);
    await fs.mkdir(path.join(dir, 'sticky'));
    await fs.chmod(path.join(dir, 'sticky'), 0o1777);
    await fs.writeFile(path.join(dir, 'sticky/in.txt'), 'in sticky');
    await fs.symlink('small.txt', path.join(dir, 'rel-link'));
    await fs.symlink('/etc/hostname', path.join(dir, 'abs-link'));
    await fs.symlink('does-not-exist', path.join(dir, 'dangling'));
    await fs.symlink('sub/nested', path.join(dir, 'dir-link'));
    await execa('mkfifo', [path.join(dir, 'special/pipe'), path.join(dir, 'top.fifo')]);
    // A listening unix socket in an excluded dir (the file exists while the server listens).
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(dir, 'special/sock'), resolve));
    let out: string;
    try {
      const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host } });
      expect(r.code, r.stderr).toBe(0);
      out = r.stderr;
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const st = new Map([...out.matchAll(/st:([^:\s]+):(\d+):([^:]+):(\d+)/g)].map((m) => [m[1]!, { mode: m[2], type: m[3], size: Number(m[4]) }]));
    expect(st.get('empty.txt')).toMatchObject({ type: 'regular empty file', size: 0 });
    expect(st.get('small.txt')).toMatchObject({ type: 'regular file', size: marker.length });
    expect(st.get('sub/nested/deep.txt')).toMatchObject({ size: 4 });
    expect(st.get('sticky/in.txt')).toMatchObject({ size: 9 });
    expect(st.get('exec.sh')?.mode).toBe('755');
    expect(st.get('private')?.mode).toBe('600');
    // BuildKit's copy keeps the setuid/setgid/sticky bits it receives in the STAT mode.
    expect(st.get('suid')?.mode).toBe('4755');
    expect(st.get('sgid')?.mode).toBe('2750');
    expect(st.get('sticky')).toMatchObject({ mode: '1777', type: 'directory' });
    for (const l of ['rel-link', 'abs-link', 'dangling', 'dir-link']) expect(st.get(l)?.type).toBe('symbolic link');
    expect(out).toContain('links:small.txt:/etc/hostname:does-not-exist:sub/nested');
    expect(out).toContain(`small:${marker}`);
    expect(out).toContain('unsent:0');
  });

  it('an empty context', async () => {
    const dir = await project({
      // The marker makes the RUN new each time (an empty context is the same every run: COPY is cached).
      'tsbake.yaml': `target:\n  app:\n    context: empty\n    output: ["type=cacheonly"]\n    dockerfile-inline: |\n      FROM ${BASE_IMAGE}\n      COPY . /ctx/\n      RUN echo "${randomBytes(6).toString('hex')} entries=$(find /ctx -mindepth 1 | wc -l)"\n`,
    });
    await fs.mkdir(path.join(dir, 'empty'));
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('entries=0');
  });

  it('a 1 GiB (sparse) file arrives whole, with the right size and digest, and is never held in memory', { timeout: 600_000 }, async () => {
    const marker = randomBytes(16).toString('hex');
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=cacheonly"]\n',
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY big.bin empty.bin /in/\nRUN echo "size=$(wc -c < /in/big.bin) empty=$(wc -c < /in/empty.bin)" && sha256sum /in/big.bin\n`,
      'empty.bin': '',
    });
    const big = path.join(dir, 'big.bin');
    const GiB = 1024 * 1024 * 1024;
    const fh = await fs.open(big, 'w');
    try {
      await fh.truncate(GiB);
      // Data at the start, across a 1 MiB read boundary in the middle, and at the very end.
      await fh.write(Buffer.from(`start-${marker}`), 0, undefined, 0);
      await fh.write(Buffer.from(`middle-${marker}`), 0, undefined, 512 * 1024 * 1024 - 10);
      await fh.write(Buffer.from(`end-${marker}`), 0, undefined, GiB - `end-${marker}`.length);
    } finally {
      await fh.close();
    }
    const want = await sha256File(big);
    const r = await runMeasured(['run', 'app', '--progress', 'plain'], dir, engine, 580_000);
    expect(r.code, r.out.slice(-3000)).toBe(0);
    expect(r.out).toContain(`size=${GiB} empty=0`);
    expect(r.out).toContain(`${want}  /in/big.bin`);
    // The whole process, its session and gRPC layers included, stays far below the file's size.
    if (r.rssKb !== undefined) expect(r.rssKb).toBeLessThan(400 * 1024);
  });

  it('a 100,000-file tree', { timeout: 600_000 }, async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=cacheonly"]\n',
      // The marker makes the RUN new each time (the tree is the same every run: COPY may be cached).
      Dockerfile: `FROM ${BASE_IMAGE}\nCOPY tree /tree\nRUN echo ${randomBytes(6).toString('hex')} && echo "files=$(find /tree -type f | wc -l) bytes=$(find /tree -type f -exec cat {} + | wc -c)" && cat /tree/d042/f00042.txt /tree/d099/f00999.txt\n`,
    });
    let bytes = 0;
    for (let d = 0; d < 100; d++) {
      const sub = path.join(dir, 'tree', `d${String(d).padStart(3, '0')}`);
      await fs.mkdir(sub, { recursive: true });
      await Promise.all(
        Array.from({ length: 1000 }, (_, f) => {
          // Every tenth file empty, the others their own name.
          const text = f % 10 === 3 ? '' : `<${d}/${f}>`;
          bytes += text.length;
          return fs.writeFile(path.join(sub, `f${String(f).padStart(5, '0')}.txt`), text);
        }),
      );
    }
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engine.host }, timeoutMs: 580_000 });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain(`files=100000 bytes=${bytes}`);
    expect(r.stderr).toContain('<42/42><99/999>');
  });
});
