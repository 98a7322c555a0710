/**
 * Docker's `.dockerignore` / fsutil path patterns, matched in linear time.
 *
 * Semantics follow moby/patternmatcher (https://github.com/moby/patternmatcher, patternmatcher.go)
 * and BuildKit's dockerignore reader (frontend/dockerfile/dockerignore): patterns are cleaned like
 * Go's filepath.Clean, `*` and `?` never cross a `/`, `[...]` is a character class (`^` negates),
 * `\` escapes, `**` followed by more of the pattern is any run of whole directories (the regexp
 * `(.*` + `/)?`) and a trailing `**` is `.*`, a pattern
 * matching a parent directory matches everything below it, patterns apply in order and `!` re-includes
 * what earlier patterns excluded. Matching is case-sensitive, as on Linux.
 *
 * Docker compiles each pattern to a regular expression for Go's RE2, which never backtracks; a
 * backtracking engine (JavaScript's RegExp, as @balena/dockerignore used) is exponential on
 * repeated `**` segments. Here a pattern is a token list run as an NFA over the path's code points: O(path ×
 * pattern) per path, and one pass also answers every parent directory (each `/` is a checkpoint).
 */

export class PatternSyntaxError extends Error {
  constructor(
    readonly pattern: string,
    detail: string,
  ) {
    super(`invalid pattern "${pattern}": ${detail}`);
    this.name = 'PatternSyntaxError';
  }
}

type Token =
  | { kind: 'lit'; cp: number }
  /** `?`: one code point other than `/`. */
  | { kind: 'one' }
  /** `*`: any run without `/`. */
  | { kind: 'star' }
  /** `[...]`. */
  | { kind: 'class'; negated: boolean; ranges: [number, number][] }
  /** `**` with more pattern after it: zero or more whole directories. */
  | { kind: 'dirs' }
  /** trailing `**`: `.*`. */
  | { kind: 'all' };

const SLASH = 0x2f;
const BACKSLASH = 0x5c;

export interface CompiledPattern {
  /** The cleaned pattern, without its `!`. */
  readonly text: string;
  readonly exclusion: boolean;
  /** True when the path itself or one of its parent directories matches. */
  matchesOrParent(path: string): boolean;
  /** True when the path itself matches (no parent rule). */
  matchesExact(path: string): boolean;
}

export interface PatternMatcher {
  readonly patterns: readonly CompiledPattern[];
  /** True when any pattern is a `!` exception. */
  readonly exclusions: boolean;
  /**
   * moby's MatchesOrParentMatches: the last pattern that matches the path or a parent directory
   * decides; `!` patterns re-include. `path` is relative and `/`-separated.
   */
  matches(path: string): boolean;
}

/** Go's path.Clean (lexical: `.`/`..` elements, repeated and trailing slashes). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const el of p.split('/')) {
    if (el === '' || el === '.') continue;
    if (el === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(el);
  }
  const body = out.join('/');
  if (rooted) return '/' + body;
  return body === '' ? '.' : body;
}

/**
 * One line of a `.dockerignore` file as BuildKit's reader normalises it: trimmed, `!` kept in front,
 * the rest cleaned and made relative (one leading `/` dropped). Returns '' for a line to skip.
 * Comment lines (`#` in the first column) are dropped by parseDockerignore before this.
 */
export function normalizeDockerignoreLine(line: string): string {
  let p = line.trim();
  if (p === '') return '';
  const invert = p.startsWith('!');
  if (invert) p = p.slice(1).trim();
  if (p.length > 0) {
    p = cleanPath(p);
    if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
  }
  return invert ? '!' + p : p;
}

/** The patterns of a `.dockerignore` file's text, normalised (BuildKit's dockerignore.ReadAll). */
export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const p = normalizeDockerignoreLine(line);
    if (p !== '') out.push(p);
  }
  return out;
}

