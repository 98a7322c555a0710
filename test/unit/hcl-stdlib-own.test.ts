/**
 * The stdlib where buildx 0.29.1 cannot be the oracle: functions newer than it (semvercmp,
 * formattimestamp, unixtimestampparse, pinned to Masterminds/semver's and Go's rules), results
 * that change per call (timestamp, uuidv4, bcrypt), the environment (homedir), RSA with a key made
 * here, number formatting, RE2 translation, type conversion and the wording of errors.
 */
import { constants, generateKeyPairSync, publicEncrypt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import bcryptjs from 'bcryptjs';
import { describe, expect, test } from 'vitest';
import { RANGE_LIMIT, convertValue, parseTypeExpression, stdlib } from '../../src/config/hcl/stdlib/index.js';
import {
  FunctionError,
  describeFunctionError,
  formatNumber,
  makeObject,
  toBoolValue,
  toNumberValue,
  toStringValue,
  typeName,
  valuesEqual,
  type FunctionContext,
  type Value,
} from '../../src/config/hcl/value.js';

const ctx: FunctionContext = { env: { HOME: '/home/someone' }, cwd: '/work', now: new Date('2024-01-02T03:04:05.678Z') };

function run(name: string, ...args: Value[]): Value {
  const fn = stdlib[name];
  if (!fn) throw new Error(`no ${name}`);
  return fn.impl(args, ctx);
}

function failure(name: string, ...args: Value[]): string {
  try {
    run(name, ...args);
  } catch (e) {
    if (!(e instanceof FunctionError)) throw e;
    const d = describeFunctionError(name, e);
    return `${d.summary}; ${d.detail}`;
  }
  throw new Error(`${name} did not fail`);
}

describe('semvercmp (Masterminds/semver v3 rules)', () => {
  test.each([
    ['1.2.3', '>= 1.2.0', true],
    ['1.2.3', '< 1.2.0', false],
    ['v1.2.3', '^1.0', true],
    ['2.0.0', '^1.0', false],
    ['1.2.3', '~1.2', true],
    ['1.3.0', '~1.2.0', false],
    ['1.2.3', '1.2.x', true],
    ['1.2.3', '>1.0, <2.0', true],
    ['1.2.3', '>1.0 <1.1 || >1.2', false], // >1.2 means above every 1.2.x
    ['1.3.0', '>1.0 <1.1 || >1.2', true],
    ['1.2.3-beta', '>1.0', false],
    ['1.2.3-beta', '>1.0.0-alpha', true],
    ['1.2.3', '1.0 - 1.5', true],
    ['1.6.0', '1.0 - 1.5', false],
    ['1.2', '=1.2.0', true],
    ['0.2.3', '^0.2', true],
    ['0.3.0', '^0.2.1', false],
    ['0.0.3', '^0.0.3', true],
    ['0.0.4', '^0.0.3', false],
    ['1.2.3', '!=1.2.3', false],
    ['1.2.4', '!=1.2.3', true],
    ['1.2.3', '*', true],
    ['1.0.0-rc.10', '>=1.0.0-rc.9', true],
    ['1.0.0-rc.10', '<1.0.0-rc.9', false],
    ['1.0.0-alpha', '<1.0.0-beta', true],
    ['01.2.3', '>1', false],
    ['2.0.0', '>1', true],
    ['1.9.9', '<=1.x', true],
    ['2.0.0', '<=1.x', false],
  ] as const)('%s satisfies %s: %s', (v, c, want) => {
    expect(run('semvercmp', v, c)).toBe(want);
  });

  test('bad versions and constraints are the library’s errors', () => {
    expect(failure('semvercmp', 'bad', '>1')).toBe('Error in function call; Call to function "semvercmp" failed: invalid semantic version.');
    expect(failure('semvercmp', '1.0.0', 'bad')).toBe('Error in function call; Call to function "semvercmp" failed: improper constraint: bad.');
    expect(failure('semvercmp', '1.0.0-01', '>1')).toContain('version segment starts with 0');
  });
});

describe('formattimestamp and unixtimestampparse (bake after 0.29)', () => {
  test('formats RFC 3339 strings and unix seconds; X is unix seconds', () => {
    expect(run('formattimestamp', 'YYYY-MM-DD', '2024-03-05T07:08:09Z')).toBe('2024-03-05');
    expect(run('formattimestamp', 'X', '2024-03-05T07:08:09+01:00')).toBe('1709618889');
    expect(run('formattimestamp', 'X', 1700000000)).toBe('1700000000');
    expect(run('formattimestamp', 'YYYY-MM-DD hh:mm', 1700000000)).toBe('2023-11-14 22:13');
    expect(failure('formattimestamp', 'X', 'bad')).toBe('Invalid function argument; Invalid value for "time" parameter: timestamp string must be RFC3339.');
    expect(failure('formattimestamp', 'YYYY', 1.5)).toContain('unix timestamp must be an integer');
    expect(failure('formattimestamp', 'YYYY', true)).toContain('must be a string timestamp or a unix timestamp number');
  });

  test('parses a unix timestamp into its parts, ISO week included', () => {
    expect({ ...(run('unixtimestampparse', 1704067200) as object) }).toEqual({
      day: 1,
      hour: 0,
      iso_week: 1,
      iso_year: 2024,
      minute: 0,
      month: 1,
      month_name: 'January',
      rfc3339: '2024-01-01T00:00:00Z',
      second: 0,
      weekday: 1,
      weekday_name: 'Monday',
      year: 2024,
      year_day: 1,
    });
    // 2021-01-01 is a Friday in ISO week 53 of 2020.
    const o = run('unixtimestampparse', 1609459200) as Record<string, Value>;
    expect([o.iso_year, o.iso_week, o.weekday_name, o.year_day]).toEqual([2020, 53, 'Friday', 1]);
    expect((run('unixtimestampparse', -86400) as Record<string, Value>).rfc3339).toBe('1969-12-31T00:00:00Z');
    expect(failure('unixtimestampparse', 1.5)).toContain('unix timestamp must be an integer');
  });
});

describe('values that change per call or come from the context', () => {
  test('timestamp() is ctx.now in RFC 3339, UTC, whole seconds', () => {
    expect(run('timestamp')).toBe('2024-01-02T03:04:05Z');
  });
  test('homedir() is $HOME', () => {
    expect(run('homedir')).toBe('/home/someone');
    expect(() => stdlib.homedir?.impl([], { ...ctx, env: {} })).toThrow(FunctionError);
  });
  test('uuidv4() is a random version-4 UUID', () => {
    const a = run('uuidv4') as string;
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(run('uuidv4')).not.toBe(a);
  });
  test('bcrypt() hashes with cost 10 by default, $2a$ as Go writes it, and checks its cost', () => {
    const h = run('bcrypt', 'secret') as string;
    expect(h).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
    expect(bcryptjs.compareSync('secret', h)).toBe(true);
    expect(run('bcrypt', 'secret', 4)).toMatch(/^\$2a\$04\$/);
    expect(failure('bcrypt', 'x', 3)).toContain('cost 3 is outside allowed inclusive range 4..31');
  });
});

test('rsadecrypt decrypts PKCS #1 v1.5 with a PEM PKCS #1 key', () => {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const ct = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.from('hello bake')).toString('base64');
  expect(run('rsadecrypt', ct, pem)).toBe('hello bake');
  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  expect(failure('rsadecrypt', ct, pkcs8)).toContain('ParsePKCS8PrivateKey');
});

