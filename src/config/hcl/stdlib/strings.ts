/**
 * String functions, as go-cty's stdlib (string.go, string_replace.go) defines them: lengths and
 * offsets count grapheme clusters, case mapping is Go's per-rune mapping, trimming uses Go's
 * notion of white space.
 * https://github.com/zclconf/go-cty/blob/main/cty/function/stdlib/string.go
 */
import { FunctionError, compareStrings, type StdlibFunction, type Value } from '../value.js';
import { argError, fixed, int, splitGraphemes, str, strList, variadic } from './args.js';

/** Go's unicode.IsSpace. */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const LEADING_SPACE = new RegExp(`^[${GO_SPACE}]+`, 'u');
const TRAILING_SPACE = new RegExp(`[${GO_SPACE}]+$`, 'u');
const IS_SPACE = new RegExp(`^[${GO_SPACE}]$`, 'u');

/** Go maps case rune by rune (unicode.ToUpper); JavaScript's full mappings (ß → SS) would change lengths. */
function mapRunes(s: string, f: (c: string) => string): string {
  let out = '';
  for (const c of s) {
    // U+0130 lower-cases to "i" plus a combining dot in full mapping, to "i" in Go's simple one.
    const m = c === '\u0130' && f === lowerRune ? 'i' : f(c);
    out += [...m].length === 1 ? m : c;
  }
  return out;
}

const lowerRune = (c: string): string => c.toLowerCase();

/** ASCII text: JavaScript's case mappings are Go's there, so the whole string maps at once. */
const ASCII = /^[\x00-\x7f]*$/;

export function goTrimSpace(s: string): string {
  return s.replace(LEADING_SPACE, '').replace(TRAILING_SPACE, '');
}

/** strings.Title: the first letter of each word upper-cased; words are separated as Go's isSeparator decides. */
function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += isSeparator(prev) ? mapRunes(c, (x) => x.toUpperCase()) : c;
    prev = c;
  }
  return out;
}

function isSeparator(c: string): boolean {
  const cp = c.codePointAt(0) ?? 0;
  if (cp <= 0x7f) {
    if (/[0-9a-zA-Z_]/.test(c)) return false;
    return true;
  }
  if (/\p{L}|\p{Nd}/u.test(c)) return false;
  return IS_SPACE.test(c);
}

function goTrim(s: string, cutset: string): string {
  if (s === '' || cutset === '') return s;
  const cut = new Set(cutset);
  const runes = [...s];
  let a = 0;
  let b = runes.length;
  while (a < b && cut.has(runes[a] as string)) a++;
  while (b > a && cut.has(runes[b - 1] as string)) b--;
  return runes.slice(a, b).join('');
}

export const stringFunctions: Record<string, StdlibFunction> = {
  upper: fixed(1, (a) => {
    const s = str(a, 0, 'str');
    return ASCII.test(s) ? s.toUpperCase() : mapRunes(s, (c) => c.toUpperCase());
  }),
  lower: fixed(1, (a) => {
    const s = str(a, 0, 'str');
    return ASCII.test(s) ? s.toLowerCase() : mapRunes(s, lowerRune);
  }),
  reverse: fixed(1, (a) => splitGraphemes(str(a, 0, 'str')).reverse().join('')),
  strlen: fixed(1, (a) => splitGraphemes(str(a, 0, 'str')).length),
  substr: fixed(3, (a) => {
    const g = splitGraphemes(str(a, 0, 'str'));
    let offset = int(a, 1, 'offset');
    const length = int(a, 2, 'length');
    if (offset < 0) offset = Math.max(0, offset + g.length);
    else if (length === 0) return '';
    if (offset >= g.length) return '';
    return (length < 0 ? g.slice(offset) : g.slice(offset, offset + length)).join('');
  }),
  join: variadic(1, (a) => {
    const sep = str(a, 0, 'separator');
    if (a.length < 2) throw new FunctionError('at least one list is required');
    const items: string[] = [];
    for (let i = 1; i < a.length; i++) {
      const list = a[i];
      if (Array.isArray(list)) {
        list.forEach((e, k) => {
          if (e === null) {
            const where = a.length > 2 ? `element ${k} of list ${i}` : `element ${k}`;
            throw argError(i, 'lists', `${where} is null; cannot concatenate null values`);
          }
        });
      }
      items.push(...strList(a, i, 'lists'));
    }
    return items.join(sep);
  }),
  sort: fixed(1, (a) => {
    const list = a[0];
    if (Array.isArray(list)) {
      list.forEach((e, k) => {
        if (e === null) throw new FunctionError(`given list element ${k} is null; a null string cannot be sorted`);
      });
    }
    return strList(a, 0, 'list').sort(compareStrings);
  }),
  split: fixed(2, (a) => {
    const sep = str(a, 0, 'separator');
    const s = str(a, 1, 'str');
    // Go's strings.Split with an empty separator splits into UTF-8 sequences (runes).
    return sep === '' ? [...s] : s.split(sep);
  }),
  chomp: fixed(1, (a) => str(a, 0, 'str').replace(/(?:\r\n?|\n)*$/, '')),
  indent: fixed(2, (a) => {
    const spaces = int(a, 0, 'spaces');
    const s = str(a, 1, 'str');
    if (spaces < 0) throw new FunctionError('panic in function implementation: strings: negative Repeat count');
    return s.replaceAll('\n', '\n' + ' '.repeat(spaces));
  }),
  title: fixed(1, (a) => goTitle(str(a, 0, 'str'))),
  trimspace: fixed(1, (a) => goTrimSpace(str(a, 0, 'str'))),
  trim: fixed(2, (a) => goTrim(str(a, 0, 'str'), str(a, 1, 'cutset'))),
  trimprefix: fixed(2, (a) => {
    const s = str(a, 0, 'str');
    const p = str(a, 1, 'prefix');
    return s.startsWith(p) ? s.slice(p.length) : s;
  }),
  trimsuffix: fixed(2, (a) => {
    const s = str(a, 0, 'str');
    const p = str(a, 1, 'suffix');
    return p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s;
  }),
  replace: fixed(3, (a) => {
    const s = str(a, 0, 'str');
    const sub = str(a, 1, 'substr');
    const rep = str(a, 2, 'replace');
    return goReplaceAll(s, sub, rep);
  }),
};

/** strings.Replace(s, old, new, -1): an empty `old` matches before every rune and at the end. */
function goReplaceAll(s: string, sub: string, rep: string): string {
  if (sub !== '') return s.split(sub).join(rep);
  return rep + [...s].join(rep) + (s === '' ? '' : rep);
}

