import { describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/events.js';
import { formatBytes, formatDuration, formatSummary, imageIdOf, parseProgressMode, resolveProgressMode } from '../../src/ui/index.js';
import { splitLogChunk, StepTracker } from '../../src/ui/steps.js';

describe('resolveProgressMode', () => {
  it.each([
    ['auto', true, false, 'tty'],
    ['auto', false, false, 'plain'],
    ['auto', true, true, 'plain'],
    ['plain', true, false, 'plain'],
    ['tty', false, true, 'tty'],
    ['json', true, false, 'json'],
    ['quiet', false, false, 'quiet'],
  ] as const)('%s with isTTY=%s ci=%s is %s', (mode, isTTY, ci, expected) => {
    expect(resolveProgressMode(mode, { isTTY, ci })).toBe(expected);
  });
});

describe('parseProgressMode', () => {
  it.each([
    ['plain', 'plain'],
    ['TTY', 'tty'],
    ['rawjson', 'json'],
    ['none', 'quiet'],
    ['fancy', undefined],
  ] as const)('%s → %s', (input, expected) => {
    expect(parseProgressMode(input)).toBe(expected);
  });
});

describe('formatDuration / formatBytes', () => {
  it.each([
    [0, '0.0s'],
    [420, '0.4s'],
    [12_345, '12.3s'],
    [125_000, '2m05s'],
  ])('%d ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
  it.each([
    [31, '31B'],
    [1_234, '1.23kB'],
    [3_400_000, '3.4MB'],
    [999_999_999, '1GB'],
  ])('%d bytes → %s', (n, text) => expect(formatBytes(n)).toBe(text));
});

describe('imageIdOf', () => {
  const both = { 'containerimage.digest': 'sha256:m', 'containerimage.config.digest': 'sha256:c' };
  it.each([
    ['no engine (pushed, exported)', both, undefined, 'sha256:c'],
    ['classic store', both, 'classic', 'sha256:c'],
    // containerd's image store names an image by its manifest (or index) digest.
    ['containerd store', both, 'containerd', 'sha256:m'],
    ['moby exporter on the classic store (config digest as containerimage.digest)', { 'containerimage.digest': 'sha256:m' }, 'classic', 'sha256:m'],
    ['containerd store, only a config digest', { 'containerimage.config.digest': 'sha256:c' }, 'containerd', 'sha256:c'],
    ['nothing reported', {}, 'containerd', undefined],
  ] as const)('%s', (_what, response, store, expected) => {
    expect(imageIdOf(response, store)).toBe(expected);
  });
});

const result = (target: string, state: TargetResult['state'], extra: Partial<TargetResult> = {}): TargetResult => ({
  target,
  state,
  exporterResponse: {},
  durationMs: 1500,
  steps: { total: 4, cached: 1 },
  ...extra,
});

describe('formatSummary', () => {
  it('lists every target with its state, duration, and the error with its location', () => {
    const text = formatSummary(
      [
        result('app', 'built'),
        result('base', 'cached', { durationMs: 200, steps: { total: 3, cached: 3 } }),
        result('web', 'failed', { failure: { reason: 'build-failed', message: 'process "/bin/sh -c make" did not complete successfully: exit code: 2', location: 'Dockerfile:3' } }),
        result('worker', 'cancelled', { durationMs: 0 }),
        result('docs', 'skipped', { durationMs: 0, failure: { reason: 'dependency-failed', message: 'dependency web failed' } }),
      ],
      { durationMs: 4200 },
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('Summary: 5 targets in 4.2s (1 built, 1 cached, 1 failed, 1 cancelled, 1 skipped)');
    expect(lines[1]).toMatch(/^ {2}app\s+built\s+1\.5s {2}4 steps, 1 cached$/);
    expect(lines[2]).toMatch(/^ {2}base\s+cached\s+0\.2s {2}3 steps, 3 cached$/);
    expect(lines[3]).toMatch(/^ {2}web\s+failed\s+1\.5s$/);
    expect(lines[4]).toBe('    ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2');
    expect(lines[5]).toBe('    at Dockerfile:3');
    expect(lines[6]).toMatch(/^ {2}worker\s+cancelled$/);
    expect(lines[7]).toMatch(/^ {2}docs\s+skipped$/);
    expect(lines[8]).toBe('    dependency web failed');
  });

  it('colours states only when asked', () => {
    const rows = [result('web', 'failed', { failure: { reason: 'build-failed', message: 'boom' } })];
    expect(formatSummary(rows)).not.toContain('\u001b[');
    expect(formatSummary(rows, { color: true })).toContain('\u001b[31m');
  });
});

describe('log chunks', () => {
  it('keeps an unterminated line for the next chunk and collapses carriage returns', () => {
    expect(splitLogChunk('', 'a\nb')).toEqual({ lines: ['a'], rest: 'b' });
    expect(splitLogChunk('b', 'c\r\nd\n')).toEqual({ lines: ['bc', 'd'], rest: '' });
    expect(splitLogChunk('', '10%\r50%\r100%\n')).toEqual({ lines: ['100%'], rest: '' });
  });

  it('tracks running and cached steps and numbers them on demand', () => {
    const t = new StepTracker();
    const a = t.apply({ id: 'a', name: 'A', cached: true, started: 1, completed: 2 }, 1);
    const b = t.apply({ id: 'b', name: 'B', cached: false, started: 3 }, 3);
    t.apply({ id: 'c', name: 'C', cached: false }, 3);
    expect(t.running()?.id).toBe('b');
    expect(t.counts()).toEqual({ total: 3, cached: 1, completed: 1 });
    expect(t.number(b)).toBe(1);
    expect(t.number(a)).toBe(2);
    expect(t.number(b)).toBe(1);
    t.apply({ id: 'b', name: '', cached: false, completed: 5 }, 5);
    expect(t.get('b')?.info).toMatchObject({ name: 'B', started: 3, completed: 5 });
    expect(t.running()).toBeUndefined();
  });
});
