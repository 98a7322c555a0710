/** Expressions of HCL's native syntax: operators, postfix traversals and splats, collections, for. */
import type { Expr, ObjectItem } from './ast.js';
import { DepthError, isDigit, isIdentStart, scanIdent, scanNumber, skipSpace } from './lexer.js';
import { ParserBase } from './parse-base.js';

const MAX_CHAIN = 1000;
/** What makes a quoted string more than its text. */
const PLAIN_SPECIAL = /[\\$%\n]/;
const PREC: Readonly<Record<string, number>> = { '||': 0, '&&': 1, '==': 2, '!=': 2, '<': 3, '>': 3, '<=': 3, '>=': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5 };
export abstract class ExprParser extends ParserBase {
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

  /** The binary operator at the next significant offset, or null. */
  protected peekOp(): string | null {
    this.ws();
    const t = this.t;
    const i = this.i;
    const d = t.charCodeAt(i + 1);
    switch (t.charCodeAt(i)) {
      case 124: // |
        return d === 124 ? '||' : null;
      case 38: // &
        return d === 38 ? '&&' : null;
      case 61: // =
        return d === 61 ? '==' : null;
      case 33: // !
        return d === 61 ? '!=' : null;
      case 60: // <
        return d === 61 ? '<=' : d === 60 ? null : '<';
      case 62: // >
        return d === 61 ? '>=' : '>';
      case 43:
        return '+';
      case 45:
        return '-';
      case 42:
        return '*';
      case 47:
        return '/';
      case 37:
        return '%';
      default:
        return null;
    }
  }

  /** Precedence climbing over HCL's six binary levels, left-associative. */
  protected parseBin(minPrec: number): Expr {
    let left = this.parseUnary();
    for (let n = 0; ; n++) {
      const op = this.peekOp();
      const prec = op === null ? undefined : PREC[op];
      if (prec === undefined || prec < minPrec) return left;
      // A left-deep chain is evaluated recursively: cap it like nesting.
      if (n >= MAX_CHAIN) throw new DepthError(this.i, `expression too long (more than ${MAX_CHAIN} operators in a row)`);
      this.i += (op as string).length;
      this.i = skipSpace(this.t, this.i, true);
      const right = this.parseBin(prec + 1);
      left = { k: 'binary', op: op as never, left, right, f: this.f, s: left.s, e: right.e };
    }
  }

  protected parseUnary(): Expr {
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

  protected parsePostfix(): Expr {
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
  protected parseTraversalStep(_anchor: Expr, obj: Expr, allowIndex: boolean): Expr | null {
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

  protected parseIndex(obj: Expr): Expr {
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
  protected parseSplat(obj: Expr, full: boolean): Expr {
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

  protected parsePrimary(): Expr {
    const t = this.t;
    const s = this.ws();
    const c = t.charCodeAt(s);
    if (isDigit(c)) {
      this.i = scanNumber(t, s);
      return { k: 'lit', value: Number(t.slice(s, this.i)), f: this.f, s, e: this.i };
    }
    if (c === 34) {
      // Most strings are plain: no escapes, interpolations or directives.
      const close = t.indexOf('"', s + 1);
      if (close !== -1 && close < this.end) {
        const value = t.slice(s + 1, close);
        if (!PLAIN_SPECIAL.test(value)) {
          this.i = close + 1;
          return { k: 'lit', value, f: this.f, s, e: this.i };
        }
      }
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
      this.i = scanIdent(t, s);
      const name = t.slice(s, this.i);
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

  protected parseCall(name: string, s: number): Expr {
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

  protected isForKeyword(): boolean {
    const t = this.t;
    if (!t.startsWith('for', this.i) || scanIdent(t, this.i) !== this.i + 3) return false;
    const j = skipSpace(t, this.i + 3, true);
    return isIdentStart(t, j);
  }

  protected parseTuple(): Expr {
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

  protected parseObject(): Expr {
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

  protected parseFor(s: number, object: boolean): Expr {
    this.i += 3;
    const { keyVar, valVar, coll } = this.forHead('a for expression');
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

}
