/**
 * Evaluates HCL expressions over the Value model, as hclsyntax's Expression.Value does with cty.
 * Names are looked up in local scopes (for-expression, template %{for}, function parameters, matrix
 * axes), then through the host (bake's variables, attributes, functions, `target.NAME.ATTR`), which
 * evaluates them lazily. Every error is an HclError at the offending node.
 */
import type { CallExpr, Expr, SourceFile, TemplatePart, VarExpr } from './ast.js';
import { ConvertError, newObject, sortedKeys, toBoolValue, toNumberValue, toStringValue, typeName, valuesEqual } from './convert.js';
import { isObject, type Value, type ValueObject } from './value.js';
import { suggest } from '../suggest.js';

export class HclError extends Error {
  constructor(
    readonly f: SourceFile,
    readonly s: number,
    message: string,
    readonly suggestion?: string,
  ) {
    super(message);
    this.name = 'HclError';
  }
}

/** Errors that try()/can() must not swallow (runaway recursion, cycles). */
export class FatalHclError extends HclError {}

export interface EvalHost {
  /** A global name (variable, attribute, built-in); throws HclError when it does not exist. */
  lookup(name: string, node: VarExpr): Value;
  call(name: string, args: Value[], node: CallExpr): Value;
  /** `type.NAME.ATTR` (attr non-null) or `type.NAME` for a block type; undefined when `type` is not one. */
  blockRef(type: string, name: string, attr: string | null, node: Expr): Value | undefined;
  isBlockType(name: string): boolean;
}

export class Scope {
  constructor(
    readonly vars: Readonly<Record<string, Value>>,
    readonly parent: Scope | null,
  ) {}
  get(name: string): Value | undefined {
    for (let s: Scope | null = this; s; s = s.parent) if (Object.hasOwn(s.vars, name)) return s.vars[name] as Value;
    return undefined;
  }
}

/** Lists built by for-expressions and templates are capped (a `range()` bomb in disguise). */
export const MAX_COLLECTION = 1_000_000;

export class Evaluator {
  constructor(readonly host: EvalHost) {}

  eval(e: Expr, scope: Scope | null, anchor?: Value): Value {
    switch (e.k) {
      case 'lit':
        return e.value;
      case 'template':
        return this.template(e.parts, scope, e);
      case 'var': {
        const local = scope?.get(e.name);
        if (local !== undefined) return local;
        return this.host.lookup(e.name, e);
      }
      case 'paren':
        return this.eval(e.expr, scope, anchor);
      case 'anchor':
        return anchor === undefined ? null : anchor;
      case 'getattr': {
        const ref = this.blockTraversal(e, scope);
        if (ref !== undefined) return ref;
        return this.getAttr(this.eval(e.obj, scope, anchor), e.name, e);
      }
      case 'index': {
        const ref = this.blockTraversal(e, scope);
        if (ref !== undefined) return ref;
        const obj = this.eval(e.obj, scope, anchor);
        return this.index(obj, this.eval(e.key, scope), e);
      }
      case 'splat': {
        const obj = this.eval(e.obj, scope, anchor);
        if (obj === null) return [];
        const items = Array.isArray(obj) ? obj : [obj];
        return items.map((it) => this.eval(e.each, scope, it));
      }
      case 'call':
        return this.call(e, scope);
      case 'tuple':
        return e.items.map((it) => this.eval(it, scope, anchor));
      case 'object': {
        const o = newObject();
        for (const it of e.items) {
          const k = it.ident ? (it.key as { value: string }).value : this.eval(it.key, scope);
          if (k === null) throw new HclError(e.f, it.key.s, 'an object key must not be null');
          o[this.str(k, it.key, 'an object key')] = this.eval(it.value, scope, anchor);
        }
        return o;
      }
      case 'unary': {
        const v = this.eval(e.operand, scope, anchor);
        if (e.op === '!') return !this.bool(v, e.operand, 'the operand of !');
        return -this.num(v, e.operand, 'the operand of -');
      }
      case 'binary':
        return this.binary(e.op, e.left, e.right, scope, anchor);
      case 'cond':
        return this.cond(e.cond, e.then, e.else, scope, anchor);
      case 'for':
        return this.forExpr(e, scope);
    }
  }

