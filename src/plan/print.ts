/**
 * `tsbake print`: the plan in the shape of `docker buildx bake --print` (kebab-case keys, CSV strings
 * for outputs, caches, secrets and attestations, empty fields left out), plus tsbake's `builder` block
 * and each target's `builder`. Secrets show where a value comes from, never the value.
 * https://docs.docker.com/build/bake/reference/
 */
import { formatCsvEntry } from './csv.js';
import { formatNamedContext } from './target.js';
import type { Plan, ResolvedBuilder, ResolvedTarget, SecretEntry, SshEntry } from './types.js';

type Json = Record<string, unknown>;

function put(obj: Json, key: string, value: unknown): void {
  if (value === undefined || value === null || value === false) return;
  if (Array.isArray(value) && value.length === 0) return;
  if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value as object).length === 0) return;
  obj[key] = value;
}

function secretCsv(s: SecretEntry): string {
  return s.source.kind === 'env' ? formatCsvEntry({ type: '', attrs: { id: s.id, env: s.source.env } }) : formatCsvEntry({ type: '', attrs: { id: s.id, src: s.source.path } });
}

function sshText(s: SshEntry): string {
  return s.paths.length > 0 ? `${s.id}=${s.paths.join(',')}` : s.id;
}

function printTarget(t: ResolvedTarget, explicitDeps: Map<string, Set<string>>): Json {
  const o: Json = {};
  put(o, 'description', t.description);
  o.context = t.context;
  const contexts: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.contexts)) contexts[k] = formatNamedContext(v);
  put(o, 'contexts', contexts);
  o.dockerfile = t.dockerfile;
  put(o, 'dockerfile-inline', t.dockerfileInline);
  put(o, 'args', t.args);
  put(o, 'labels', t.labels);
  put(o, 'tags', t.tags);
  put(o, 'target', t.target);
  put(o, 'platforms', t.platforms);
  put(o, 'cache-from', t.cacheFrom.map(formatCsvEntry));
  put(o, 'cache-to', t.cacheTo.map(formatCsvEntry));
  put(o, 'output', t.outputs.map(formatCsvEntry));
  put(o, 'secret', t.secrets.map(secretCsv));
  put(o, 'ssh', t.ssh.map(sshText));
  put(o, 'annotations', t.annotations);
  put(o, 'attest', t.attest.map(formatCsvEntry));
  put(o, 'no-cache', t.noCache);
  put(o, 'no-cache-filter', t.noCacheFilter);
  put(o, 'pull', t.pull);
  put(o, 'network', t.network);
  put(o, 'shm-size', t.shmSize);
  put(o, 'ulimits', t.ulimits);
  put(o, 'extra-hosts', t.extraHosts);
  put(o, 'entitlements', t.entitlements);
  // Only the explicit dependencies: target: contexts already say theirs.
  put(o, 'depends-on', [...(explicitDeps.get(t.name) ?? [])]);
  put(o, 'builder', t.builder);
  return o;
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

export function toBakePrint(plan: Plan): object {
  const group: Json = {};
  for (const name of Object.keys(plan.groups).sort()) {
    const g = plan.groups[name]!;
    const entry: Json = {};
    put(entry, 'description', g.description);
    entry.targets = [...g.targets];
    group[name] = entry;
  }
  const explicitDeps = new Map<string, Set<string>>();
  for (const e of plan.edges) {
    if (e.kind !== 'depends-on') continue;
    const s = explicitDeps.get(e.from) ?? new Set<string>();
    s.add(e.to);
    explicitDeps.set(e.from, s);
  }
  const target: Json = {};
  for (const name of Object.keys(plan.targets).sort()) target[name] = printTarget(plan.targets[name]!, explicitDeps);
  const builder: Json = {};
  for (const name of Object.keys(plan.builders).sort()) builder[name] = printBuilder(plan.builders[name]!);
  return { group, target, builder };
}
