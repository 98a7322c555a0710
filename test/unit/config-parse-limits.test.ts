/** Nesting limit and the linear duplicate-key check of parseConfigText (issue 15, 9b and 9c). */
import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';
import { findTooDeep, MAX_NESTING } from '../../src/config/parse.js';

/** n targets in block YAML, 5 lines each; optionally one key repeated in target t{dupAt}. */
export function manyTargetsYaml(n: number, dupAt?: number): string {
  const lines = ['target:'];
  for (let i = 0; i < n; i++) {
    lines.push(`  t${i}:`, `    context: svc/${i % 50}`, `    tags: ["bench/svc-${i}:dev"]`, '    args:', `      INDEX: "${i}"`);
    if (i === dupAt) lines.push(`    context: again`);
  }
  return lines.join('\n') + '\n';
}

describe('nesting limit', () => {
  const deepBlock = (levels: number): string => {
    let s = '';
    for (let d = 0; d < levels; d++) s += `${'  '.repeat(d)}k${d}:\n`;
    return s + `${'  '.repeat(levels)}leaf: 1\n`;
  };

  const refused: { name: string; file: string; text: string; line: number; column: number }[] = [
    { name: 'a flow list 100,000 deep', file: 'd.yaml', text: `target: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, line: 1, column: 9 + MAX_NESTING - 1 },
    { name: 'block maps 2,000 deep', file: 'd.yaml', text: deepBlock(2000), line: MAX_NESTING + 1, column: 2 * MAX_NESTING + 1 },
    { name: 'JSON 10,000 deep', file: 'd.json', text: `{"target": ${'{"a": '.repeat(10_000)}1${'}'.repeat(10_000)}}`, line: 1, column: 12 + 6 * (MAX_NESTING - 1) },
    { name: 'nested block lists', file: 'd.yaml', text: `x:\n${Array.from({ length: 100 }, (_, d) => `${'  '.repeat(d)}- `).join('\n')}a\n`, line: MAX_NESTING + 1, column: 2 * (MAX_NESTING - 1) + 1 },
  ];
  test.each(refused)('refuses $name with the position of the first too-deep node', ({ file, text, line, column }) => {
    const r = parseConfigText(text, file);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    expect(d.message).toBe(
      `the config nests maps and lists deeper than ${MAX_NESTING} levels here; tsbake refuses such files (a bake file needs a few levels)`,
    );
    expect([d.file, d.line, d.column]).toEqual([file, line, column]);
  });

  test('the limit itself is accepted', () => {
    const r = parseConfigText(`target: ${'['.repeat(MAX_NESTING - 1)}${']'.repeat(MAX_NESTING - 1)}\n`, 'ok.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(deepBlockValue(r.value)).toBe(MAX_NESTING - 1);
  });

  test('brackets in quoted strings, plain scalars, comments and block scalars do not count', () => {
    const text = [
      'target:',
      '  app:',
      `    args: {A: "${'['.repeat(200)}", B: '${'{'.repeat(200)}'}`,
      `    # ${'['.repeat(200)}`,
      `    labels: {x: it's, "y[": '{{'}`,
      `    network: it's[[[ plain`,
      '    dockerfile-inline: |',
      `      RUN echo ${'['.repeat(200)}`,
      ...Array.from({ length: 100 }, (_, d) => `      ${' '.repeat(d)}RUN x`),
      `    platforms: [linux/amd64]`,
      '',
    ].join('\n');
    expect(findTooDeep(text, MAX_NESTING)).toBeUndefined();
    const r = parseConfigText(text, 'ok.yaml');
    expect(r.diagnostics).toEqual([]);
  });
});

function deepBlockValue(v: unknown): number {
  let depth = 0;
  let cur = (v as { target: unknown }).target;
  while (Array.isArray(cur)) {
    depth++;
    cur = cur[0];
  }
  return depth;
}

describe('duplicate keys (own linear check)', () => {
  const dup: { name: string; text: string; line: number; column: number }[] = [
    { name: 'nested block map', text: 'target:\n  app:\n    context: .\n    context: b\n', line: 4, column: 5 },
    { name: 'flow map', text: 'target: {a: {x: 1, x: 2}}\n', line: 1, column: 20 },
    { name: 'map in a list', text: 'target:\n  app:\n    ulimits:\n      - {a: 1, a: 2}\n', line: 4, column: 16 },
    { name: 'top level', text: 'target: {}\ngroup: {}\ntarget: {}\n', line: 3, column: 1 },
  ];
  test.each(dup)('reports a repeated key in a $name', ({ text, line, column }) => {
    const r = parseConfigText(text, 'a.yaml');
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.map((d) => [d.message, d.line, d.column])).toEqual([['invalid YAML: Map keys must be unique', line, column]]);
  });

  test('merge keys may repeat; 1 and "1" are different keys', () => {
    const r = parseConfigText('a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n  1: one\n  "1": str\n', 'a.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual({ a: { x: 1 }, b: { y: 2 }, c: { x: 1, y: 2, 1: 'str' } });
  });

  test('a 20,000-target YAML loads, and a duplicate in it is still reported at its line', () => {
    const ok = parseConfigText(manyTargetsYaml(20_000), 'many.yaml');
    expect(ok.diagnostics).toEqual([]);
    expect(Object.keys((ok.value as { target: object }).target)).toHaveLength(20_000);
    const bad = parseConfigText(manyTargetsYaml(20_000, 19_999), 'many.yaml');
    expect(bad.diagnostics.map((d) => [d.message, d.line, d.column])).toEqual([
      ['invalid YAML: Map keys must be unique', 1 + 5 * 20_000 + 1, 5],
    ]);
  });
});
