/**
 * HCL's JSON syntax (https://github.com/hashicorp/hcl/blob/main/json/spec.md) as bake reads
 * docker-bake.json: a JSON tokenizer with positions, then the body mapped with bake's schema —
 * `variable`, `function`, `target`, `group` (and tsbake's `builder`) are blocks keyed by label, every
 * other top-level property is an attribute; strings are templates (`${…}` evaluated, `$${` literal).
 */
import type { Attribute, Block, Body, Expr, ObjectItem, SourceFile } from './ast.js';
import { makeSourceFile } from './ast.js';
import { MAX_DEPTH, SyntaxError_ } from './lexer.js';
import { parseExpression, parseTemplate, type ParseResult } from './parser.js';

type JNode =
  | { k: 'str'; s: number; e: number; value: string; raw: boolean }
  | { k: 'num'; s: number; e: number; value: number }
  | { k: 'lit'; s: number; e: number; value: boolean | null }
  | { k: 'arr'; s: number; e: number; items: JNode[] }
  | { k: 'obj'; s: number; e: number; props: { key: JNode & { k: 'str' }; value: JNode }[] };

const BLOCKS = new Set(['variable', 'function', 'target', 'group', 'builder']);

class JsonReader {
  i = 0;
  depth = 0;
  constructor(readonly t: string) {}
  ws(): void {
    const t = this.t;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || (c === 0xfeff && this.i === 0)) this.i++;
      else return;
    }
  }
  fail(msg: string, at = this.i): never {
    throw new SyntaxError_(at, `invalid JSON: ${msg}`);
  }
  value(): JNode {
    this.ws();
    const s = this.i;
    const c = this.t[s];
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_DEPTH) throw new SyntaxError_(s, `nesting too deep (more than ${MAX_DEPTH} levels)`);
      const n = c === '{' ? this.object() : this.array();
      this.depth--;
      return n;
    }
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      const m = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
      m.lastIndex = s;
      if (!m.test(this.t)) this.fail('invalid number');
      this.i = m.lastIndex;
      return { k: 'num', s, e: this.i, value: Number(this.t.slice(s, this.i)) };
    }
    for (const [w, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.t.startsWith(w, s)) {
        this.i += w.length;
        return { k: 'lit', s, e: this.i, value: v };
      }
    }
    this.fail(s >= this.t.length ? 'unexpected end of file' : `unexpected ${JSON.stringify(c)}`);
  }
  string(): JNode & { k: 'str' } {
    const s = this.i;
    const t = this.t;
    let j = s + 1;
    let raw = true;
    for (;;) {
      const c = t.charCodeAt(j);
      if (Number.isNaN(c) || c === 10) this.fail('unterminated string', s);
      if (c === 34) break;
      if (c === 92) {
        raw = false;
        j += 2;
        continue;
      }
      j++;
    }
    this.i = j + 1;
    let value: string;
    try {
      value = raw ? t.slice(s + 1, j) : (JSON.parse(t.slice(s, j + 1)) as string);
    } catch {
      this.fail('invalid escape sequence in string', s);
    }
    return { k: 'str', s, e: this.i, value, raw };
  }
  array(): JNode {
    const s = this.i++;
    const items: JNode[] = [];
    this.ws();
    if (this.t[this.i] === ']') {
      this.i++;
      return { k: 'arr', s, e: this.i, items };
    }
    for (;;) {
      items.push(this.value());
      this.ws();
      const c = this.t[this.i++];
      if (c === ']') return { k: 'arr', s, e: this.i, items };
      if (c !== ',') this.fail('expected "," or "]"', this.i - 1);
    }
  }
  object(): JNode {
    const s = this.i++;
    const props: { key: JNode & { k: 'str' }; value: JNode }[] = [];
    this.ws();
    if (this.t[this.i] === '}') {
      this.i++;
      return { k: 'obj', s, e: this.i, props };
    }
    for (;;) {
      this.ws();
      if (this.t[this.i] !== '"') this.fail('expected a property name in double quotes');
      const key = this.string();
      this.ws();
      if (this.t[this.i] !== ':') this.fail('expected ":" after a property name');
      this.i++;
      props.push({ key, value: this.value() });
      this.ws();
      const c = this.t[this.i++];
      if (c === '}') return { k: 'obj', s, e: this.i, props };
      if (c !== ',') this.fail('expected "," or "}"', this.i - 1);
    }
  }
}

