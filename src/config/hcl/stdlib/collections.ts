/**
 * Collection functions, as go-cty's stdlib (collection.go, sequence.go, set.go) defines them.
 * Lists, sets and tuples are arrays here; maps and objects null-prototype records, whose keys
 * cty always iterates in sorted order (keys, values, merge).
 * https://github.com/zclconf/go-cty/blob/main/cty/function/stdlib/collection.go
 */
import {
  FunctionError,
  compareStrings,
  isObject,
  makeObject,
  toStringValue,
  typeName,
  valuesEqual,
  type StdlibFunction,
  type Value,
  type ValueObject,
} from '../value.js';
import { WHOLE, any, argError, fixed, num, seq, str, strList, variadic } from './args.js';
import { makeSet, setHas, unifyElements } from './sets.js';

/** cty refuses a range longer than this (sequence.go). */
export const RANGE_LIMIT = 1024;

function sortedKeys(o: ValueObject): string[] {
  return Object.keys(o).sort(compareStrings);
}

function flatten(list: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const v of list) {
    if (Array.isArray(v)) out.push(...flatten(v));
    else out.push(v);
  }
  return out;
}

/** gocty's int conversion, worded as `invalid <what>: value must be a whole number`. */
function wholeNumber(v: Value, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isInteger(n)) throw new FunctionError(`invalid ${what}: ${WHOLE}`);
  return n;
}

function hasIndex(coll: Value, key: Value): boolean {
  if (Array.isArray(coll)) {
    const n = typeof key === 'number' ? key : typeof key === 'string' ? Number(key) : NaN;
    return Number.isInteger(n) && n >= 0 && n < coll.length;
  }
  if (isObject(coll)) {
    const k = toStringValue(key);
    return k !== undefined && Object.hasOwn(coll, k);
  }
  throw new FunctionError('collection must be a list, a map or a tuple');
}

/** The sets of a set operation, their elements unified together (cty converts all to one set type). */
function setArgs(a: readonly Value[]): Value[][] {
  const lists = a.map((_, i) => seq(a, i, i === 0 ? 'first_set' : 'other_sets', 'set of any'));
  const unified = unifyElements(lists.flat());
  let pos = 0;
  return lists.map((l) => {
    const part = unified.slice(pos, pos + l.length);
    pos += l.length;
    return makeSet(part);
  });
}

