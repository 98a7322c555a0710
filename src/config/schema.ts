/**
 * Structural validation against schema/tsbake.schema.json (the single source of truth), and the
 * translation of ajv's errors into one readable Diagnostic per real problem.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../errors.js';
import type { KeyPath, ParsedFile } from './parse.js';
import * as generated from './schema-validator.generated.js';
import { formatKeyPath, suggest } from './suggest.js';

type Schema = Record<string, unknown>;

export type FileKind = 'config' | 'builders';

interface Validate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

// Generated ahead of time from the schema (see schema-codegen.ts): compiling at startup is too slow.
const validateConfig = (generated as unknown as { validateConfig: Validate }).validateConfig;
const validateBuildersFile = (generated as unknown as { validateBuildersFile: Validate }).validateBuildersFile;

let rootSchema: Schema | undefined;
/** The JSON Schema, parsed; read only when there are errors to describe. */
export function configSchema(): Schema {
  rootSchema ??= JSON.parse(readFileSync(new URL('../../schema/tsbake.schema.json', import.meta.url), 'utf8')) as Schema;
  return rootSchema;
}

export function validateStructure(parsed: ParsedFile, kind: FileKind): Diagnostic[] {
  const validate = kind === 'config' ? validateConfig : validateBuildersFile;
  if (validate(parsed.value)) return [];
  return translateErrors(validate.errors ?? [], parsed, kind, configSchema());
}

const SECTION_NOUN: Record<string, string> = { variable: 'variable', builder: 'builder', group: 'group', target: 'target' };

function toPath(instancePath: string): string[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Turn numeric segments that index lists back into numbers, using the data. */
function typedPath(value: unknown, raw: string[]): (string | number)[] {
  const out: (string | number)[] = [];
  let cur: unknown = value;
  for (const seg of raw) {
    if (Array.isArray(cur)) {
      const i = Number(seg);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(seg);
      cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'a number' : 'a number';
  return `a ${typeof v}`;
}

function show(v: unknown): string {
  if (typeof v === 'string') return v.length <= 60 ? JSON.stringify(v) : 'a long string';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return kindOf(v);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function resolveRef(root: Schema, s: Schema): Schema {
  let cur = s;
  for (let i = 0; i < 10 && typeof cur.$ref === 'string'; i++) {
    const ref = cur.$ref as string;
    const m = /#\/\$defs\/(.+)$/.exec(ref);
    const defs = root.$defs as Record<string, Schema>;
    const next = m?.[1] !== undefined ? defs[m[1]] : undefined;
    if (!next) break;
    cur = { ...next, ...Object.fromEntries(Object.entries(cur).filter(([k]) => k !== '$ref' && k !== 'description')) };
  }
  return cur;
}

function typeMatches(root: Schema, s: Schema, v: unknown): boolean {
  const r = resolveRef(root, s);
  if (Array.isArray(r.enum)) return (r.enum as unknown[]).some((e) => jsonType(e) === jsonType(v) || (jsonType(e) === 'integer' && jsonType(v) === 'number'));
  const t = r.type;
  if (t === undefined) return true;
  const types = Array.isArray(t) ? (t as string[]) : [t as string];
  const jt = jsonType(v);
  return types.includes(jt) || (jt === 'integer' && types.includes('number'));
}

const NOUN: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  null: 'null',
  array: 'a list',
  object: 'a map',
};

/** A noun phrase for what a schema accepts: "a list of strings", "one of docker, remote". */
export function describeSchema(root: Schema, s: Schema): string {
  const r = resolveRef(root, s);
  if (typeof r.title === 'string') return r.title;
  if (Array.isArray(r.enum)) return `one of ${(r.enum as unknown[]).map(String).join(', ')}`;
  const branches = (r.anyOf ?? r.oneOf) as Schema[] | undefined;
  if (branches) return [...new Set(branches.map((b) => describeSchema(root, b)))].join(' or ');
  const t = r.type;
  const types = Array.isArray(t) ? (t as string[]) : t === undefined ? [] : [t as string];
  if (types.length === 1 && types[0] === 'array' && r.items && typeof r.items === 'object') {
    return `a list of ${plural(describeSchema(root, r.items as Schema))}`;
  }
  if (types.length === 1 && types[0] === 'object' && r.additionalProperties && typeof r.additionalProperties === 'object') {
    return `a map of ${plural(describeSchema(root, r.additionalProperties as Schema))}`;
  }
  if (types.length > 0) {
    if (types.length === 1) return NOUN[types[0] as string] ?? (types[0] as string);
    const names = types.map((x) => (x === 'array' ? 'list' : x === 'object' ? 'map' : x));
    return `a ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  }
  return 'a valid value';
}

function plural(noun: string): string {
  return noun
    .replace(/^an? /, '')
    .replace(/\b(string|number|integer|map|list|boolean)\b/g, '$1s')
    .replace(/^true or false$/, 'booleans');
}

/** `target "app"` / `the top level` */
function where(path: readonly (string | number)[]): { entity: string; rest: (string | number)[] } {
  const [section, name] = path;
  if (typeof section === 'string' && SECTION_NOUN[section] && name !== undefined) {
    return { entity: `${SECTION_NOUN[section]} "${name}"`, rest: path.slice(2) as (string | number)[] };
  }
  return { entity: '', rest: [...path] };
}

function subject(path: readonly (string | number)[]): string {
  const { entity, rest } = where(path);
  if (rest.length === 0) return entity || (path.length === 0 ? 'the top level' : `"${formatKeyPath(path)}"`);
  return entity ? `"${formatKeyPath(rest)}" in ${entity}` : `"${formatKeyPath(rest)}"`;
}

function translateErrors(errors: ErrorObject[], parsed: ParsedFile, kind: FileKind, root: Schema): Diagnostic[] {
  const dropped = new Set<number>();
  // Collapse anyOf: keep the branch whose type matches the data when there is exactly one, else one message.
  const collapsedAnyOf = new Set<number>();
  errors.forEach((e, idx) => {
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') return;
    const branches = (e.schema as Schema[]) ?? [];
    const matching = branches.map((b, i) => (typeMatches(root, b, e.data) ? i : -1)).filter((i) => i >= 0);
    const prefix = `${e.schemaPath}/`;
    for (let j = 0; j < idx; j++) {
      const sub = errors[j] as ErrorObject;
      const inside = sub.instancePath === e.instancePath || sub.instancePath.startsWith(`${e.instancePath}/`);
      if (!inside || dropped.has(j)) continue;
      if (matching.length === 1) {
        // Branches that failed on type fail at their own inline `type`; a sub-error of the matching
        // branch is either under its schemaPath or inside a $ref it reached.
        const ownBranch = sub.schemaPath.startsWith(`${prefix}${matching[0]}/`) || !sub.schemaPath.startsWith(prefix);
        if (!ownBranch) dropped.add(j);
      } else {
        dropped.add(j);
      }
    }
    if (matching.length === 1) dropped.add(idx);
    else collapsedAnyOf.add(idx);
  });

  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  errors.forEach((e, idx) => {
    if (dropped.has(idx)) return;
    if (e.keyword === 'if' || (e as { propertyName?: string }).propertyName !== undefined) return;
    const path = typedPath(parsed.value, toPath(e.instancePath));
    const d = translateOne(e, path, parsed, kind, root, collapsedAnyOf.has(idx));
    if (!d) return;
    const sig = `${d.key}\u0000${d.message}`;
    if (seen.has(sig)) return;
    seen.add(sig);
    out.push(d);
  });
  return out;
}

function translateOne(
  e: ErrorObject,
  path: (string | number)[],
  parsed: ParsedFile,
  kind: FileKind,
  root: Schema,
  collapsed: boolean,
): Diagnostic | undefined {
  const file = parsed.file;
  const at = (p: KeyPath, part: 'key' | 'value') => parsed.positionOf(p, part) ?? parsed.positionOf(p.slice(0, -1), 'key');
  const make = (p: KeyPath, part: 'key' | 'value', message: string, suggestion?: string): Diagnostic => {
    const pos = at(p, part);
    const d: Diagnostic = { file, line: pos?.line ?? 0, column: pos?.column ?? 0, message, key: formatKeyPath(p), severity: 'error' };
    if (suggestion !== undefined) d.suggestion = suggestion;
    return d;
  };
  const parentSchema = (e.parentSchema ?? {}) as Schema;

  if (collapsed) {
    return make(path, 'value', `${subject(path)} must be ${describeSchema(root, parentSchema)}, got ${kindOf(e.data)}`);
  }

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const keyPath = [...path, key];
      const props = Object.keys((parentSchema.properties as Schema | undefined) ?? {});
      const patterns = Object.keys((parentSchema.patternProperties as Schema | undefined) ?? {}).map(patternLabel);
      const s = suggest(key, props);
      if (path.length === 0) {
        if (kind === 'builders') {
          return make(keyPath, 'key', `"${key}" is not allowed in builders.yaml: it holds only builder and default-builder`, s);
        }
        if (key === 'allow') {
          // buildx takes entitlements only from the command line: a file must not grant itself access.
          return make(keyPath, 'key', '"allow" is not accepted in a config file: a config cannot grant itself access. Pass --allow on the command line (fs.read=PATH, fs.write=PATH, fs=PATH, network.host, security.insecure)');
        }
        return make(keyPath, 'key', `unknown top-level key "${key}" (valid: ${props.filter((p) => p !== '$schema').join(', ')})`, s);
      }
      if (path[path.length - 1] === 'driver-opts' && path[0] === 'builder') {
        const builder = lookup(parsed.value, path.slice(0, -1)) as { driver?: string } | undefined;
        const valid = [...props, ...patterns];
        const list = valid.length === 0 ? 'it accepts no options' : `valid options: ${valid.join(', ')}`;
        return make(keyPath, 'key', `unknown option "${key}" for driver "${builder?.driver ?? '?'}" in builder "${String(path[1])}"; ${list}`, s);
      }
      const { entity, rest } = where(path);
      const inWhat = entity ? (rest.length > 0 ? `"${formatKeyPath(rest)}" of ${entity}` : entity) : `"${formatKeyPath(path)}"`;
      return make(keyPath, 'key', `unknown key "${key}" in ${inWhat}`, s);
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const props = (parentSchema.properties as Record<string, Schema> | undefined) ?? {};
      const expected = props[missing] ? `: ${describeSchema(root, props[missing])}` : '';
      return make(path, 'key', `${subject(path)} is missing "${missing}"${expected}`);
    }
    case 'propertyNames': {
      const name = String((e.params as { propertyName: string }).propertyName);
      const rule = ((parentSchema.propertyNames as Schema | undefined)?.description as string | undefined) ?? 'invalid characters';
      const noun = path.length === 1 && typeof path[0] === 'string' && SECTION_NOUN[path[0]] ? `${SECTION_NOUN[path[0]]} name` : 'name';
      return make([...path, name], 'key', `invalid ${noun} "${name}": use ${rule}`);
    }
    case 'type':
      return make(path, 'value', `${subject(path)} must be ${describeSchema(root, parentSchema)}, got ${kindOf(e.data)}`);
    case 'enum':
    case 'const':
    case 'minimum':
    case 'exclusiveMinimum':
    case 'pattern': {
      const expected = describeSchema(root, parentSchema);
      const options = Array.isArray(parentSchema.enum) ? (parentSchema.enum as unknown[]).filter((x): x is string => typeof x === 'string') : [];
      const s = typeof e.data === 'string' && options.length > 0 ? suggest(e.data, options) : undefined;
      return make(path, 'value', `${subject(path)} must be ${expected}, got ${show(e.data)}`, s);
    }
    default:
      return make(path, 'value', `${subject(path)} ${e.message ?? 'is invalid'}`);
  }
}

function patternLabel(pattern: string): string {
  const m = /^\^([A-Za-z0-9_-]+)\\\./.exec(pattern);
  return m ? `${m[1]}.*` : pattern;
}

function lookup(value: unknown, path: KeyPath): unknown {
  let cur = value;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}
