import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { walkDir, type WalkFilter } from '../../src/buildkit/index.js';
import { goMode } from '../../src/buildkit/walk.js';

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-walk-'));
  const files = ['a/x.txt', 'a.txt', 'B.txt', 'é.txt', 'z/deep/y.txt', 'z/other.txt', 'logs/a.log', 'logs/keep.log', 'vendor/m/n.go'];
  for (const f of files) {
    await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true });
    await fs.writeFile(path.join(root, f), f);
  }
  await fs.symlink('a.txt', path.join(root, 'link'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function walk(filter: Partial<WalkFilter>): Promise<string[]> {
  const out: string[] = [];
  for await (const e of walkDir(root, { excludePatterns: [], includePatterns: [], followPaths: [], ...filter })) out.push(e.rel);
  return out;
}

describe('walkDir (fsutil order and filters)', () => {
  test('depth-first, directory before contents, names in UTF-8 byte order', async () => {
    expect(await walk({})).toEqual([
      'B.txt',
      'a',
      'a/x.txt',
      'a.txt',
      'link',
      'logs',
      'logs/a.log',
      'logs/keep.log',
      'vendor',
      'vendor/m',
      'vendor/m/n.go',
      'z',
      'z/deep',
      'z/deep/y.txt',
      'z/other.txt',
      'é.txt',
    ]);
  });

  test('names with characters above U+FFFF sort by UTF-8 bytes, not UTF-16 units', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-utf8-'));
    try {
      for (const n of ['\u{1F600}.txt', '\uFF21.txt', 'a.txt']) await fs.writeFile(path.join(dir, n), n);
      const got: string[] = [];
      for await (const e of walkDir(dir, { excludePatterns: [], includePatterns: [], followPaths: [] })) got.push(e.rel);
      // UTF-8: a (61) < U+FF21 (EF BC A1) < U+1F600 (F0 9F 98 80); UTF-16 would put the emoji (D83D) second.
      expect(got).toEqual(['a.txt', '\uFF21.txt', '\u{1F600}.txt']);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test.each([
    { name: 'exclude a dir and a file', filter: { excludePatterns: ['vendor', 'B.txt'] }, absent: ['vendor', 'vendor/m/n.go', 'B.txt'], present: ['a/x.txt'] },
    { name: 'exception re-includes', filter: { excludePatterns: ['logs/*', '!logs/keep.log'] }, absent: ['logs/a.log'], present: ['logs', 'logs/keep.log'] },
    { name: '** patterns', filter: { excludePatterns: ['**/*.txt'] }, absent: ['a.txt', 'z/deep/y.txt', 'a/x.txt'], present: ['vendor/m/n.go', 'z/deep'] },
    { name: 'followpaths select files and their parents only', filter: { followPaths: ['z/deep/y.txt'] }, absent: ['a.txt', 'z/other.txt'], present: ['z', 'z/deep', 'z/deep/y.txt'] },
    { name: 'followpaths through a symlink add its target', filter: { followPaths: ['link'] }, absent: ['B.txt'], present: ['link', 'a.txt'] },
    { name: 'include a dir includes its contents', filter: { includePatterns: ['z'] }, absent: ['a.txt', 'logs'], present: ['z', 'z/deep/y.txt', 'z/other.txt'] },
  ])('$name', async ({ filter, absent, present }) => {
    const got = await walk(filter);
    for (const p of absent) expect(got).not.toContain(p);
    for (const p of present) expect(got).toContain(p);
  });

  test('an excluded directory is not listed at all', async () => {
    const counters = { entriesVisited: 0 };
    for await (const _ of walkDir(root, { excludePatterns: ['vendor', 'z'], includePatterns: [], followPaths: [] }, counters)) void _;
    // Top level (8 entries) + a/ (1) + logs/ (2); vendor/ and z/ never read.
    expect(counters.entriesVisited).toBe(11);
  });

  test('Go FileMode bits', () => {
    expect(goMode(0o040755)).toBe((0x80000000 | 0o755) >>> 0);
    expect(goMode(0o120777)).toBe((1 << 27) | 0o777);
    expect(goMode(0o100644)).toBe(0o644);
    expect(goMode(0o104755)).toBe((1 << 23) | 0o755);
  });
});
