/**
 * regex, regexall and regex_replace with Go's RE2 syntax, translated to a JavaScript RegExp.
 * RE2 has no lookaround and no backreferences, so those are refused as Go refuses them; what RE2
 * has and JavaScript spells differently is rewritten: (?P<n>…), leading (?ims) flags, \A \z, \Q…\E,
 * POSIX classes [[:alpha:]], \pL, \x{…}, Go's ASCII \s. Matching all occurrences follows Go: an
 * empty match right after a previous match is skipped.
 * https://github.com/google/re2/wiki/Syntax
 */
import { FunctionError, makeObject, type StdlibFunction, type Value } from '../value.js';
import { argError, fixed, str } from './args.js';

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const GO_SPACE = '\\t\\n\\f\\r ';
const JS_SYNTAX = '^$\\.*+?()[]{}|/';

/** A pattern Go refuses (code and expr as regexp/syntax words them), or one tsbake cannot translate. */
class PatternError extends Error {
  constructor(
    readonly code: string,
    readonly expr: string,
  ) {
    super(`${code} in ${expr}`);
  }
}

function escapeLiteral(c: string, inClass = false): string {
  return JS_SYNTAX.includes(c) || (inClass && c === '-') ? '\\' + c : c;
}

export interface CompiledPattern {
  re: RegExp;
  names: (string | undefined)[];
}

/** Translate RE2 syntax to a JavaScript source and flags; throws Unsupported with Go's wording. */
function translate(pattern: string): { source: string; flags: string } {
  let p = 0;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(pattern);
  if (lead) {
    const f = lead[1] as string;
    if (f.includes('U')) throw new PatternError('the ungreedy flag is not supported by tsbake (use lazy quantifiers such as *? instead)', '(?U)');
    flags = [...new Set(f)].join('');
    p = lead[0].length;
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  while (p < pattern.length) {
    const c = pattern[p] as string;
    if (c === '\\') {
      const n = pattern[p + 1];
      if (n === undefined) throw new PatternError('trailing backslash at end of expression', '');
      p += 2;
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', p);
        const lit = end < 0 ? pattern.slice(p) : pattern.slice(p, end);
        out += [...lit].map((ch) => escapeLiteral(ch, inClass)).join('');
        p = end < 0 ? pattern.length : end + 2;
      } else if (n === 'A' && !inClass) out += multiline ? '(?<![\\s\\S])' : '^';
      else if (n === 'z' && !inClass) out += multiline ? '(?![\\s\\S])' : '$';
      else if (n === 's') out += inClass ? GO_SPACE : `[${GO_SPACE}]`;
      else if (n === 'S') out += inClass ? '\\x00-\\x08\\x0B\\x0E-\\x1F\\x21-\\u{10FFFF}' : `[^${GO_SPACE}]`;
      else if (n === 'a') out += '\\x07';
      else if (n === 'v') out += '\\x0B';
      else if (n === 'x' && pattern[p] === '{') {
        const end = pattern.indexOf('}', p);
        if (end < 0) throw new PatternError('invalid escape sequence', '\\x{');
        out += `\\u{${pattern.slice(p + 1, end)}}`;
        p = end + 1;
      } else if ((n === 'p' || n === 'P') && pattern[p] !== '{') {
        out += `\\${n}{${pattern[p] ?? ''}}`;
        p++;
      } else if ((n === 'p' || n === 'P') && pattern[p] === '{') {
        const end = pattern.indexOf('}', p);
        const name = pattern.slice(p + 1, end < 0 ? undefined : end);
        const neg = name.startsWith('^');
        const bare = neg ? name.slice(1) : name;
        const isCategory = /^(?:L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Cs|Co|Any)$/.test(bare);
        const body = bare === 'Any' ? 'Any' : isCategory ? bare : `Script=${bare}`;
        out += `\\${neg !== (n === 'P') ? 'P' : 'p'}{${body}}`;
        p = end < 0 ? pattern.length : end + 1;
      } else if (/[1-9]/.test(n)) throw new PatternError('invalid escape sequence', `\\${n}`);
      else if (n === 'C') throw new PatternError('invalid escape sequence', '\\C');
      else if (n === 'Z') throw new PatternError('invalid escape sequence', '\\Z');
      else if (/[dDwWbBtnrf0]/.test(n)) out += '\\' + n;
      else if (/[A-Za-z0-9]/.test(n)) throw new PatternError('invalid escape sequence', `\\${n}`);
      else out += escapeLiteral(n, inClass);
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[p + 1] === ':') {
        const end = pattern.indexOf(':]', p + 2);
        const raw = end < 0 ? '' : pattern.slice(p + 2, end);
        const neg = raw.startsWith('^');
        const cls = POSIX[neg ? raw.slice(1) : raw];
        if (cls === undefined) throw new PatternError('invalid character class range', pattern.slice(p, end + 2));
        if (neg) throw new PatternError('negated POSIX classes are not supported by tsbake', `[:${raw}:]`);
        out += cls;
        p = end + 2;
        continue;
      }
      if (c === ']') inClass = false;
      out += c === '[' ? '\\[' : c;
      p++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      p++;
      if (pattern[p] === '^') {
        out += '^';
        p++;
      }
      // A leading ] is a literal in RE2.
      if (pattern[p] === ']') {
        out += '\\]';
        p++;
      }
      continue;
    }
    if (c === '(' && pattern[p + 1] === '?') {
      const rest = pattern.slice(p);
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      if (named) {
        out += `(?<${named[1]}>`;
        p += named[0].length;
        continue;
      }
      if (rest.startsWith('(?:')) {
        out += '(?:';
        p += 3;
        continue;
      }
      const look = /^\(\?(<?[=!])/.exec(rest);
      if (look) throw new PatternError('invalid or unsupported Perl syntax', `(?${look[1]}`);
      const flagGroup = /^\(\?[-imsU]*[:)]/.exec(rest);
      if (flagGroup)
        throw new PatternError('flags after the start of a pattern are not supported by tsbake (put them first, as (?i)…)', flagGroup[0]);
      throw new PatternError('invalid or unsupported Perl syntax', rest.slice(0, 3));
    }
    if (c === '{') {
      const rep = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(p));
      if (rep && (Number(rep[1]) > 1000 || Number(rep[2] ?? 0) > 1000)) throw new PatternError('invalid repeat count', rep[0]);
      if (!rep) {
        out += '\\{';
        p++;
        continue;
      }
    }
    if (c === '}' && !/\{\d+(?:,\d*)?$/.test(out)) {
      out += '\\}';
      p++;
      continue;
    }
    out += c === '/' ? '\\/' : c;
    p++;
  }
  return { source: out, flags };
}

