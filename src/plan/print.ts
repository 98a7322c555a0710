/**
 * `tsbake print`: the targets as `docker buildx bake --print` (buildx 0.29.1) prints them, key for key:
 * each target's merged config as written (contexts and paths unresolved), bake's defaults (`context`
 * ".", `dockerfile` "Dockerfile"), outputs, caches, secrets, ssh and attestations in buildx's JSON
 * objects, de-duplicated as bake's `normalize` does, linked targets with the `cacheonly` output, and the
 * `default` group of the names asked for. Keys come in the order of buildx's Target struct.
 * https://github.com/docker/buildx/blob/v0.29.1/bake/bake.go (Target, normalize, loadLinks, ReadTargets)
 *
 * tsbake adds, and only these: a target's `builder` (the builder that builds it) and `depends-on`, and
 * the top-level `builder` block. The loading rules' outputs (what tsbake will actually export on a
 * driver) are in `tsbake plan --format json`, with paths resolved.
 */
import type { CsvOrObject, TargetConfig } from '../config/types.js';
import {
  attestJson, cacheEqual, cacheJson, dedupeBy, exportEqual, exportJson, parseBakeAttest, parseBakeCaches, parseBakeExport,
  parseBakeSecret, parseBakeSsh, removeDupes, secretJson, setLoadOverride, setPushOverride, sshJson, type BakeExport,
} from './bake-entries.js';
import { TsbakeError } from '../errors.js';
import type { BakeTargetView, BakeView, Plan, ResolvedBuilder } from './types.js';

type Json = Record<string, unknown>;

function put(obj: Json, key: string, value: unknown): void {
  if (value === undefined || value === null || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0) return;
  obj[key] = value;
}

/** Target.MarshalJSON escapes template syntax so the printed file reads back as the same value. */
function esc(s: string): string {
  if (!s.includes('{')) return s;
  return s.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');
}

/** Go's removeDupesStr: drops empty strings and repeats. */
function dedupeStrings(list: readonly unknown[] | undefined): string[] {
  const out: string[] = [];
  if (!list) return out;
  const seen = new Set<string>();
  // Indexed loops here and below: print runs once per target, cold, where a for-of step allocates.
  for (let i = 0; i < list.length; i++) {
    const s = String(list[i]);
    if (s === '' || seen.has(s)) continue;
    seen.add(s);
    out.push(s);
  }
  return out;
}

/** A map[string]*string after Merge: null entries dropped, keys sorted (Go's encoding/json). */
function stringMap(m: Record<string, unknown> | undefined, escape: boolean): Record<string, string> | undefined {
  if (!m) return undefined;
  const out: Record<string, string> = {};
  const keys = Object.keys(m).sort();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = m[k];
    if (v === null || v === undefined) continue;
    out[k] = escape ? esc(String(v)) : String(v);
  }
  return out;
}

function nonEmpty(list: readonly CsvOrObject[] | undefined): CsvOrObject[] {
  return (list ?? []).filter((v) => v !== '');
}

/** The outputs bake ends with: as written, then --push / --load (setPushOverride, setLoadOverride), de-duplicated. */
export function bakeOutputs(view: BakeTargetView): BakeExport[] {
  if (view.linked) return [{ type: 'cacheonly', dest: '', attrs: {} }];
  let outputs = nonEmpty(view.config.output).map(parseBakeExport);
  if (view.push !== undefined) outputs = setPushOverride(outputs, view.push);
  if (view.load !== undefined) outputs = setLoadOverride(outputs, view.load);
  return removeDupes(outputs, exportEqual);
}

function printTarget(view: BakeTargetView, entitlements: string[], sourceDateEpoch: string | undefined): Json {
  const c: TargetConfig = view.config;
  const o: Json = {};
  if (c.description) o.description = c.description;
  put(o, 'annotations', dedupeStrings(c.annotations).map(esc));
  put(o, 'attest', dedupeBy(nonEmpty(c.attest).map(parseBakeAttest), (a) => a.type).map(attestJson));
  o.context = c.context ?? '.';
  const contexts: Record<string, string> = {};
  const contextKeys = c.contexts ? Object.keys(c.contexts).sort() : [];
  for (let i = 0; i < contextKeys.length; i++) {
    const k = contextKeys[i]!;
    const v = String(c.contexts![k]);
    if (v !== '') contexts[k] = v;
  }
  put(o, 'contexts', contexts);
  o.dockerfile = c.dockerfile === undefined || c.dockerfile === '' ? 'Dockerfile' : c.dockerfile;
  if (c['dockerfile-inline'] !== undefined) o['dockerfile-inline'] = esc(c['dockerfile-inline']);
  let args = stringMap(c.args as Record<string, unknown> | undefined, true);
  if (sourceDateEpoch !== undefined && !(args && Object.hasOwn(args, 'SOURCE_DATE_EPOCH'))) {
    args = stringMap({ ...(args ?? {}), SOURCE_DATE_EPOCH: sourceDateEpoch }, false);
  }
  put(o, 'args', args);
  put(o, 'labels', stringMap(c.labels as Record<string, unknown> | undefined, true));
  put(o, 'tags', dedupeStrings(c.tags));
  put(o, 'cache-from', removeDupes(nonEmpty(c['cache-from']).flatMap(parseBakeCaches), cacheEqual).map(cacheJson));
  put(o, 'cache-to', removeDupes(nonEmpty(c['cache-to']).flatMap(parseBakeCaches), cacheEqual).map(cacheJson));
  if (c.target !== undefined) o.target = c.target;
  put(o, 'secret', dedupeBy(nonEmpty(c.secret).map(parseBakeSecret), (s) => s.id).map(secretJson));
  put(o, 'ssh', dedupeBy(nonEmpty(c.ssh).map(parseBakeSsh), (s) => s.id).map(sshJson));
  put(o, 'platforms', dedupeStrings(c.platforms));
  put(o, 'output', bakeOutputs(view).map(exportJson));
  if (c.pull !== undefined) o.pull = c.pull;
  if (c['no-cache'] !== undefined) o['no-cache'] = c['no-cache'];
  if (c.network !== undefined) o.network = c.network;
  put(o, 'no-cache-filter', dedupeStrings(c['no-cache-filter']));
  if (c['shm-size'] !== undefined) o['shm-size'] = String(c['shm-size']);
  put(o, 'ulimits', dedupeStrings(c.ulimits));
  if (c.call !== undefined) o.call = c.call;
  put(o, 'entitlements', entitlements);
  put(o, 'extra-hosts', stringMap(c['extra-hosts'] as Record<string, unknown> | undefined, true));
  return o;
}

