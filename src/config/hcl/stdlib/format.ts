/**
 * `format` and `formatlist`: Go's fmt verbs as go-cty implements them (format.go, format_fsm.rl):
 * %v %#v %t %b %d %o %x %X %e %E %f %g %G %s %q, flags `0#+- `, width, precision, `%[n]` argument
 * indexes and `%%`. Widths and string precisions count grapheme clusters.
 * https://github.com/zclconf/go-cty/blob/main/cty/function/stdlib/format.go
 */
import { FunctionError, toBoolValue, toNumberValue, toStringValue, type StdlibFunction, type Value } from '../value.js';
import { argError, splitGraphemes, str, variadic } from './args.js';
import { floatText } from './decimal.js';
import { ctyJSON } from './json.js';

interface Verb {
  raw: string;
  offset: number;
  argNum: number;
  mode: string;
  zero: boolean;
  sharp: boolean;
  plus: boolean;
  minus: boolean;
  space: boolean;
  width: number; // -1: none
  prec: number; // -1: none
}

const goQuote = (s: string): string => JSON.stringify(s);

function padWidth(v: Verb, s: string): string {
  if (v.width < 0) return s;
  const len = splitGraphemes(s).length;
  if (len >= v.width) return s;
  const pad = (v.zero ? '0' : ' ').repeat(v.width - len);
  return v.minus ? s + pad : pad + s;
}

function unsupported(v: Verb, why: string): FunctionError {
  return new FunctionError(`unsupported value for ${goQuote(v.raw)} at ${v.offset}: ${why}`);
}

/** Go's fmt of a *big.Int with the integer verbs. */
function formatInteger(v: Verb, n: number): string {
  const neg = n < 0;
  const abs = BigInt(Math.abs(n));
  const base = v.mode === 'b' ? 2 : v.mode === 'o' ? 8 : v.mode === 'd' ? 10 : 16;
  let digits = abs.toString(base);
  if (v.mode === 'X') digits = digits.toUpperCase();
  const sign = neg ? '-' : v.plus ? '+' : v.space ? ' ' : '';
  let prefix = '';
  if (v.sharp) prefix = { b: '0b', o: '0', x: '0x', X: '0X', d: '' }[v.mode] ?? '';
  let zeros = 0;
  if (v.prec >= 0) {
    if (digits.length < v.prec) zeros = v.prec - digits.length;
    else if (digits === '0' && v.prec === 0) return '';
  }
  const length = sign.length + prefix.length + zeros + digits.length;
  let left = 0;
  let right = 0;
  if (v.width >= 0 && length < v.width) {
    const d = v.width - length;
    if (v.minus) right = d;
    else if (v.zero && v.prec < 0) zeros = d;
    else left = d;
  }
  return ' '.repeat(left) + sign + prefix + '0'.repeat(zeros) + digits + ' '.repeat(right);
}

/** Go's fmt of a *big.Float (big.Float.Format). */
function formatFloat(v: Verb, n: number): string {
  let buf = floatText(n, v.mode, v.prec < 0 ? (v.mode === 'g' || v.mode === 'G' ? -1 : 6) : v.prec);
  let sign = '';
  if (buf.startsWith('-')) {
    sign = '-';
    buf = buf.slice(1);
  } else if (buf.startsWith('+')) {
    sign = v.space ? ' ' : '+';
    buf = buf.slice(1);
  } else if (v.plus) sign = '+';
  else if (v.space) sign = ' ';
  const padding = v.width > sign.length + buf.length ? v.width - sign.length - buf.length : 0;
  if (v.zero && !v.minus && Number.isFinite(n)) return sign + '0'.repeat(padding) + buf;
  if (v.minus) return sign + buf + ' '.repeat(padding);
  return ' '.repeat(padding) + sign + buf;
}

function formatOne(v: Verb, args: readonly Value[]): string {
  if (v.argNum - 1 >= args.length)
    throw new FunctionError(
      `not enough arguments for ${goQuote(v.raw)} at ${v.offset}: need index ${v.argNum} but have ${args.length} total`,
    );
  const arg = args[v.argNum - 1] as Value;
  if (v.mode !== 'v' && arg === null) throw unsupported(v, 'null value cannot be formatted');
  switch (v.mode) {
    case 'v':
      if (!v.sharp && typeof arg === 'string') return padWidth(v, arg);
      if (!v.sharp && typeof arg === 'number') return padWidth(v, floatText(arg, 'g', -1));
      return padWidth(v, ctyJSON(arg));
    case 't': {
      const b = toBoolValue(arg);
      if (b === undefined) throw unsupported(v, 'bool required');
      return b ? 'true' : 'false';
    }
    case 'b':
    case 'd':
    case 'o':
    case 'x':
    case 'X':
    case 'e':
    case 'E':
    case 'f':
    case 'g':
    case 'G': {
      const n = toNumberValue(arg);
      if (n === undefined) throw unsupported(v, typeof arg === 'string' ? 'a number is required' : 'number required');
      if ('bdoxX'.includes(v.mode)) {
        if (!Number.isInteger(n)) throw unsupported(v, 'an integer is required');
        return formatInteger(v, n);
      }
      return formatFloat(v, n);
    }
    case 's':
    case 'q': {
      let s = toStringValue(arg);
      if (s === undefined) throw unsupported(v, 'string required');
      if (v.prec > 0) s = splitGraphemes(s).slice(0, v.prec).join('');
      return padWidth(v, v.mode === 'q' ? ctyJSON(s) : s);
    }
    default:
      throw new FunctionError(`unsupported format verb ${runeQuote(v.mode)} in ${goQuote(v.raw)} at offset ${v.offset}`);
  }
}

