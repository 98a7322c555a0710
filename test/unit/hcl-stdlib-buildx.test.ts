/**
 * Every stdlib function against what buildx 0.29.1 printed for the same call
 * (test/fixtures/hcl-stdlib/expected.json, recorded by scripts/stdlib-expected.mjs): the value, or
 * for a failing call the "summary; detail" HCL prints. Calls whose result cannot match, because
 * bake's numbers are 512-bit floats or its objects typed, are listed in DIFFERENT with the reason.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ctyJSON, stdlib } from '../../src/config/hcl/stdlib/index.js';
import { FunctionError, describeFunctionError, makeObject, type FunctionContext, type Value } from '../../src/config/hcl/value.js';

interface Case {
  call: string;
  name: string;
  args: unknown[];
  result?: unknown;
  /** jsonencode of the result, as buildx printed it. */
  printed?: string;
  error?: string;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/hcl-stdlib/expected.json', import.meta.url), 'utf8')) as {
  buildx: string;
  cases: Case[];
};

/** Functions buildx 0.29.1 does not have yet (added to bake's stdlib after it); pinned in hcl-stdlib-own.test.ts. */
const NEWER = new Set(['semvercmp', 'formattimestamp', 'unixtimestampparse']);

/** Calls where tsbake knowingly differs from buildx, and why. */
const DIFFERENT: Record<string, string> = {
  'length({"a" = 1})': 'bake types an object literal as an object, which length() refuses; tsbake has no map/object distinction and counts the keys',
  'hasindex({"a" = 1}, "a")': 'same: object vs map',
  'hasindex({"a" = 1}, "b")': 'same: object vs map',
  'index({"a" = 1, "b" = 2}, "b")': 'same: object vs map',
  'index({"a" = 1}, "z")': 'same: object vs map (tsbake says "invalid index")',
  'divide(1, 0)': 'bake fails in jsonencode of the infinity; pinned in hcl-stdlib-own.test.ts',
  'range(1, 2, 0.3)': 'bake adds 0.3 in 512-bit floats and prints 1.5999…9 (155 digits); tsbake prints 1.6',
  'cidrhost("::ffff:10.0.0.0/104", 3)': 'an IPv4-mapped IPv6 prefix: bake (go-cidr) prints "0:3::ffff:a00:0"; tsbake treats it as IPv4, "10.0.0.3"',
  'parseint("7fffffffffffffff", 16)': 'beyond 2^53: a double cannot hold 9223372036854775807',
  'jsondecode("1e400")': 'beyond a double: bake keeps 1e400, tsbake has Infinity',
  'log(0, 10)': 'an infinity, refused by jsonencode in bake; tsbake returns -Infinity to the caller',
  'pow(2, 64)': 'bake prints 18446744073709550000, Go big.Float’s shortest digits for 2^64; tsbake prints a double’s, 18446744073709552000',
};

function toValue(x: unknown): Value {
  // HCL normalises string literals to NFC (hclsyntax), so bake's functions see them normalised.
  if (typeof x === 'string') return x.normalize('NFC');
  if (x === null || typeof x !== 'object') return x as Value;
  if (Array.isArray(x)) return x.map(toValue);
  if ('$type' in x) return (x as { $type: string }).$type;
  return makeObject(Object.entries(x).map(([k, v]) => [k, toValue(v)] as const));
}

const ctx: FunctionContext = { env: { HOME: '/home/stdlib-test' }, cwd: '/work', now: new Date('2024-01-02T03:04:05.678Z') };

function call(c: Case): { value?: Value; error?: string } {
  const fn = stdlib[c.name];
  if (!fn) throw new Error(`no function ${c.name}`);
  const args = c.args.map(toValue);
  if (args.length < fn.params || (!fn.variadic && args.length > fn.params))
    return { error: `wrong argument count for ${c.name}: the evaluator reports it` };
  try {
    return { value: fn.impl(args, ctx) };
  } catch (e) {
    if (!(e instanceof FunctionError)) throw e;
    const { summary, detail } = describeFunctionError(c.name, e);
    return { error: `${summary}; ${detail}` };
  }
}

describe(`stdlib against ${fixture.buildx}`, () => {
  const cases = fixture.cases.filter((c) => !NEWER.has(c.name) && !(c.call in DIFFERENT));
  const values = cases.filter((c) => 'result' in c);
  const errors = cases.filter((c) => 'error' in c && !/^(Not enough|Too many) function arguments/.test(c.error ?? ''));

  test.each(values.map((c) => [c.call, c] as const))('%s', (_name, c) => {
    const got = call(c);
    expect(got.error).toBeUndefined();
    // Printed as bake prints it: key order, number digits and string escapes included.
    expect(ctyJSON(got.value as Value)).toBe(c.printed);
  });

  test.each(errors.map((c) => [c.call, c] as const))('%s fails as bake does', (_name, c) => {
    expect(call(c).error).toBe(c.error);
  });

  test('every function in the fixture exists, and every function has a case', () => {
    const names = new Set(fixture.cases.map((c) => c.name));
    for (const n of names) expect(stdlib[n], n).toBeDefined();
    const missing = Object.keys(stdlib).filter((n) => !names.has(n) && !['timestamp', 'homedir', 'uuidv4', 'bcrypt'].includes(n));
    expect(missing).toEqual([]);
  });

  test('arity: lookup takes the default as a required third argument, as bake does', () => {
    expect(stdlib.lookup?.params).toBe(3);
    const c = fixture.cases.find((x) => x.call === 'lookup({"a" = "x"}, "z")');
    expect(c?.error).toMatch(/Function "lookup" expects 3 argument/);
  });
});