export const collectionFunctions: Record<string, StdlibFunction> = {
  chunklist: fixed(2, (a) => {
    const list = seq(a, 0, 'list');
    const size = wholeNumber(a[1] ?? null, 'size');
    if (size < 0) throw new FunctionError('the size argument must be positive');
    if (list.length === 0) return [];
    if (size === 0) return [list];
    const out: Value[] = [];
    for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
    return out;
  }),
  coalescelist: variadic(0, (a) => {
    if (a.length === 0) throw new FunctionError('at least one argument is required');
    for (const v of a) if (!Array.isArray(v)) throw new FunctionError('coalescelist arguments must be lists or tuples');
    for (const v of a) if (Array.isArray(v) && v.length > 0) return v;
    throw new FunctionError('no non-null arguments');
  }),
  coalesce: variadic(0, (a) => {
    const nonNull = a.filter((v) => v !== null);
    const kinds = new Set(nonNull.map((v) => (Array.isArray(v) ? 'seq' : typeof v)));
    if (kinds.size > 1 && ![...kinds].every((k) => k === 'string' || k === 'number' || k === 'boolean'))
      throw new FunctionError('all arguments must have the same type');
    const first = nonNull[0];
    if (first === undefined) throw new FunctionError('no non-null arguments');
    return kinds.size > 1 ? (toStringValue(first) as string) : first;
  }),
  compact: fixed(1, (a) => {
    const list = seq(a, 0, 'list', 'list of string');
    return strList([list.filter((v) => v !== null)], 0, 'list').filter((s) => s !== '');
  }),
  concat: variadic(0, (a) => {
    if (a.length === 0) throw new FunctionError('at least one argument is required');
    const out: Value[] = [];
    a.forEach((v, i) => {
      if (!Array.isArray(v)) throw argError(i, 'seqs', `all arguments must be lists or tuples; got ${typeName(v)}`);
      out.push(...v);
    });
    return out;
  }),
  contains: fixed(2, (a) => {
    const list = a[0] ?? null;
    if (list === null) throw new FunctionError('cannot search a nil list or set');
    if (!Array.isArray(list)) throw new FunctionError('argument must be list, tuple, or set');
    const v = a[1] ?? null;
    return list.some((e) => valuesEqual(e, v));
  }),
  distinct: fixed(1, (a) => {
    const out: Value[] = [];
    for (const v of unifyElements(seq(a, 0, 'list'))) if (!out.some((o) => valuesEqual(o, v))) out.push(v);
    return out;
  }),
  element: fixed(2, (a) => {
    const list = any(a, 0, 'list');
    if (!Array.isArray(list)) throw new FunctionError(`cannot read elements from ${typeName(list)}`);
    const n = num(a, 1, 'index');
    if (!Number.isInteger(n)) throw new FunctionError(`invalid index: ${WHOLE}`);
    if (list.length === 0) throw new FunctionError('cannot use element function with an empty list');
    if (n < 0) throw new FunctionError('cannot use element function with a negative index');
    return list[n % list.length] as Value;
  }),
  flatten: fixed(1, (a) => {
    const list = any(a, 0, 'list');
    if (!Array.isArray(list)) throw new FunctionError('can only flatten lists, sets and tuples');
    return flatten(list);
  }),
  hasindex: fixed(2, (a) => hasIndex(any(a, 0, 'collection'), any(a, 1, 'key'))),
  index: fixed(2, (a) => {
    const coll = any(a, 0, 'collection');
    const key = any(a, 1, 'key');
    if (Array.isArray(coll) && typeof key !== 'number') throw new FunctionError('key for tuple must be number');
    if (Array.isArray(coll)) {
      if (!Number.isInteger(key)) throw new FunctionError('invalid key for tuple: value must be a whole number');
      if ((key as number) < 0 || (key as number) >= coll.length) throw new FunctionError(`key must be between 0 and ${coll.length} inclusive`);
      return coll[key as number] as Value;
    }
    if (!hasIndex(coll, key)) throw new FunctionError('invalid index');
    return (coll as ValueObject)[toStringValue(key) as string] as Value;
  }),
  keys: fixed(1, (a) => {
    const m = any(a, 0, 'inputMap');
    if (!isObject(m)) throw argError(0, 'inputMap', 'must have map or object type');
    return sortedKeys(m);
  }),
  length: fixed(1, (a) => {
    const c = any(a, 0, 'collection');
    if (Array.isArray(c)) return c.length;
    if (isObject(c)) return Object.keys(c).length;
    throw new FunctionError('collection must be a list, a map or a tuple');
  }),
  // bake's cty takes the default as a required third argument.
  lookup: fixed(3, (a) => {
    const m = any(a, 0, 'inputMap');
    const key = str(a, 1, 'key');
    if (!isObject(m)) throw argError(0, 'inputMap', 'lookup() requires a map as the first argument');
    if (Object.hasOwn(m, key)) return m[key] as Value;
    return a[2] ?? null;
  }),
  merge: variadic(0, (a) => {
    const out = makeObject();
    a.forEach((m, i) => {
      if (m === null) return;
      if (!isObject(m)) throw new FunctionError(`arguments must be maps or objects, got "${typeName(m)}"`);
      void i;
      for (const k of sortedKeys(m)) out[k] = m[k] as Value;
    });
    return makeObject(sortedKeys(out).map((k) => [k, out[k] as Value]));
  }),
  range: variadic(0, (a) => {
    const nums = a.map((_, i) => num(a, i, 'params'));
    let start = 0;
    let end: number;
    let step: number;
    if (nums.length === 1) {
      end = nums[0] as number;
      step = end < 0 ? -1 : 1;
    } else if (nums.length === 2) {
      start = nums[0] as number;
      end = nums[1] as number;
      step = end < start ? -1 : 1;
    } else if (nums.length === 3) {
      [start, end, step] = nums as [number, number, number];
    } else throw new FunctionError('must have one, two, or three arguments');
    // cty's zero-step check compares Value structs and never fires, so a zero step runs into the cap.
    const down = step < 0;
    if (down && end > start) throw argError(1, 'params', 'end must be less than start when step is negative');
    if (!down && end < start) throw argError(1, 'params', 'end must be greater than start when step is positive');
    const out: number[] = [];
    for (let n = start; down ? n > end : n < end; n += step) {
      if (out.length >= RANGE_LIMIT)
        throw new FunctionError(
          `more than ${RANGE_LIMIT} values were generated; either decrease the difference between start and end or use a smaller step`,
        );
      out.push(n);
    }
    return out;
  }),
  reverselist: fixed(1, (a) => {
    const list = any(a, 0, 'list');
    if (!Array.isArray(list)) throw argError(0, 'list', `can only reverse list or tuple values, not ${typeName(list)}`);
    return [...list].reverse();
  }),
  slice: fixed(3, (a) => {
    const list = any(a, 0, 'list');
    if (!Array.isArray(list)) throw argError(0, 'list', 'must be a list or tuple value');
    const start = num(a, 1, 'start_index');
    const end = num(a, 2, 'end_index');
    if (!Number.isInteger(start)) throw argError(1, 'start_index', 'invalid start index: value must be a whole number');
    if (!Number.isInteger(end)) throw argError(2, 'end_index', 'invalid end index: value must be a whole number');
    if (start < 0) throw argError(1, 'start_index', 'start index must not be less than zero');
    if (start > list.length) throw argError(1, 'start_index', 'start index must not be greater than the length of the list');
    if (end < 0) throw argError(2, 'end_index', 'end index must not be less than zero');
    if (end > list.length) throw argError(2, 'end_index', 'end index must not be greater than the length of the list');
    if (start > end) throw argError(1, 'start_index', 'start index must not be greater than end index');
    return list.slice(start, end);
  }),
  values: fixed(1, (a) => {
    const m = any(a, 0, 'mapping');
    if (!isObject(m)) throw new FunctionError('values() requires a map as the first argument');
    return sortedKeys(m).map((k) => m[k] as Value);
  }),
  zipmap: fixed(2, (a) => {
    const keysList = seq(a, 0, 'keys', 'list of string');
    keysList.forEach((k, i) => {
      if (k === null) throw new FunctionError(`keys list has null value at index ${i}`);
    });
    const keys = strList(a, 0, 'keys');
    const vals = any(a, 1, 'values');
    if (!Array.isArray(vals)) throw new FunctionError('values argument must be a list or tuple value');
    if (keys.length !== vals.length)
      throw new FunctionError(`number of keys (${keys.length}) does not match number of values (${vals.length})`);
    const out = makeObject();
    keys.forEach((k, i) => (out[k] = vals[i] as Value));
    return makeObject(sortedKeys(out).map((k) => [k, out[k] as Value]));
  }),

  // set.go
  sethaselement: fixed(2, (a) => setHas(makeSet(seq(a, 0, 'set', 'set of any')), a[1] ?? null)),
  setunion: variadic(1, (a) => makeSet(setArgs(a).flat())),
  setintersection: variadic(1, (a) => {
    const [first, ...rest] = setArgs(a);
    return (first ?? []).filter((v) => rest.every((s) => setHas(s, v)));
  }),
  setsubtract: fixed(2, (a) => {
    const [x, y] = setArgs(a);
    return (x ?? []).filter((v) => !setHas(y ?? [], v));
  }),
  setsymmetricdifference: variadic(1, (a) => {
    let acc: Value[] = [];
    for (const s of setArgs(a)) acc = makeSet([...acc.filter((v) => !setHas(s, v)), ...s.filter((v) => !setHas(acc, v))]);
    return acc;
  }),
  setproduct: variadic(0, (a) => {
    if (a.length < 2) throw new FunctionError('at least two arguments are required');
    const lists = a.map((v, i) => {
      if (!Array.isArray(v)) throw argError(i, 'sets', 'a set or a list is required');
      return unifyElements(v);
    });
    let product: Value[][] = [[]];
    for (const l of lists) product = product.flatMap((p) => l.map((e) => [...p, e]));
    return product;
  }),
};

