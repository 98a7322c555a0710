/**
 * Argument checks and conversions shared by the stdlib families: each declares its parameters' cty
 * types by the helper it calls, and a failed conversion is reported as HCL reports it,
 * `Invalid value for "str" parameter: string required.`, tied to the argument's index.
 * https://github.com/hashicorp/hcl/blob/main/hclsyntax/expression.go (FunctionCallExpr.Value)
 */
import {
  FunctionError,
  isObject,
  toBoolValue,
  toNumberValue,
  toStringValue,
  type StdlibFunction,
  type Value,
  type ValueObject,
} from '../value.js';

/** An error tied to parameter `name` at argument `index`, worded as HCL words it. */
export function argError(index: number, name: string, message: string): FunctionError {
  return new FunctionError(`Invalid value for "${name}" parameter: ${message}.`, index);
}

function present(args: readonly Value[], i: number, name: string): Value {
  const v = args[i];
  if (v === undefined || v === null) throw argError(i, name, 'argument must not be null');
  return v;
}

export function str(args: readonly Value[], i: number, name: string): string {
  const s = toStringValue(present(args, i, name));
  if (s === undefined) throw argError(i, name, 'string required');
  return s;
}

export function num(args: readonly Value[], i: number, name: string): number {
  const v = present(args, i, name);
  const n = toNumberValue(v);
  if (n === undefined) throw argError(i, name, typeof v === 'string' ? 'a number is required' : 'number required');
  return n;
}

/** gocty's message when a number does not fit a Go int. */
export const WHOLE = 'value must be a whole number, between -9223372036854775808 and 9223372036854775807';

/** A number that must be whole, as gocty.FromCtyValue into an int requires. */
export function int(args: readonly Value[], i: number, name: string): number {
  const n = num(args, i, name);
  if (!Number.isInteger(n)) throw new FunctionError(WHOLE, i);
  return n;
}

export function bool(args: readonly Value[], i: number, name: string): boolean {
  const v = present(args, i, name);
  const b = toBoolValue(v);
  if (b !== undefined) return b;
  if (typeof v !== 'string') throw argError(i, name, 'bool required');
  const lower = v.toLowerCase();
  if (lower === 'true' || lower === 'false') throw argError(i, name, `a bool is required; to convert from string, use lowercase "${lower}"`);
  throw argError(i, name, 'a bool is required');
}

/** A list, set or tuple. */
export function seq(args: readonly Value[], i: number, name: string, what = 'list of any'): Value[] {
  const v = present(args, i, name);
  if (!Array.isArray(v)) throw argError(i, name, `${what} required`);
  return v;
}

/** A list of strings: every element converted, none null. */
export function strList(args: readonly Value[], i: number, name: string): string[] {
  const v = present(args, i, name);
  if (!Array.isArray(v)) throw argError(i, name, 'list of string required');
  return v.map((e, k) => {
    if (e === null) throw argError(i, name, `element ${k}: argument must not be null`);
    const s = toStringValue(e);
    if (s === undefined) throw argError(i, name, `element ${k}: string required`);
    return s;
  });
}

/** A map or object. */
export function obj(args: readonly Value[], i: number, name: string, what = 'map of any'): ValueObject {
  const v = present(args, i, name);
  if (!isObject(v)) throw argError(i, name, `${what} required`);
  return v;
}

/** Any value, not null. */
export function any(args: readonly Value[], i: number, name: string): Value {
  return present(args, i, name);
}

/** Grapheme clusters, as cty counts and slices strings (textseg). */
// Made on first use: creating a Segmenter loads ICU's break rules, ~5 ms of every start-up otherwise.
let graphemes: Intl.Segmenter | undefined;
export function splitGraphemes(s: string): string[] {
  const out: string[] = [];
  for (const seg of (graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })).segment(s)) out.push(seg.segment);
  return out;
}

/** A fixed-arity function: `params` parameters, no variadic one. */
export function fixed(params: number, impl: StdlibFunction['impl']): StdlibFunction {
  return { params, impl };
}

/** A function with `params` fixed parameters and a variadic one. */
export function variadic(params: number, impl: StdlibFunction['impl']): StdlibFunction {
  return { params, variadic: true, impl };
}