/** Throws PatternSyntaxError where Go's filepath.Match would return ErrBadPattern. */
function checkSyntax(cps: number[], text: string): void {
  let i = 0;
  const esc = (): number => {
    const c = cps[i];
    if (c === undefined || c === 0x2d /* - */ || c === 0x5d /* ] */) throw new PatternSyntaxError(text, 'malformed character class');
    if (c === BACKSLASH) {
      i++;
      const n = cps[i];
      if (n === undefined) throw new PatternSyntaxError(text, 'trailing backslash');
      i++;
      return n;
    }
    i++;
    return c;
  };
  while (i < cps.length) {
    const c = cps[i]!;
    if (c === BACKSLASH) {
      if (i + 1 >= cps.length) throw new PatternSyntaxError(text, 'trailing backslash');
      i += 2;
    } else if (c === 0x5b /* [ */) {
      i++;
      if (cps[i] === 0x5e /* ^ */) i++;
      let ranges = 0;
      for (;;) {
        if (i >= cps.length) throw new PatternSyntaxError(text, 'unclosed character class');
        if (cps[i] === 0x5d && ranges > 0) {
          i++;
          break;
        }
        const lo = esc();
        let hi = lo;
        if (cps[i] === 0x2d) {
          i++;
          hi = esc();
          if (hi < lo) throw new PatternSyntaxError(text, 'character range out of order');
        }
        ranges++;
      }
    } else {
      i++;
    }
  }
}

/** The class starting after `[` at cps[i]; returns the token and the index after `]`. */
function parseClass(cps: number[], start: number): [Token, number] {
  let i = start;
  let negated = false;
  if (cps[i] === 0x5e) {
    negated = true;
    i++;
  }
  const ranges: [number, number][] = [];
  const one = (): number => {
    const c = cps[i]!;
    i++;
    if (c === BACKSLASH) return cps[i++]!;
    return c;
  };
  while (!(cps[i] === 0x5d && ranges.length > 0)) {
    const lo = one();
    let hi = lo;
    if (cps[i] === 0x2d && cps[i + 1] !== 0x5d) {
      i++;
      hi = one();
    }
    ranges.push([lo, hi]);
  }
  return [{ kind: 'class', negated, ranges }, i + 1];
}

function compileTokens(cps: number[]): Token[] {
  const tokens: Token[] = [];
  let onlyLiteralsAfterLeadingStars = false;
  let leadingStarsEatSlash = false;
  for (let i = 0; i < cps.length; ) {
    const c = cps[i]!;
    if (c === 0x2a /* * */) {
      if (cps[i + 1] === 0x2a) {
        const first = i === 0;
        i += 2;
        let ateSlash = false;
        if (cps[i] === SLASH) {
          i++;
          ateSlash = true;
        }
        tokens.push(i >= cps.length ? { kind: 'all' } : { kind: 'dirs' });
        if (first) {
          onlyLiteralsAfterLeadingStars = true;
          leadingStarsEatSlash = ateSlash;
        } else {
          onlyLiteralsAfterLeadingStars = false;
        }
      } else {
        tokens.push({ kind: 'star' });
        onlyLiteralsAfterLeadingStars = false;
        i++;
      }
    } else if (c === 0x3f /* ? */) {
      tokens.push({ kind: 'one' });
      onlyLiteralsAfterLeadingStars = false;
      i++;
    } else if (c === BACKSLASH) {
      tokens.push({ kind: 'lit', cp: cps[i + 1]! });
      onlyLiteralsAfterLeadingStars = false;
      i += 2;
    } else if (c === 0x5b /* [ */) {
      const [tok, next] = parseClass(cps, i + 1);
      tokens.push(tok);
      onlyLiteralsAfterLeadingStars = false;
      i = next;
    } else {
      // `]` outside a class is a literal for RE2 as for us.
      tokens.push({ kind: 'lit', cp: c });
      i++;
    }
  }
  // moby's suffixMatch: a leading `**` followed only by literals is a plain HasSuffix, so `**foo`
  // matches `barfoo` (while the slash form matches `foo` and `x/foo`, as the regexp would).
  if (onlyLiteralsAfterLeadingStars && !leadingStarsEatSlash && tokens[0]?.kind === 'dirs') tokens[0] = { kind: 'all' };
  return tokens;
}

function classHas(tok: Extract<Token, { kind: 'class' }>, cp: number): boolean {
  let inSet = false;
  for (const [lo, hi] of tok.ranges) {
    if (cp >= lo && cp <= hi) {
      inSet = true;
      break;
    }
  }
  return inSet !== tok.negated;
}

/**
 * NFA states: position k (0..n) = "token k is next", n = accepted; plus an "inside the directories"
 * state per `dirs` token. Two byte arrays per step; no recursion, no backtracking.
 */
