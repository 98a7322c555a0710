/**
 * V8's code cache of the CLI bundle (src/code-cache.ts): written by the first run, used by the next,
 * and never a reason for a run to fail — missing, corrupt, made under other V8 flags, unwritable or off.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { bin, project, runCli } from '../helpers/cli.js';
import { engines, requireEngine } from '../helpers/env.js';

interface CacheLine {
  hits: number;
  misses: number;
  written: number;
}

/** The `tsbake-trace code-cache` line of a run (TSBAKE_TRACE=1). */
function cacheLine(stderr: string): CacheLine {
  const m = /^tsbake-trace code-cache \d+ms hits=(\d+) misses=(\d+) written=(\d+)$/m.exec(stderr);
  if (!m) throw new Error(`no code-cache trace line in:\n${stderr.slice(-2000)}`);
  return { hits: Number(m[1]), misses: Number(m[2]), written: Number(m[3]) };
}

/** Every cache file under `root` (tsbake/v8/<tsbake, Node, V8, arch>/<chunk>.<command>.<hash>.bin). */
async function cacheFiles(root: string): Promise<string[]> {
  const base = path.join(root, 'tsbake', 'v8');
  const out: string[] = [];
  for (const key of await fs.readdir(base).catch(() => [] as string[])) {
    for (const f of await fs.readdir(path.join(base, key))) out.push(path.join(base, key, f));
  }
  return out.sort();
}

const BAKE = JSON.stringify({ target: { app: { context: '.', tags: ['example/cache:dev'], args: { A: '1' } } } });