export function parseJsonBody(file: string, text: string): ParseResult {
  const f = makeSourceFile(file, text);
  const r = new JsonReader(text);
  const diagnostics: ParseResult['diagnostics'] = [];
  const body: Body = { attributes: [], blocks: [], f, s: 0 };
  try {
    const root = r.value();
    r.ws();
    if (r.i < text.length) r.fail('unexpected text after the top-level object');
    if (root.k !== 'obj') r.fail('the top level of a bake JSON file must be an object', root.s);
    const conv = new Converter(f, diagnostics);
    conv.body(root as JNode & { k: 'obj' }, body, true);
  } catch (err) {
    if (!(err instanceof SyntaxError_)) throw err;
    diagnostics.push({ f, off: err.off, message: err.message });
  }
  return { body, diagnostics };
}

class Converter {
  constructor(
    readonly f: SourceFile,
    readonly diags: ParseResult['diagnostics'],
  ) {}

  body(o: JNode & { k: 'obj' }, body: Body, top: boolean, blockType?: string): void {
    for (const { key, value } of o.props) {
      if (key.value === '//') continue;
      if (top && BLOCKS.has(key.value)) {
        if (value.k !== 'obj') {
          this.diags.push({ f: this.f, off: value.s, message: `"${key.value}" must be an object of blocks by name, e.g. {"app": {…}}` });
          continue;
        }
        for (const p of value.props) this.blocks(key.value, [p.key], p.value, body);
        continue;
      }
      if (blockType === 'variable' && key.value === 'validation') {
        this.blocks('validation', [], value, body);
        continue;
      }
      const expr = blockType === 'variable' && key.value === 'type' && value.k === 'str' ? this.nativeExpr(value) : this.expr(value);
      if (expr) body.attributes.push({ name: key.value, expr, f: this.f, s: key.s } satisfies Attribute);
    }
  }

  private blocks(type: string, labels: (JNode & { k: 'str' })[], value: JNode, into: Body): void {
    const list = value.k === 'arr' ? value.items : [value];
    for (const v of list) {
      if (v.k !== 'obj') {
        this.diags.push({ f: this.f, off: v.s, message: `a ${type} block must be a JSON object` });
        continue;
      }
      const inner: Body = { attributes: [], blocks: [], f: this.f, s: v.s };
      this.body(v, inner, false, type);
      const block: Block = { type, labels: labels.map((l) => ({ value: l.value, s: l.s })), body: inner, f: this.f, s: labels[0]?.s ?? v.s };
      into.blocks.push(block);
    }
  }

  /** A JSON string holding a native-syntax expression (a variable's type). */
  private nativeExpr(n: JNode & { k: 'str' }): Expr | null {
    const { f, start, end } = this.stringSource(n);
    const r = parseExpression(f, start, end);
    this.diags.push(...r.diagnostics);
    return r.expr;
  }

  private stringSource(n: JNode & { k: 'str' }): { f: SourceFile; start: number; end: number } {
    if (n.raw) return { f: this.f, start: n.s + 1, end: n.e - 1 };
    // Escapes: parse the decoded text in place of the raw one, so offsets before the string stay true.
    const t = this.f.text;
    const text = t.slice(0, n.s + 1) + n.value + ' '.repeat(Math.max(0, n.e - n.s - 2 - n.value.length)) + t.slice(n.e - 1);
    const f = makeSourceFile(this.f.name, text);
    return { f, start: n.s + 1, end: n.s + 1 + n.value.length };
  }

  expr(n: JNode): Expr | null {
    const f = this.f;
    switch (n.k) {
      case 'num':
      case 'lit':
        return { k: 'lit', value: n.value, f, s: n.s, e: n.e };
      case 'str': {
        if (!n.value.includes('{')) return { k: 'lit', value: n.value, f, s: n.s, e: n.e };
        const src = this.stringSource(n);
        const r = parseTemplate(src.f, src.start, src.end);
        this.diags.push(...r.diagnostics);
        return r.expr ? { ...r.expr, s: n.s } : null;
      }
      case 'arr': {
        const items: Expr[] = [];
        for (const it of n.items) {
          const e = this.expr(it);
          if (e) items.push(e);
        }
        return { k: 'tuple', items, f, s: n.s, e: n.e };
      }
      case 'obj': {
        const items: ObjectItem[] = [];
        for (const p of n.props) {
          const key = this.expr(p.key);
          const value = this.expr(p.value);
          if (key && value) items.push({ key, ident: key.k === 'lit', value });
        }
        return { k: 'object', items, f, s: n.s, e: n.e };
      }
    }
  }
}
