/**
 * The attributes bake's `target` and `group` blocks accept and the Go type each decodes into
 * (buildx bake/bake.go, type Target and type Group), plus tsbake's `builder` and `depends-on`.
 * A value is converted to its field's type when the block is evaluated, so `target.x.tags` and the
 * printed config both see e.g. `tags = [1]` as ["1"].
 */
import { ConvertError, newObject, toBoolValue, toStringValue, typeName } from './convert.js';
import { isObject, type Value } from './value.js';

export type FieldKind = 'string' | 'list' | 'map' | 'nullable-map' | 'bool' | 'entries' | 'any';

export const TARGET_FIELDS: Readonly<Record<string, FieldKind>> = {
  description: 'string',
  inherits: 'list',
  annotations: 'list',
  attest: 'entries',
  context: 'string',
  contexts: 'map',
  dockerfile: 'string',
  'dockerfile-inline': 'string',
  args: 'nullable-map',
  labels: 'nullable-map',
  tags: 'list',
  'cache-from': 'entries',
  'cache-to': 'entries',
  target: 'string',
  secret: 'entries',
  ssh: 'entries',
  platforms: 'list',
  output: 'entries',
  pull: 'bool',
  'no-cache': 'bool',
  network: 'string',
  'no-cache-filter': 'list',
  'shm-size': 'string',
  ulimits: 'list',
  resources: 'any',
  call: 'string',
  entitlements: 'list',
  'extra-hosts': 'nullable-map',
  policy: 'entries',
  // Evaluated by the block machinery (forks and names), not printed.
  matrix: 'any',
  name: 'string',
  // tsbake's additions.
  builder: 'string',
  'depends-on': 'list',
};

export const GROUP_FIELDS: Readonly<Record<string, FieldKind>> = {
  description: 'string',
  targets: 'list',
};

/** Converts to the field's Go type; throws ConvertError. null stays null (the field is unset). */
export function convertField(v: Value, kind: FieldKind): Value {
  if (v === null) return null;
  switch (kind) {
    case 'string':
      return toStringValue(v);
    case 'bool':
      return toBoolValue(v);
    case 'list':
      if (!Array.isArray(v)) throw new ConvertError(`a list of strings is required, not ${typeName(v)}`);
      return v.map((x, i) => {
        if (x === null) throw new ConvertError(`element ${i} is null; a list of strings is required`);
        try {
          return toStringValue(x);
        } catch {
          throw new ConvertError(`element ${i} is ${typeName(x)}; a list of strings is required`);
        }
      });
    case 'map':
    case 'nullable-map': {
      if (!isObject(v)) throw new ConvertError(`a map of strings is required, not ${typeName(v)}`);
      const o = newObject();
      const keys = Object.keys(v);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const x = v[k] as Value;
        if (x === null) {
          if (kind === 'map') throw new ConvertError(`the value of "${k}" is null; a map of strings is required`);
          o[k] = null;
          continue;
        }
        try {
          o[k] = toStringValue(x);
        } catch {
          throw new ConvertError(`the value of "${k}" is ${typeName(x)}; a map of strings is required`);
        }
      }
      return o;
    }
    case 'entries': {
      // bake accepts `type=…,k=v` strings or objects for outputs, caches, secrets, ssh and attestations.
      const list = Array.isArray(v) ? v : [v];
      const out: Value[] = [];
      for (const [i, x] of list.entries()) {
        if (x === null) continue;
        if (isObject(x)) {
          const o = newObject();
          for (const [k, y] of Object.entries(x)) {
            if (y === null) continue;
            try {
              o[k] = toStringValue(y);
            } catch {
              throw new ConvertError(`element ${i}: the value of "${k}" is ${typeName(y)}; a string is required`);
            }
          }
          out.push(o);
        } else if (Array.isArray(x)) throw new ConvertError(`element ${i} is a list; a string or an object is required`);
        else out.push(toStringValue(x));
      }
      return out;
    }
    case 'any':
      return v;
  }
}

/** A Value as plain JSON-able data with ordinary objects (for ConfigFile). */
export function toPlain(v: Value): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const a: unknown[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) a[i] = toPlain(v[i] as Value);
    return a;
  }
  const o: Record<string, unknown> = {};
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) o[keys[i]!] = toPlain(v[keys[i]!] as Value);
  return o;
}