const cache = new Map<string, CompiledPattern>();

/** Compile an RE2 pattern; onError words the failure as the calling function does. */
export function compilePattern(pattern: string, onError: (code: string, expr: string) => FunctionError): CompiledPattern {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let re: RegExp;
  try {
    const { source, flags } = translate(pattern);
    re = new RegExp(source, flags + 'gu');
  } catch (e) {
    if (e instanceof PatternError) throw onError(e.code, e.expr);
    const msg = (e as Error).message;
    if (/Unterminated group/.test(msg)) throw onError('missing closing )', pattern);
    if (/Unmatched '\)'/.test(msg)) throw onError('unexpected )', pattern);
    if (/Unterminated character class/.test(msg)) throw onError('missing closing ]', pattern.slice(pattern.lastIndexOf('[')));
    if (/Nothing to repeat/.test(msg)) throw onError('missing argument to repetition operator', pattern);
    throw onError(msg.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''), pattern);
  }
  // Capture groups and their names, in order: probe with an alternative that always matches.
  const probe = new RegExp(`${re.source}|`, 'u').exec('') as RegExpExecArray;
  const names: (string | undefined)[] = new Array<string | undefined>(probe.length - 1).fill(undefined);
  const groupNames = [...re.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>|\((?!\?)|\\.|\[(?:\\.|[^\]])*\]/g)];
  let idx = 0;
  for (const g of groupNames) {
    if (g[0].startsWith('\\') || g[0].startsWith('[')) continue;
    names[idx++] = g[1];
  }
  const compiled = { re, names };
  if (cache.size > 256) cache.clear();
  cache.set(pattern, compiled);
  return compiled;
}

/** Every match as Go's FindAll finds them: no empty match abutting the previous match. */
export function findAll(c: CompiledPattern, s: string): RegExpExecArray[] {
  const re = new RegExp(c.re.source, c.re.flags);
  const out: RegExpExecArray[] = [];
  let prevEnd = -1;
  re.lastIndex = 0;
  while (re.lastIndex <= s.length) {
    const m = re.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      if (m.index !== prevEnd) out.push(m);
      const cp = s.codePointAt(m.index);
      re.lastIndex = m.index + (cp !== undefined && cp > 0xffff ? 2 : 1);
    } else out.push(m);
    prevEnd = end;
  }
  return out;
}

function result(c: CompiledPattern, m: RegExpExecArray): Value {
  const named = c.names.filter((n) => n !== undefined).length;
  if (c.names.length === 0) return m[0];
  if (named === 0) return m.slice(1).map((g) => g ?? null);
  return makeObject(c.names.map((n, i) => [n as string, m[i + 1] ?? null] as const));
}

function regexCompile(pattern: string): CompiledPattern {
  const c = compilePattern(pattern, (code, expr) => argError(0, 'pattern', `invalid regexp pattern: ${code} in ${expr}`));
  const named = c.names.filter((n) => n !== undefined).length;
  if (named > 0 && named < c.names.length)
    throw argError(0, 'pattern', 'invalid regexp pattern: cannot mix both named and unnamed capture groups');
  return c;
}

/** Go's Regexp.Expand template: $1, ${1}, $name, ${name}, $$. */
function expand(template: string, m: RegExpExecArray, c: CompiledPattern): string {
  return template.replace(/\$(?:\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))?/g, (whole, braced?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare;
    if (name === undefined) return '$';
    if (/^\d+$/.test(name)) return m[Number(name)] ?? '';
    const i = c.names.indexOf(name);
    return i < 0 ? '' : (m[i + 1] ?? '');
  });
}

export const regexFunctions: Record<string, StdlibFunction> = {
  regex: fixed(2, (a) => {
    const c = regexCompile(str(a, 0, 'pattern'));
    const s = str(a, 1, 'string');
    const m = findAll(c, s)[0];
    if (!m) throw new FunctionError('pattern did not match any part of the given string');
    return result(c, m);
  }),
  regexall: fixed(2, (a) => {
    const c = regexCompile(str(a, 0, 'pattern'));
    return findAll(c, str(a, 1, 'string')).map((m) => result(c, m));
  }),
  regex_replace: fixed(3, (a) => {
    const s = str(a, 0, 'str');
    const pattern = str(a, 1, 'pattern');
    const rep = str(a, 2, 'replace');
    const c = compilePattern(pattern, (code, expr) => new FunctionError(`error parsing regexp: ${code}: \`${expr}\``));
    let out = '';
    let last = 0;
    for (const m of findAll(c, s)) {
      out += s.slice(last, m.index) + expand(rep, m, c);
      last = m.index + m[0].length;
    }
    return out + s.slice(last);
  }),
};
