/**
 * How bake gives a `variable` block its value: the default converted to the declared type, then an
 * override from `--var` or the environment — CSV for typed lists, sets, tuples and maps, `NAME_JSON`
 * for JSON, strconv-style parsing for typed numbers and bools, and for an untyped variable the
 * default's own primitive type. Mirrors buildx bake/hclparser/hclparser.go (resolveValue,
 * valueHasOverride, convertPrimitive, valueFromCSV).
 */
import { ConvertError, formatNumber, fromJson, newObject, parseNumber, toGoJson, toStringValue, typeName } from './convert.js';
import { convertTo, friendlyName, impliedTypeJson, isPrimitive, type CtyType } from './types.js';
import type { Value } from './value.js';

export const JSON_SUFFIX = '_JSON';

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

export function convertPrimitive(name: string, value: string, t: CtyType): Value {
  switch (t.k) {
    case 'string':
      return value;
    case 'bool': {
      const b = parseGoBool(value);
      if (b === undefined) throw new ConvertError(`failed to parse ${name} as bool: strconv.ParseBool: parsing ${JSON.stringify(value)}: invalid syntax`);
      return b;
    }
    case 'number': {
      const n = parseNumber(value.trim() === value ? value : '');
      if (n === undefined) throw new ConvertError(`failed to parse ${name} as number: strconv.ParseFloat: parsing ${JSON.stringify(value)}: invalid syntax`);
      return n;
    }
    default:
      throw new ConvertError(`${name} of type ${friendlyName(t)} is not a primitive`);
  }
}

/** CSV fields as Go's encoding/csv reads one record (double quotes, "" inside quotes). */
export function csvFields(s: string, comma = ','): string[] {
  const out: string[] = [];
  let i = 0;
  // Go's csv reader sees no record at all in an empty string.
  if (s === '') throw new ConvertError('failed to parse  as CSV: EOF');
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q === -1) throw new ConvertError(`extraneous or missing " in quoted-field`);
        field += s.slice(i, q);
        if (s[q + 1] === '"') {
          field += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      if (i < s.length && s[i] !== comma) throw new ConvertError(`extraneous or missing " in quoted-field`);
    } else {
      const c = s.indexOf(comma, i);
      field = c === -1 ? s.slice(i) : s.slice(i, c);
      if (field.includes('"')) throw new ConvertError(`bare " in non-quoted-field`);
      i = c === -1 ? s.length : c;
    }
    out.push(field);
    if (i >= s.length) return out;
    i++; // the comma
    if (i >= s.length) {
      out.push('');
      return out;
    }
  }
}

export function supportedCsvType(t: CtyType): boolean {
  return t.k === 'list' || t.k === 'set' || t.k === 'tuple' || t.k === 'map';
}

export function valueFromCsv(name: string, value: string, t: CtyType): Value {
  const fields = csvFields(value);
  const unsupported = (): never => {
    throw new ConvertError(`unsupported type ${friendlyName(t)} for CSV specification`);
  };
  switch (t.k) {
    case 'list':
    case 'set': {
      if (!isPrimitive(t.elem)) unsupported();
      const elems = fields.map((f) => convertPrimitive(name, f, t.elem));
      return convertTo(elems, t);
    }
    case 'tuple': {
      if (t.elems.length !== fields.length) throw new ConvertError(`${friendlyName(t)} expects ${t.elems.length} elements but only ${fields.length} provided`);
      return fields.map((f, i) => {
        const et = t.elems[i] as CtyType;
        if (!isPrimitive(et)) unsupported();
        return convertPrimitive(name, f, et);
      });
    }
    case 'map': {
      if (!isPrimitive(t.elem)) unsupported();
      const o = newObject();
      for (const f of fields) {
        const kv = csvFields(f, ':');
        if (kv.length !== 2) throw new ConvertError(`expected one k/v pair but got ${kv.length} pieces from ${f}`);
        o[kv[0] as string] = convertPrimitive(name, kv[1] as string, t.elem);
      }
      return o;
    }
    default:
      return unsupported();
  }
}

export interface OverrideLookup {
  (name: string): string | undefined;
}

/** valueHasOverride: the override text and whether it came from NAME_JSON. */
export function findOverride(name: string, favorJson: boolean, lookup: OverrideLookup, isDeclaredOrBuiltin: (n: string) => boolean): { text: string; json: boolean } | undefined {
  const plain = lookup(name);
  if (plain === undefined || favorJson) {
    const jn = name + JSON_SUFFIX;
    if (!isDeclaredOrBuiltin(jn)) {
      const j = lookup(jn);
      if (j !== undefined) return { text: j, json: true };
    }
  }
  return plain === undefined ? undefined : { text: plain, json: false };
}

/** The value after an override, given the (converted) default. Throws ConvertError. */
export function applyOverride(name: string, ov: { text: string; json: boolean }, type: CtyType | null, hasDefault: boolean, def: Value): Value {
  if (type && ov.json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ov.text);
    } catch (err) {
      throw new ConvertError(`failed to convert variable ${name} from JSON: ${(err as Error).message}`);
    }
    try {
      return convertTo(fromJson(parsed), type);
    } catch (err) {
      throw new ConvertError(`failed to convert variable ${name} from JSON: ${(err as Error).message}`);
    }
  }
  if (type && supportedCsvType(type)) {
    try {
      return valueFromCsv(name, ov.text, type);
    } catch (err) {
      throw new ConvertError(`failed to convert variable ${name} from CSV: ${(err as Error).message}`);
    }
  }
  if (type && isPrimitive(type)) return convertPrimitive(name, ov.text, type);
  if (type && type.k !== 'any') throw new ConvertError(`unsupported type ${friendlyName(type)} for variable ${name}`);
  if (type?.k === 'any') return ov.text;
  if (!hasDefault || def === null) return ov.text;
  if (typeof def === 'string') return ov.text;
  if (typeof def === 'number') return convertPrimitive(name, ov.text, { k: 'number' });
  if (typeof def === 'boolean') return convertPrimitive(name, ov.text, { k: 'bool' });
  throw new ConvertError(`unsupported type ${typeName(def)} for variable ${name}`);
}

/** The text `--list variables` shows for a value (null when the variable is unset). */
export function variableText(v: Value, type: CtyType | null): string | null {
  if (v === null) return null;
  if (type?.k === 'any') {
    // cty marshals a value of type any with its type beside it.
    return `{"value":${toGoJson(v)},"type":${JSON.stringify(impliedTypeJson(v))}}`;
  }
  if (type) {
    const s = toGoJson(v);
    return type.k === 'string' ? s.replace(/^"+|"+$/g, '') : s;
  }
  if (typeof v !== 'object') return typeof v === 'number' ? formatNumber(v) : toStringValue(v);
  return toGoJson(v);
}
