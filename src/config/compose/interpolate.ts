/**
 * Compose's variable interpolation (compose-go template): `$$` is a literal `$`; `$VAR` and `${VAR}`;
 * `${VAR:-default}` (unset or empty), `${VAR-default}` (unset); `${VAR:?err}`, `${VAR?err}`;
 * `${VAR:+replacement}`, `${VAR+replacement}`. Defaults and replacements may hold further
 * substitutions. An unset variable without a default becomes "" (compose warns).
 * https://github.com/compose-spec/compose-go/blob/main/template/template.go
 */

export class InterpolationError extends Error {
  constructor(
    message: string,
    /** Offset in the string where the substitution starts. */
    readonly offset: number,
  ) {
    super(message);
  }
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

export type Lookup = (name: string) => string | undefined;

export function interpolateCompose(text: string, lookup: Lookup, missing?: (name: string) => void): string {
  if (!text.includes('$')) return text;
  return subst(text, 0, text.length, lookup, missing, 0);
}

function subst(s: string, start: number, end: number, lookup: Lookup, missing: ((n: string) => void) | undefined, depth: number): string {
  if (depth > 20) throw new InterpolationError('substitutions nested too deeply', start);
  let out = '';
  let i = start;
  while (i < end) {
    const c = s[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const n = s[i + 1];
    if (n === '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (n === '{') {
      const close = matchingBrace(s, i + 2, end);
      if (close < 0) throw new InterpolationError(`invalid interpolation format for "${s.slice(start, end)}": unterminated "\${"`, i);
      out += braced(s, i, i + 2, close, lookup, missing, depth);
      i = close + 1;
      continue;
    }
    if (n !== undefined && NAME_START.test(n)) {
      let j = i + 1;
      while (j < end && NAME_CHAR.test(s[j]!)) j++;
      const name = s.slice(i + 1, j);
      const v = lookup(name);
      if (v === undefined) missing?.(name);
      out += v ?? '';
      i = j;
      continue;
    }
    // A lone `$` stays.
    out += '$';
    i++;
  }
  return out;
}

function matchingBrace(s: string, from: number, end: number): number {
  let depth = 1;
  for (let i = from; i < end; i++) {
    if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function braced(s: string, at: number, from: number, close: number, lookup: Lookup, missing: ((n: string) => void) | undefined, depth: number): string {
  let j = from;
  while (j < close && NAME_CHAR.test(s[j]!)) j++;
  const name = s.slice(from, j);
  if (name === '' || !NAME_START.test(name[0]!)) throw new InterpolationError(`invalid interpolation format: "${s.slice(at, close + 1)}" (a variable name is letters, digits and _)`, at);
  if (j === close) {
    const v = lookup(name);
    if (v === undefined) missing?.(name);
    return v ?? '';
  }
  let op = s[j]!;
  let colon = false;
  if (op === ':') {
    colon = true;
    op = s[j + 1] ?? '';
    j++;
  }
  if (op !== '-' && op !== '?' && op !== '+') throw new InterpolationError(`invalid interpolation format: "${s.slice(at, close + 1)}"`, at);
  const rest = (): string => subst(s, j + 1, close, lookup, missing, depth + 1);
  const v = lookup(name);
  const unset = colon ? v === undefined || v === '' : v === undefined;
  switch (op) {
    case '-':
      return unset ? rest() : v!;
    case '+':
      return unset ? '' : rest();
    default: {
      if (!unset) return v!;
      const msg = rest();
      throw new InterpolationError(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`, at);
    }
  }
}

/** A .env file as compose-go's dotenv reads it: KEY=VALUE lines, `export `, quotes, # comments, ${VAR} expansion. */
export function parseDotEnv(text: string, lookup: Lookup): Record<string, string> {
  const out: Record<string, string> = {};
  const look: Lookup = (n) => (Object.hasOwn(out, n) ? out[n] : lookup(n));
  for (let raw of text.split(/\r?\n/)) {
    raw = raw.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    if (raw.startsWith('export ')) raw = raw.slice(7).trimStart();
    const eq = raw.search(/[=:]/);
    if (eq <= 0) continue;
    const key = raw.slice(0, eq).trim();
    let value = raw.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"') && value.length >= 2) || (value.startsWith("'") && value.endsWith("'") && value.length >= 2)) {
      const quote = value[0];
      value = value.slice(1, -1);
      if (quote === '"') {
        value = value.replace(/\\([nrt"\\])/g, (_m, ch: string) => ({ n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' })[ch] ?? ch);
        value = safeInterpolate(value, look);
      }
    } else {
      const hash = value.search(/\s#/);
      if (hash >= 0) value = value.slice(0, hash).trimEnd();
      value = safeInterpolate(value, look);
    }
    out[key] = value;
  }
  return out;
}

function safeInterpolate(v: string, lookup: Lookup): string {
  try {
    return interpolateCompose(v, lookup);
  } catch {
    return v;
  }
}