/** Go's %q of one rune, for the scanner's messages. */
function runeQuote(c: string): string {
  return `'${c === "'" ? "\\'" : c}'`;
}

export function formatString(format: string, args: readonly Value[]): string {
  let out = '';
  let nextArg = 1;
  let highest = 0;
  let p = 0;
  const n = format.length;
  while (p < n) {
    const c = format[p] as string;
    if (c !== '%') {
      out += c;
      p++;
      continue;
    }
    if (format[p + 1] === '%') {
      out += '%';
      p += 2;
      continue;
    }
    const start = p;
    const v: Verb = { raw: '', offset: Buffer.byteLength(format.slice(0, start)), argNum: nextArg, mode: '', zero: false, sharp: false, plus: false, minus: false, space: false, width: -1, prec: -1 };
    p++;
    for (; p < n; p++) {
      const f = format[p];
      if (f === '0') v.zero = true;
      else if (f === '#') v.sharp = true;
      else if (f === '-') v.minus = true;
      else if (f === '+') v.plus = true;
      else if (f === ' ') v.space = true;
      else break;
    }
    const digits = (): string => {
      const m = /^[0-9]*/.exec(format.slice(p)) as RegExpExecArray;
      p += m[0].length;
      return m[0];
    };
    if (/[1-9]/.test(format[p] ?? '')) v.width = Number(digits());
    if (format[p] === '.') {
      p++;
      v.prec = Number(digits() || '0');
    }
    if (format[p] === '[') {
      p++;
      const d = digits();
      if (d === '' || d.startsWith('0') || format[p] !== ']') throw scanError(format, p);
      v.argNum = Number(d);
      p++;
    }
    const mode = format[p];
    if (mode === undefined) throw new FunctionError(`invalid format string starting at offset ${Buffer.byteLength(format)}`);
    if (!/[a-zA-Z]/.test(mode)) throw scanError(format, p);
    v.mode = mode;
    p++;
    v.raw = format.slice(start, p);
    if (v.argNum > highest) highest = v.argNum;
    out += formatOne(v, args);
    nextArg = v.argNum + 1;
  }
  if (highest < args.length) {
    if (highest === 0) throw argError(1, 'args', 'too many arguments; no verbs in format string');
    throw argError(highest + 1, 'args', `too many arguments; only ${highest} used by format string`);
  }
  return out;
}

function scanError(format: string, p: number): FunctionError {
  const c = String.fromCodePoint(format.codePointAt(p) ?? 0);
  return new FunctionError(`unrecognized format character ${runeQuote(c)} at offset ${Buffer.byteLength(format.slice(0, p))}`);
}

export const formatFunctions: Record<string, StdlibFunction> = {
  format: variadic(1, (a) => formatString(str(a, 0, 'format'), a.slice(1))),
  formatlist: variadic(1, (a) => {
    const fmt = str(a, 0, 'format');
    const rest = a.slice(1);
    if (rest.length === 0) return [formatString(fmt, rest)];
    let len = -1;
    let chooser = -1;
    rest.forEach((v, i) => {
      if (!Array.isArray(v)) return;
      if (len === -1) {
        len = v.length;
        chooser = i;
      } else if (v.length !== len)
        throw argError(i + 1, 'args', `argument ${i + 1} has length ${v.length}, which is inconsistent with argument ${chooser + 1} of length ${len}`);
    });
    if (len === -1) return [formatString(fmt, rest)];
    const out: string[] = [];
    for (let k = 0; k < len; k++) {
      const row = rest.map((v) => (Array.isArray(v) ? (v[k] as Value) : v));
      try {
        out.push(formatString(fmt, row));
      } catch (e) {
        if (e instanceof FunctionError) throw new FunctionError(`error on format iteration ${k}: ${e.message}`);
        throw e;
      }
    }
    return out;
  }),
};
