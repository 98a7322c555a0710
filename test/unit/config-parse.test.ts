import { describe, expect, test } from 'vitest';
import { parseConfigText } from '../../src/config/index.js';

describe('parseConfigText', () => {
  const ok: { name: string; text: string; file: string; value: unknown }[] = [
    { name: 'YAML map', file: 'a.yaml', text: 'target:\n  app:\n    context: .\n', value: { target: { app: { context: '.' } } } },
    { name: 'JSON', file: 'a.json', text: '{"target": {"app": {"tags": ["x"]}}}', value: { target: { app: { tags: ['x'] } } } },
    { name: 'YAML flow map in a .yaml file', file: 'a.yaml', text: '{target: {app: {}}}', value: { target: { app: {} } } },
    { name: 'YAML 1.2: yes stays a string', file: 'a.yaml', text: 'variable:\n  X: yes\n', value: { variable: { X: 'yes' } } },
    { name: 'merge keys', file: 'a.yaml', text: 'x: &b {context: .}\ntarget:\n  app:\n    <<: *b\n    tags: [t]\n', value: { x: { context: '.' }, target: { app: { context: '.', tags: ['t'] } } } },
    { name: 'BOM is skipped', file: 'a.yaml', text: '\ufefftarget: {}\n', value: { target: {} } },
  ];
  test.each(ok)('parses $name', ({ text, file, value }) => {
    const r = parseConfigText(text, file);
    expect(r.diagnostics).toEqual([]);
    expect(r.value).toEqual(value);
  });

  const bad: { name: string; file: string; text: string; message: RegExp; line: number; column: number }[] = [
    { name: 'empty file', file: 'a.yaml', text: '', message: /^the file is empty$/, line: 0, column: 0 },
    { name: 'only comments', file: 'a.yaml', text: '# nothing\n', message: /^the file is empty$/, line: 0, column: 0 },
    { name: 'empty JSON file', file: 'a.json', text: '  \n', message: /^the file is empty$/, line: 0, column: 0 },
    { name: 'bad YAML indentation', file: 'a.yaml', text: 'target:\n  app:\n    context: .\n   tags: [x]\n', message: /^invalid YAML: /, line: 4, column: 1 },
    { name: 'unclosed flow sequence', file: 'a.yaml', text: 'target:\n  app:\n    tags: [a, b\n', message: /^invalid YAML: /, line: 4, column: 1 },
    { name: 'duplicate key', file: 'a.yaml', text: 'target:\n  app: {}\n  app: {}\n', message: /invalid YAML: Map keys must be unique/, line: 3, column: 3 },
    { name: 'JSON trailing comma', file: 'a.json', text: '{\n  "target": {\n    "app": {},\n  }\n}\n', message: /^invalid JSON: /, line: 4, column: 3 },
    { name: 'truncated JSON', file: 'a.json', text: '{"target": {', message: /^invalid JSON: /, line: 1, column: 13 },
    { name: 'several YAML documents', file: 'a.yaml', text: 'target: {}\n---\ngroup: {}\n', message: /several YAML documents/, line: 2, column: 1 },
    { name: 'top level is a list', file: 'a.yaml', text: '- a\n- b\n', message: /top level must be a map .* got a list/, line: 1, column: 1 },
    { name: 'top level is a scalar', file: 'a.json', text: '"hello"', message: /top level must be a map .* got a string/, line: 1, column: 1 },
  ];
  test.each(bad)('reports $name with a position', ({ text, file, message, line, column }) => {
    const r = parseConfigText(text, file);
    expect(r.value).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThanOrEqual(1);
    const d = r.diagnostics[0]!;
    expect(d.message).toMatch(message);
    expect(d.file).toBe(file);
    expect([d.line, d.column]).toEqual([line, column]);
  });

  test('an alias bomb is refused quickly instead of expanded', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const r = parseConfigText(`${lines.join('\n')}\n`, 'bomb.yaml');
    expect(r.value).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toMatch(/alias bomb/);
  });

  test('deep nesting does not crash', () => {
    const text = `target: ${'['.repeat(20000)}${']'.repeat(20000)}\n`;
    const r = parseConfigText(text, 'deep.yaml');
    // Either parsed (and left to schema validation) or refused with a diagnostic; never an exception.
    expect(r.value !== undefined || r.diagnostics.length > 0).toBe(true);
  });

  describe('positionOf', () => {
    const text = 'target:\n  app:\n    context: .\n    tags:\n      - one\n      - two\n';
    const r = parseConfigText(text, 'p.yaml');
    test.each([
      { path: ['target'], part: 'key' as const, pos: [1, 1] },
      { path: ['target', 'app'], part: 'key' as const, pos: [2, 3] },
      { path: ['target', 'app', 'context'], part: 'key' as const, pos: [3, 5] },
      { path: ['target', 'app', 'context'], part: 'value' as const, pos: [3, 14] },
      { path: ['target', 'app', 'tags', 1], part: 'key' as const, pos: [6, 9] },
    ])('$path ($part)', ({ path, part, pos }) => {
      const p = r.positionOf(path, part);
      expect(p && [p.line, p.column]).toEqual(pos);
      expect(p?.file).toBe('p.yaml');
    });
    test('unknown path gives undefined', () => {
      expect(r.positionOf(['target', 'nope'])).toBeUndefined();
    });
    test('works for JSON parsed on the fast path', () => {
      const j = parseConfigText('{\n  "target": {\n    "app": {"tags": ["a"]}\n  }\n}\n', 'j.json');
      const p = j.positionOf(['target', 'app', 'tags', 0]);
      expect(p && [p.line, p.column]).toEqual([3, 22]);
    });
    test('finds nested driver options from their flat name', () => {
      const y = parseConfigText('builder:\n  b:\n    driver-opts:\n      env:\n        FOO: x\n', 'b.yaml');
      const p = y.positionOf(['builder', 'b', 'driver-opts', 'env.FOO']);
      expect(p && [p.line, p.column]).toEqual([5, 9]);
    });
  });
});