  private blockTraversal(e: Expr & { k: 'getattr' | 'index' }, scope: Scope | null): Value | undefined {
    const inner = e.obj;
    const key = (x: Expr & { k: 'getattr' | 'index' }): string => (x.k === 'getattr' ? x.name : this.str(this.eval(x.key, scope), x.key, 'a block name'));
    if (inner.k === 'var' && this.host.isBlockType(inner.name) && scope?.get(inner.name) === undefined) {
      return this.host.blockRef(inner.name, key(e), null, e);
    }
    if ((inner.k === 'getattr' || inner.k === 'index') && inner.obj.k === 'var' && this.host.isBlockType(inner.obj.name) && scope?.get(inner.obj.name) === undefined) {
      return this.host.blockRef(inner.obj.name, key(inner), key(e), e);
    }
    return undefined;
  }

  str(v: Value, at: Expr, what: string): string {
    try {
      return toStringValue(v);
    } catch (err) {
      throw this.convertError(err, at, what);
    }
  }
  num(v: Value, at: Expr, what: string): number {
    try {
      return toNumberValue(v);
    } catch (err) {
      throw this.convertError(err, at, what);
    }
  }
  bool(v: Value, at: Expr, what: string): boolean {
    try {
      return toBoolValue(v);
    } catch (err) {
      throw this.convertError(err, at, what);
    }
  }
  private convertError(err: unknown, at: Expr, what: string): unknown {
    if (err instanceof ConvertError) return new HclError(at.f, at.s, `unsuitable value for ${what}: ${err.message}`);
    return err;
  }

  getAttr(obj: Value, name: string, e: Expr): Value {
    if (isObject(obj)) {
      if (Object.hasOwn(obj, name)) return obj[name] as Value;
      throw new HclError(e.f, attrOffset(e), `unsupported attribute: this object has no attribute named "${name}"`, closest(name, Object.keys(obj)));
    }
    if (obj === null) throw new HclError(e.f, attrOffset(e), `cannot get attribute "${name}" from a null value`);
    if (Array.isArray(obj)) throw new HclError(e.f, attrOffset(e), `cannot get attribute "${name}" from a list: index an element ([0]) or use a splat ([*].${name})`);
    throw new HclError(e.f, attrOffset(e), `cannot get attribute "${name}" from a ${typeName(obj)} value`);
  }

  index(obj: Value, key: Value, e: Expr & { k: 'index' }): Value {
    if (obj === null) throw new HclError(e.f, e.key.s, 'cannot index a null value');
    if (key === null) throw new HclError(e.f, e.key.s, 'an index must not be null');
    if (Array.isArray(obj)) {
      const n = this.num(key, e.key, 'an index');
      if (!Number.isInteger(n) || n < 0 || n >= obj.length) {
        throw new HclError(e.f, e.key.s, `invalid index ${this.str(key, e.key, 'an index')}: the list has ${obj.length} element${obj.length === 1 ? '' : 's'}`);
      }
      return obj[n] as Value;
    }
    if (isObject(obj)) {
      const k = this.str(key, e.key, 'a key');
      if (Object.hasOwn(obj, k)) return obj[k] as Value;
      throw new HclError(e.f, e.key.s, `invalid index: no element has the key "${k}"`, closest(k, Object.keys(obj)));
    }
    throw new HclError(e.f, e.key.s, `cannot index a ${typeName(obj)} value`);
  }

  private template(parts: TemplatePart[], scope: Scope | null, e: Expr): Value {
    const only = parts[0];
    if (parts.length === 1 && only?.k === 'interp') return this.eval(only.expr, scope);
    return this.templateString(parts, scope, e);
  }

