/**
 * bake's CSV entries (`type=local,dest=out`, `id=npm,env=NPM_TOKEN`, `default=$SSH_AUTH_SOCK`).
 * buildx reads them with Go's encoding/csv: fields are separated by commas and a field that starts with
 * `"` is quoted up to the closing `"` (`""` is a literal quote), so `"name=a,b"` keeps its comma.
 */
import type { Scalar } from '../config/types.js';
import type { SecretEntry, SshEntry, TypedEntry } from './types.js';

export class CsvError extends Error {}

/** Splits one CSV record into its fields (quotes removed). */
export function splitCsvFields(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  while (i <= n) {
    if (text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw new CsvError(`unterminated quote in "${text}"`);
        const c = text[i]!;
        if (c === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += c;
        i++;
      }
      if (i < n && text[i] !== ',') throw new CsvError(`unexpected text after a quoted field in "${text}"`);
      fields.push(value);
      i++;
    } else {
      const end = text.indexOf(',', i);
      const stop = end === -1 ? n : end;
      fields.push(text.slice(i, stop));
      i = stop + 1;
    }
  }
  return fields;
}

/** `type=x,k=v,…` → {type, attrs}. A field without `=` is kept with an empty value. type is '' when absent. */
export function parseCsvEntry(text: string): TypedEntry {
  const attrs: Record<string, string> = {};
  let type = '';
  for (const field of splitCsvFields(text)) {
    if (field.trim() === '') continue;
    const eq = field.indexOf('=');
    const key = (eq === -1 ? field : field.slice(0, eq)).trim();
    const value = eq === -1 ? '' : field.slice(eq + 1);
    if (key.toLowerCase() === 'type') type = value.trim();
    else attrs[key] = value;
  }
  return { type, attrs };
}

/** An entry written as an object (`{type: local, dest: out}`) or a CSV string, as a TypedEntry. */
export function toTypedEntry(value: string | Record<string, Scalar>): TypedEntry {
  if (typeof value === 'string') return parseCsvEntry(value);
  const attrs: Record<string, string> = {};
  let type = '';
  for (const [k, v] of Object.entries(value)) {
    if (k === 'type') type = String(v);
    else attrs[k] = String(v);
  }
  return { type, attrs };
}

function quoteField(field: string): string {
  return /[",\n\r]/.test(field) || field.startsWith(' ') ? `"${field.replaceAll('"', '""')}"` : field;
}

/** The inverse of parseCsvEntry: `type=…` first, then the attributes in their order. */
export function formatCsvEntry(entry: TypedEntry): string {
  const fields: string[] = [];
  if (entry.type) fields.push(`type=${entry.type}`);
  for (const [k, v] of Object.entries(entry.attrs)) fields.push(v === '' ? k : `${k}=${v}`);
  return fields.map(quoteField).join(',');
}

/**
 * An output as buildx parses `--output`: a bare `-` is a tar stream to stdout, a bare path is a local
 * directory export; otherwise the CSV form. Paths are left as written (the planner resolves them).
 */
export function parseOutput(value: string | Record<string, Scalar>): TypedEntry {
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '-') return { type: 'tar', attrs: { dest: '-' } };
    if (!text.includes('=')) return { type: 'local', attrs: { dest: text } };
  }
  return toTypedEntry(value);
}

/** A cache entry; a bare value is a registry reference (buildx's `--cache-from user/app:cache`). */
export function parseCache(value: string | Record<string, Scalar>): TypedEntry {
  if (typeof value === 'string' && !value.includes('=')) return { type: 'registry', attrs: { ref: value.trim() } };
  return toTypedEntry(value);
}

/**
 * A secret: `env=` makes it an environment secret, `src=`/`source=` a file secret. `type=env` without
 * `env` reads the variable named like the id; `type=file` without `src` is an error; a bare `id=X` reads
 * the variable X (BuildKit's own secret store falls back the same way). Never holds a value.
 */
export function parseSecret(value: string | Record<string, Scalar>): SecretEntry {
  const { type, attrs } = toTypedEntry(value);
  const id = attrs.id ?? attrs.env;
  const env = attrs.env;
  const src = attrs.src ?? attrs.source;
  if (type !== '' && type !== 'env' && type !== 'file') throw new CsvError(`unsupported secret type "${type}" (use type=env or type=file)`);
  if (id === undefined || id === '') throw new CsvError('secret needs an id (id=NAME)');
  if (type === 'env' || (type === '' && src === undefined)) return { id, source: { kind: 'env', env: env || id } };
  if (src === undefined || src === '') throw new CsvError(`secret "${id}" of type=file needs src=PATH`);
  if (env !== undefined) throw new CsvError(`secret "${id}" has both env= and src=; choose one`);
  return { id, source: { kind: 'file', path: src } };
}

/** An ssh entry: `default`, `default=$SSH_AUTH_SOCK`, `key=/a/id_rsa,/b/id_ed25519`, or {id, paths}. */
export function parseSsh(value: string | Record<string, Scalar>): SshEntry {
  if (typeof value !== 'string') {
    const id = value.id === undefined ? '' : String(value.id);
    if (!id) throw new CsvError('ssh entry needs an id');
    const raw = value.paths ?? value.path ?? value.src;
    const paths = raw === undefined ? [] : String(raw).split(',').map((p) => p.trim()).filter(Boolean);
    return { id, paths };
  }
  const text = value.trim();
  const eq = text.indexOf('=');
  const id = (eq === -1 ? text : text.slice(0, eq)).trim();
  if (!id) throw new CsvError(`ssh entry "${value}" needs an id`);
  const paths = eq === -1 ? [] : splitCsvFields(text.slice(eq + 1)).map((p) => p.trim()).filter(Boolean);
  return { id, paths };
}
