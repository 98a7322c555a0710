/**
 * Matrix expansion: a target with `matrix` forks into one target per combination of axis values (the
 * cartesian product, first axis varying slowest). `${axis}` is substituted in every string of the fork
 * (keys and values, including `inherits`, `contexts` and `depends-on`), so forks can inherit from and
 * depend on forks of other matrices.
 *
 * Fork names come from the `name` template. When `name` is absent, tsbake names forks
 * `<target>-<value>-<value>…` (values in axis order, characters outside [a-zA-Z0-9_-] replaced by `_`)
 * rather than failing as bake does on duplicate names: the result is unique whenever the values are.
 */
import type { Scalar, TargetConfig } from '../config/types.js';
import { NAME_PATTERN, type Problems } from './problems.js';

export interface ExpandedTarget {
  name: string;
  /** Name of the target block it came from (for source positions). */
  origin: string;
  config: TargetConfig;
  /** Axis values of a fork. */
  axes?: Record<string, string>;
}

export interface Expanded {
  /** Every target after expansion, by name. */
  targets: Map<string, ExpandedTarget>;
  /** Matrix target name → its forks, in product order. */
  forks: Map<string, string[]>;
}

const AXIS_REF = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g;

function substitute(text: string, axes: Record<string, string>): string {
  if (!text.includes('${')) return text;
  return text.replace(AXIS_REF, (whole, name: string) => (Object.hasOwn(axes, name) ? axes[name]! : whole));
}

function substituteDeep(value: unknown, axes: Record<string, string>): unknown {
  if (typeof value === 'string') return substitute(value, axes);
  if (Array.isArray(value)) return value.map((v) => substituteDeep(v, axes));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[substitute(k, axes)] = substituteDeep(v, axes);
    return out;
  }
  return value;
}

function product(axes: [string, string[]][]): Record<string, string>[] {
  let combos: Record<string, string>[] = [{}];
  for (const [axis, values] of axes) {
    const next: Record<string, string>[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [axis]: v });
    combos = next;
  }
  return combos;
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

export function expandMatrices(raw: Record<string, TargetConfig>, problems: Problems): Expanded {
  const targets = new Map<string, ExpandedTarget>();
  const forks = new Map<string, string[]>();
  const names = Object.keys(raw).sort();
  for (const name of names) {
    if (!NAME_PATTERN.test(name)) {
      problems.error('invalid-config', ['target', name], `invalid target name "${name}": use letters, digits, "_" and "-" only`);
    }
  }
  // Plain targets first so that a fork colliding with one is the one reported.
  for (const name of names) {
    const config = raw[name]!;
    if (config.matrix === undefined) targets.set(name, { name, origin: name, config });
  }
  for (const base of names) {
    const config = raw[base]!;
    if (config.matrix === undefined) continue;
    const axes: [string, string[]][] = [];
    let ok = true;
    for (const [axis, values] of Object.entries(config.matrix)) {
      if (!Array.isArray(values) || values.length === 0) {
        problems.error('invalid-config', ['target', base, 'matrix', axis], `target "${base}": matrix axis "${axis}" needs a non-empty list of values`);
        ok = false;
        continue;
      }
      const strings: string[] = [];
      values.forEach((v: unknown, i: number) => {
        if (!isScalar(v)) {
          problems.error('invalid-config', ['target', base, 'matrix', axis, i], `target "${base}": matrix axis "${axis}" value ${i + 1} must be a string, number or boolean`);
          ok = false;
        } else strings.push(String(v));
      });
      axes.push([axis, strings]);
    }
    if (!ok) continue;
    if (axes.length === 0) {
      problems.error('invalid-config', ['target', base, 'matrix'], `target "${base}": matrix has no axes`);
      continue;
    }
    const { matrix: _m, name: template, ...rest } = config;
    const list: string[] = [];
    for (const combo of product(axes)) {
      const forkName =
        template !== undefined
          ? substitute(template, combo)
          : [base, ...axes.map(([a]) => combo[a]!.replace(/[^a-zA-Z0-9_-]/g, '_'))].join('-');
      const where = template !== undefined ? ['target', base, 'name'] : ['target', base, 'matrix'];
      if (!NAME_PATTERN.test(forkName)) {
        problems.error('invalid-config', where, `target "${base}": matrix fork name "${forkName}" is invalid: use letters, digits, "_" and "-" only (does the name template use every axis as \${axis}?)`);
        continue;
      }
      const clash = targets.get(forkName);
      if (clash) {
        const other = clash.origin === forkName ? `target "${forkName}"` : `another fork of "${clash.origin}"`;
        problems.error('invalid-config', where, `target "${base}": matrix fork name "${forkName}" is not unique (${other} has it); include every axis in the name template`);
        continue;
      }
      targets.set(forkName, { name: forkName, origin: base, config: substituteDeep(rest, combo) as TargetConfig, axes: combo });
      list.push(forkName);
    }
    forks.set(base, list);
  }
  return { targets, forks };
}
