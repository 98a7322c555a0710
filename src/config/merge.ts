/**
 * Merging several config files with bake's rules, remembering which file (and which key path in it)
 * each merged node came from, so positions point into the file that defined a value last.
 * Rules mirror buildx's Target.Merge (https://github.com/docker/buildx/blob/master/bake/bake.go).
 */
import type { ConfigFile, TargetConfig } from './types.js';
import type { KeyPath } from './parse.js';

export interface Origin {
  /** Index into the list of parsed files. */
  file: number;
  /** Key path of the node in that file. */
  path: (string | number)[];
}

interface ProvNode {
  origin?: Origin;
  children?: Map<string, ProvNode>;
}

/** A tree of origins keyed by merged key path; a lookup follows the deepest recorded ancestor. */
export class Provenance {
  private readonly root: ProvNode = {};
  set(path: KeyPath, origin: Origin): void {
    this.node(path).origin = origin;
  }
  /** Forget everything recorded under path (its value was replaced whole). */
  deleteBelow(path: KeyPath): void {
    this.node(path).children = undefined;
  }
  resolve(path: KeyPath): Origin | undefined {
    let cur: ProvNode | undefined = this.root;
    let best: { origin: Origin; depth: number } | undefined;
    for (let i = 0; cur; i++) {
      if (cur.origin) best = { origin: cur.origin, depth: i };
      if (i === path.length) break;
      cur = cur.children?.get(String(path[i]));
    }
    if (!best) return undefined;
    return { file: best.origin.file, path: [...best.origin.path, ...path.slice(best.depth)] };
  }
  private node(path: KeyPath): ProvNode {
    let cur = this.root;
    for (const seg of path) {
      cur.children ??= new Map();
      let next = cur.children.get(String(seg));
      if (!next) cur.children.set(String(seg), (next = {}));
      cur = next;
    }
    return cur;
  }
}

/** Later file wins. */
const LAST_WINS = new Set([
  'context', 'dockerfile', 'dockerfile-inline', 'tags', 'target', 'platforms', 'cache-to', 'output', 'pull', 'no-cache',
  'network', 'shm-size', 'call', 'description', 'inherits', 'matrix', 'name', 'builder',
]);
/** Merged key by key. */
const KEY_BY_KEY = new Set(['args', 'labels', 'contexts', 'extra-hosts']);
/** Appended. */
const APPEND = new Set(['annotations', 'attest', 'secret', 'ssh', 'cache-from', 'no-cache-filter', 'ulimits', 'entitlements', 'depends-on']);

type Obj = Record<string, unknown>;

/**
 * Merges files in order into one ConfigFile. Each input is a schema-valid file value; `$schema` is dropped.
 * `fileIndex[i]` is the position of input i in LoadedConfig.files.
 */
export function mergeConfigs(inputs: { value: ConfigFile; fileIndex: number }[]): { config: ConfigFile; provenance: Provenance } {
  const out: ConfigFile = {};
  const prov = new Provenance();
  for (const { value, fileIndex } of inputs) {
    const origin = (path: (string | number)[]): Origin => ({ file: fileIndex, path });
    for (const section of ['variable', 'builder', 'group'] as const) {
      const entries = value[section] as Obj | undefined;
      if (!entries) continue;
      const acc = ((out as Obj)[section] ??= {}) as Obj;
      prov.set([section], origin([section]));
      for (const [name, entry] of Object.entries(entries)) {
        acc[name] = entry;
        prov.deleteBelow([section, name]);
        prov.set([section, name], origin([section, name]));
      }
    }
    if (value['default-builder'] !== undefined) {
      out['default-builder'] = value['default-builder'];
      prov.set(['default-builder'], origin(['default-builder']));
    }
    if (value.target) {
      const acc = (out.target ??= {});
      prov.set(['target'], origin(['target']));
      for (const [name, t] of Object.entries(value.target)) {
        const fresh = acc[name] === undefined;
        const base = (acc[name] ??= {}) as Obj;
        if (fresh) prov.set(['target', name], origin(['target', name]));
        mergeTarget(base, t, ['target', name], prov, fileIndex, fresh);
      }
    }
  }
  return { config: out, provenance: prov };
}

function mergeTarget(base: Obj, t: TargetConfig, at: string[], prov: Provenance, fileIndex: number, fresh: boolean): void {
  const attrs = Object.keys(t);
  for (let i = 0; i < attrs.length; i++) {
    const attr = attrs[i]!;
    const v = (t as Obj)[attr];
    if (v === undefined) continue;
    if (fresh) {
      // First definition of this target: everything resolves through the target's own origin.
      base[attr] = v;
      continue;
    }
    const p = [...at, attr];
    const prev = base[attr];
    if (KEY_BY_KEY.has(attr) && v !== null && typeof v === 'object' && !Array.isArray(v) && prev && typeof prev === 'object') {
      base[attr] = { ...(prev as Obj), ...(v as Obj) };
      for (const k of Object.keys(v as Obj)) prov.set([...p, k], { file: fileIndex, path: [...p, k] });
    } else if (APPEND.has(attr) && Array.isArray(v) && Array.isArray(prev)) {
      base[attr] = [...prev, ...v];
      v.forEach((_, i) => prov.set([...p, prev.length + i], { file: fileIndex, path: [...p, i] }));
    } else {
      // LAST_WINS, and anything defined here for the first time: the later file's value, whole.
      base[attr] = v;
      prov.deleteBelow(p);
      prov.set(p, { file: fileIndex, path: p });
    }
  }
}

export const MERGE_RULES = { LAST_WINS, KEY_BY_KEY, APPEND } as const;
