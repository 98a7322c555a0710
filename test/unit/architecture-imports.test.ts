/**
 * What each folder of src/ may import (docs/architecture.md, "What each folder may import"). Reads every
 * import, export-from and dynamic import() of src/ and checks it against the rules. `import type`
 * counts as an import: the only type-only exception is plan/ reading the driver contract types in
 * drivers/types.ts (a file of types alone, checked below).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = path.resolve(new URL('../../src', import.meta.url).pathname);

interface Edge {
  /** Importing file, relative to src/ (`plan/resolve.ts`). */
  from: string;
  /** Imported file, relative to src/ (`drivers/types.ts`). */
  to: string;
  typeOnly: boolean;
  line: number;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Static imports and exports (with `from`), and dynamic `import('…')`, of relative specifiers. */
function importsOf(file: string, text: string): Edge[] {
  const from = path.relative(SRC, file);
  const edges: Edge[] = [];
  const lineAt = (i: number): number => text.slice(0, i).split('\n').length;
  const add = (spec: string, typeOnly: boolean, at: number): void => {
    if (!spec.startsWith('.')) return;
    const to = path.relative(SRC, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts');
    edges.push({ from, to, typeOnly, line: lineAt(at) });
  };
  // `import type { A } from`, `import { a, type B } from`, `export * from`, `export type * from`, `import './x.js'`.
  const staticRe = /^[ \t]*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of text.matchAll(staticRe)) add(m[3]!, m[2] !== undefined, m.index);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add(m[1]!, false, m.index);
  return edges;
}

const edges = sourceFiles(SRC).flatMap((f) => importsOf(f, readFileSync(f, 'utf8')));
const folder = (p: string): string => (p.includes(path.sep) ? p.split(path.sep)[0]! : p);
const show = (e: Edge): string => `${e.from}:${e.line} imports ${e.typeOnly ? 'type from ' : ''}${e.to}`;

/** Top-level files any folder may use: they import nothing of src/ themselves (checked below). */
const SHARED_LEAVES = new Set(['errors.ts', 'trace.ts']);

describe('what each folder may import', () => {
  test('the scan sees the imports (a check that cannot fail is worse than none)', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual(expect.objectContaining({ from: path.join('plan', 'types.ts'), to: path.join('drivers', 'types.ts'), typeOnly: true }));
    expect(edges.some((e) => e.from === path.join('drivers', 'index.ts') && !e.typeOnly && e.to === path.join('drivers', 'registry.ts'))).toBe(true);
    expect(importsOf(path.join(SRC, 'plan', 'x.ts'), "import { a,\n  b } from '../exec/y.js';\nconst m = await import('../ui/z.js');\n")).toEqual([
      { from: path.join('plan', 'x.ts'), to: path.join('exec', 'y.ts'), typeOnly: false, line: 1 },
      { from: path.join('plan', 'x.ts'), to: path.join('ui', 'z.ts'), typeOnly: false, line: 3 },
    ]);
  });

  test('config/ and plan/ import nothing from exec/, drivers/, ui/, watch/ or cli/ (plan/ may import type from drivers/types.ts)', () => {
    const bad = edges.filter((e) => {
      if (folder(e.from) !== 'config' && folder(e.from) !== 'plan') return false;
      const to = folder(e.to);
      if (folder(e.from) === 'plan' && e.to === path.join('drivers', 'types.ts') && e.typeOnly) return false;
      return ['exec', 'drivers', 'ui', 'watch', 'cli', 'index.ts'].includes(to);
    });
    expect(bad.map(show)).toEqual([]);
  });

  test('config/ does not import plan/ (the planner reads the config, not the other way round)', () => {
    expect(edges.filter((e) => folder(e.from) === 'config' && folder(e.to) === 'plan').map(show)).toEqual([]);
  });

  test('buildkit/ imports only buildkit/ and the shared leaves (errors.ts, trace.ts)', () => {
    const bad = edges.filter((e) => folder(e.from) === 'buildkit' && folder(e.to) !== 'buildkit' && !SHARED_LEAVES.has(e.to));
    expect(bad.map(show)).toEqual([]);
  });

  test('drivers/ import nothing from plan/, exec/, ui/, watch/ or cli/ (a driver knows nothing of the planner)', () => {
    const bad = edges.filter((e) => folder(e.from) === 'drivers' && ['plan', 'exec', 'ui', 'watch', 'cli', 'index.ts'].includes(folder(e.to)));
    expect(bad.map(show)).toEqual([]);
  });

  test('the shared leaves import nothing of src/', () => {
    expect(edges.filter((e) => SHARED_LEAVES.has(e.from)).map(show)).toEqual([]);
  });

  test('drivers/types.ts holds types only (plan/ may read it with import type)', () => {
    const text = readFileSync(path.join(SRC, 'drivers', 'types.ts'), 'utf8');
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    expect(code).not.toMatch(/^\s*(export\s+)?(const|let|var|function|class|enum)\b/m);
    expect(edges.filter((e) => e.from === path.join('drivers', 'types.ts') && !e.typeOnly).map(show)).toEqual([]);
  });
});
