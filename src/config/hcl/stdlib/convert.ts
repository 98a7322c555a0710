/**
 * Type constraints and cty's conversion to them, for `convert(value, type)` and for a variable's
 * `type`: string, number, bool, any, list(T), set(T), map(T), tuple([…]), object({…}) with
 * optional(T[, default]) attributes.
 * https://github.com/hashicorp/hcl/tree/main/ext/typeexpr, https://github.com/zclconf/go-cty/tree/main/cty/convert
 */
import {
  FunctionError,
  isObject,
  makeObject,
  toBoolValue,
  toNumberValue,
  toStringValue,
  typeName,
  type StdlibFunction,
  type Value,
} from '../value.js';
import { argError } from './args.js';
import { makeSet } from './sets.js';

export type TypeSpec =
  | { kind: 'string' | 'number' | 'bool' | 'any' }
  | { kind: 'list' | 'set' | 'map'; element: TypeSpec }
  | { kind: 'tuple'; elements: TypeSpec[] }
  | { kind: 'object'; attributes: Record<string, { type: TypeSpec; optional?: boolean; default?: Value }> };

export function typeSpecName(t: TypeSpec): string {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return `${t.kind} of ${typeSpecName(t.element)}`;
    case 'any':
      return 'any single type';
    default:
      return t.kind;
  }
}

/** Convert as cty's convert.Convert does; the error names the path (`element 0: string required`). */
export function convertValue(v: Value, t: TypeSpec, path = ''): Value {
  const fail = (msg: string): FunctionError => new FunctionError(path ? `${path}: ${msg}` : msg);
  if (v === null) return null;
  const at = (p: string): string => (path ? `${path}${p.startsWith('[') ? '' : '.'}${p}` : p);
  switch (t.kind) {
    case 'any':
      return v;
    case 'string': {
      const s = toStringValue(v);
      if (s === undefined) throw fail('string required');
      return s;
    }
    case 'number': {
      const n = toNumberValue(v);
      if (n === undefined) throw fail(typeof v === 'string' ? 'a number is required' : 'number required');
      return n;
    }
    case 'bool': {
      const b = toBoolValue(v);
      if (b !== undefined) return b;
      if (typeof v === 'string' && (v.toLowerCase() === 'true' || v.toLowerCase() === 'false'))
        throw fail(`a bool is required; to convert from string, use lowercase "${v.toLowerCase()}"`);
      throw fail(typeof v === 'string' ? 'a bool is required' : 'bool required');
    }
    case 'list':
    case 'set': {
      if (!Array.isArray(v)) throw fail(`${typeSpecName(t)} required`);
      const out = v.map((e, i) => convertValue(e, t.element, path ? `${path}[${i}]` : `element ${i}`));
      return t.kind === 'set' ? makeSet(out) : out;
    }
    case 'map': {
      if (!isObject(v)) throw fail(`${typeSpecName(t)} required`);
      return makeObject(Object.keys(v).map((k) => [k, convertValue(v[k] as Value, t.element, at(`[${JSON.stringify(k)}]`))] as const));
    }
    case 'tuple': {
      if (!Array.isArray(v)) throw fail('tuple required');
      if (v.length !== t.elements.length) throw fail(`tuple required with ${t.elements.length} elements`);
      return v.map((e, i) => convertValue(e, t.elements[i] as TypeSpec, path ? `${path}[${i}]` : `element ${i}`));
    }
    case 'object': {
      if (!isObject(v)) throw fail('object required');
      const out = makeObject();
      for (const [k, a] of Object.entries(t.attributes)) {
        if (!Object.hasOwn(v, k)) {
          if (!a.optional) throw fail(`attribute ${JSON.stringify(k)} is required`);
          out[k] = a.default === undefined ? null : convertValue(a.default, a.type, at(k));
          continue;
        }
        const e = v[k] as Value;
        out[k] = e === null && a.default !== undefined ? convertValue(a.default, a.type, at(k)) : convertValue(e, a.type, at(k));
      }
      return out;
    }
  }
}

