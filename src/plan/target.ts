/**
 * One target's merged config (after inherits, matrix and --set) → ResolvedTarget: defaults decided,
 * paths absolute against the config's directory, CSV entries parsed.
 */
import path from 'node:path';
import type { CsvOrObject, Scalar, TargetConfig } from '../config/types.js';
import { parseCache, parseSecret, parseSsh, toTypedEntry } from './csv.js';
import type { Problems } from './problems.js';
import type { NamedContext, ResolvedTarget, SecretEntry, SshEntry, TypedEntry } from './types.js';

/** Remote build contexts buildx passes to BuildKit as they are. */
export function isRemoteContext(value: string): boolean {
  return /^(https?|git|ssh):\/\//.test(value) || value.startsWith('git@') || /\.git(#.*)?$/.test(value);
}

export function parseNamedContext(value: string, baseDir: string): NamedContext {
  if (value.startsWith('target:')) return { kind: 'target', target: value.slice('target:'.length) };
  if (value.startsWith('docker-image://')) return { kind: 'image', ref: value.slice('docker-image://'.length) };
  if (isRemoteContext(value) || /^[a-z][a-z0-9+.-]*:\/\//.test(value)) return { kind: 'url', url: value };
  return { kind: 'local', path: path.resolve(baseDir, value) };
}

export function formatNamedContext(c: NamedContext): string {
  switch (c.kind) {
    case 'target':
      return `target:${c.target}`;
    case 'image':
      return `docker-image://${c.ref}`;
    case 'url':
      return c.url;
    case 'local':
      return c.path;
  }
}

function stringMap(m: Record<string, Scalar | null> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!m) return out;
  // null keeps the Dockerfile's default, i.e. the arg is not sent. (Indexed: runs cold, per target.)
  const keys = Object.keys(m);
  for (let i = 0; i < keys.length; i++) {
    const v = m[keys[i]!];
    if (v !== null && v !== undefined) out[keys[i]!] = String(v);
  }
  return out;
}

export interface TargetInput {
  name: string;
  origin: string;
  config: TargetConfig;
  baseDir: string;
  builder: string;
  outputs: TypedEntry[];
  dependsOn: string[];
}

export function resolveTarget(input: TargetInput, problems: Problems): ResolvedTarget {
  const { name, origin, config: c, baseDir } = input;
  const parseList = <T>(key: keyof TargetConfig, list: CsvOrObject[] | undefined, parse: (v: CsvOrObject) => T): T[] => {
    const out: T[] = [];
    (list ?? []).forEach((v, i) => {
      try {
        out.push(parse(v));
      } catch (err) {
        problems.error('invalid-config', ['target', origin, key, i], `target "${name}": ${key}: ${(err as Error).message}`);
      }
    });
    return out;
  };
  const localPaths = (e: TypedEntry): TypedEntry => {
    if (e.type !== 'local') return e;
    const attrs = { ...e.attrs };
    for (const k of ['src', 'dest']) if (attrs[k]) attrs[k] = path.resolve(baseDir, attrs[k]);
    return { type: e.type, attrs };
  };

  const contextValue = c.context ?? '.';
  const remote = isRemoteContext(contextValue);
  const contexts: Record<string, NamedContext> = {};
  for (const [k, v] of Object.entries(c.contexts ?? {})) contexts[k] = parseNamedContext(String(v), baseDir);

  const secrets = parseList('secret', c.secret, (v): SecretEntry => {
    const s = parseSecret(v);
    return s.source.kind === 'file' ? { id: s.id, source: { kind: 'file', path: path.resolve(baseDir, s.source.path) } } : s;
  });
  const ssh = parseList('ssh', c.ssh, (v): SshEntry => {
    const s = parseSsh(v);
    return { id: s.id, paths: s.paths.map((p) => (p.startsWith('$') ? p : path.resolve(baseDir, p))) };
  });

  const r: ResolvedTarget = {
    name,
    context: remote ? contextValue : path.resolve(baseDir, contextValue),
    contextIsLocal: !remote,
    dockerfile: c.dockerfile ?? 'Dockerfile',
    args: stringMap(c.args),
    labels: stringMap(c.labels),
    // bake's normalize: no repeats, no empty entries
    tags: [...new Set(c.tags ?? [])].filter((v) => v !== ''),
    platforms: [...new Set(c.platforms ?? [])].filter((v) => v !== ''),
    cacheFrom: parseList('cache-from', c['cache-from'], (v) => localPaths(parseCache(v))),
    cacheTo: parseList('cache-to', c['cache-to'], (v) => localPaths(parseCache(v))),
    outputs: input.outputs,
    // Decided once the target is resolved (its tags normalized): resolve.ts, planExports.
    exports: [],
    secrets,
    ssh,
    noCache: c['no-cache'] ?? false,
    noCacheFilter: [...(c['no-cache-filter'] ?? [])],
    pull: c.pull ?? false,
    ulimits: [...(c.ulimits ?? [])],
    extraHosts: { ...(c['extra-hosts'] ?? {}) },
    annotations: [...(c.annotations ?? [])],
    attest: parseList('attest', c.attest, toTypedEntry),
    entitlements: [...(c.entitlements ?? [])],
    contexts,
    dependsOn: input.dependsOn,
    builder: input.builder,
  };
  if (c['dockerfile-inline'] !== undefined) r.dockerfileInline = c['dockerfile-inline'];
  if (c.target !== undefined) r.target = c.target;
  if (c.network !== undefined) r.network = c.network;
  if (c['shm-size'] !== undefined) r.shmSize = String(c['shm-size']);
  if (c.description !== undefined) r.description = c.description;
  return r;
}
