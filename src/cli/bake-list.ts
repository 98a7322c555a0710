/**
 * `--list targets|variables` (and buildx's CSV form `type=targets,format=json`), printed as
 * `docker buildx bake --list` 0.29.1 prints them: Go's tabwriter tables (tab padding, tab width 8) or
 * indented JSON. https://github.com/docker/buildx/blob/v0.29.1/commands/bake.go (parseList, printVars,
 * printTargetList)
 */
import { TsbakeError } from '../errors.js';
import { splitCsvFields } from '../plan/csv.js';
import type { ConfigFile, VariableInfo } from '../config/types.js';

export interface ListSpec {
  type: 'targets' | 'variables';
  format: 'table' | 'json';
}

export function parseListSpec(input: string): ListSpec {
  let fields: string[];
  try {
    fields = splitCsvFields(input);
  } catch (err) {
    throw new TsbakeError('usage', `--list ${input}: ${(err as Error).message}`);
  }
  let type = '';
  let format = '';
  if (fields.length === 1 && fields[0] === input && !input.startsWith('type=')) type = input;
  else {
    for (const field of fields) {
      const eq = field.indexOf('=');
      if (eq < 0) throw new TsbakeError('usage', `--list: invalid value ${field}`);
      const key = field.slice(0, eq).trim().toLowerCase();
      const value = field.slice(eq + 1);
      if (key === 'type') type = value;
      else if (key === 'format') format = value;
      else throw new TsbakeError('usage', `--list: unexpected key '${key}' in '${field}' (use type= and format=)`);
    }
  }
  if (format === '') format = 'table';
  if (type !== 'targets' && type !== 'variables') throw new TsbakeError('usage', `--list: invalid list type "${type}" (targets or variables)`);
  if (format !== 'table' && format !== 'json') throw new TsbakeError('usage', `--list: invalid list format "${format}" (table or json)`);
  return { type, format };
}

/** Go's text/tabwriter with minwidth 1, tabwidth 8, padding 1, padchar '\t', as buildx sets it up. */
export function tabwrite(lines: string[][]): string {
  const widths: number[] = [];
  for (const cells of lines) {
    // every cell but the last is tab-terminated and belongs to a column
    for (let j = 0; j < cells.length - 1; j++) widths[j] = Math.max(widths[j] ?? 1, [...cells[j]!].length + 1);
  }
  let out = '';
  for (const cells of lines) {
    for (let j = 0; j < cells.length - 1; j++) {
      const text = cells[j]!;
      const cellw = Math.ceil((widths[j] ?? 1) / 8) * 8;
      out += text + '\t'.repeat(Math.ceil((cellw - [...text].length) / 8));
    }
    out += `${cells[cells.length - 1] ?? ''}\n`;
  }
  return out;
}

/** Go's json encoder with SetIndent("", "  "): HTML characters escaped, a newline at the end. */
function goJson(value: unknown): string {
  // a nil slice
  if (Array.isArray(value) && value.length === 0) return 'null\n';
  return `${JSON.stringify(value, null, 2).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e').replaceAll('&', '\\u0026')}\n`;
}

export function formatVariableList(vars: readonly VariableInfo[], format: ListSpec['format']): string {
  const sorted = [...vars].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (format === 'json') {
    return goJson(
      sorted.map((v) => {
        const o: Record<string, unknown> = { name: v.name };
        if (v.description) o.description = v.description;
        if (v.type) o.type = v.type;
        if (v.value !== null) o.value = v.value;
        return o;
      }),
    );
  }
  return tabwrite([['VARIABLE', 'TYPE', 'VALUE', 'DESCRIPTION'], ...sorted.map((v) => [v.name, v.type ?? '', v.value ?? '<null>', v.description ?? ''])]);
}

export function formatTargetList(config: ConfigFile, format: ListSpec['format']): string {
  const entries: { name: string; description: string; group: boolean }[] = [];
  for (const [name, t] of Object.entries(config.target ?? {})) entries.push({ name, description: t.description ?? '', group: false });
  for (const [name, g] of Object.entries(config.group ?? {})) {
    let d = g.description ?? '';
    const members = [...new Set(g.targets ?? [])].sort();
    if (members.length > 0) d = d !== '' ? `${d} (${members.join(', ')})` : members.join(', ');
    entries.push({ name, description: d, group: true });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // a leading "_" marks a private target
  const shown = entries.filter((e) => !e.name.startsWith('_'));
  if (format === 'json') {
    return goJson(
      shown.map((e) => {
        const o: Record<string, unknown> = { name: e.name };
        if (e.description) o.description = e.description;
        if (e.group) o.group = true;
        return o;
      }),
    );
  }
  return tabwrite([['TARGET', 'DESCRIPTION'], ...shown.map((e) => [e.name, e.description])]);
}

/** `--var NAME=VALUE` flags → a map (later wins). */
export function parseVarFlags(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new TsbakeError('usage', `--var ${v}: expected NAME=VALUE`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}