  private templateString(parts: TemplatePart[], scope: Scope | null, e: Expr): string {
    let out = '';
    for (const p of parts) {
      switch (p.k) {
        case 'str':
          out += p.value;
          break;
        case 'interp': {
          const v = this.eval(p.expr, scope);
          if (v === null) throw new HclError(p.expr.f, p.expr.s, 'invalid template interpolation value: the expression result is null, and a null value cannot be included in a string template');
          if (typeof v === 'object') throw new HclError(p.expr.f, p.expr.s, `invalid template interpolation value: a ${typeName(v)} cannot be included in a string template (a string is required)`);
          out += toStringValue(v);
          break;
        }
        case 'if': {
          const c = this.eval(p.cond, scope);
          if (c === null) throw new HclError(p.cond.f, p.cond.s, 'the %{if} condition is null; it must be true or false');
          if (this.bool(c, p.cond, 'the %{if} condition')) out += this.templateString(p.then, scope, e);
          else if (p.else) out += this.templateString(p.else, scope, e);
          break;
        }
        case 'for': {
          const coll = this.eval(p.coll, scope);
          for (const [k, v] of this.iterate(coll, p.coll)) {
            const vars: Record<string, Value> = { [p.valVar]: v };
            if (p.keyVar !== null) vars[p.keyVar] = k;
            out += this.templateString(p.body, new Scope(vars, scope), e);
            if (out.length > 64 * MAX_COLLECTION) throw new HclError(p.coll.f, p.coll.s, 'the %{for} directive produces a string too large');
          }
          break;
        }
      }
    }
    return out;
  }

  private iterate(coll: Value, at: Expr): [Value, Value][] {
    if (coll === null) throw new HclError(at.f, at.s, 'iteration over a null value: the collection of a for must not be null');
    if (Array.isArray(coll)) return coll.map((v, i) => [i, v]);
    if (isObject(coll)) return sortedKeys(coll).map((k) => [k, coll[k] as Value]);
    throw new HclError(at.f, at.s, `iteration over a ${typeName(coll)} value: a for needs a list, set, tuple, map or object`);
  }

  private forExpr(e: Expr & { k: 'for' }, scope: Scope | null): Value {
    const coll = this.eval(e.coll, scope);
    const entries = this.iterate(coll, e.coll);
    const tuple: Value[] = [];
    const obj = newObject();
    const groups = new Map<string, Value[]>();
    for (const [k, v] of entries) {
      const vars: Record<string, Value> = { [e.valVar]: v };
      if (e.keyVar !== null) vars[e.keyVar] = k;
      const inner = new Scope(vars, scope);
      if (e.cond) {
        const c = this.eval(e.cond, inner);
        if (c === null) throw new HclError(e.cond.f, e.cond.s, 'the for expression\'s "if" condition is null; it must be true or false');
        if (!this.bool(c, e.cond, 'the "if" condition')) continue;
      }
      if (!e.object) {
        tuple.push(this.eval(e.valExpr, inner));
        if (tuple.length > MAX_COLLECTION) throw new HclError(e.f, e.s, `the for expression produces more than ${MAX_COLLECTION} elements`);
        continue;
      }
      const keyExpr = e.keyExpr as Expr;
      const kv = this.eval(keyExpr, inner);
      if (kv === null) throw new HclError(keyExpr.f, keyExpr.s, 'a for expression produced a null key');
      const key = this.str(kv, keyExpr, 'an object key');
      const val = this.eval(e.valExpr, inner);
      if (e.group) {
        const g = groups.get(key);
        if (g) g.push(val);
        else groups.set(key, [val]);
      } else {
        if (Object.hasOwn(obj, key)) {
          throw new HclError(keyExpr.f, keyExpr.s, `duplicate object key "${key}" in the for expression; add "..." after the value expression to group values by key`);
        }
        obj[key] = val;
      }
    }
    if (!e.object) return tuple;
    if (e.group) for (const [k, g] of groups) obj[k] = g;
    return obj;
  }

