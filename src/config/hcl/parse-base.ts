/**
 * The scanner state shared by the parser's layers, and templates (quoted strings, heredocs, `${…}`,
 * `%{…}` directives), which call back into expressions.
 */
import type { Expr, SourceFile } from './ast.js';
import { DepthError, MAX_DEPTH, SyntaxError_, isDigit, isIdentStart, scanEscape, scanIdent, skipSpace } from './lexer.js';
import { buildTemplate, type FlatPart } from './template.js';

export interface ParseDiagnostic {
  f: SourceFile;
  off: number;
  message: string;
}

export abstract class ParserBase {
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

  abstract parseExpr(): Expr;

  /** `v in coll` or `k, v in coll`: the head of a for expression and of a %{for} directive. */
  protected forHead(what: string): { keyVar: string | null; valVar: string; coll: Expr } {
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
    if (!this.at('in') || scanIdent(this.t, this.i) !== this.i + 2) this.err(this.i, `expected "in" in ${what}, found ${this.describe(this.i)}`);
    this.i += 2;
    return { keyVar, valVar, coll: this.parseExpr() };
  }

  // ---- templates ----

  protected parseHeredoc(): Expr {
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

  protected closeTemplateItem(): boolean {
    this.ws();
    let stripR = false;
    if (this.t.charCodeAt(this.i) === 126) {
      stripR = true;
      this.i++;
    }
    this.expect('}', 'the closing } of the template sequence');
    return stripR;
  }

  protected parseInterp(open: number, stripL: boolean): FlatPart {
    const expr = this.parseExpr();
    const stripR = this.closeTemplateItem();
    return { k: 'interp', expr, stripL, stripR, s: open };
  }

  protected parseDirective(open: number, stripL: boolean): FlatPart {
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
        const { keyVar, valVar, coll } = this.forHead('a %{for} directive');
        return { k: 'for', keyVar, valVar, coll, stripL, stripR: this.closeTemplateItem(), s: open };
      }
      default:
        this.err(ks, `unknown template directive "${kw}": expected if, else, endif, for or endfor`);
    }
  }
}
