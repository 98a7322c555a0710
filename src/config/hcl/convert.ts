/**
 * Conversions between the Value kinds as go-cty's `convert` package does them (string ↔ number ↔ bool),
 * equality, and Go-style number text. cty numbers are arbitrary-precision floats printed without an
 * exponent; JS numbers are doubles, so integers and short decimals print as cty does, while results
 * such as 1/3 print JS's 17 significant digits where cty prints ~150.
 * https://github.com/zclconf/go-cty/blob/main/cty/convert/conversion_primitive.go
 */
import { formatNumber, isObject, type Value, type ValueObject } from './value.js';

/** One number formatting for the evaluator and the stdlib (value.ts owns it). */
export { formatNumber };

export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'tuple';
  return 'object';
}

/** Why a conversion failed (the caller adds where). */
export class ConvertError extends Error {}

const NUMBER_RE = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

export function parseNumber(s: string): number | undefined {
  if (!NUMBER_RE.test(s)) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

export function toStringValue(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) throw new ConvertError('a string is required, not null');
  throw new ConvertError(`a string is required, not ${typeName(v)}`);
}

export function toNumberValue(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = parseNumber(v);
    if (n === undefined) throw new ConvertError(`a number is required, and "${v}" is not one`);
    return n;
  }
  if (v === null) throw new ConvertError('a number is required, not null');
  throw new ConvertError(`a number is required, not ${typeName(v)}`);
}

export function toBoolValue(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === null) throw new ConvertError('a bool is required, not null');
  throw new ConvertError(typeof v === 'string' ? `a bool is required, and "${v}" is not one (true or false)` : `a bool is required, not ${typeName(v)}`);
}

export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i] as Value, b[i] as Value)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!(k in b) || !valuesEqual(a[k] as Value, (b as ValueObject)[k] as Value)) return false;
  return true;
}

export function newObject(): ValueObject {
  return Object.create(null) as ValueObject;
}

/** Keys in cty's iteration order (lexical). */
export function sortedKeys(o: ValueObject): string[] {
  return Object.keys(o).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** JSON as cty's json.Marshal writes it: object keys sorted, numbers without exponent. */
export function toGoJson(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return goJsonString(v);
  if (Array.isArray(v)) return `[${v.map(toGoJson).join(',')}]`;
  return `{${sortedKeys(v)
    .map((k) => `${goJsonString(k)}:${toGoJson(v[k] as Value)}`)
    .join(',')}}`;
}

/** Go's encoding/json escapes <, > and & as \u003c etc. */
export function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A plain JS value (JSON.parse output) as a Value with null-prototype objects. */
export function fromJson(x: unknown): Value {
  if (x === null || typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x;
  if (Array.isArray(x)) return x.map(fromJson);
  const o = newObject();
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) o[k] = fromJson(v);
  return o;
}

export { isObject };
