/**
 * Outputs never destroy what they do not own (issue 15), through the real CLI on Docker 26 (docker
 * driver; the remote driver through the test relay where the daemon has to die):
 * - file destinations that are not regular files: device nodes and FIFOs are written through, symlinks
 *   followed (tarball outputs and --metadata-file); the device nodes are made in the test's own folder;
 * - local exports and OCI layouts merge into an existing dest and never delete the project's files; a
 *   local output without dest is refused;
 * - --metadata-file in a missing directory is refused before any build;
 * - SIGINT, SIGTERM, SIGHUP or a dying daemon during a tarball export: the signal's exit code, no temp
 *   file or directory left, the old tarball intact, no Node stack; watch mode survives a cancelled export.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine } from '../helpers/env.js';
import { tarEntries } from '../helpers/tar.js';
import { project, projectDirs, runCli, spawnCli } from '../helpers/cli.js';
import { startGrpcRelay } from '../helpers/relay.js';

const uniq = (): string => randomBytes(4).toString('hex');
const env = { DOCKER_HOST: engines.docker26.host };


/** Signs of a crash rather than a handled failure. */
function expectNoCrash(stderr: string): void {
  expect(stderr).not.toContain('ERR_STREAM_DESTROYED');
  expect(stderr).not.toContain('internal error');
  expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  expect(stderr).not.toContain('Node.js v');
}

