/** FlushedStates against real files: a later event carrying the state recorded at flush is stale. */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FlushedStates } from '../../src/watch/flushed-states.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'tsbake-flushed-'));
  dirs.push(d);
  return d;
}

describe('FlushedStates', () => {
  it('drops an event reporting the state seen at flush, and only that state', async () => {
    const dir = tmp();
    const f = path.join(dir, 'f.txt');
    writeFileSync(f, '');
    const truncated = statSync(f);
    writeFileSync(f, 'full content\n');
    const full = statSync(f);
    const states = new FlushedStates();
    await states.record([f]);
    // The late poll that saw the finished write: nothing new.
    expect(states.isStale('change', f, full)).toBe(true);
    expect(states.isStale('change', f, full)).toBe(true);
    // An event without stats, or another state, goes through and forgets the record.
    expect(states.isStale('change', f, truncated)).toBe(false);
    expect(states.isStale('change', f, full)).toBe(false);
  });

  it('never drops an unlink, or a path it did not record, and forgets deleted files', async () => {
    const dir = tmp();
    const f = path.join(dir, 'f.txt');
    const g = path.join(dir, 'g.txt');
    writeFileSync(f, 'x');
    writeFileSync(g, 'y');
    const states = new FlushedStates();
    await states.record([f, path.join(dir, 'missing.txt')]);
    expect(states.size).toBe(1);
    expect(states.isStale('change', g, statSync(g))).toBe(false);
    expect(states.isStale('unlink', f, undefined)).toBe(false);
    expect(states.size).toBe(0);
  });

  it('changedSince finds a change no event reported, once', async () => {
    const dir = tmp();
    const f = path.join(dir, 'f.txt');
    const g = path.join(dir, 'g.txt');
    writeFileSync(f, 'one');
    writeFileSync(g, 'same');
    const states = new FlushedStates();
    await states.record([f, g]);
    writeFileSync(f, 'two, longer');
    expect(await states.changedSince([f, g])).toEqual([f]);
    expect(await states.changedSince([f, g])).toEqual([]);
  });

  it('keeps at most its limit of records, dropping the oldest', async () => {
    const dir = tmp();
    const files = Array.from({ length: 5 }, (_, i) => path.join(dir, `f${i}.txt`));
    for (const f of files) writeFileSync(f, f);
    const states = new FlushedStates(3);
    await states.record(files);
    expect(states.size).toBe(3);
    expect(states.isStale('change', files[0]!, statSync(files[0]!))).toBe(false);
    expect(states.isStale('change', files[4]!, statSync(files[4]!))).toBe(true);
  });
});
