/**
 * Recursive-descent parser for HCL's native syntax, driving the scanner in lexer.ts.
 * https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md
 * Linear in the input; nesting is capped at MAX_DEPTH (one message, the rest of the file skipped);
 * an error inside an attribute or block skips to the next line at the same bracket depth, so several
 * errors in one file are reported together.
 */
import type { Block, BlockLabel, Body, Expr, ObjectItem, SourceFile, TemplateExpr, TemplatePart } from './ast.js';
import { makeSourceFile } from './ast.js';
import { DepthError, MAX_DEPTH, SyntaxError_, isDigit, isIdentStart, scanEscape, scanIdent, scanNumber, skipSpace } from './lexer.js';
import { buildTemplate, type FlatPart } from './template.js';

export interface ParseDiagnostic {
  f: SourceFile;
  off: number;
  message: string;
}

export interface ParseResult {
  body: Body;
  diagnostics: ParseDiagnostic[];
}

export function parseHcl(file: string, text: string): ParseResult {
  const p = new Parser(makeSourceFile(file, text));
  const body = p.parseFile();
  return { body, diagnostics: p.diags };
}

/** One expression (e.g. a variable's `type` written as a JSON string, or a `--set` value). */
export function parseExpression(f: SourceFile, start = 0, end = f.text.length): { expr: Expr | null; diagnostics: ParseDiagnostic[] } {
  const p = new Parser(f, end);
  p.i = start;
  const expr = p.wrap(() => {
    p.nl = false;
    const e = p.parseExpr();
    const j = skipSpace(p.t, p.i, true);
    if (j < p.end) throw new SyntaxError_(j, `unexpected ${p.describe(j)} after the expression`);
    return e;
  });
  return { expr, diagnostics: p.diags };
}

/** A string template with `${…}` and `%{…}` (no quotes, no escapes but `$${` and `%%{`): JSON strings, tsbake.yaml. */
export function parseTemplate(f: SourceFile, start = 0, end = f.text.length): { expr: Expr | null; diagnostics: ParseDiagnostic[] } {
  const p = new Parser(f, end);
  p.i = start;
  const expr = p.wrap(() => p.parseTemplateText('raw', null));
  return { expr, diagnostics: p.diags };
}

const MAX_CHAIN = 1000;
const LEVELS: readonly (readonly string[])[] = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];

class Parser {
  readonly t: string;
  i = 0;
  /** Newlines end the current construct (bodies, object items) rather than being skipped. */
  nl = true;
  depth = 0;
  readonly diags: ParseDiagnostic[] = [];
  constructor(
    readonly f: SourceFile,
    readonly end = f.text.length,
  ) {
    this.t = f.text;
  }

