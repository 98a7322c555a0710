/** The bundle loader of src/code-cache.ts on small hand-written chunks (the CLI's own are in test/cli/code-cache.test.ts). */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BundleLoader, codeCacheDir } from '../../src/code-cache.js';

async function chunks(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-chunks-'));
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

describe('BundleLoader', () => {
  it('evaluates each chunk once, with CommonJS require/module/__filename/__dirname, through the cache', async () => {
    const dir = await chunks({
      'a.cjs': 'const b = require("./b.cjs");\nconst p = require("node:path");\nexports.value = b.twice(21);\nexports.file = p.basename(__filename);\nexports.dir = __dirname;\n',
      'b.cjs': 'globalThis.__bEvaluated = (globalThis.__bEvaluated ?? 0) + 1;\nmodule.exports = { twice: (n) => n * 2 };\n',
    });
    const cache = path.join(dir, 'cache');
    const env = { XDG_CACHE_HOME: cache };
    const first = new BundleLoader({ env, version: '1.0.0', command: 'print' });
    const a = first.require(path.join(dir, 'a.cjs')) as { value: number; file: string; dir: string };
    expect(a).toEqual({ value: 42, file: 'a.cjs', dir });
    expect(first.require(path.join(dir, 'b.cjs'))).toHaveProperty('twice');
    expect((globalThis as { __bEvaluated?: number }).__bEvaluated).toBe(1);
    expect(first.stats).toMatchObject({ hits: 0, misses: 2 });
    expect(first.save()).toBe(2);
    const files = await fs.readdir(codeCacheDir(env, '1.0.0')!);
    expect(files.map((f) => f.replace(/\.[\w-]{22}\.bin$/, '')).sort()).toEqual(['a.print', 'b.print']);

    const second = new BundleLoader({ env, version: '1.0.0', command: 'print' });
    expect((second.require(path.join(dir, 'a.cjs')) as { value: number }).value).toBe(42);
    expect(second.stats).toMatchObject({ hits: 2, misses: 0 });
    expect(second.save()).toBe(0);
    // Another command has caches of its own; an unknown one shares "other".
    const other = new BundleLoader({ env, version: '1.0.0', command: '--help' });
    other.require(path.join(dir, 'b.cjs'));
    expect(other.stats).toMatchObject({ hits: 0, misses: 1 });
    other.save();
    expect((await fs.readdir(codeCacheDir(env, '1.0.0')!)).some((f) => f.startsWith('b.other.'))).toBe(true);
  });

  it('keeps line numbers in stack traces (the wrapper shares the first line)', async () => {
    const dir = await chunks({ 'c.cjs': '// one\n// two\nexports.fail = () => { throw new Error("boom"); };\n' });
    const loader = new BundleLoader({ env: { TSBAKE_CODE_CACHE: '0' }, version: '1.0.0', command: 'run' });
    const c = loader.require(path.join(dir, 'c.cjs')) as { fail(): void };
    let stack = '';
    try {
      c.fail();
    } catch (err) {
      stack = (err as Error).stack ?? '';
    }
    expect(stack).toContain(`${path.join(dir, 'c.cjs')}:3:`);
    expect(loader.stats).toEqual({ hits: 0, misses: 0, dir: undefined });
  });

  it('a chunk that throws while evaluated is evaluated again by the next require', async () => {
    const dir = await chunks({ 'd.cjs': 'globalThis.__dRuns = (globalThis.__dRuns ?? 0) + 1;\nif (globalThis.__dRuns === 1) throw new Error("first time");\nexports.ok = true;\n' });
    const loader = new BundleLoader({ env: { TSBAKE_CODE_CACHE: 'off' }, version: '1.0.0', command: 'run' });
    expect(() => loader.require(path.join(dir, 'd.cjs'))).toThrow('first time');
    expect(loader.require(path.join(dir, 'd.cjs'))).toEqual({ ok: true });
  });
});

describe('codeCacheDir', () => {
  it.each([
    [{ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }, '/x/cache/tsbake/v8/'],
    [{ XDG_CACHE_HOME: 'relative', HOME: '/home/u' }, '/home/u/.cache/tsbake/v8/'],
    [{ XDG_CACHE_HOME: '', HOME: '/home/u' }, '/home/u/.cache/tsbake/v8/'],
  ])('%j → %s…', (env, prefix) => {
    const dir = codeCacheDir(env, '1.2.3')!;
    expect(dir.startsWith(prefix)).toBe(true);
    expect(path.basename(dir)).toBe(`1.2.3-node${process.versions.node}-v8-${process.versions.v8}-${process.arch}`.replace(/[^\w.-]/g, '_'));
  });

  it('is off with TSBAKE_CODE_CACHE=0 or off', () => {
    expect(codeCacheDir({ TSBAKE_CODE_CACHE: '0', HOME: '/h' }, '1')).toBeUndefined();
    expect(codeCacheDir({ TSBAKE_CODE_CACHE: 'off', HOME: '/h' }, '1')).toBeUndefined();
  });
});