/** Resolves once `check` holds (re-checked every 20 ms: the condition is the event); fails if the CLI exits first. */
async function until(check: () => Promise<boolean>, what: string, exited?: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited?.then(() => (gone = true));
  const deadline = Date.now() + 90_000; // a safety net only
  while (!(await check())) {
    if (gone) throw new Error(`the CLI exited before ${what}`);
    if (Date.now() > deadline) throw new Error(`no ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The temp files an export leaves beside its destination. */
async function tempsIn(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((n) => n.includes('.tmp-'));
}

beforeAll(async () => {
  await requireEngine(engines.docker26);
});

describe('file destinations that are not regular files', () => {
  const small = async (): Promise<string> =>
    project({
      'tsbake.yaml': 'target:\n  app: {}\n',
      Dockerfile: 'FROM scratch\nCOPY marker.txt /marker.txt\n',
      'marker.txt': `marker-${uniq()}`,
    });

  it('a character device (mknod c 1 3, the null device) stays a device: tarball and --metadata-file write through it', async () => {
    const dir = await small();
    await execa('mknod', ['-m', '666', path.join(dir, 'n'), 'c', '1', '3']);
    await execa('mknod', ['-m', '666', path.join(dir, 'm'), 'c', '1', '3']);
    const r = await runCli(['run', 'app', '--progress', 'plain', '--set', 'app.output=type=tar,dest=n', '--metadata-file', 'm'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    for (const n of ['n', 'm']) {
      const st = await fs.lstat(path.join(dir, n));
      expect(st.isCharacterDevice(), `${n} is still a character device`).toBe(true);
      expect(st.rdev, `${n} is still 1:3`).toBe((1 << 8) | 3);
    }
    expect(await tempsIn(dir)).toEqual([]);
  });

  it('a FIFO stays a FIFO: its reader receives the tarball, and the metadata JSON', async () => {
    const dir = await small();
    const fifo = path.join(dir, 'out.fifo');
    const metaFifo = path.join(dir, 'meta.fifo');
    await execa('mkfifo', [fifo, metaFifo]);
    const reading = tarEntries(createReadStream(fifo));
    const meta = fs.readFile(metaFifo, 'utf8');
    const r = await runCli(['run', 'app', '--progress', 'plain', '--set', 'app.output=type=tar,dest=out.fifo', '--metadata-file', 'meta.fifo'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const entries = await reading;
    expect(entries.get('marker.txt')?.toString()).toBe(await fs.readFile(path.join(dir, 'marker.txt'), 'utf8'));
    expect(JSON.parse(await meta)).toHaveProperty('app');
    expect((await fs.lstat(fifo)).isFIFO()).toBe(true);
    expect((await fs.lstat(metaFifo)).isFIFO()).toBe(true);
    expect(await tempsIn(dir)).toEqual([]);
  });

  it('a symlink stays a link and the file it points to is replaced (also a dangling link and --metadata-file)', async () => {
    const dir = await small();
    await fs.mkdir(path.join(dir, 'real'));
    await fs.writeFile(path.join(dir, 'real', 'x.tar'), 'old');
    await fs.writeFile(path.join(dir, 'real', 'meta.json'), 'old');
    await fs.symlink('real/x.tar', path.join(dir, 'x.tar'));
    await fs.symlink('real/meta.json', path.join(dir, 'meta.json'));
    await fs.symlink('real/new.tar', path.join(dir, 'new.tar'));
    await fs.writeFile(path.join(dir, 'tsbake.yaml'), 'target:\n  app:\n    output: ["type=tar,dest=x.tar"]\n  other:\n    output: ["type=tar,dest=new.tar"]\n');
    const r = await runCli(['run', 'app', 'other', '--progress', 'plain', '--metadata-file', 'meta.json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const marker = await fs.readFile(path.join(dir, 'marker.txt'), 'utf8');
    for (const [link, to] of [
      ['x.tar', 'real/x.tar'],
      ['new.tar', 'real/new.tar'],
      ['meta.json', 'real/meta.json'],
    ] as const) {
      expect((await fs.lstat(path.join(dir, link))).isSymbolicLink(), `${link} is still a symlink`).toBe(true);
      expect(await fs.readlink(path.join(dir, link))).toBe(to);
    }
    expect((await tarEntries(createReadStream(path.join(dir, 'real', 'x.tar')))).get('marker.txt')?.toString()).toBe(marker);
    expect((await tarEntries(createReadStream(path.join(dir, 'real', 'new.tar')))).get('marker.txt')?.toString()).toBe(marker);
    expect(JSON.parse(await fs.readFile(path.join(dir, 'real', 'meta.json'), 'utf8'))).toHaveProperty('app');
    expect(await tempsIn(dir)).toEqual([]);
    expect(await tempsIn(path.join(dir, 'real'))).toEqual([]);
  });
});

describe('local exports keep the files they do not contain', () => {
  // local/busybox:1 has /bin (busybox and its links) and /etc, like a real base image.
  const files = (id: string): Record<string, string> => ({
    'tsbake.yaml': 'target:\n  app: {}\n',
    Dockerfile: `FROM local/busybox:1\nRUN mkdir -p /etc/app && echo built-${id} > /etc/app/conf\n`,
    'bin/deploy.sh': 'x\n',
    'etc/keep.conf': 'keep\n',
  });

  it('dest=. merges into the project: bin/deploy.sh and etc/keep.conf stay, the image files arrive', async () => {
    const id = uniq();
    const dir = await project(files(id));
    const r = await runCli(['run', 'app', '--progress', 'plain', '--set', 'app.output=type=local,dest=.'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(path.join(dir, 'bin', 'deploy.sh'), 'utf8')).toBe('x\n');
    expect(await fs.readFile(path.join(dir, 'etc', 'keep.conf'), 'utf8')).toBe('keep\n');
    expect(await fs.readFile(path.join(dir, 'tsbake.yaml'), 'utf8')).toBe('target:\n  app: {}\n');
    expect(await fs.readFile(path.join(dir, 'etc', 'app', 'conf'), 'utf8')).toBe(`built-${id}\n`);
    expect((await fs.lstat(path.join(dir, 'bin', 'busybox'))).isFile()).toBe(true);
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('dest=DIR with files already there: they stay, exported files are overwritten, a symlink in dest is not followed', async () => {
    const id = uniq();
    const dir = await project({ ...files(id), 'out/bin/deploy.sh': 'x\n', 'out/notes.txt': 'n\n', 'out/etc/app/conf': 'stale\n' });
    // `out/usr` points outside dest: the export must replace the link, not write through it.
    const outside = await project({ 'keep.txt': 'outside\n' });
    await fs.symlink(outside, path.join(dir, 'out', 'usr'));
    const r = await runCli(['run', 'app', '--progress', 'plain', '--set', 'app.output=type=local,dest=out'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = path.join(dir, 'out');
    expect(await fs.readFile(path.join(out, 'bin', 'deploy.sh'), 'utf8')).toBe('x\n');
    expect(await fs.readFile(path.join(out, 'notes.txt'), 'utf8')).toBe('n\n');
    expect(await fs.readFile(path.join(out, 'etc', 'app', 'conf'), 'utf8')).toBe(`built-${id}\n`);
    expect((await fs.lstat(path.join(out, 'bin', 'busybox'))).isFile()).toBe(true);
    expect((await fs.lstat(path.join(out, 'usr'))).isDirectory()).toBe(true);
    expect(await fs.readdir(outside)).toEqual(['keep.txt']);
  });

  it('a directory of the project where the export has a file: refused, nothing written', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=local,dest=."]\n',
      Dockerfile: 'FROM scratch\nCOPY tool /bin\nCOPY tool /other\n',
      tool: 'tool\n',
      'bin/deploy.sh': 'x\n',
    });
    const before = (await fs.readdir(dir)).sort();
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bin is a directory with files the export does not have/);
    expectNoCrash(r.stderr);
    expect(await fs.readFile(path.join(dir, 'bin', 'deploy.sh'), 'utf8')).toBe('x\n');
    expect((await fs.readdir(dir)).sort()).toEqual(before);
  });

  it('an OCI layout (type=oci,tar=false) into dest=. is merged too: the project stays', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app:\n    output: ["type=oci,dest=.,tar=false"]\n',
      Dockerfile: 'FROM scratch\nCOPY tool /tool\n',
      tool: 'tool\n',
      'bin/deploy.sh': 'x\n',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(await fs.readFile(path.join(dir, 'bin', 'deploy.sh'), 'utf8')).toBe('x\n');
    expect(await fs.readFile(path.join(dir, 'tsbake.yaml'), 'utf8')).toContain('tar=false');
    expect(JSON.parse(await fs.readFile(path.join(dir, 'oci-layout'), 'utf8')).imageLayoutVersion).toBe('1.0.0');
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('type=local without dest: exit 2 before any build, nothing written', async () => {
    const id = uniq();
    const dir = await project(files(id));
    const before = (await fs.readdir(dir)).sort();
    const r = await runCli(['run', 'app', '--progress', 'plain', '--set', 'app.output=type=local'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('type=local needs dest=DIR');
    expect(r.stderr).not.toContain(`built-${id}`);
    expectNoCrash(r.stderr);
    expect((await fs.readdir(dir)).sort()).toEqual(before);
    expect(await fs.readdir(path.join(dir, 'bin'))).toEqual(['deploy.sh']);
  });
});

describe('--metadata-file', () => {
  it('in a missing directory: exit 2 before any build, one line naming the directory', async () => {
    const id = uniq();
    const dir = await project({ 'tsbake.yaml': 'target:\n  app: {}\n', Dockerfile: `FROM local/busybox:1\nRUN echo built-${id}\n` });
    const r = await runCli(['run', 'app', '--progress', 'plain', '--no-cache', '--metadata-file', 'missing/dir/meta.json'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--metadata-file missing/dir/meta.json: directory ${path.join(dir, 'missing', 'dir')} does not exist`);
    expect(r.stderr).not.toContain(`built-${id}`);
    expectNoCrash(r.stderr);
  });
});

