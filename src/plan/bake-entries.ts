/**
 * bake's own forms of outputs, caches, secrets, ssh and attestations, as `docker buildx bake --print`
 * (0.29.1) prints them: each entry parsed the way buildx's util/buildflags parses it (keys lower-cased
 * for outputs, caches and secrets; `dest` pulled out of an output), de-duplicated the way its
 * `Normalize` does, and turned back into the JSON objects its MarshalJSON methods write.
 * https://github.com/docker/buildx/tree/v0.29.1/util/buildflags
 */
import type { CsvOrObject, Scalar } from '../config/types.js';
import { splitCsvFields } from './csv.js';

export interface BakeExport {
  type: string;
  dest: string;
  attrs: Record<string, string>;
}
export interface BakeCache {
  type: string;
  attrs: Record<string, string>;
}
export interface BakeSecret {
  id: string;
  src: string;
  env: string;
}
export interface BakeSsh {
  id: string;
  paths: string[];
}
export interface BakeAttest {
  type: string;
  disabled: boolean;
  attrs: Record<string, string>;
}

function sameMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function str(v: Scalar | null | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** An output: a bare path is a local export, `-` a tar to stdout, otherwise CSV `type=…,dest=…,k=v`. */
export function parseBakeExport(v: CsvOrObject): BakeExport {
  if (typeof v !== 'string') {
    const attrs: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'type' && k !== 'dest' && x !== null && x !== undefined) attrs[k] = String(x);
    const e = { type: str(v.type), dest: str(v.dest), attrs };
    if (e.type === '') throw new Error('type is required for output');
    return e;
  }
  const fields = splitCsvFields(v);
  if (fields.length === 1 && fields[0] === v && !v.startsWith('type=')) {
    return v === '-' ? { type: 'tar', dest: '-', attrs: {} } : { type: 'local', dest: v, attrs: {} };
  }
  const e: BakeExport = { type: '', dest: '', attrs: {} };
  for (const field of fields) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`invalid value ${field}`);
    const key = field.slice(0, eq).trim().toLowerCase();
    const value = field.slice(eq + 1);
    if (key === 'type') e.type = value;
    else if (key === 'dest') e.dest = value;
    else e.attrs[key] = value;
  }
  if (e.type === '') throw new Error('type is required for output');
  return e;
}

/** A cache entry; a value without `=` is a list of registry refs (`user/app:cache`). */
export function parseBakeCaches(v: CsvOrObject): BakeCache[] {
  if (typeof v !== 'string') {
    const attrs: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'type' && x !== null && x !== undefined) attrs[k] = String(x);
    if (str(v.type) === '') throw new Error(`type required form> ${JSON.stringify(v)}`);
    return [{ type: str(v.type), attrs }];
  }
  if (v === '') return [];
  if (!v.includes('=')) return splitCsvFields(v).map((ref) => ({ type: 'registry', attrs: { ref } }));
  const e: BakeCache = { type: '', attrs: {} };
  for (const field of splitCsvFields(v)) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`invalid value ${field}`);
    const key = field.slice(0, eq).toLowerCase();
    if (key === 'type') e.type = field.slice(eq + 1);
    else e.attrs[key] = field.slice(eq + 1);
  }
  if (e.type === '') throw new Error(`type required form> "${v}"`);
  return [e];
}

export function parseBakeSecret(v: CsvOrObject): BakeSecret {
  if (typeof v !== 'string') return { id: str(v.id), src: str(v.src), env: str(v.env) };
  const s: BakeSecret = { id: '', src: '', env: '' };
  let typ = '';
  for (const field of splitCsvFields(v)) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`invalid field '${field}' must be a key=value pair`);
    const key = field.slice(0, eq).toLowerCase();
    const value = field.slice(eq + 1);
    switch (key) {
      case 'type':
        if (value !== 'file' && value !== 'env') throw new Error(`unsupported secret type "${value}"`);
        typ = value;
        break;
      case 'id':
        s.id = value;
        break;
      case 'source':
      case 'src':
        s.src = value;
        break;
      case 'env':
        s.env = value;
        break;
      default:
        throw new Error(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (typ === 'env' && s.env === '') {
    s.env = s.src;
    s.src = '';
  }
  return s;
}

export function parseBakeSsh(v: CsvOrObject): BakeSsh {
  if (typeof v !== 'string') {
    const raw = (v as Record<string, unknown>).paths;
    const paths = Array.isArray(raw) ? raw.map(String) : raw === undefined || raw === null ? [] : String(raw).split(',');
    return { id: str(v.id), paths };
  }
  const eq = v.indexOf('=');
  return eq < 0 ? { id: v, paths: [] } : { id: v.slice(0, eq), paths: v.slice(eq + 1).split(',') };
}

export function parseBakeAttest(v: CsvOrObject): BakeAttest {
  const a: BakeAttest = { type: '', disabled: false, attrs: {} };
  if (typeof v !== 'string') {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'type') a.type = str(x);
      else if (k === 'disabled') a.disabled = x === true || x === 'true';
      else if (x !== null && x !== undefined) a.attrs[k] = String(x);
    }
  } else {
    for (const field of splitCsvFields(v)) {
      const eq = field.indexOf('=');
      if (eq < 0) throw new Error(`invalid value ${field}`);
      const key = field.slice(0, eq);
      const value = field.slice(eq + 1);
      const lk = key.trim().toLowerCase();
      if (lk === 'type') a.type = value;
      else if (lk === 'disabled') {
        const b = parseGoBool(value);
        if (b === undefined) throw new Error(`invalid value ${field}`);
        a.disabled = b;
      } else a.attrs[key] = value;
    }
  }
  if (a.type === '') throw new Error('attestation type not specified');
  return a;
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/**
 * buildflags.removeDupes: walks backwards; a duplicate found after an element is swapped with the last
 * element and cut off — which reorders the tail, exactly as buildx prints it.
 */