/**
 * normalize's entitlements (network=host adds network.host), then loadLinks': a target takes those of its
 * `target:` contexts. Walked in the plan's topological order (dependencies first), so chains of any
 * length need no recursion.
 */
function entitlementsOf(view: BakeView, order: readonly string[]): Map<string, string[]> {
  const done = new Map<string, string[]>();
  for (const name of order) {
    const v = view.targets[name];
    if (!v) continue;
    const list = [...(v.config.entitlements ?? []).map(String)];
    if (v.config.network === 'host') list.push('network.host');
    const out = dedupeStrings(list);
    const contexts = v.config.contexts ?? {};
    for (const k of Object.keys(contexts).sort()) {
      const c = String(contexts[k]);
      if (!c.startsWith('target:')) continue;
      for (const e of done.get(c.slice('target:'.length)) ?? []) if (!out.includes(e)) out.push(e);
    }
    done.set(name, out);
  }
  return done;
}

/** ReadTargets' group map: the groups gone through, and `default` holding the names asked for, sorted. */
function printGroups(view: BakeView): Json {
  const groups: Record<string, { description?: string; targets: string[] }> = {};
  for (const [name, g] of Object.entries(view.groups)) {
    const entry: { description?: string; targets: string[] } = { targets: dedupeStrings(g.targets) };
    if (g.description) entry.description = g.description;
    groups[name] = entry;
  }
  const names = dedupeStrings(view.names.length > 0 ? view.names : ['default']);
  for (const n of names) {
    if (n === 'default' && Object.hasOwn(view.groups, 'default')) continue;
    (groups.default ??= { targets: [] }).targets.push(n);
  }
  if (groups.default) groups.default.targets = dedupeStrings(groups.default.targets).sort();
  const out: Json = {};
  for (const name of Object.keys(groups).sort()) {
    const g = groups[name]!;
    const entry: Json = {};
    if (g.description) entry.description = g.description;
    entry.targets = g.targets;
    out[name] = entry;
  }
  return out;
}

function printBuilder(b: ResolvedBuilder): Json {
  const o: Json = { driver: b.driver };
  put(o, 'description', b.description);
  put(o, 'endpoint', b.endpoint);
  put(o, 'driver-opts', b.driverOpts);
  put(o, 'platforms', b.platforms);
  put(o, 'buildkitd-config', b.buildkitdConfig);
  put(o, 'buildkitd-config-inline', b.buildkitdConfigInline);
  put(o, 'buildkitd-flags', b.buildkitdFlags);
  put(o, 'parallelism', b.parallelism);
  put(o, 'default-load', b.defaultLoad);
  return o;
}

/** The print as a value: `group`, `target` as buildx prints them, then tsbake's `builder`. */
export function toBakePrint(plan: Plan): Json {
  const view = plan.bake;
  if (!view) throw new Error('toBakePrint: the plan has no bake view');
  const explicitDeps = new Map<string, string[]>();
  for (const e of plan.edges) if (e.kind === 'depends-on') explicitDeps.set(e.from, [...(explicitDeps.get(e.from) ?? []), e.to]);
  const ents = entitlementsOf(view, plan.order);
  const out: Json = {};
  const group = printGroups(view);
  if (Object.keys(group).length > 0) out.group = group;
  const target: Json = {};
  for (const name of Object.keys(view.targets).sort()) {
    let t: Json;
    try {
      t = printTarget(view.targets[name]!, ents.get(name) ?? [], view.sourceDateEpoch);
    } catch (err) {
      throw new TsbakeError('invalid-config', `target "${name}": ${(err as Error).message}`);
    }
    // tsbake's additions, last.
    put(t, 'depends-on', explicitDeps.get(name));
    put(t, 'builder', plan.targets[name]?.builder);
    target[name] = t;
  }
  out.target = target;
  const builder: Json = {};
  for (const name of Object.keys(plan.builders).sort()) builder[name] = printBuilder(plan.builders[name]!);
  if (Object.keys(builder).length > 0) out.builder = builder;
  return out;
}

/** JSON text as Go's json.MarshalIndent writes it (two-space indent, <, >, & and U+2028/9 escaped). */
export function formatBakePrint(value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  // The regexp runs once, on a long text, so in V8's regexp interpreter: indexOf (native) first.
  if (text.indexOf('<') === -1 && text.indexOf('>') === -1 && text.indexOf('&') === -1 && text.indexOf('\u2028') === -1 && text.indexOf('\u2029') === -1) return text;
  return text.replace(GO_ESCAPED, (c) => GO_ESCAPES[c]!);
}

const GO_ESCAPED = /[<>&\u2028\u2029]/g;
const GO_ESCAPES: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };
