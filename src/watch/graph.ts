/** Dependency lookups over a plan: edges, `depends-on` and `target:` contexts all count. */
import type { Plan } from '../plan/types.js';

export interface TargetGraph {
  /** Graph order (plan.order, plus any target it missed, sorted). */
  order: string[];
  dependencies(target: string): string[];
  /** Every target that depends on one of `targets`, transitively, plus `targets` themselves. */
  withDependents(targets: Iterable<string>): Set<string>;
}

export function createTargetGraph(plan: Plan): TargetGraph {
  const names = new Set(Object.keys(plan.targets));
  const deps = new Map<string, Set<string>>();
  const rdeps = new Map<string, Set<string>>();
  const link = (from: string, to: string): void => {
    if (!names.has(from) || !names.has(to) || from === to) return;
    if (!deps.has(from)) deps.set(from, new Set());
    if (!rdeps.has(to)) rdeps.set(to, new Set());
    deps.get(from)?.add(to);
    rdeps.get(to)?.add(from);
  };
  for (const e of plan.edges) link(e.from, e.to);
  for (const t of Object.values(plan.targets)) {
    for (const d of t.dependsOn) link(t.name, d);
    for (const c of Object.values(t.contexts)) if (c.kind === 'target') link(t.name, c.target);
  }
  const order = plan.order.filter((n) => names.has(n));
  const missing = [...names].filter((n) => !order.includes(n)).sort();
  order.push(...missing);
  return {
    order,
    dependencies: (t) => [...(deps.get(t) ?? [])].sort(),
    withDependents: (targets) => {
      const out = new Set<string>();
      const stack = [...targets].filter((t) => names.has(t));
      while (stack.length > 0) {
        const t = stack.pop() as string;
        if (out.has(t)) continue;
        out.add(t);
        for (const r of rdeps.get(t) ?? []) stack.push(r);
      }
      return out;
    },
  };
}