export function removeDupes<T>(s: T[], equal: (a: T, b: T) => boolean): T[] {
  const out = [...s];
  let len = out.length;
  for (let i = len - 2; i >= 0; i--) {
    const elem = out[i]!;
    for (let j = i + 1; j < len; j++) {
      if (equal(elem, out[j]!)) {
        out[j] = out[len - 1]!;
        len--;
        break;
      }
    }
  }
  return out.slice(0, len);
}

export const exportEqual = (a: BakeExport, b: BakeExport): boolean => a.type === b.type && a.dest === b.dest && sameMap(a.attrs, b.attrs);
export const cacheEqual = (a: BakeCache, b: BakeCache): boolean => a.type === b.type && sameMap(a.attrs, b.attrs);

/** Secrets, ssh and attestations: one entry per key, the last one winning at the first one's place. */
export function dedupeBy<T>(s: readonly T[], key: (v: T) => string): T[] {
  const out: T[] = [];
  const at = new Map<string, number>();
  for (const v of s) {
    const i = at.get(key(v));
    if (i === undefined) {
      at.set(key(v), out.length);
      out.push(v);
    } else out[i] = v;
  }
  return out;
}

/** Go's json.Marshal of a map: keys sorted. */
function sortedObject(m: Record<string, unknown>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(m).sort()) o[k] = m[k];
  return o;
}

export function exportJson(e: BakeExport): Record<string, unknown> {
  const m: Record<string, unknown> = { ...e.attrs, type: e.type };
  if (e.dest !== '') m.dest = e.dest;
  return sortedObject(m);
}
export function cacheJson(e: BakeCache): Record<string, unknown> {
  return sortedObject({ ...e.attrs, type: e.type });
}
export function secretJson(s: BakeSecret): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (s.id !== '') o.id = s.id;
  if (s.src !== '') o.src = s.src;
  if (s.env !== '') o.env = s.env;
  return o;
}
export function sshJson(s: BakeSsh): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (s.id !== '') o.id = s.id;
  if (s.paths.length > 0) o.paths = s.paths;
  return o;
}
export function attestJson(a: BakeAttest): Record<string, unknown> {
  const m: Record<string, unknown> = { ...a.attrs, type: a.type };
  if (a.disabled) m.disabled = true;
  return sortedObject(m);
}

/** bake's setPushOverride (bake/bake.go). */
export function setPushOverride(outputs: BakeExport[], push: boolean): BakeExport[] {
  if (!push) {
    const out = [...outputs];
    for (let i = 0; i < out.length; ) {
      const o = out[i]!;
      if (o.type === 'registry') {
        out[i] = out[out.length - 1]!;
        out.length--;
        continue;
      }
      if (o.type === 'image') out[i] = { ...o, attrs: { ...o.attrs, push: 'false' } };
      i++;
    }
    return out;
  }
  let setPush = true;
  const out = outputs.map((o) => {
    if (o.type !== 'docker') setPush = false;
    return o.type === 'image' ? { ...o, attrs: { ...o.attrs, push: 'true' } } : o;
  });
  if (setPush) out.push({ type: 'image', dest: '', attrs: { push: 'true' } });
  return out;
}

/** bake's setLoadOverride (bake/bake.go). */
export function setLoadOverride(outputs: BakeExport[], load: boolean): BakeExport[] {
  if (!load) return outputs;
  for (const o of outputs) {
    if (o.type === 'docker') {
      if (o.dest === '') return outputs;
    } else if (o.type !== 'image' && o.type !== 'registry' && o.type !== 'oci') {
      return outputs;
    }
  }
  return [...outputs, { type: 'docker', dest: '', attrs: {} }];
}