describe('signals and a dying daemon during a tarball export', () => {
  // ~160 MB of random data, so the export streams for a while; built once, then exported from the cache.
  const DOCKERFILE = 'FROM local/busybox:1\nRUN dd if=/dev/urandom of=/big bs=1M count=160 2>/dev/null\nCOPY trigger.txt /trigger.txt\n';
  const TARBALL = 'target:\n  app:\n    output: ["type=tar,dest=x.tar"]\n';
  /** A fresh project each time (no test sees another's leftovers); the same files, so the same cache. */
  const fresh = (config = TARBALL): Promise<string> => project({ 'tsbake.yaml': config, Dockerfile: DOCKERFILE, 'trigger.txt': 'one\n' });

  beforeAll(async () => {
    const warm = await runCli(['run', 'app', '--progress', 'plain'], { cwd: await fresh(), env });
    expect(warm.code, warm.stderr).toBe(0);
  });

  /** Whether a temp tarball beside the destination has data: the export is streaming. */
  const streaming = (cwd: string) => async (): Promise<boolean> => {
    for (const n of await tempsIn(cwd)) {
      const st = await fs.stat(path.join(cwd, n)).catch(() => undefined);
      if (st && st.size > 0) return true;
    }
    return false;
  };

  /** Start an export over an old x.tar in a fresh TMPDIR; resolves once the temp tarball has data. */
  async function startExport(cwd: string) {
    await fs.writeFile(path.join(cwd, 'x.tar'), 'old');
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-sigtmp-'));
    projectDirs.push(tmp); // removed after the file, also when an assertion fails
    const child = spawnCli(['run', 'app', '--progress', 'plain'], { cwd, env: { ...env, TMPDIR: tmp } });
    await until(streaming(cwd), 'the temp tarball growing', child);
    return { child, tmp };
  }

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 130],
    ['SIGHUP', 129],
  ] as const)('%s while the tarball streams: exit %i, no temp file or dir, the old x.tar intact', async (signal, code) => {
    const dir = await fresh();
    const { child, tmp } = await startExport(dir);
    child.kill(signal);
    const res = await child;
    expect(res.signal, String(res.stderr)).toBeUndefined();
    expect(res.exitCode, String(res.stderr)).toBe(code);
    expectNoCrash(String(res.stderr));
    expect(await tempsIn(dir)).toEqual([]);
    expect(await fs.readFile(path.join(dir, 'x.tar'), 'utf8')).toBe('old');
    expect(await fs.readdir(tmp)).toEqual([]);
  });

  it('the daemon connection dies while the tarball streams: exit 1, no temp file, the old x.tar intact', async () => {
    const sockDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-dying-'));
    const relay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { unix: path.join(sockDir, 'bk.sock') } });
    try {
      const remote = await fresh(`default-builder: rb\nbuilder:\n  rb:\n    driver: remote\n    endpoint: ${relay.address}\n${TARBALL}`);
      const { child, tmp } = await startExport(remote);
      await relay.close();
      const res = await child;
      expect(res.exitCode, String(res.stderr)).toBe(1);
      expectNoCrash(String(res.stderr));
      expect(await tempsIn(remote)).toEqual([]);
      expect(await fs.readFile(path.join(remote, 'x.tar'), 'utf8')).toBe('old');
      expect(await fs.readdir(tmp)).toEqual([]);
      } finally {
      await relay.close();
      await fs.rm(sockDir, { recursive: true, force: true });
    }
  });

  it('watch: a save while the tarball streams cancels that export; watch lives on and the rebuild writes x.tar', async () => {
    const dir = await fresh();
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-sigtmp-'));
    projectDirs.push(tmp); // removed after the file, also when an assertion fails
    const child = spawnCli(['watch', 'app', '--progress', 'plain'], { cwd: dir, env: { ...env, TMPDIR: tmp } });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await until(streaming(dir), 'the first export streaming', child);
      await fs.writeFile(path.join(dir, 'trigger.txt'), 'two\n');
      // The rebuild's tarball carries the new trigger; the process must still be running to write it.
      const hasTwo = async (): Promise<boolean> => {
        if (!/watch: .*trigger\.txt → app built/.test(stderr)) return false;
        const entries = await tarEntries(createReadStream(path.join(dir, 'x.tar'))).catch(() => new Map<string, Buffer>());
        return entries.get('trigger.txt')?.toString() === 'two\n';
      };
      await until(hasTwo, 'the rebuild after the save', child);
      expect(child.exitCode).toBeNull();
      // The save landed while the first export streamed: that build was cancelled, not finished.
      expect(stderr).toMatch(/\[app\] CANCELED|app cancelled/);
      expectNoCrash(stderr);
    } finally {
      child.kill('SIGINT');
    }
    const res = await child;
    expect(res.exitCode, stderr).toBe(130);
    expectNoCrash(stderr);
    expect(await tempsIn(dir)).toEqual([]);
    expect(readFileSync(path.join(dir, 'trigger.txt'), 'utf8')).toBe('two\n');
    expect(await fs.readdir(tmp)).toEqual([]);
  });
});