  wrap<T>(fn: () => T): T | null {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SyntaxError_) {
        this.diags.push({ f: this.f, off: err.off, message: err.message });
        return null;
      }
      throw err;
    }
  }

  describe(i: number): string {
    if (i >= this.end) return 'end of file';
    const c = this.t[i] as string;
    if (c === '\n') return 'newline';
    return `"${this.t.slice(i, i + 1)}"`;
  }

  err(i: number, msg: string): never {
    throw new SyntaxError_(i, msg);
  }

  enter(at: number): void {
    if (++this.depth > MAX_DEPTH) throw new DepthError(at, `nesting too deep (more than ${MAX_DEPTH} levels of brackets, blocks or templates)`);
  }

  /** The next significant offset in the current newline mode. */
  ws(): number {
    this.i = skipSpace(this.t, this.i, !this.nl);
    return this.i;
  }
  at(s: string): boolean {
    return this.t.startsWith(s, this.i);
  }
  expect(s: string, what: string): void {
    this.ws();
    if (!this.at(s)) this.err(this.i, `expected ${what}, found ${this.describe(this.i)}`);
    this.i += s.length;
  }
  ident(): string {
    const s = this.i;
    if (!isIdentStart(this.t, s)) this.err(s, `expected a name, found ${this.describe(s)}`);
    this.i = scanIdent(this.t, s);
    return this.t.slice(s, this.i);
  }

  // ---- bodies ----

  parseFile(): Body {
    const body: Body = { attributes: [], blocks: [], f: this.f, s: 0 };
    try {
      this.parseBodyItems(body, -1);
    } catch (err) {
      if (!(err instanceof DepthError)) throw err;
      this.diags.push({ f: this.f, off: err.off, message: err.message });
    }
    return body;
  }

  /** Items until `}` (consumed) or end of file; `open` is the brace's offset (-1 for the file). */
  private parseBodyItems(body: Body, open: number): void {
    for (;;) {
      this.i = skipSpace(this.t, this.i, true);
      if (this.i >= this.end) {
        if (open >= 0) this.err(open, 'unclosed block: this { has no matching }');
        return;
      }
      if (this.t.charCodeAt(this.i) === 125) {
        if (open < 0) {
          this.diags.push({ f: this.f, off: this.i, message: 'unexpected }: no block is open here' });
          this.i++;
          continue;
        }
        this.i++;
        return;
      }
      const before = this.diags.length;
      const start = this.i;
      try {
        this.parseItem(body);
      } catch (err) {
        if (!(err instanceof SyntaxError_) || err instanceof DepthError) throw err;
        this.diags.push({ f: this.f, off: err.off, message: err.message });
        if (this.diags.length - before > 0) {
          // Rescan the item from its start so strings and heredocs are skipped whole.
          this.i = start;
          this.recover();
        }
      }
    }
  }

  /** Skips to the start of the next line at this bracket depth (or to a `}` closing the current block). */
  private recover(): void {
    const t = this.t;
    let d = 0;
    while (this.i < this.end) {
      const c = t.charCodeAt(this.i);
      if (c === 34) {
        const nl = t.indexOf('\n', this.i + 1);
        let j = this.i + 1;
        while (j < this.end && t.charCodeAt(j) !== 34 && t.charCodeAt(j) !== 10) j += t.charCodeAt(j) === 92 ? 2 : 1;
        this.i = t.charCodeAt(j) === 34 ? j + 1 : nl === -1 ? this.end : nl;
        continue;
      }
      if (c === 60 && t.charCodeAt(this.i + 1) === 60) {
        const m = /<<-?([\p{ID_Start}_][\p{ID_Continue}-]*)\r?\n/uy;
        m.lastIndex = this.i;
        const hit = m.exec(t);
        if (hit) {
          const close = new RegExp(`^[ \\t]*${hit[1]}\\r?$`, 'm');
          const rest = t.slice(m.lastIndex);
          const found = close.exec(rest);
          this.i = found ? m.lastIndex + found.index + found[0].length : this.end;
          continue;
        }
      }
      if (c === 123 || c === 91 || c === 40) d++;
      else if (c === 125 || c === 93 || c === 41) {
        if (d === 0 && c === 125) return;
        d--;
      } else if (c === 10 && d <= 0) {
        this.i++;
        return;
      }
      this.i++;
    }
  }

  private parseItem(body: Body): void {
    const s = this.i;
    if (!isIdentStart(this.t, s)) this.err(s, `expected an attribute name or a block type, found ${this.describe(s)}`);
    const name = this.ident();
    this.nl = true;
    this.ws();
    const c = this.t.charCodeAt(this.i);
    if (c === 61 && this.t.charCodeAt(this.i + 1) !== 61) {
      this.i++;
      const expr = this.parseExpr();
      this.endOfItem();
      body.attributes.push({ name, expr, f: this.f, s });
      return;
    }
    const labels: BlockLabel[] = [];
    for (;;) {
      this.ws();
      const ch = this.t.charCodeAt(this.i);
      if (ch === 123) break;
      const ls = this.i;
      if (ch === 34) {
        this.i++;
        const tpl = this.parseTemplateText('quoted', null);
        if (tpl.k !== 'lit' || typeof tpl.value !== 'string') this.err(ls, 'a block label cannot contain interpolations or directives');
        labels.push({ value: tpl.value, s: ls });
      } else if (isIdentStart(this.t, this.i)) {
        labels.push({ value: this.ident(), s: ls });
      } else if (labels.length === 0) {
        this.err(this.i, `expected = or a block after "${name}", found ${this.describe(this.i)}`);
      } else {
        this.err(this.i, `expected a block label or {, found ${this.describe(this.i)}`);
      }
    }
    const open = this.i;
    this.i++;
    this.enter(open);
    const inner: Body = { attributes: [], blocks: [], f: this.f, s: open };
    this.parseBodyItems(inner, open);
    this.depth--;
    this.nl = true;
    this.endOfItem();
    const block: Block = { type: name, labels, body: inner, f: this.f, s };
    body.blocks.push(block);
  }

  /** An attribute or block ends at a newline, the end of the file, or (one-line blocks) a closing brace. */
  private endOfItem(): void {
    this.nl = true;
    this.ws();
    const c = this.t.charCodeAt(this.i);
    if (this.i >= this.end || c === 125) return;
    if (c === 10) {
      this.i++;
      return;
    }
    this.err(this.i, `unexpected ${this.describe(this.i)}: expected a newline after the attribute or block`);
  }

  // ---- expressions ----

  parseExpr(): Expr {
    this.enter(this.i);
    const cond = this.parseBin(0);
    this.ws();
    let out: Expr = cond;
    if (this.t.charCodeAt(this.i) === 63) {
      this.i++;
      const then = this.parseExpr();
      this.expect(':', 'the ":" of a conditional (cond ? a : b)');
      const els = this.parseExpr();
      out = { k: 'cond', cond, then, else: els, f: this.f, s: cond.s, e: els.e };
    }
    this.depth--;
    return out;
  }

  private peekOp(level: number): string | null {
    this.ws();
    const t = this.t;
    const i = this.i;
    const c = t.charCodeAt(i);
    const d = t.charCodeAt(i + 1);
    let op: string | null = null;
    switch (c) {
      case 124: // |
        op = d === 124 ? '||' : null;
        break;
      case 38: // &
        op = d === 38 ? '&&' : null;
        break;
      case 61: // =
        op = d === 61 ? '==' : null;
        break;
      case 33: // !
        op = d === 61 ? '!=' : null;
        break;
      case 60: // <
        op = d === 61 ? '<=' : d === 60 ? null : '<';
        break;
      case 62: // >
        op = d === 61 ? '>=' : '>';
        break;
      case 43:
        op = '+';
        break;
      case 45:
        op = '-';
        break;
      case 42:
        op = '*';
        break;
      case 47:
        op = '/';
        break;
      case 37:
        op = '%';
        break;
    }
    return op !== null && (LEVELS[level] as readonly string[]).includes(op) ? op : null;
  }

  private parseBin(level: number): Expr {
    if (level === LEVELS.length) return this.parseUnary();
    let left = this.parseBin(level + 1);
    for (let n = 0; ; n++) {
      const op = this.peekOp(level);
      if (op === null) return left;
      // A left-deep chain is evaluated recursively: cap it like nesting.
      if (n >= MAX_CHAIN) throw new DepthError(this.i, `expression too long (more than ${MAX_CHAIN} operators in a row)`);
      this.i += op.length;
      this.i = skipSpace(this.t, this.i, true);
      const right = this.parseBin(level + 1);
      left = { k: 'binary', op: op as never, left, right, f: this.f, s: left.s, e: right.e };
    }
  }

  private parseUnary(): Expr {
    const s = this.ws();
    const c = this.t.charCodeAt(s);
    if ((c === 33 && this.t.charCodeAt(s + 1) !== 61) || c === 45) {
      this.i++;
      this.enter(s);
      const operand = this.parseUnary();
      this.depth--;
      if (c === 45 && operand.k === 'lit' && typeof operand.value === 'number') return { ...operand, value: -operand.value, s };
      return { k: 'unary', op: c === 33 ? '!' : '-', operand, f: this.f, s, e: operand.e };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Expr {
    let e = this.parsePrimary();
    const t = this.t;
    for (let n = 0; ; n++) {
      if (n >= MAX_CHAIN) throw new DepthError(this.i, `expression too long (more than ${MAX_CHAIN} attribute, index or splat steps in a row)`);
      const save = this.i;
      this.ws();
      const c = t.charCodeAt(this.i);
      if (c === 46 && t.charCodeAt(this.i + 1) !== 46) {
        if (t.charCodeAt(this.i + 1) === 42) {
          this.i += 2;
          e = this.parseSplat(e, false);
          continue;
        }
        const step = this.parseTraversalStep({ k: 'anchor', f: this.f, s: e.s, e: e.e }, e, false);
        if (!step) this.err(this.i + 1, `expected an attribute name after ".", found ${this.describe(this.i + 1)}`);
        e = step;
        continue;
      }
      if (c === 91) {
        const j = skipSpace(t, this.i + 1, true);
        if (t.charCodeAt(j) === 42) {
          const k = skipSpace(t, j + 1, true);
          if (t.charCodeAt(k) === 93) {
            this.i = k + 1;
            e = this.parseSplat(e, true);
            continue;
          }
        }
        e = this.parseIndex(e);
        continue;
      }
      this.i = save;
      return e;
    }
  }

  /** `.name`, `.0` (legacy index) or `[key]` applied to `obj`; null when none follows. */
  private parseTraversalStep(_anchor: Expr, obj: Expr, allowIndex: boolean): Expr | null {
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === 46) {
      const n = this.i + 1;
      if (isDigit(t.charCodeAt(n))) {
        let j = n;
        while (isDigit(t.charCodeAt(j))) j++;
        this.i = j;
        const key: Expr = { k: 'lit', value: Number(t.slice(n, j)), f: this.f, s: n, e: j };
        return { k: 'index', obj, key, legacy: true, f: this.f, s: obj.s, e: j };
      }
      if (!isIdentStart(t, n)) return null;
      this.i = n;
      const name = this.ident();
      return { k: 'getattr', obj, name, f: this.f, s: obj.s, e: this.i };
    }
    if (c === 91 && allowIndex) return this.parseIndex(obj);
    return null;
  }

  private parseIndex(obj: Expr): Expr {
    const open = this.i;
    this.i++;
    const nl = this.nl;
    this.nl = false;
    this.enter(open);
    const key = this.parseExpr();
    this.expect(']', 'the closing ] of an index');
    this.depth--;
    this.nl = nl;
    return { k: 'index', obj, key, f: this.f, s: obj.s, e: this.i };
  }

  /** After `[*]` (full: attributes and indexes follow) or `.*` (attributes only). */
  private parseSplat(obj: Expr, full: boolean): Expr {
    const anchor: Expr = { k: 'anchor', f: this.f, s: this.i, e: this.i };
    let each: Expr = anchor;
    for (;;) {
      const save = this.i;
      this.ws();
      const c = this.t.charCodeAt(this.i);
      if (c === 91 && full && this.t.charCodeAt(skipSpace(this.t, this.i + 1, true)) === 42) {
        this.i = save;
        break;
      }
      if (c === 46 && this.t.charCodeAt(this.i + 1) === 42) {
        this.i = save;
        break;
      }
      const step = this.parseTraversalStep(anchor, each, full);
      if (!step) {
        this.i = save;
        break;
      }
      each = step;
    }
    return { k: 'splat', obj, each, f: this.f, s: obj.s, e: this.i };
  }

  private parsePrimary(): Expr {
    const t = this.t;
    const s = this.ws();
    const c = t.charCodeAt(s);
    if (isDigit(c)) {
      this.i = scanNumber(t, s);
      return { k: 'lit', value: Number(t.slice(s, this.i)), f: this.f, s, e: this.i };
    }
    if (c === 34) {
      this.i++;
      return this.parseTemplateText('quoted', null);
    }
    if (c === 60 && t.charCodeAt(s + 1) === 60) return this.parseHeredoc();
    if (c === 40) {
      this.i++;
      const nl = this.nl;
      this.nl = false;
      this.enter(s);
      const expr = this.parseExpr();
      this.expect(')', 'the closing ) of a parenthesised expression');
      this.depth--;
      this.nl = nl;
      return { k: 'paren', expr, f: this.f, s, e: this.i };
    }
    if (c === 91) return this.parseTuple();
    if (c === 123) return this.parseObject();
    if (isIdentStart(t, s)) {
      const name = this.ident();
      if (name === 'true' || name === 'false') return { k: 'lit', value: name === 'true', f: this.f, s, e: this.i };
      if (name === 'null') return { k: 'lit', value: null, f: this.f, s, e: this.i };
      let j = this.i;
      while (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9) j++;
      if (t.charCodeAt(j) === 40) {
        this.i = j;
        return this.parseCall(name, s);
      }
      if (t.startsWith('::', j)) this.err(j, `provider-namespaced functions (${name}::…) are not supported by bake`);
      return { k: 'var', name, f: this.f, s, e: this.i };
    }
    this.err(s, `expected an expression, found ${this.describe(s)}`);
  }

  private parseCall(name: string, s: number): Expr {
    const open = this.i;
    this.i++;
    const nl = this.nl;
    this.nl = false;
    this.enter(open);
    const args: Expr[] = [];
    let expand = false;
    for (;;) {
      this.ws();
      if (this.at(')')) break;
      args.push(this.parseExpr());
      this.ws();
      if (this.at('...')) {
        this.i += 3;
        expand = true;
        this.ws();
        if (this.at(',')) this.i++;
        this.ws();
        if (!this.at(')')) this.err(this.i, 'the argument expanded with ... must be the last one');
        break;
      }
      if (this.at(',')) {
        this.i++;
        continue;
      }
      if (!this.at(')')) this.err(this.i, `expected "," or ")" in the arguments of ${name}(), found ${this.describe(this.i)}`);
    }
    this.i++;
    this.depth--;
    this.nl = nl;
    return { k: 'call', name, args, expand, f: this.f, s, e: this.i };
  }

  private isForKeyword(): boolean {
    const t = this.t;
    if (!t.startsWith('for', this.i) || scanIdent(t, this.i) !== this.i + 3) return false;
    const j = skipSpace(t, this.i + 3, true);
    return isIdentStart(t, j);
  }

  private parseTuple(): Expr {
    const s = this.i;
    this.i++;
    const nl = this.nl;
    this.nl = false;
    this.enter(s);
    this.ws();
    let out: Expr;
    if (this.isForKeyword()) out = this.parseFor(s, false);
    else {
      const items: Expr[] = [];
      for (;;) {
        this.ws();
        if (this.at(']')) break;
        items.push(this.parseExpr());
        this.ws();
        if (this.at(',')) {
          this.i++;
          continue;
        }
        if (!this.at(']')) this.err(this.i, `expected "," or "]" in a list, found ${this.describe(this.i)}`);
      }
      this.i++;
      out = { k: 'tuple', items, f: this.f, s, e: this.i };
    }
    this.depth--;
    this.nl = nl;
    return out;
  }

  private parseObject(): Expr {
    const s = this.i;
    this.i++;
    const nl = this.nl;
    this.enter(s);
    this.i = skipSpace(this.t, this.i, true);
    let out: Expr;
    if (this.isForKeyword()) {
      this.nl = false;
      out = this.parseFor(s, true);
    } else {
      const items: ObjectItem[] = [];
      for (;;) {
        this.i = skipSpace(this.t, this.i, true);
        if (this.at('}')) break;
        if (this.i >= this.end) this.err(s, 'unclosed object: this { has no matching }');
        this.nl = false;
        const ks = this.i;
        let key: Expr;
        let ident = false;
        if (isIdentStart(this.t, ks)) {
          const ke = scanIdent(this.t, ks);
          const j = skipSpace(this.t, ke, false);
          const c = this.t.charCodeAt(j);
          if ((c === 61 && this.t.charCodeAt(j + 1) !== 61) || c === 58) {
            key = { k: 'lit', value: this.t.slice(ks, ke), f: this.f, s: ks, e: ke };
            ident = true;
            this.i = ke;
          } else key = this.parseBin(0);
        } else key = this.parseBin(0);
        this.ws();
        const c = this.t.charCodeAt(this.i);
        if (!((c === 61 && this.t.charCodeAt(this.i + 1) !== 61 && this.t.charCodeAt(this.i + 1) !== 62) || c === 58)) {
          this.err(this.i, `expected "=" or ":" after an object key, found ${this.describe(this.i)}`);
        }
        this.i++;
        this.nl = true;
        this.i = skipSpace(this.t, this.i, false);
        const value = this.parseExpr();
        items.push({ key, ident, value });
        this.ws();
        const d = this.t.charCodeAt(this.i);
        if (d === 44 || d === 10) this.i++;
        else if (d !== 125) this.err(this.i, `expected a newline, "," or "}" after an object item, found ${this.describe(this.i)}`);
      }
      this.i++;
      out = { k: 'object', items, f: this.f, s, e: this.i };
    }
    this.depth--;
    this.nl = nl;
    return out;
  }

  private parseFor(s: number, object: boolean): Expr {
    this.i += 3;
    this.ws();
    let valVar = this.ident();
    let keyVar: string | null = null;
    this.ws();
    if (this.at(',')) {
      this.i++;
      this.ws();
      keyVar = valVar;
      valVar = this.ident();
    }
    this.ws();
    if (!this.at('in') || scanIdent(this.t, this.i) !== this.i + 2) this.err(this.i, `expected "in" in a for expression, found ${this.describe(this.i)}`);
    this.i += 2;
    const coll = this.parseExpr();
    this.expect(':', 'the ":" of a for expression');
    let keyExpr: Expr | null = null;
    if (object) {
      keyExpr = this.parseExpr();
      this.expect('=>', 'the "=>" of an object for expression ({for k, v in x : key => value})');
    }
    const valExpr = this.parseExpr();
    this.ws();
    let group = false;
    if (object && this.at('...')) {
      this.i += 3;
      group = true;
      this.ws();
    }
    let cond: Expr | null = null;
    if (this.at('if') && scanIdent(this.t, this.i) === this.i + 2) {
      this.i += 2;
      cond = this.parseExpr();
    }
    this.expect(object ? '}' : ']', object ? 'the closing } of the for expression' : 'the closing ] of the for expression');
    return { k: 'for', keyVar, valVar, coll, keyExpr, valExpr, cond, group, object, f: this.f, s, e: this.i };
  }

  // ---- templates ----

  private parseHeredoc(): Expr {
    const s = this.i;
    const t = this.t;
    this.i += 2;
    const flush = t.charCodeAt(this.i) === 45;
    if (flush) this.i++;
    if (!isIdentStart(t, this.i)) this.err(this.i, 'expected a heredoc marker (<<EOT or <<-EOT)');
    const marker = this.ident();
    if (t.charCodeAt(this.i) === 13) this.i++;
    if (t.charCodeAt(this.i) !== 10) this.err(this.i, `a heredoc marker must end its line: put the text on the lines after <<${flush ? '-' : ''}${marker}`);
    this.i++;
    const tpl = this.parseTemplateText('heredoc', { marker, flush, s });
    return { ...tpl, s };
  }

  /**
   * Reads a template until its end (closing quote, heredoc marker line, or end of input for 'raw') and
   * returns a literal string when there is nothing to evaluate.
   */
  parseTemplateText(mode: 'quoted' | 'heredoc' | 'raw', heredoc: { marker: string; flush: boolean; s: number } | null): Expr {
    const t = this.t;
    const s = mode === 'quoted' ? this.i - 1 : this.i;
    const flat: FlatPart[] = [];
    let lit = '';
    let chunk = this.i;
    const flushLit = (to: number): void => {
      lit += t.slice(chunk, to);
    };
    const pushLit = (): void => {
      if (lit !== '') flat.push({ k: 'str', value: lit });
      lit = '';
    };
    let lineStart = mode === 'heredoc';
    this.enter(s);
    for (;;) {
      if (lineStart && heredoc) {
        let j = this.i;
        while (t.charCodeAt(j) === 32 || t.charCodeAt(j) === 9) j++;
        if (t.startsWith(heredoc.marker, j)) {
          const k = j + heredoc.marker.length;
          const c = t.charCodeAt(k);
          if (k >= this.end || c === 10 || c === 13 || (c !== 95 && c !== 45 && !isIdentStart(t, k) && !isDigit(c))) {
            flushLit(this.i);
            this.i = k;
            break;
          }
        }
        lineStart = false;
      }
      if (this.i >= this.end) {
        if (mode === 'raw') {
          flushLit(this.i);
          break;
        }
        this.err(heredoc ? heredoc.s : s, heredoc ? `unterminated heredoc: no line "${heredoc.marker}" closes it` : 'unterminated string: no closing "');
      }
      const c = t.charCodeAt(this.i);
      if (c === 34 && mode === 'quoted') {
        flushLit(this.i);
        this.i++;
        break;
      }
      if (c === 10) {
        if (mode === 'quoted') this.err(this.i, 'unterminated string: a quoted string must end on the line it starts (use a heredoc for several lines)');
        this.i++;
        if (heredoc) {
          // One literal per line, as HCL's scanner makes them: strip markers and <<- work line by line.
          flushLit(this.i);
          pushLit();
          chunk = this.i;
        }
        lineStart = true;
        continue;
      }
      if (c === 92 && mode === 'quoted') {
        flushLit(this.i);
        const [str, next] = scanEscape(t, this.i);
        lit += str;
        this.i = next;
        chunk = next;
        continue;
      }
      if ((c === 36 || c === 37) && t.charCodeAt(this.i + 1) === c && t.charCodeAt(this.i + 2) === 123) {
        // `$${` and `%%{` are a literal `${` / `%{`.
        flushLit(this.i + 1);
        this.i += 3;
        lit += '{';
        chunk = this.i;
        continue;
      }
      if ((c === 36 || c === 37) && t.charCodeAt(this.i + 1) === 123) {
        flushLit(this.i);
        pushLit();
        const open = this.i;
        this.i += 2;
        const stripL = t.charCodeAt(this.i) === 126;
        if (stripL) this.i++;
        const nl = this.nl;
        this.nl = false;
        flat.push(c === 36 ? this.parseInterp(open, stripL) : this.parseDirective(open, stripL));
        this.nl = nl;
        chunk = this.i;
        continue;
      }
      this.i++;
    }
    pushLit();
    this.depth--;
    return buildTemplate(flat, this.f, s, this.i, heredoc?.flush ?? false);
  }

  private closeTemplateItem(): boolean {
    this.ws();
    let stripR = false;
    if (this.t.charCodeAt(this.i) === 126) {
      stripR = true;
      this.i++;
    }
    this.expect('}', 'the closing } of the template sequence');
    return stripR;
  }

  private parseInterp(open: number, stripL: boolean): FlatPart {
    const expr = this.parseExpr();
    const stripR = this.closeTemplateItem();
    return { k: 'interp', expr, stripL, stripR, s: open };
  }

  private parseDirective(open: number, stripL: boolean): FlatPart {
    this.ws();
    const ks = this.i;
    const kw = isIdentStart(this.t, ks) ? this.ident() : '';
    switch (kw) {
      case 'if': {
        const cond = this.parseExpr();
        return { k: 'if', cond, stripL, stripR: this.closeTemplateItem(), s: open };
      }
      case 'else':
      case 'endif':
      case 'endfor':
        return { k: kw, stripL, stripR: this.closeTemplateItem(), s: open };
      case 'for': {
        this.ws();
        let valVar = this.ident();
        let keyVar: string | null = null;
        this.ws();
        if (this.at(',')) {
          this.i++;
          this.ws();
          keyVar = valVar;
          valVar = this.ident();
        }
        this.ws();
        if (!this.at('in')) this.err(this.i, `expected "in" in a %{for} directive, found ${this.describe(this.i)}`);
        this.i += 2;
        const coll = this.parseExpr();
        return { k: 'for', keyVar, valVar, coll, stripL, stripR: this.closeTemplateItem(), s: open };
      }
      default:
        this.err(ks, `unknown template directive "${kw}": expected if, else, endif, for or endfor`);
    }
  }
}

export type { TemplateExpr, TemplatePart };