describe('range() is capped as cty caps it', () => {
  test(`at ${RANGE_LIMIT} values, with one clear message`, () => {
    expect((run('range', RANGE_LIMIT) as Value[]).length).toBe(RANGE_LIMIT);
    const bomb = failure('range', 1e12);
    expect(bomb).toBe(
      'Error in function call; Call to function "range" failed: more than 1024 values were generated; either decrease the difference between start and end or use a smaller step.',
    );
    expect(failure('range', 0, 10, 0)).toBe(bomb);
  });
});

describe('formatNumber: numbers as bake prints them', () => {
  test.each([
    [0, '0'],
    [-0, '-0'],
    [42, '42'],
    [-7, '-7'],
    [2.5, '2.5'],
    [0.1 + 0.2, '0.3'],
    [3.14159, '3.14159'],
    [1e21, '1000000000000000000000'],
    [1e23, '100000000000000000000000'],
    [2 ** 64, '18446744073709552000'],
    [Math.SQRT2, '1.4142135623730951'],
    [1.5e-7, '0.00000015'],
    [-1.25e-10, '-0.000000000125'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%s → %s', (n, s) => {
    expect(formatNumber(n)).toBe(s);
  });
  test('a fraction that is no small ratio prints a double’s shortest digits', () => {
    expect(formatNumber(Math.PI)).toBe('3.141592653589793');
  });
});

test('conversion helpers follow cty', () => {
  expect(toStringValue(1e21)).toBe('1000000000000000000000');
  expect(toStringValue(true)).toBe('true');
  expect(toStringValue([1])).toBeUndefined();
  expect(toNumberValue('1e3')).toBe(1000);
  expect(toNumberValue(' 1')).toBeUndefined();
  expect(toNumberValue('0x10')).toBeUndefined();
  // Checked against buildx 0.29.1: add("+5", 0), add(".5", 0), add("5.", 0), add("1E3", 0) are numbers, "Inf" is infinite, " 5" and "1_0" are not numbers.
  expect(['+5', '.5', '5.', '1E3', 'Inf', '-inf', '1_0'].map(toNumberValue)).toEqual([5, 0.5, 5, 1000, Infinity, -Infinity, undefined]);
  expect(failure('and', 'T', true)).toBe('Invalid function argument; Invalid value for "a" parameter: a bool is required.');
  expect(run('and', '1', true)).toBe(true);
  expect(run('format', '%v|%s', 1e-7, 1e-7)).toBe('1e-07|0.0000001');
  expect(run('format', '%.3v', 3.14159)).toBe('3.14159');
  expect(toBoolValue('1')).toBe(true);
  expect(toBoolValue('True')).toBeUndefined();
  expect(typeName(makeObject())).toBe('object');
  expect(valuesEqual(makeObject([['a', [1, 'x']]]), makeObject([['a', [1, 'x']]]))).toBe(true);
  expect(valuesEqual([1], ['1'])).toBe(false);
});

describe('regex: RE2 syntax that JavaScript spells differently, and what RE2 refuses', () => {
  test.each([
    ['(?P<a>x)(?P<b>y)', 'xy', { a: 'x', b: 'y' }],
    ['\\Ax', 'xx', 'x'],
    ['(?m)^b$', 'a\nb\nc', 'b'],
    ['(?is)A.B', 'a\nb', 'a\nb'],
    ['\\x{41}+', 'AAB', 'AA'],
    ['[[:digit:][:upper:]]+', 'ab12CDe', '12CD'],
    ['\\s+', 'a\u00a0 \tb', ' \t'],
    ['\\p{Greek}+', 'abγδe', 'γδ'],
    ['a\\-b', 'xa-by', 'a-b'],
    ['[]a]+', 'x]a]', ']a]'],
  ] as const)('%s on %j', (pattern, s, want) => {
    const got = run('regex', pattern, s);
    expect(typeof got === 'object' && got !== null ? { ...got } : got).toEqual(want);
  });
  test.each([
    ['(?=a)', 'invalid or unsupported Perl syntax in (?='],
    ['(?<!a)b', 'invalid or unsupported Perl syntax in (?<!'],
    ['(a)\\1', 'invalid escape sequence in \\1'],
    ['a{1001}', 'invalid repeat count in {1001}'],
    ['x(?i)y', 'flags after the start of a pattern are not supported by tsbake'],
    ['(?U)a+', 'the ungreedy flag is not supported by tsbake'],
  ])('%s is refused: %s', (pattern, message) => {
    expect(failure('regex', pattern, 'x')).toContain(message);
  });
});

describe('convert and type expressions', () => {
  test('parses and converts', () => {
    const t = parseTypeExpression('object({name=string, tags=optional(list(string)), n = number})');
    expect(JSON.parse(JSON.stringify(convertValue(makeObject([['name', 1], ['n', '2'], ['extra', true]]), t)))).toEqual({ name: '1', tags: null, n: 2 });
    expect(convertValue(['b', 'a', 'b'], parseTypeExpression('set(string)'))).toEqual(['a', 'b']);
    expect(() => parseTypeExpression('lisst(string)')).toThrow('The keyword "lisst" is not a valid type specification.');
    expect(failure('convert', [1, [2]], 'list(string)')).toBe('Invalid function argument; Invalid value for "value" parameter: element 1: string required.');
  });
});

test('divide by zero is an infinity, which jsonencode refuses as bake does', () => {
  expect(run('divide', 1, 0)).toBe(Infinity);
  expect(failure('jsonencode', Infinity)).toBe('Error in function call; Call to function "jsonencode" failed: cannot serialize infinity as JSON.');
});

test('sort orders strings by their UTF-8 bytes, as Go does', () => {
  // U+FF21 (3 bytes, EF BC A1) sorts before U+1F600 (4 bytes, F0 …), though UTF-16 puts the surrogate first.
  expect(run('sort', ['😀', '\uff21', 'b', 'B', 'é', 'ab', 'a'])).toEqual(['B', 'a', 'ab', 'b', 'é', '\uff21', '😀']);
});

describe('fractions print as bake’s 512-bit floats do', () => {
  // Recorded from buildx 0.29.1: `args = { a = 1/3, … }` printed by bake --print.
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/hcl-stdlib/ratios.json', import.meta.url), 'utf8')) as {
    values: Record<string, string>;
  };
  const values: Record<string, number> = {
    '1/3': 1 / 3,
    '2/3': 2 / 3,
    '100/3': 100 / 3,
    '22/7': 22 / 7,
    '1/7': 1 / 7,
    '-1/3': -1 / 3,
    '5/6': 5 / 6,
    '1/1024': 1 / 1024,
    '1/998001': 1 / 998001,
    '123456/7': 123456 / 7,
    '1/3*2': (1 / 3) * 2,
  };
  test.each(Object.keys(values))('%s', (expr) => {
    expect(formatNumber(values[expr] as number)).toBe(fixture.values[expr]);
  });
});

test('format verbs see the same digits for a ratio as bake', () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/hcl-stdlib/ratios.json', import.meta.url), 'utf8')) as {
    format: Record<string, string>;
  };
  expect(run('format', '%.3f|%v|%g', 1 / 3, 1 / 3, 2 / 3)).toBe(fixture.format['format("%.3f|%v|%g", 1/3, 1/3, 2/3)']);
  expect(run('format', '%.2f %e', 1 / 7, 1 / 7)).toBe('0.14 1.428571e-01');
});
