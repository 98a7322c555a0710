/**
 * The build graph: levels (a target's level is one more than its deepest dependency) and a
 * deterministic topological order. Cycles are found by an iterative depth-first walk over sorted
 * names and sorted dependencies, so the same config always reports the same cycle.
 */
import type { GraphEdge } from './types.js';

export interface GraphResult {
  order: string[];
  levels: string[][];
  /** Each cycle as a closed path (`[a, b, a]`). Empty when the graph is acyclic. */
  cycles: string[][];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortEdges(edges: GraphEdge[]): GraphEdge[] {
  return edges.sort((x, y) => byName(x.from, y.from) || byName(x.to, y.to) || byName(x.kind, y.kind) || byName(x.via ?? '', y.via ?? ''));
}

export function computeGraph(nodes: readonly string[], edges: readonly GraphEdge[]): GraphResult {
  const deps = new Map<string, string[]>();
  for (const n of nodes) deps.set(n, []);
  for (const e of edges) deps.get(e.from)?.push(e.to);
  for (const [n, list] of deps) deps.set(n, [...new Set(list)].sort(byName));

  const level = new Map<string, number>();
  const onStack = new Map<string, number>(); // name → index in stack
  const cycles: string[][] = [];
  const reported = new Set<string>();
  const stack: { name: string; next: number; level: number }[] = [];

  for (const start of [...nodes].sort(byName)) {
    if (level.has(start)) continue;
    stack.push({ name: start, next: 0, level: 0 });
    onStack.set(start, 0);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const list = deps.get(frame.name) ?? [];
      if (frame.next >= list.length) {
        level.set(frame.name, frame.level);
        onStack.delete(frame.name);
        stack.pop();
        const parent = stack[stack.length - 1];
        if (parent) parent.level = Math.max(parent.level, frame.level + 1);
        continue;
      }
      const dep = list[frame.next++]!;
      const done = level.get(dep);
      if (done !== undefined) {
        frame.level = Math.max(frame.level, done + 1);
        continue;
      }
      const at = onStack.get(dep);
      if (at !== undefined) {
        const cycle = [...stack.slice(at).map((f) => f.name), dep];
        const key = [...new Set(cycle)].sort(byName).join(' ');
        if (!reported.has(key)) {
          reported.add(key);
          cycles.push(cycle);
        }
        continue;
      }
      if (!deps.has(dep)) continue;
      onStack.set(dep, stack.length);
      stack.push({ name: dep, next: 0, level: 0 });
    }
  }

  const levels: string[][] = [];
  for (const n of nodes) {
    const l = level.get(n) ?? 0;
    while (levels.length <= l) levels.push([]);
    levels[l]!.push(n);
  }
  for (const l of levels) l.sort(byName);
  return { order: levels.flat(), levels: levels.filter((l) => l.length > 0), cycles };
}