/** Parse a type expression's text ("list(string)", "object({a=number, b=optional(string)})"). */
export function parseTypeExpression(text: string): TypeSpec {
  let p = 0;
  const ws = (): void => {
    while (p < text.length && /\s/.test(text[p] as string)) p++;
  };
  const expect = (c: string): void => {
    ws();
    if (text[p] !== c) throw new FunctionError(`invalid type expression ${JSON.stringify(text)}: expected "${c}" at offset ${p}`);
    p++;
  };
  const ident = (): string => {
    ws();
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(p));
    if (!m) throw new FunctionError(`invalid type expression ${JSON.stringify(text)}: a type name is required at offset ${p}`);
    p += m[0].length;
    return m[0];
  };
  const type = (): TypeSpec => {
    const name = ident();
    switch (name) {
      case 'string':
      case 'number':
      case 'bool':
      case 'any':
        return { kind: name };
      case 'list':
      case 'set':
      case 'map': {
        expect('(');
        const element = type();
        expect(')');
        return { kind: name, element };
      }
      case 'tuple': {
        expect('(');
        expect('[');
        const elements: TypeSpec[] = [];
        ws();
        while (text[p] !== ']') {
          elements.push(type());
          ws();
          if (text[p] === ',') p++;
          ws();
          if (p >= text.length) expect(']');
        }
        p++;
        expect(')');
        return { kind: 'tuple', elements };
      }
      case 'object': {
        expect('(');
        expect('{');
        const attributes: Record<string, { type: TypeSpec; optional?: boolean }> = Object.create(null) as Record<string, { type: TypeSpec }>;
        ws();
        while (text[p] !== '}') {
          ws();
          let key: string;
          if (text[p] === '"') {
            const end = text.indexOf('"', p + 1);
            key = text.slice(p + 1, end);
            p = end + 1;
          } else key = ident();
          ws();
          if (text[p] === '=' || text[p] === ':') p++;
          else expect('=');
          ws();
          if (text.startsWith('optional', p)) {
            ident();
            expect('(');
            attributes[key] = { type: type(), optional: true };
            ws();
            if (text[p] === ',') throw new FunctionError('optional() defaults in a type expression are not supported here');
            expect(')');
          } else attributes[key] = { type: type() };
          ws();
          if (text[p] === ',') p++;
          ws();
          if (p >= text.length) expect('}');
        }
        p++;
        expect(')');
        return { kind: 'object', attributes };
      }
      default:
        throw new FunctionError(`The keyword "${name}" is not a valid type specification.`);
    }
  };
  const t = type();
  ws();
  if (p !== text.length) throw new FunctionError(`invalid type expression ${JSON.stringify(text)}: unexpected text at offset ${p}`);
  return t;
}

function requireAll(t: TypeSpec): TypeSpec {
  switch (t.kind) {
    case 'list':
    case 'set':
    case 'map':
      return { kind: t.kind, element: requireAll(t.element) };
    case 'tuple':
      return { kind: 'tuple', elements: t.elements.map(requireAll) };
    case 'object':
      return {
        kind: 'object',
        attributes: Object.fromEntries(Object.entries(t.attributes).map(([k, a]) => [k, { type: requireAll(a.type) }])),
      };
    default:
      return t;
  }
}

export const convertFunctions: Record<string, StdlibFunction> = {
  /** The evaluator passes the type expression's source text as the second argument. */
  convert: {
    params: 2,
    impl(args) {
      const spec = args[1];
      if (typeof spec !== 'string') throw argError(1, 'type', `a type expression is required, not ${typeName(spec ?? null)}`);
      try {
        // convert() reads its type with typeexpr.TypeConstraint, where optional() attributes are still required.
        return convertValue(args[0] ?? null, requireAll(parseTypeExpression(spec)));
      } catch (e) {
        if (e instanceof FunctionError && e.argIndex === undefined) throw argError(0, 'value', e.message);
        throw e;
      }
    },
  },
};
