/**
 * `--set pattern.key=value` and `pattern.key+=value`, applied after inherits and matrix expansion.
 * Patterns are globs on target names (`*`, `?`, `[…]`); an exact name may also be a group or a matrix
 * target (meaning its targets or forks). Several `=` for the same target and list key accumulate (the
 * first replaces what the file says); `+=` appends to it.
 * https://docs.docker.com/reference/cli/docker/buildx/bake/#set
 */
import type { TargetConfig } from '../config/types.js';
import { type Problems, suggest } from './problems.js';

type KeyKind = 'map' | 'scalar' | 'list' | 'split-list' | 'bool';

const SETTABLE: Record<string, { key: string; kind: KeyKind }> = {
  args: { key: 'args', kind: 'map' },
  labels: { key: 'labels', kind: 'map' },
  contexts: { key: 'contexts', kind: 'map' },
  context: { key: 'context', kind: 'scalar' },
  dockerfile: { key: 'dockerfile', kind: 'scalar' },
  target: { key: 'target', kind: 'scalar' },
  network: { key: 'network', kind: 'scalar' },
  call: { key: 'call', kind: 'scalar' },
  'shm-size': { key: 'shm-size', kind: 'scalar' },
  builder: { key: 'builder', kind: 'scalar' },
  tags: { key: 'tags', kind: 'list' },
  output: { key: 'output', kind: 'list' },
  'cache-from': { key: 'cache-from', kind: 'list' },
  'cache-to': { key: 'cache-to', kind: 'list' },
  secrets: { key: 'secret', kind: 'list' },
  secret: { key: 'secret', kind: 'list' },
  ssh: { key: 'ssh', kind: 'list' },
  annotations: { key: 'annotations', kind: 'list' },
  attest: { key: 'attest', kind: 'list' },
  platform: { key: 'platforms', kind: 'split-list' },
  platforms: { key: 'platforms', kind: 'split-list' },
  'no-cache-filter': { key: 'no-cache-filter', kind: 'split-list' },
  'no-cache': { key: 'no-cache', kind: 'bool' },
  pull: { key: 'pull', kind: 'bool' },
  push: { key: 'push', kind: 'bool' },
  load: { key: 'load', kind: 'bool' },
};

const NOT_SETTABLE = new Set(['dockerfile-inline', 'inherits', 'matrix', 'name', 'description']);

export interface ParsedOverride {
  text: string;
  pattern: string;
  /** Canonical key (`platforms`, `secret`, …). */
  key: string;
  kind: KeyKind;
  /** For map keys: the entry (`args.FOO` → FOO). */
  sub?: string;
  append: boolean;
  value: string;
}

export interface TargetFlags {
  push?: boolean;
  load?: boolean;
}

function usage(problems: Problems, text: string, message: string, suggestion?: string): void {
  problems.error('usage', undefined, `--set ${text}: ${message}`, suggestion ? { key: text, suggestion } : { key: text });
}

export function parseOverride(text: string, problems: Problems): ParsedOverride | undefined {
  const eq = text.indexOf('=');
  if (eq <= 0) {
    usage(problems, text, 'expected pattern.key=value or pattern.key+=value');
    return undefined;
  }
  const append = text[eq - 1] === '+';
  const left = text.slice(0, append ? eq - 1 : eq).trim();
  const value = text.slice(eq + 1);
  const dot = left.indexOf('.');
  if (dot <= 0 || dot === left.length - 1) {
    usage(problems, text, 'expected pattern.key=value (for example "*.platform=linux/amd64")');
    return undefined;
  }
  const pattern = left.slice(0, dot);
  const rest = left.slice(dot + 1);
  const sdot = rest.indexOf('.');
  const name = (sdot === -1 ? rest : rest.slice(0, sdot)).toLowerCase();
  const sub = sdot === -1 ? undefined : rest.slice(sdot + 1);
  if (NOT_SETTABLE.has(name)) {
    usage(problems, text, `"${name}" cannot be set with --set; change it in the file`);
    return undefined;
  }
  const spec = SETTABLE[name];
  if (!spec) {
    usage(problems, text, `unknown key "${name}"`, suggest(name, Object.keys(SETTABLE)));
    return undefined;
  }
  if (spec.kind === 'map' && !sub) {
    usage(problems, text, `"${name}" needs an entry name (${name}.NAME=value)`);
    return undefined;
  }
  if (spec.kind !== 'map' && sub !== undefined) {
    usage(problems, text, `"${name}" has no entries ("${name}.${sub}")`);
    return undefined;
  }
  if (append && (spec.kind === 'scalar' || spec.kind === 'bool')) {
    usage(problems, text, `"${name}" holds one value; use = instead of +=`);
    return undefined;
  }
  const parsed: ParsedOverride = { text, pattern, key: spec.key, kind: spec.kind, append, value };
  if (sub !== undefined) parsed.sub = sub;
  return parsed;
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close === -1) re += '\\[';
      else {
        let cls = glob.slice(i + 1, close).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}

/**
 * Applies the overrides to `configs` (entries replaced by modified copies). `expand` maps an exact
 * name that is a group or matrix target to its targets. Returns per-target push/load flags.
 */
export function applyOverrides(
  overrides: readonly string[],
  configs: Map<string, TargetConfig>,
  expand: (name: string) => string[] | undefined,
  problems: Problems,
): Map<string, TargetFlags> {
  const flags = new Map<string, TargetFlags>();
  const replaced = new Set<string>();
  let allNames: string[] | undefined;
  for (const text of overrides) {
    const o = parseOverride(text, problems);
    if (!o) continue;
    let matched: string[];
    if (/[*?[]/.test(o.pattern)) {
      const re = globToRegExp(o.pattern);
      allNames ??= [...configs.keys()].sort();
      matched = allNames.filter((n) => re.test(n));
    } else {
      matched = expand(o.pattern) ?? (configs.has(o.pattern) ? [o.pattern] : []);
    }
    if (matched.length === 0) {
      usage(problems, text, `no target matches "${o.pattern}"`, /[*?[]/.test(o.pattern) ? undefined : suggest(o.pattern, configs.keys()));
      continue;
    }
    if (o.kind === 'bool') {
      const b = parseBool(o.value);
      if (b === undefined) {
        usage(problems, text, `"${o.value}" is not a boolean (use true or false)`);
        continue;
      }
      for (const name of matched) {
        if (o.key === 'push' || o.key === 'load') {
          const f = flags.get(name) ?? {};
          f[o.key] = b;
          flags.set(name, f);
        } else {
          configs.set(name, { ...configs.get(name)!, [o.key]: b });
        }
      }
      continue;
    }
    for (const name of matched) {
      const c = { ...configs.get(name)! } as Record<string, unknown>;
      if (o.kind === 'map') {
        c[o.key] = { ...((c[o.key] as Record<string, unknown> | undefined) ?? {}), [o.sub!]: o.value };
      } else if (o.kind === 'scalar') {
        c[o.key] = o.value;
      } else {
        const values = o.kind === 'split-list' ? o.value.split(',').map((v) => v.trim()).filter(Boolean) : [o.value];
        const id = `${name}\0${o.key}`;
        const keep = o.append || replaced.has(id) ? ((c[o.key] as unknown[] | undefined) ?? []) : [];
        if (!o.append) replaced.add(id);
        c[o.key] = [...keep, ...values];
      }
      // Setting the Dockerfile path replaces an inline Dockerfile, as in the file.
      if (o.key === 'dockerfile') delete c['dockerfile-inline'];
      configs.set(name, c as TargetConfig);
    }
  }
  return flags;
}
