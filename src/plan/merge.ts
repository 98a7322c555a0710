/**
 * How a target's own attributes combine with what it inherits, following bake's Target.Merge: scalars
 * and replace-lists are taken from the later layer; maps merge key by key (a null value removes the
 * key); append-lists concatenate without duplicates.
 * https://docs.docker.com/build/bake/reference/#targetinherits
 */
import type { CsvOrObject, TargetConfig } from '../config/types.js';

const REPLACE_KEYS = [
  'context', 'dockerfile', 'dockerfile-inline', 'tags', 'platforms', 'target', 'cache-to', 'output', 'pull',
  'no-cache', 'network', 'shm-size', 'call', 'description', 'builder',
] as const satisfies readonly (keyof TargetConfig)[];

const MAP_KEYS = ['args', 'labels', 'contexts', 'extra-hosts'] as const satisfies readonly (keyof TargetConfig)[];

const APPEND_KEYS = [
  'cache-from', 'secret', 'ssh', 'attest', 'annotations', 'no-cache-filter', 'ulimits', 'entitlements', 'depends-on',
] as const satisfies readonly (keyof TargetConfig)[];

function entryKey(v: CsvOrObject): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function appendUnique<T extends CsvOrObject>(a: readonly T[] | undefined, b: readonly T[]): T[] {
  const out = a ? [...a] : [];
  const seen = new Set(out.map(entryKey));
  for (const v of b) {
    const k = entryKey(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

/** `over` layered on top of `base` (neither is modified). `inherits`, `matrix` and `name` are not merged. */
export function mergeTargetConfig(base: TargetConfig, over: TargetConfig): TargetConfig {
  const out: TargetConfig = { ...base };
  delete out.inherits;
  delete out.matrix;
  delete out.name;
  const o = over as Record<string, unknown>;
  const r = out as Record<string, unknown>;
  for (const key of REPLACE_KEYS) {
    if (o[key] !== undefined) r[key] = Array.isArray(o[key]) ? [...(o[key] as unknown[])] : o[key];
  }
  // A layer that names a Dockerfile path means that file, not an inline one it inherited.
  if (over.dockerfile !== undefined && over['dockerfile-inline'] === undefined) delete out['dockerfile-inline'];
  for (const key of MAP_KEYS) {
    const add = o[key] as Record<string, unknown> | undefined;
    if (add === undefined) continue;
    const merged: Record<string, unknown> = { ...((r[key] as Record<string, unknown> | undefined) ?? {}) };
    for (const [k, v] of Object.entries(add)) {
      if (v === null && key !== 'args' && key !== 'labels') delete merged[k];
      else merged[k] = v;
    }
    r[key] = merged;
  }
  for (const key of APPEND_KEYS) {
    const add = o[key] as CsvOrObject[] | undefined;
    if (add !== undefined) r[key] = appendUnique(r[key] as CsvOrObject[] | undefined, add);
  }
  return out;
}
