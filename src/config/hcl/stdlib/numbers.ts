/**
 * Number, comparison and boolean functions, as go-cty's stdlib (number.go, bool.go, general.go)
 * defines them. Arithmetic is on doubles where cty uses 512-bit floats (see formatNumber).
 * https://github.com/zclconf/go-cty/blob/main/cty/function/stdlib/number.go
 */
import { FunctionError, valuesEqual, type StdlibFunction } from '../value.js';
import { argError, bool, fixed, int, num, variadic } from './args.js';

/** big.Int.SetString's digit values: 0-9, a-z (10-35), and for bases over 36, A-Z (36-61). */
function digitValue(c: string, base: number): number {
  const cc = c.charCodeAt(0);
  if (cc >= 48 && cc <= 57) return cc - 48;
  if (cc >= 97 && cc <= 122) return cc - 97 + 10;
  if (cc >= 65 && cc <= 90) return base <= 36 ? cc - 65 + 10 : cc - 65 + 36;
  return 99;
}

function parseInteger(s: string, base: number): number | undefined {
  let body = s;
  let neg = false;
  if (body.startsWith('+') || body.startsWith('-')) {
    neg = body.startsWith('-');
    body = body.slice(1);
  }
  if (body === '') return undefined;
  let n = 0n;
  const b = BigInt(base);
  for (const c of body) {
    const d = digitValue(c, base);
    if (d >= base) return undefined;
    n = n * b + BigInt(d);
  }
  return Number(neg ? -n : n);
}

/** cty.NumberFloatVal of a float64 result: a NaN makes big.Float panic, which cty reports. */
function float64(x: number): number {
  if (Number.isNaN(x)) throw new FunctionError('panic in function implementation: Float.SetFloat64(NaN)');
  return x;
}

function binary(op: (a: number, b: number) => number): StdlibFunction {
  return fixed(2, (a) => op(num(a, 0, 'a'), num(a, 1, 'b')));
}

function compare(op: (a: number, b: number) => boolean): StdlibFunction {
  return fixed(2, (a) => op(num(a, 0, 'a'), num(a, 1, 'b')));
}

/** cty's Modulo: the remainder of division truncated toward zero; x modulo 0 is x. */
function modulo(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a * b;
  if (b === 0) return a;
  return a - Math.trunc(a / b) * b;
}

export const numberFunctions: Record<string, StdlibFunction> = {
  absolute: fixed(1, (a) => Math.abs(num(a, 0, 'num'))),
  add: binary((x, y) => {
    if (x === -y && !Number.isFinite(x)) throw new FunctionError("can't compute sum of opposing infinities");
    return x + y;
  }),
  subtract: binary((x, y) => {
    if (x === y && !Number.isFinite(x)) throw new FunctionError("can't subtract infinity from itself");
    return x - y;
  }),
  multiply: binary((x, y) => {
    if ((x === 0 && !Number.isFinite(y)) || (y === 0 && !Number.isFinite(x)))
      throw new FunctionError("can't multiply zero by infinity");
    return x * y;
  }),
  divide: binary((x, y) => {
    if ((x === 0 && y === 0) || (!Number.isFinite(x) && !Number.isFinite(y)))
      throw new FunctionError("can't divide zero by zero or infinity by infinity");
    return x / y;
  }),
  modulo: binary(modulo),
  negate: fixed(1, (a) => -num(a, 0, 'num')),
  greaterthan: compare((x, y) => x > y),
  greaterthanorequalto: compare((x, y) => x >= y),
  lessthan: compare((x, y) => x < y),
  lessthanorequalto: compare((x, y) => x <= y),
  max: variadic(0, (a) => {
    if (a.length === 0) throw new FunctionError('must pass at least one number');
    return Math.max(...a.map((_, i) => num(a, i, 'numbers')));
  }),
  min: variadic(0, (a) => {
    if (a.length === 0) throw new FunctionError('must pass at least one number');
    return Math.min(...a.map((_, i) => num(a, i, 'numbers')));
  }),
  int: fixed(1, (a) => {
    const n = num(a, 0, 'num');
    if (!Number.isFinite(n)) throw new FunctionError("can't truncate infinity to an integer");
    return Math.trunc(n) || 0;
  }),
  ceil: fixed(1, (a) => Math.ceil(num(a, 0, 'num')) || 0),
  floor: fixed(1, (a) => Math.floor(num(a, 0, 'num'))),
  log: fixed(2, (a) => float64(Math.log(num(a, 0, 'num')) / Math.log(num(a, 1, 'base')))),
  pow: fixed(2, (a) => float64(Math.pow(num(a, 0, 'num'), num(a, 1, 'power')))),
  signum: fixed(1, (a) => Math.sign(int(a, 0, 'num')) || 0),
  parseint: fixed(2, (a) => {
    const v = a[0];
    if (typeof v !== 'string') {
      const t = v === null || v === undefined ? 'null' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'bool' : Array.isArray(v) ? 'tuple' : 'object';
      throw argError(0, 'number', `first argument must be a string, not ${t}`);
    }
    const base = int(a, 1, 'base');
    if (base < 2 || base > 62) throw argError(1, 'base', 'base must be a whole number between 2 and 62 inclusive');
    const n = parseInteger(v, base);
    if (n === undefined) throw argError(0, 'number', `cannot parse ${JSON.stringify(v)} as a base ${base} integer`);
    return n;
  }),

  // bool.go
  not: fixed(1, (a) => !bool(a, 0, 'val')),
  and: fixed(2, (a) => bool(a, 0, 'a') && bool(a, 1, 'b')),
  or: fixed(2, (a) => bool(a, 0, 'a') || bool(a, 1, 'b')),

  // general.go
  equal: fixed(2, (a) => valuesEqual(a[0] ?? null, a[1] ?? null)),
  notequal: fixed(2, (a) => !valuesEqual(a[0] ?? null, a[1] ?? null)),
};