class Nfa {
  private readonly n: number;
  private cur: Uint8Array;
  private next: Uint8Array;
  private curIn: Uint8Array;
  private nextIn: Uint8Array;

  constructor(private readonly tokens: Token[]) {
    this.n = tokens.length;
    this.cur = new Uint8Array(this.n + 1);
    this.next = new Uint8Array(this.n + 1);
    this.curIn = new Uint8Array(this.n);
    this.nextIn = new Uint8Array(this.n);
  }

  /** Adds state k and what it reaches without consuming (star/all/dirs may match empty). */
  private add(set: Uint8Array, setIn: Uint8Array, k: number): void {
    while (k <= this.n && set[k] === 0) {
      set[k] = 1;
      if (k === this.n) return;
      const t = this.tokens[k]!;
      if (t.kind === 'dirs') setIn[k] = 1;
      else if (t.kind !== 'star' && t.kind !== 'all') return;
      k++;
    }
  }

  /** Runs over `path`; with `parents`, also accepts when a prefix ending before a `/` is accepted. */
  run(path: string, parents: boolean): boolean {
    const n = this.n;
    this.cur.fill(0);
    this.curIn.fill(0);
    this.add(this.cur, this.curIn, 0);
    for (const ch of path) {
      const cp = ch.codePointAt(0)!;
      if (parents && cp === SLASH && this.cur[n] === 1) return true;
      this.next.fill(0);
      this.nextIn.fill(0);
      for (let k = 0; k < n; k++) {
        if (this.curIn[k] === 1) {
          this.nextIn[k] = 1;
          if (cp === SLASH) this.add(this.next, this.nextIn, k + 1);
        }
        if (this.cur[k] === 0) continue;
        const t = this.tokens[k]!;
        switch (t.kind) {
          case 'lit':
            if (cp === t.cp) this.add(this.next, this.nextIn, k + 1);
            break;
          case 'one':
            if (cp !== SLASH) this.add(this.next, this.nextIn, k + 1);
            break;
          case 'class':
            if (classHas(t, cp)) this.add(this.next, this.nextIn, k + 1);
            break;
          case 'star':
            if (cp !== SLASH) this.add(this.next, this.nextIn, k);
            break;
          case 'all':
            this.add(this.next, this.nextIn, k);
            break;
          case 'dirs':
            break; // handled by its inside state
        }
      }
      [this.cur, this.next] = [this.next, this.cur];
      [this.curIn, this.nextIn] = [this.nextIn, this.curIn];
      if (!this.cur.includes(1) && !this.curIn.includes(1)) return false;
    }
    return this.cur[n] === 1;
  }
}

/** Compiles one cleaned pattern (a leading `!` marks an exception). Throws PatternSyntaxError. */
export function compilePattern(pattern: string): CompiledPattern {
  let p = cleanPath(pattern.trim());
  let exclusion = false;
  if (p.startsWith('!')) {
    if (p.length === 1) throw new PatternSyntaxError(pattern, 'illegal exclusion pattern "!"');
    exclusion = true;
    p = p.slice(1);
  }
  const cps = Array.from(p, (c) => c.codePointAt(0)!);
  checkSyntax(cps, p);
  const nfa = new Nfa(compileTokens(cps));
  return {
    text: p,
    exclusion,
    matchesOrParent: (path) => nfa.run(path, true),
    matchesExact: (path) => nfa.run(path, false),
  };
}

/** Compiles a pattern list (blank entries skipped). Throws PatternSyntaxError on a malformed pattern. */
export function createPatternMatcher(patterns: readonly string[]): PatternMatcher {
  const compiled = patterns.filter((p) => p.trim() !== '').map(compilePattern);
  return {
    patterns: compiled,
    exclusions: compiled.some((p) => p.exclusion),
    matches(path: string): boolean {
      let matched = false;
      for (const pat of compiled) {
        // An include that already matched, or an exception while nothing matched, changes nothing.
        if (pat.exclusion !== matched) continue;
        if (pat.matchesOrParent(path)) matched = !pat.exclusion;
      }
      return matched;
    },
  };
}

/** True when one path segment `name` matches one pattern segment (no `/` in either). */
export function matchSegment(segmentPattern: string, name: string): boolean {
  try {
    return compilePattern(segmentPattern).matchesExact(name);
  } catch {
    return true; // malformed: "may match", the caller is conservative
  }
}
