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
  const o = over as Record<string, unknown>;
  const b = base as Record<string, unknown>;
  // A layer that names a Dockerfile path means that file, not an inline one it inherited.
  const dropInline = over.dockerfile !== undefined && over['dockerfile-inline'] === undefined;
  // Copied key by key rather than spread-then-delete: a `delete` turns the object into a slow
  // dictionary, and every later merge and read of it pays for that.
  // Indexed loops: this runs cold (in the interpreter) twice per target, where each for-of step
  // allocates an iterator result.
  const r: Record<string, unknown> = {};
  const baseKeys = Object.keys(b);
  for (let i = 0; i < baseKeys.length; i++) {
    const key = baseKeys[i]!;
    if (key === 'inherits' || key === 'matrix' || key === 'name' || (dropInline && key === 'dockerfile-inline')) continue;
    r[key] = b[key];
  }
  for (let i = 0; i < REPLACE_KEYS.length; i++) {
    const key = REPLACE_KEYS[i]!;
    const v = o[key];
    if (v !== undefined) r[key] = Array.isArray(v) ? [...(v as unknown[])] : v;
  }
  for (let i = 0; i < MAP_KEYS.length; i++) {
    const key = MAP_KEYS[i]!;
    const add = o[key] as Record<string, unknown> | undefined;
    if (add === undefined) continue;
    const merged: Record<string, unknown> = { ...((r[key] as Record<string, unknown> | undefined) ?? {}) };
    const addKeys = Object.keys(add);
    for (let j = 0; j < addKeys.length; j++) {
      const k = addKeys[j]!;
      const v = add[k];
      if (v === null && key !== 'args' && key !== 'labels') delete merged[k];
      else merged[k] = v;
    }
    r[key] = merged;
  }
  for (let i = 0; i < APPEND_KEYS.length; i++) {
    const key = APPEND_KEYS[i]!;
    const add = o[key] as CsvOrObject[] | undefined;
    if (add !== undefined) r[key] = appendUnique(r[key] as CsvOrObject[] | undefined, add);
  }
  return r as TargetConfig;
}
