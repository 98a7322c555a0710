/**
 * Type constraints for a variable's `type` (hcl's ext/typeexpr): string, number, bool, any, list(T),
 * set(T), map(T), tuple([...]), object({...}) with optional(T), and conversion of values to them as
 * cty's convert package does.
 */
import type { Expr } from './ast.js';
import { ConvertError, newObject, sortedKeys, toBoolValue, toNumberValue, toStringValue, typeName, valuesEqual } from './convert.js';
import { HclError } from './eval-expr.js';
import { isObject, type Value } from './value.js';

export type CtyType =
  | { k: 'string' | 'number' | 'bool' | 'any' }
  | { k: 'list' | 'set' | 'map'; elem: CtyType }
  | { k: 'tuple'; elems: CtyType[] }
  | { k: 'object'; attrs: Record<string, { type: CtyType; optional: boolean }> };

export function isPrimitive(t: CtyType): boolean {
  return t.k === 'string' || t.k === 'number' || t.k === 'bool';
}

/** A type expression's constraint; null when the expression is `null` (no type given). */
export function parseTypeExpr(e: Expr): CtyType | null {
  if (e.k === 'lit' && e.value === null) return null;
  return typeOf(e, false) as CtyType;
}

function typeOf(e: Expr, inObject: boolean): CtyType | { optional: CtyType } {
  if (e.k === 'paren') return typeOf(e.expr, inObject);
  if (e.k === 'var') {
    if (e.name === 'string' || e.name === 'number' || e.name === 'bool' || e.name === 'any') return { k: e.name };
    if (['list', 'set', 'map', 'tuple', 'object'].includes(e.name)) throw new HclError(e.f, e.s, `the ${e.name} type constructor needs an argument, e.g. ${e.name === 'tuple' ? 'tuple([string])' : e.name === 'object' ? 'object({name = string})' : `${e.name}(string)`}`);
    throw new HclError(e.f, e.s, `unknown type "${e.name}": expected string, number, bool, any, list(…), set(…), map(…), tuple([…]) or object({…})`);
  }
  if (e.k === 'call') {
    const one = (): Expr => {
      if (e.args.length !== 1) throw new HclError(e.f, e.s, `the ${e.name}() type constructor takes exactly one argument`);
      return e.args[0] as Expr;
    };
    switch (e.name) {
      case 'list':
      case 'set':
      case 'map':
        return { k: e.name, elem: typeOf(one(), false) as CtyType };
      case 'tuple': {
        const a = one();
        if (a.k !== 'tuple') throw new HclError(a.f, a.s, 'tuple() needs a list of element types, e.g. tuple([string, number])');
        return { k: 'tuple', elems: a.items.map((x) => typeOf(x, false) as CtyType) };
      }
      case 'object': {
        const a = one();
        if (a.k !== 'object') throw new HclError(a.f, a.s, 'object() needs an object of attribute types, e.g. object({name = string})');
        const attrs: Record<string, { type: CtyType; optional: boolean }> = Object.create(null);
        for (const it of a.items) {
          const name = it.key.k === 'lit' && typeof it.key.value === 'string' ? it.key.value : it.key.k === 'var' ? it.key.name : null;
          if (name === null) throw new HclError(it.key.f, it.key.s, 'an object type attribute name must be an identifier');
          const t = typeOf(it.value, true);
          attrs[name] = 'optional' in t ? { type: t.optional, optional: true } : { type: t, optional: false };
        }
        return { k: 'object', attrs };
      }
      case 'optional':
        if (!inObject) throw new HclError(e.f, e.s, 'optional() is only allowed for an attribute of object({…})');
        return { optional: typeOf(one(), false) as CtyType };
      default:
        throw new HclError(e.f, e.s, `unknown type constructor "${e.name}()"`);
    }
  }
  throw new HclError(e.f, e.s, 'a type must be a type keyword (string, number, bool, any) or constructor (list(string), …)');
}

/** cty's FriendlyNameForConstraint, as `--list variables` prints it. */
export function friendlyName(t: CtyType): string {
  switch (t.k) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.k} of ${friendlyName(t.elem)}`;
    case 'any':
      return 'any type';
    default:
      return t.k;
  }
}

/** cty's JSON form of a value's type (json.MarshalType), for values of type `any`. */
export function impliedTypeJson(v: Value): unknown {
  if (v === null) return 'dynamic';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return ['tuple', v.map(impliedTypeJson)];
  const o: Record<string, unknown> = {};
  for (const k of sortedKeys(v)) o[k] = impliedTypeJson(v[k] as Value);
  return ['object', o];
}

/** Converts to a type constraint; throws ConvertError with the path. */
export function convertTo(v: Value, t: CtyType, path = ''): Value {
  if (v === null || t.k === 'any') return v;
  const at = path ? ` at ${path}` : '';
  try {
    switch (t.k) {
      case 'string':
        return toStringValue(v);
      case 'number':
        return toNumberValue(v);
      case 'bool':
        return toBoolValue(v);
      case 'list':
      case 'set': {
        if (!Array.isArray(v)) throw new ConvertError(`${t.k} of ${friendlyName(t.elem)} required, not ${typeName(v)}`);
        const out = v.map((x, i) => convertTo(x, t.elem, `${path}[${i}]`));
        if (t.k === 'list') return out;
        const uniq: Value[] = [];
        for (const x of out) if (!uniq.some((u) => valuesEqual(u, x))) uniq.push(x);
        if (uniq.every((x) => typeof x === 'string')) uniq.sort();
        else if (uniq.every((x) => typeof x === 'number')) (uniq as number[]).sort((a, b) => a - b);
        return uniq;
      }
      case 'map': {
        if (!isObject(v)) throw new ConvertError(`map of ${friendlyName(t.elem)} required, not ${typeName(v)}`);
        const o = newObject();
        for (const k of sortedKeys(v)) o[k] = convertTo(v[k] as Value, t.elem, `${path}["${k}"]`);
        return o;
      }
      case 'tuple': {
        if (!Array.isArray(v)) throw new ConvertError(`tuple required, not ${typeName(v)}`);
        if (v.length !== t.elems.length) throw new ConvertError(`tuple of ${t.elems.length} elements required, not ${v.length}`);
        return v.map((x, i) => convertTo(x, t.elems[i] as CtyType, `${path}[${i}]`));
      }
      case 'object': {
        if (!isObject(v)) throw new ConvertError(`object required, not ${typeName(v)}`);
        const o = newObject();
        for (const k of sortedKeys(t.attrs)) {
          const a = t.attrs[k] as { type: CtyType; optional: boolean };
          if (!Object.hasOwn(v, k)) {
            if (!a.optional) throw new ConvertError(`attribute "${k}" is required`);
            o[k] = null;
          } else o[k] = convertTo(v[k] as Value, a.type, `${path}.${k}`);
        }
        return o;
      }
    }
  } catch (err) {
    if (err instanceof ConvertError && at && !err.message.includes(' at ')) throw new ConvertError(`${err.message}${at}`);
    throw err;
  }
}
