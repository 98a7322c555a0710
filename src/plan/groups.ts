/**
 * Names → targets. A name is a group (groups win over targets of the same name, as in bake), a matrix
 * target (a group of its forks) or a target. Groups may contain groups; a group that lists its own name
 * while a target of that name exists means the target.
 */
import type { GroupConfig } from '../config/types.js';
import { NAME_PATTERN, type Problems, listNames, suggest } from './problems.js';

export interface GroupExpander {
  /** Targets a name stands for, or undefined when it names nothing. */
  expand(name: string): string[] | undefined;
  /** Every group and matrix target name (for suggestions). */
  groupLikeNames(): string[];
}

export function createGroupExpander(
  groups: Record<string, GroupConfig>,
  isTarget: (name: string) => boolean,
  forks: Map<string, string[]>,
  problems: Problems,
  targetNames: () => string[],
): GroupExpander {
  const memo = new Map<string, string[]>();
  const reported = new Set<string>();
  for (const name of Object.keys(groups).sort()) {
    if (!NAME_PATTERN.test(name)) problems.error('invalid-config', ['group', name], `invalid group name "${name}": use letters, digits, "_" and "-" only`);
  }
  const known = (): string[] => [...new Set([...Object.keys(groups), ...forks.keys()])];

  const leaf = (name: string): string[] | undefined => {
    const f = forks.get(name);
    if (f) return f;
    return isTarget(name) ? [name] : undefined;
  };

  // Recursive over group nesting only, which is shallow in practice; a cycle stops it.
  const expandGroup = (name: string, stack: string[]): string[] => {
    const cached = memo.get(name);
    if (cached) return cached;
    const g = groups[name]!;
    const out: string[] = [];
    const seen = new Set<string>();
    stack.push(name);
    (g.targets ?? []).forEach((member, i) => {
      let members: string[] | undefined;
      if (Object.hasOwn(groups, member) && !(stack.includes(member) && leaf(member))) {
        if (stack.includes(member)) {
          const cycle = [...stack.slice(stack.indexOf(member)), member];
          const key = [...new Set(cycle)].sort().join(' ');
          if (!reported.has(key)) {
            reported.add(key);
            problems.error('cycle', ['group', name, 'targets', i], `group cycle: ${cycle.join(' -> ')}`);
          }
          return;
        }
        members = expandGroup(member, stack);
      } else {
        members = leaf(member);
      }
      if (members === undefined) {
        problems.error('unknown-target', ['group', name, 'targets', i], `group "${name}" lists unknown target "${member}"`, {
          suggestion: suggest(member, [...targetNames(), ...known()]),
        });
        return;
      }
      for (const m of members) {
        if (!seen.has(m)) {
          seen.add(m);
          out.push(m);
        }
      }
    });
    stack.pop();
    memo.set(name, out);
    return out;
  };

  return {
    groupLikeNames: known,
    expand(name) {
      if (Object.hasOwn(groups, name)) return expandGroup(name, []);
      return leaf(name);
    },
  };
}

/** The targets requested by CLI names (`default` when none), sorted and unique. */
export function requestedTargets(
  names: readonly string[],
  expander: GroupExpander,
  allTargets: () => string[],
  problems: Problems,
): string[] {
  const out = new Set<string>();
  if (names.length === 0) {
    const members = expander.expand('default');
    if (members === undefined) {
      const targets = allTargets();
      // A config of builders only (tsbake builder …) plans to nothing rather than failing.
      if (targets.length === 0 && expander.groupLikeNames().length === 0) {
        problems.warn(undefined, 'the config defines no targets: nothing to build');
        return [];
      }
      problems.error(
        'unknown-target',
        undefined,
        `failed to find target default: name the targets to build, or add a group "default". Targets: ${listNames(targets)}`,
      );
      return [];
    }
    for (const m of members) out.add(m);
    return [...out].sort();
  }
  for (const name of names) {
    const members = expander.expand(name);
    if (members === undefined) {
      problems.error('unknown-target', undefined, `unknown target or group "${name}"`, {
        key: name,
        suggestion: suggest(name, [...allTargets(), ...expander.groupLikeNames()]),
      });
      continue;
    }
    for (const m of members) out.add(m);
  }
  return [...out].sort();
}

/**
 * The groups the CLI names went through (as written), and matrix targets met as groups of their forks,
 * for `plan.groups` and `print`. Assumes expansion already reported any problem.
 */
export function usedGroups(
  names: readonly string[],
  groups: Record<string, GroupConfig>,
  isTarget: (name: string) => boolean,
  forks: Map<string, string[]>,
): Record<string, { targets: string[]; description?: string }> {
  const out: Record<string, { targets: string[]; description?: string }> = {};
  const queue: { name: string; path: string[] }[] = names.map((name) => ({ name, path: [] }));
  for (let qi = 0; qi < queue.length; qi++) {
    const { name, path } = queue[qi]!;
    if (Object.hasOwn(out, name)) continue;
    const isGroup = Object.hasOwn(groups, name) && !(path.includes(name) && (isTarget(name) || forks.has(name)));
    if (isGroup) {
      if (path.includes(name)) continue;
      const g = groups[name]!;
      const entry: { targets: string[]; description?: string } = { targets: [...(g.targets ?? [])] };
      if (g.description !== undefined) entry.description = g.description;
      out[name] = entry;
      for (const m of g.targets ?? []) queue.push({ name: m, path: [...path, name] });
    } else {
      const f = forks.get(name);
      if (f) out[name] = { targets: [...f] };
    }
  }
  return out;
}