  private binary(op: string, le: Expr, re: Expr, scope: Scope | null, anchor: Value | undefined): Value {
    const l = this.eval(le, scope, anchor);
    if (op === '&&' || op === '||') {
      if (l === null) throw new HclError(le.f, le.s, `the left operand of ${op} is null; it must be true or false`);
      const lb = this.bool(l, le, `the left operand of ${op}`);
      // HCL (as bake runs it) evaluates both operands: `x != null && x.a` fails when x is null.
      const r = this.eval(re, scope, anchor);
      if (r === null) throw new HclError(re.f, re.s, `the right operand of ${op} is null; it must be true or false`);
      const rb = this.bool(r, re, `the right operand of ${op}`);
      return op === '&&' ? lb && rb : lb || rb;
    }
    const r = this.eval(re, scope, anchor);
    if (op === '==') return valuesEqual(l, r);
    if (op === '!=') return !valuesEqual(l, r);
    if (l === null) throw new HclError(le.f, le.s, `the left operand of ${op} is null; a number is required`);
    if (r === null) throw new HclError(re.f, re.s, `the right operand of ${op} is null; a number is required`);
    const a = this.num(l, le, `the left operand of ${op}`);
    const b = this.num(r, re, `the right operand of ${op}`);
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        if (b === 0) throw new HclError(re.f, re.s, 'division by zero');
        return a / b;
      case '%':
        if (b === 0) throw new HclError(re.f, re.s, 'modulo by zero');
        // cty's modulo keeps the dividend's sign, as JS's % does.
        return a % b;
      case '<':
        return a < b;
      case '>':
        return a > b;
      case '<=':
        return a <= b;
      default:
        return a >= b;
    }
  }

  private cond(ce: Expr, te: Expr, fe: Expr, scope: Scope | null, anchor: Value | undefined): Value {
    const c = this.eval(ce, scope, anchor);
    if (c === null) throw new HclError(ce.f, ce.s, 'the condition is null; it must be true or false');
    const yes = this.bool(c, ce, 'the condition');
    const v = this.eval(yes ? te : fe, scope, anchor);
    // cty unifies both results' types: a number or bool beside a string becomes a string.
    if (typeof v === 'number' || typeof v === 'boolean') {
      const other = this.peek(yes ? fe : te, scope, anchor);
      if (typeof other === 'string') return toStringValue(v);
    }
    return v;
  }

  /** The value of an expression, or undefined when it fails (for type unification only). */
  private peek(e: Expr, scope: Scope | null, anchor: Value | undefined): Value | undefined {
    if (e.k === 'lit') return e.value;
    if (e.k === 'template' && !(e.parts.length === 1 && e.parts[0]?.k === 'interp')) return '';
    try {
      return this.eval(e, scope, anchor);
    } catch (err) {
      if (err instanceof FatalHclError || !(err instanceof HclError)) throw err;
      return undefined;
    }
  }

  private call(e: CallExpr, scope: Scope | null): Value {
    if (e.name === 'try' || e.name === 'can') return this.tryCan(e, scope);
    // convert(value, type): the type is an expression of its own (list(string)), not a value; the stdlib
    // reads it from its source text, as hcl's typeexpr reads the traversal.
    if (e.name === 'convert' && e.args.length === 2 && !e.expand) {
      const t = e.args[1] as Expr;
      return this.host.call(e.name, [this.eval(e.args[0] as Expr, scope), t.f.text.slice(t.s, t.e)], e);
    }
    const args: Value[] = [];
    for (let i = 0; i < e.args.length; i++) {
      const a = e.args[i] as Expr;
      const v = this.eval(a, scope);
      if (e.expand && i === e.args.length - 1) {
        if (v === null) throw new HclError(a.f, a.s, 'the argument expanded with ... must not be null');
        if (!Array.isArray(v)) throw new HclError(a.f, a.s, `the argument expanded with ... must be a list, set or tuple, not ${typeName(v)}`);
        args.push(...v);
      } else args.push(v);
    }
    return this.host.call(e.name, args, e);
  }

  private tryCan(e: CallExpr, scope: Scope | null): Value {
    if (e.expand) throw new HclError(e.f, e.s, `${e.name}() does not accept an expanded (...) argument`);
    if (e.name === 'can' && e.args.length !== 1) throw new HclError(e.f, e.s, `can() takes exactly one argument, not ${e.args.length}`);
    if (e.name === 'try' && e.args.length === 0) throw new HclError(e.f, e.s, 'try() needs at least one argument');
    let last: HclError | undefined;
    for (const a of e.args) {
      try {
        const v = this.eval(a, scope);
        return e.name === 'can' ? true : v;
      } catch (err) {
        if (err instanceof FatalHclError || !(err instanceof HclError)) throw err;
        last = err;
      }
    }
    if (e.name === 'can') return false;
    throw new HclError(e.f, e.s, `try(): no expression succeeded; the last error: ${last?.message ?? ''}`);
  }
}

function attrOffset(e: Expr): number {
  // Point at the attribute name, after the dot.
  const t = e.f.text;
  const dot = t.lastIndexOf('.', e.e - 1);
  return dot >= e.s ? dot + 1 : e.s;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  return suggest(word, candidates);
}

export type { ValueObject };
