/**
 * The syntax tree of HCL's native syntax (https://github.com/hashicorp/hcl/blob/main/hclsyntax/spec.md),
 * shared by the JSON syntax reader (json-syntax.ts), which builds the same nodes. Every node carries its
 * file and start/end offsets (UTF-16 indices into the text); line, column and byte offset are computed on
 * demand from the file's line table (locate), so the parser allocates nothing per position.
 */
import type { Value } from './value.js';

export interface SourceFile {
  name: string;
  text: string;
  /** Offsets where each line starts; lineStarts[0] = 0. */
  lineStarts: number[];
}

export interface Location {
  line: number;
  column: number;
  /** Byte offset (UTF-8) from the start of the file. */
  byte: number;
}

export function makeSourceFile(name: string, text: string): SourceFile {
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  return { name, text, lineStarts };
}

export function locate(f: SourceFile, off: number): Location {
  const ls = f.lineStarts;
  let lo = 0;
  let hi = ls.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((ls[mid] as number) <= off) lo = mid;
    else hi = mid - 1;
  }
  const start = ls[lo] as number;
  // Columns count characters (code points), as HCL's do; the byte offset is UTF-8.
  const linePart = f.text.slice(start, off);
  let column = 1;
  for (const _ of linePart) column++;
  const byte = Buffer.byteLength(f.text.slice(0, start)) + Buffer.byteLength(linePart);
  return { line: lo + 1, column, byte };
}

interface NodeBase {
  f: SourceFile;
  /** Start offset. */
  s: number;
  /** End offset (exclusive). */
  e: number;
}

export interface LiteralExpr extends NodeBase {
  k: 'lit';
  value: Value;
}
export type TemplatePart =
  | { k: 'str'; value: string }
  | { k: 'interp'; expr: Expr }
  | { k: 'if'; cond: Expr; then: TemplatePart[]; else: TemplatePart[] | null }
  | { k: 'for'; keyVar: string | null; valVar: string; coll: Expr; body: TemplatePart[] };
export interface TemplateExpr extends NodeBase {
  k: 'template';
  parts: TemplatePart[];
}
export interface VarExpr extends NodeBase {
  k: 'var';
  name: string;
}
export interface GetAttrExpr extends NodeBase {
  k: 'getattr';
  obj: Expr;
  name: string;
}
export interface IndexExpr extends NodeBase {
  k: 'index';
  obj: Expr;
  key: Expr;
  /** `a.0` (legacy index syntax). */
  legacy?: boolean;
}
/** `obj[*].each` / `obj.*.each`: `each` is evaluated per element with the element bound to the anchor. */
export interface SplatExpr extends NodeBase {
  k: 'splat';
  obj: Expr;
  each: Expr;
}
export interface AnchorExpr extends NodeBase {
  k: 'anchor';
}
export interface CallExpr extends NodeBase {
  k: 'call';
  name: string;
  args: Expr[];
  /** The last argument is followed by `...`. */
  expand: boolean;
}
export interface TupleExpr extends NodeBase {
  k: 'tuple';
  items: Expr[];
}
export interface ObjectItem {
  key: Expr;
  /** The key was a bare identifier (a literal string, never a variable). */
  ident: boolean;
  value: Expr;
}
export interface ObjectExpr extends NodeBase {
  k: 'object';
  items: ObjectItem[];
}
export interface UnaryExpr extends NodeBase {
  k: 'unary';
  op: '!' | '-';
  operand: Expr;
}
export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '+' | '-' | '*' | '/' | '%';
export interface BinaryExpr extends NodeBase {
  k: 'binary';
  op: BinaryOp;
  left: Expr;
  right: Expr;
}
export interface CondExpr extends NodeBase {
  k: 'cond';
  cond: Expr;
  then: Expr;
  else: Expr;
}
export interface ForExpr extends NodeBase {
  k: 'for';
  keyVar: string | null;
  valVar: string;
  coll: Expr;
  /** Object form only. */
  keyExpr: Expr | null;
  valExpr: Expr;
  cond: Expr | null;
  /** `...` after the value: group values by key (object form). */
  group: boolean;
  object: boolean;
}
export interface ParenExpr extends NodeBase {
  k: 'paren';
  expr: Expr;
}

export type Expr =
  | LiteralExpr
  | TemplateExpr
  | VarExpr
  | GetAttrExpr
  | IndexExpr
  | SplatExpr
  | AnchorExpr
  | CallExpr
  | TupleExpr
  | ObjectExpr
  | UnaryExpr
  | BinaryExpr
  | CondExpr
  | ForExpr
  | ParenExpr;

export interface Attribute {
  name: string;
  expr: Expr;
  f: SourceFile;
  /** Offset of the name. */
  s: number;
}
export interface BlockLabel {
  value: string;
  s: number;
}
export interface Block {
  type: string;
  labels: BlockLabel[];
  body: Body;
  f: SourceFile;
  s: number;
}
export interface Body {
  attributes: Attribute[];
  blocks: Block[];
  f: SourceFile;
  /** Offset of the body's opening brace (0 for a file). */
  s: number;
}

/** Function names called anywhere in an expression (for user functions' cycle check). */
export function callsIn(expr: Expr, out: Set<string>): void {
  const stack: Expr[] = [expr];
  const parts = (ps: TemplatePart[]): void => {
    for (const p of ps) {
      if (p.k === 'interp') stack.push(p.expr);
      else if (p.k === 'if') {
        stack.push(p.cond);
        parts(p.then);
        if (p.else) parts(p.else);
      } else if (p.k === 'for') {
        stack.push(p.coll);
        parts(p.body);
      }
    }
  };
  while (stack.length > 0) {
    const e = stack.pop() as Expr;
    switch (e.k) {
      case 'call':
        out.add(e.name);
        stack.push(...e.args);
        break;
      case 'template':
        parts(e.parts);
        break;
      case 'getattr':
        stack.push(e.obj);
        break;
      case 'index':
        stack.push(e.obj, e.key);
        break;
      case 'splat':
        stack.push(e.obj, e.each);
        break;
      case 'tuple':
        stack.push(...e.items);
        break;
      case 'object':
        for (const it of e.items) stack.push(it.key, it.value);
        break;
      case 'unary':
        stack.push(e.operand);
        break;
      case 'binary':
        stack.push(e.left, e.right);
        break;
      case 'cond':
        stack.push(e.cond, e.then, e.else);
        break;
      case 'for':
        stack.push(e.coll, e.valExpr);
        if (e.keyExpr) stack.push(e.keyExpr);
        if (e.cond) stack.push(e.cond);
        break;
      case 'paren':
        stack.push(e.expr);
        break;
      default:
        break;
    }
  }
}
