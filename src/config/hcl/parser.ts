/**
 * Recursive-descent parser for HCL's native syntax, driving the scanner in lexer.ts.
 * https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md
 * Linear in the input; nesting is capped at MAX_DEPTH (one message, the rest of the file skipped);
 * an error inside an attribute or block skips to the next line at the same bracket depth, so several
 * errors in one file are reported together.
 */
import type { Block, BlockLabel, Body, Expr, SourceFile, TemplateExpr, TemplatePart } from './ast.js';
import { makeSourceFile } from './ast.js';
import { DepthError, SyntaxError_, isIdentStart, scanIdent, skipSpace } from './lexer.js';
import type { ParseDiagnostic } from './parse-base.js';
import { ExprParser } from './parse-expr.js';

export type { ParseDiagnostic };

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
class Parser extends ExprParser {
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
    this.i = scanIdent(this.t, s);
    const name = this.t.slice(s, this.i);
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

}

export type { TemplateExpr, TemplatePart };
