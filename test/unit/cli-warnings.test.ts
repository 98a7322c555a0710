import { describe, expect, it } from 'vitest';
import { mergeGroupedWarnings } from '../../src/cli/common.js';
import type { Diagnostic } from '../../src/errors.js';

const w = (message: string, group?: { key: string; item: string }, file = 'tsbake.yaml'): Diagnostic => ({
  file,
  line: 3,
  column: 1,
  message,
  severity: 'warning',
  ...(group ? { group: { ...group, summary: `no output for {items} (${group.key})` } } : {}),
});

describe('mergeGroupedWarnings', () => {
  it('prints one line per group, where its first warning was, and keeps the others in order', () => {
    const out = mergeGroupedWarnings([
      w('first'),
      w('target a: no output', { key: 'remote', item: 'a' }),
      w('target b: no output', { key: 'remote', item: 'b' }),
      w('middle'),
      w('target c: no output', { key: 'remote', item: 'c' }),
      w('target d: no output', { key: 'docker-container', item: 'd' }),
    ]);
    expect(out.map((d) => d.message)).toEqual(['first', 'no output for 3 targets (a, b, c) (remote)', 'middle', 'target d: no output']);
    expect(out[1]).toMatchObject({ file: 'tsbake.yaml', line: 0 });
  });

  it('lists a long group compactly', () => {
    const many = Array.from({ length: 100 }, (_, i) => w(`target t${i}: no output`, { key: 'remote', item: `t${i}` }));
    const out = mergeGroupedWarnings(many);
    expect(out).toHaveLength(1);
    expect(out[0]!.message).toMatch(/^no output for 100 targets \(t0, t1, .*t9, … \(90 more\)\) \(remote\)$/);
  });
});