describe('code cache', () => {
  let dir: string;
  let expected: string;
  const print = (cache: string, extra: Record<string, string> = {}) =>
    runCli(['print', 'app'], { cwd: dir, env: { XDG_CACHE_HOME: cache, TSBAKE_TRACE: '1', ...extra } });

  beforeAll(async () => {
    dir = await project({ 'docker-bake.json': BAKE, Dockerfile: 'FROM scratch\n' });
    const r = await runCli(['print', 'app'], { cwd: dir, env: { TSBAKE_CODE_CACHE: '0' } });
    expect(r.code, r.stderr).toBe(0);
    expected = r.stdout;
    expect(JSON.parse(expected).target.app.tags).toEqual(['example/cache:dev']);
  });

  it('the first run writes a cache file per chunk it loaded; the next run compiles from them', async () => {
    const cache = await project({});
    const first = await print(cache);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toBe(expected);
    const line1 = cacheLine(first.stderr);
    expect(line1.hits).toBe(0);
    expect(line1.misses).toBeGreaterThan(0);
    expect(line1.written).toBe(line1.misses);
    const files = await cacheFiles(cache);
    expect(files.length).toBe(line1.written);
    for (const f of files) expect(path.basename(f)).toMatch(/^[\w-]+\.print\.[\w-]{22}\.bin$/);
    expect(files.some((f) => path.basename(f).startsWith('cli.print.'))).toBe(true);
    // Nothing half-written is left behind.
    expect((await fs.readdir(path.dirname(files[0]!))).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    const second = await print(cache);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(expected);
    expect(cacheLine(second.stderr)).toEqual({ hits: line1.misses, misses: 0, written: 0 });
  });

  it('corrupt files (garbage, truncated, one byte changed, empty) are compiled past and rewritten', async () => {
    const cache = await project({});
    expect((await print(cache)).code).toBe(0);
    const files = await cacheFiles(cache);
    expect(files.length).toBeGreaterThanOrEqual(4);
    const damaged = files.slice(0, 4);
    await fs.writeFile(damaged[0]!, Buffer.from('not a V8 code cache at all'.repeat(100)));
    const whole = await fs.readFile(damaged[1]!);
    await fs.writeFile(damaged[1]!, whole.subarray(0, whole.length >> 1));
    const flipped = Buffer.from(await fs.readFile(damaged[2]!));
    flipped[flipped.length - 10] = (flipped[flipped.length - 10]! + 1) & 0xff;
    await fs.writeFile(damaged[2]!, flipped);
    await fs.writeFile(damaged[3]!, '');

    const r = await print(cache);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
    expect(cacheLine(r.stderr)).toEqual({ hits: files.length - 4, misses: 4, written: 4 });
    const again = await print(cache);
    expect(cacheLine(again.stderr)).toEqual({ hits: files.length, misses: 0, written: 0 });
  });

  it('a cache V8 refuses (made under other V8 flags) is compiled past and replaced', async () => {
    const cache = await project({});
    const env = { ...process.env, CI: 'true', XDG_CACHE_HOME: cache, TSBAKE_TRACE: '1' };
    const other = await execa('node', ['--no-lazy-feedback-allocation', bin, 'print', 'app'], { cwd: dir, env, reject: false });
    expect(other.exitCode, other.stderr).toBe(0);
    const made = cacheLine(other.stderr).written;
    expect(made).toBeGreaterThan(0);
    const r = await print(cache);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
    expect(cacheLine(r.stderr)).toEqual({ hits: 0, misses: made, written: made });
    expect(cacheLine((await print(cache)).stderr)).toEqual({ hits: made, misses: 0, written: 0 });
  });

  it('an unwritable cache directory: the run goes on without a cache', async () => {
    const parent = await project({ 'a-file': 'not a directory\n' });
    // Under a regular file nothing can be created, whoever runs the tests (root ignores permissions).
    const r = await print(path.join(parent, 'a-file', 'cache'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(expected);
    expect(r.stderr).not.toContain('internal error');
    const line = cacheLine(r.stderr);
    expect(line.hits).toBe(0);
    expect(line.written).toBe(0);

    // The version directory itself taken by a file.
    const cache = await project({});
    expect((await print(cache)).code).toBe(0);
    const versionDir = path.dirname((await cacheFiles(cache))[0]!);
    await fs.rm(versionDir, { recursive: true });
    await fs.writeFile(versionDir, 'in the way\n');
    const blocked = await print(cache);
    expect(blocked.code, blocked.stderr).toBe(0);
    expect(blocked.stdout).toBe(expected);
    expect(cacheLine(blocked.stderr).written).toBe(0);
  });

  it('a run that writes the cache removes what no bundle uses: chunks of an older build, stray temp files, old versions', async () => {
    const cache = await project({});
    expect((await print(cache)).code).toBe(0);
    const current = await cacheFiles(cache);
    const versionDir = path.dirname(current[0]!);
    const base = path.dirname(versionDir);
    const gone = path.join(versionDir, 'cli-0ldBu1ld.print.AAAAAAAAAAAAAAAAAAAAAA.bin');
    const strayTmp = path.join(versionDir, 'cli.print.BBBBBBBBBBBBBBBBBBBBBB.bin.1234-abcd.tmp');
    const freshTmp = path.join(versionDir, 'cli.print.CCCCCCCCCCCCCCCCCCCCCC.bin.5678-abcd.tmp');
    await fs.writeFile(gone, 'x');
    await fs.writeFile(strayTmp, 'x');
    await fs.writeFile(freshTmp, 'x');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    await fs.utimes(strayTmp, hourAgo, hourAgo);
    const oldVersion = path.join(base, '0.0.1-node18.0.0-v8-10.0-x64');
    const recentVersion = path.join(base, '0.0.2-node20.0.0-v8-11.0-x64');
    await fs.mkdir(oldVersion);
    await fs.writeFile(path.join(oldVersion, 'cli.run.DDDDDDDDDDDDDDDDDDDDDD.bin'), 'x');
    await fs.mkdir(recentVersion);
    const longAgo = new Date(Date.now() - 40 * 24 * 3600_000);
    await fs.utimes(oldVersion, longAgo, longAgo);

    // A warm run writes nothing and so removes nothing.
    const warm = await print(cache);
    expect(cacheLine(warm.stderr).written).toBe(0);
    expect(await fs.readdir(versionDir)).toContain(path.basename(gone));

    // A run that writes (here: another command's first run) prunes.
    const list = await runCli(['list'], { cwd: dir, env: { XDG_CACHE_HOME: cache, TSBAKE_TRACE: '1' } });
    expect(list.code, list.stderr).toBe(0);
    expect(cacheLine(list.stderr).written).toBeGreaterThan(0);
    const left = await fs.readdir(versionDir);
    expect(left).not.toContain(path.basename(gone));
    expect(left).not.toContain(path.basename(strayTmp));
    expect(left).toContain(path.basename(freshTmp));
    for (const f of current) expect(left).toContain(path.basename(f));
    expect((await fs.readdir(base)).sort()).toEqual([path.basename(recentVersion), path.basename(versionDir)].sort());
    expect(cacheLine((await print(cache)).stderr)).toEqual({ hits: current.length, misses: 0, written: 0 });
  });

  it('TSBAKE_CODE_CACHE=0 reads and writes nothing; a relative XDG_CACHE_HOME is ignored (the XDG spec) for ~/.cache', async () => {
    const cache = await project({});
    const off = await print(cache, { TSBAKE_CODE_CACHE: '0' });
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toBe(expected);
    expect(cacheLine(off.stderr)).toEqual({ hits: 0, misses: 0, written: 0 });
    expect(await fs.readdir(cache)).toEqual([]);

    const home = await project({});
    const rel = await runCli(['print', 'app'], { cwd: dir, env: { XDG_CACHE_HOME: 'relative/cache', HOME: home, TSBAKE_TRACE: '1' } });
    expect(rel.code, rel.stderr).toBe(0);
    expect(await fs.readdir(dir)).not.toContain('relative');
    expect((await cacheFiles(path.join(home, '.cache'))).length).toBe(cacheLine(rel.stderr).written);
  });
});

/** The chunks a run loaded, from the cache files its first run wrote (`hcl-abc123.print.<hash>.bin` → `hcl`). */
async function chunksLoaded(cache: string): Promise<string[]> {
  return (await cacheFiles(cache)).map((f) => path.basename(f).replace(/(-[\w-]{8})?\.\w+\.[\w-]{22}\.bin$/, '')).sort();
}

describe('what a run loads (rolldown.config.mjs: the evaluator, compose, yaml and bcryptjs are chunks of their own)', () => {
  const cases: { name: string; files: Record<string, string>; loads: string[]; not: string[] }[] = [
    {
      name: 'a plain docker-bake.json: none of them',
      files: { 'docker-bake.json': BAKE },
      loads: ['cli'],
      not: ['hcl', 'compose', 'yaml', 'bcryptjs'],
    },
    {
      name: 'a docker-bake.hcl: the evaluator, not bcryptjs',
      files: { 'docker-bake.hcl': 'variable "T" {\n  default = "dev"\n}\ntarget "app" {\n  context = "."\n  tags = ["example/cache:${upper(T)}"]\n}\n' },
      loads: ['hcl'],
      not: ['compose', 'yaml', 'bcryptjs'],
    },
    {
      name: 'an HCL file that calls bcrypt(): bcryptjs too',
      files: { 'docker-bake.hcl': 'target "app" {\n  context = "."\n  args = { H = bcrypt("pw", 4) }\n}\n' },
      loads: ['hcl', 'bcryptjs'],
      not: ['compose', 'yaml'],
    },
    {
      name: 'a compose file: compose and yaml, not the evaluator',
      files: { 'compose.yaml': 'services:\n  app:\n    build:\n      context: .\n' },
      loads: ['compose', 'yaml'],
      not: ['hcl', 'bcryptjs'],
    },
    {
      name: 'tsbake YAML with ${NAME} only: yaml, not the evaluator',
      files: { 'tsbake.yaml': 'variable:\n  T: dev\ntarget:\n  app:\n    context: .\n    tags: ["example/cache:${T}"]\n' },
      loads: ['yaml'],
      not: ['hcl', 'compose', 'bcryptjs'],
    },
    {
      name: 'tsbake YAML with an expression: the evaluator',
      files: { 'tsbake.yaml': 'variable:\n  T: dev\ntarget:\n  app:\n    context: .\n    tags: ["example/cache:${upper(T)}"]\n' },
      loads: ['yaml', 'hcl'],
      not: ['compose', 'bcryptjs'],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const dir = await project({ ...c.files, Dockerfile: 'FROM scratch\n' });
      const cache = await project({});
      const r = await runCli(['print', 'app'], { cwd: dir, env: { XDG_CACHE_HOME: cache, TSBAKE_TRACE: '1' } });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).target.app.context).toBe('.');
      const loaded = await chunksLoaded(cache);
      expect(loaded).toEqual(expect.arrayContaining(c.loads));
      for (const chunk of c.not) expect(loaded).not.toContain(chunk);
    });
  }

  it('the expression is evaluated as before the split', async () => {
    const dir = await project({ 'tsbake.yaml': 'variable:\n  T: dev\ntarget:\n  app:\n    context: .\n    tags: ["example/cache:${upper(T)}"]\n', Dockerfile: 'FROM scratch\n' });
    const r = await runCli(['print', 'app'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).target.app.tags).toEqual(['example/cache:DEV']);
  });

  it('a position asked in a JSON file without a YAML file in the run: yaml comes from its chunk, not Node\'s loader', async () => {
    const dir = await project({ 'tsbake.json': JSON.stringify({ target: { app: { context: '.', inherits: ['nope'] } } }), Dockerfile: 'FROM scratch\n' });
    const cache = await project({});
    const r = await runCli(['print', 'app'], { cwd: dir, env: { XDG_CACHE_HOME: cache, NODE_DEBUG: 'module' } });
    expect(r.code).toBe(2);
    // The diagnostic's line and column come from the YAML AST of the JSON text.
    expect(r.stderr).toMatch(/tsbake\.json:1:\d+: target "app" inherits from unknown target "nope"/);
    expect(await chunksLoaded(cache)).toContain('yaml');
    // NODE_DEBUG=module logs every file Node's CommonJS loader resolves.
    expect(r.stderr).toMatch(/^MODULE \d+:/m);
    expect(r.stderr).not.toMatch(/node_modules[\\/]yaml[\\/]/);
  });
});

describe('code cache of a build', () => {
  beforeAll(async () => {
    await requireEngine(engines.docker26);
  });

  it('a run on Docker 26 with every cache file corrupt builds as without a cache', async () => {
    const dir = await project({
      'docker-bake.json': JSON.stringify({ target: { app: { context: '.' } } }),
      Dockerfile: 'FROM scratch\nCOPY a.txt /a.txt\n',
      'a.txt': 'a\n',
    });
    const cache = await project({});
    const env = { DOCKER_HOST: engines.docker26.host, XDG_CACHE_HOME: cache, TSBAKE_TRACE: '1' };
    const first = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    const files = await cacheFiles(cache);
    expect(files.some((f) => path.basename(f).startsWith('client-'))).toBe(true);
    for (const f of files) await fs.writeFile(f, Buffer.alloc(4096, 0x5a));
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^Summary: 1 target .*\((1 built|1 cached)\)$/m);
    expect(cacheLine(r.stderr)).toMatchObject({ hits: 0, misses: files.length, written: files.length });
  });
});
