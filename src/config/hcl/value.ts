/**
 * The value model shared by the HCL evaluator (src/config/hcl/eval*.ts) and bake's standard library
 * (src/config/hcl/stdlib/). It mirrors go-cty's values closely enough for bake: numbers are JS numbers
 * (formatted as Go's cty formats them, see formatNumber), lists, sets and tuples are arrays, maps and
 * objects are null-prototype records. `null` is cty's null of any type.
 * https://github.com/zclconf/go-cty/blob/main/docs/types.md
 */
import { ratioText } from './number-text.js';

export type Value = null | boolean | number | string | Value[] | ValueObject;
export interface ValueObject {
  [key: string]: Value;
}

/** What a function may look at besides its arguments. Pure otherwise: no I/O but what it names. */
export interface FunctionContext {
  /** The environment bake runs with (homedir, env lookups). */
  env: Readonly<Record<string, string | undefined>>;
  /** The directory bake runs in. */
  cwd: string;
  /** The clock for timestamp(); one value per evaluation, as bake takes it once. */
  now: Date;
}

/**
 * A function's failure; the evaluator turns it into a file:line:column diagnostic at the call (or at
 * argument argIndex), worded with describeFunctionError. A message starting `Invalid value for "x"
 * parameter:` is about that argument; any other message is the call's (cty's wording, no final period).
 */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly argIndex?: number,
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

/**
 * The summary and detail HCL prints for a failed call (hclsyntax FunctionCallExpr.Value): an error
 * about one argument reads `Invalid function argument; Invalid value for "str" parameter: …`,
 * any other `Error in function call; Call to function "fn" failed: ….`
 */
export function describeFunctionError(fn: string, e: FunctionError): { summary: string; detail: string } {
  if (e.message.startsWith('Invalid value for ')) return { summary: 'Invalid function argument', detail: e.message };
  // HCL ends the detail with a period, except for a function's panic, which it reports as is.
  const msg = e.message.endsWith('.') || e.message.startsWith('panic in function implementation') ? e.message : `${e.message}.`;
  return { summary: 'Error in function call', detail: `Call to function "${fn}" failed: ${msg}` };
}

export interface StdlibFunction {
  /** Fixed parameters' count (arguments beyond it go to the variadic parameter, if any). */
  params: number;
  variadic?: boolean;
  impl(args: Value[], ctx: FunctionContext): Value;
}

export function isObject(v: Value): v is ValueObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * A number as cty prints it when converting to a string (big.Float.Text('f', -1)): no exponent, the
 * shortest digits that identify the value. cty's numbers are 512-bit floats and ours are doubles, so
 * the digits differ where a double cannot carry them:
 * - integers and decimals written in the file (42, 0.5, 3.14159, 1e21, 1e23) print as bake prints them;
 * - sums of decimals lose the double's noise (0.1+0.2 → "0.3", as bake; a double says 0.30000000000000004);
 * - results of float64 functions (pow(2, 0.5)) print Go's shortest float64 digits, as bake;
 * - a small ratio (1/3, 2/3, 22/7) prints bake's 155 digits of its 512-bit float ("0.333…335"), see number-text.ts;
 *   other fractions a double's shortest digits;
 * - 2^64 from pow prints "18446744073709552000" where bake prints "18446744073709550000" (Go's big.Float
 *   shortest digits ignore the narrower gap below a power of two).
 * Infinities print as Go does ("+Inf", "-Inf").
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  if (Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER) return String(n);
  if (!Number.isInteger(n)) {
    const ratio = ratioText(n);
    if (ratio !== undefined) return ratio;
  }
  return expandExponent(denoise(n));
}

/**
 * The shortest digits of a double, without the noise arithmetic on decimals leaves (0.1+0.2 is
 * 0.30000000000000004 in doubles, 0.3 in bake's 512-bit floats): a fraction whose 15-digit rounding
 * is much shorter is taken as that shorter decimal. Values from float64 functions (pow, log) keep
 * their 17 digits, as bake prints them.
 */
export function denoise(n: number): string {
  const s = String(n);
  if (Number.isInteger(n) || significantDigits(s) <= 15) return s;
  const short = String(Number(n.toPrecision(15)));
  return significantDigits(short) <= 12 ? short : s;
}

function significantDigits(s: string): number {
  const mantissa = s.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
  return mantissa.length;
}

/** "1.5e-7" → "0.00000015", "1e+21" → "1000000000000000000000". */
function expandExponent(s: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/i.exec(s);
  if (!m) return s;
  const sign = m[1] ?? '';
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  const exp = Number(m[4]);
  const digits = intPart + frac;
  const point = intPart.length + exp; // position of the decimal point within digits
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`.replace(/\.?0+$/, '');
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** cty's friendly type name of a value, as used in messages ("string", "number", "bool", "tuple", "object", "null"). */
export function typeName(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'tuple';
  return 'object';
}

/** cty's safe and unsafe primitive conversions to string: numbers as formatNumber, bools as "true"/"false". Undefined when not convertible (null, collections). */
export function toStringValue(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return undefined;
}

const DECIMAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** cty's conversion to number: numbers as they are, strings holding a decimal number or an infinity (cty.ParseNumberVal). Undefined otherwise. */
export function toNumberValue(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && DECIMAL.test(v)) return Number(v);
  // big.Float.Parse also reads infinities.
  if (typeof v === 'string' && /^[+-]?[Ii]nf$/.test(v)) return v.startsWith('-') ? -Infinity : Infinity;
  return undefined;
}

/** cty's conversion to bool: bools, and the strings "true"/"1", "false"/"0". Undefined otherwise. */
export function toBoolValue(v: Value): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

/** cty's Equals on known values: same kind and same content, deep; objects compare their key sets too. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => valuesEqual(x, b[i] as Value));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && valuesEqual(a[k] as Value, b[k] as Value));
  }
  return false;
}

/** A null-prototype record, the shape of maps and objects. */
export function makeObject(entries?: Iterable<readonly [string, Value]>): ValueObject {
  const o = Object.create(null) as ValueObject;
  if (entries) for (const [k, v] of entries) o[k] = v;
  return o;
}

/** Byte-wise (UTF-8) string order, as Go's sort.Strings and cty's set of strings order them. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Below the surrogates UTF-16 order is UTF-8 order; past them, compare the bytes.
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a.slice(i), 'utf8'), Buffer.from(b.slice(i), 'utf8'));
  }
  return a.length - b.length;
}
