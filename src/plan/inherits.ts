/**
 * `inherits`: parents are applied in order (the last parent wins), then the target's own attributes;
 * inheritance is transitive. Walked iteratively over sorted names so long chains cannot overflow the
 * stack and the same config always reports the same cycle.
 */
import type { TargetConfig } from '../config/types.js';
import type { ExpandedTarget } from './matrix.js';
import { mergeTargetConfig } from './merge.js';
import { type Problems, listNames, suggest } from './problems.js';

interface Frame {
  name: string;
  next: number;
}

export function resolveInherits(
  targets: Map<string, ExpandedTarget>,
  forks: Map<string, string[]>,
  groupNames: ReadonlySet<string>,
  problems: Problems,
): Map<string, TargetConfig> {
  const done = new Map<string, TargetConfig>();
  const onStack = new Set<string>();
  const reportedCycles = new Set<string>();

  const finish = (name: string): void => {
    const t = targets.get(name)!;
    let merged: TargetConfig = {};
    for (const parent of t.config.inherits ?? []) {
      const p = done.get(parent);
      if (p) merged = mergeTargetConfig(merged, p);
    }
    merged = mergeTargetConfig(merged, t.config);
    done.set(name, merged);
  };

  /** Whether `parent` (written at inherits[i] of `child`) can be inherited; reports when not. */
  const check = (child: ExpandedTarget, parent: string, i: number): boolean => {
    if (targets.has(parent)) return true;
    const where = ['target', child.origin, 'inherits', i];
    const forkList = forks.get(parent);
    if (forkList) {
      problems.error('invalid-config', where, `target "${child.name}" inherits from matrix target "${parent}", which is not one target; inherit from one of its forks: ${listNames(forkList)}`);
    } else if (groupNames.has(parent)) {
      problems.error('invalid-config', where, `target "${child.name}" inherits from group "${parent}"; only targets can be inherited`);
    } else {
      problems.error('unknown-target', where, `target "${child.name}" inherits from unknown target "${parent}"`, {
        suggestion: suggest(parent, targets.keys()),
      });
    }
    return false;
  };

  for (const start of [...targets.keys()].sort()) {
    if (done.has(start)) continue;
    const stack: Frame[] = [{ name: start, next: 0 }];
    onStack.add(start);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const t = targets.get(frame.name)!;
      const parents = t.config.inherits ?? [];
      if (frame.next >= parents.length) {
        finish(frame.name);
        onStack.delete(frame.name);
        stack.pop();
        continue;
      }
      const i = frame.next++;
      const parent = parents[i]!;
      if (done.has(parent) || !check(t, parent, i)) continue;
      if (onStack.has(parent)) {
        const from = stack.findIndex((f) => f.name === parent);
        const cycle = [...stack.slice(from).map((f) => f.name), parent];
        const key = [...new Set(cycle)].sort().join(' ');
        if (!reportedCycles.has(key)) {
          reportedCycles.add(key);
          problems.error('cycle', ['target', t.origin, 'inherits', i], `inherits cycle: ${cycle.join(' -> ')}`);
        }
        continue;
      }
      onStack.add(parent);
      stack.push({ name: parent, next: 0 });
    }
  }
  return done;
}
