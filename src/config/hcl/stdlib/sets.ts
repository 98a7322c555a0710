/**
 * Sets as cty orders them: a set of strings iterates lexicographically (by bytes), numbers
 * numerically, false before true, nulls last, and anything else by its hash string.
 * https://github.com/zclconf/go-cty/blob/main/cty/set_internals.go
 */
import { compareStrings, formatNumber, toStringValue, valuesEqual, type Value } from '../value.js';

/** cty's unification of a collection's element types, as far as an untyped model can: mixed primitives become strings. */
export function unifyElements(values: readonly Value[]): Value[] {
  const kinds = new Set(values.filter((v) => v !== null).map((v) => (Array.isArray(v) ? 'seq' : typeof v)));
  if (kinds.size > 1 && [...kinds].every((k) => k === 'string' || k === 'number' || k === 'boolean')) {
    return values.map((v) => (v === null ? null : (toStringValue(v) as string)));
  }
  return [...values];
}

/** The string cty hashes a value to; used to order sets of non-primitive values. */
function hashKey(v: Value): string {
  if (v === null) return '~';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') return goFloatString(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return '<' + v.map((e) => hashKey(e) + ';').join('') + '>';
  return '<' + Object.keys(v).sort(compareStrings).map((k) => hashKey(v[k] as Value) + ';').join('') + '>';
}

/** big.Float.String(): %g with 10 significant digits. */
function goFloatString(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e10) return formatNumber(n);
  const s = n.toPrecision(10);
  const m = /^(-?[\d.]+?)\.?0*(?:e([+-])(\d+))?$/.exec(s);
  if (!m) return s;
  if (m[2] === undefined) return m[1] ?? s;
  return `${m[1]}e${m[2]}${(m[3] ?? '').padStart(2, '0')}`;
}

function compareSetElements(a: Value, b: Value): number {
  if (valuesEqual(a, b)) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a ? 1 : -1;
  return compareStrings(hashKey(a), hashKey(b));
}

/** A set from a list's elements: unified, de-duplicated, in cty's order. */
export function makeSet(values: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const v of unifyElements(values)) if (!out.some((o) => valuesEqual(o, v))) out.push(v);
  return out.sort(compareSetElements);
}

export function setHas(set: readonly Value[], v: Value): boolean {
  return set.some((e) => valuesEqual(e, v));
}

