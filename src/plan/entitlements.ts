/**
 * Entitlements, with buildx's semantics and flag names (docker/buildx bake/entitlements.go, v0.20+):
 * a build may read or write local paths under the working directory; anything outside needs
 * `--allow fs.read=PATH`, `--allow fs.write=PATH` or `--allow fs=PATH` (both), `*` for any path; and
 * the `network.host` and `security.insecure` entitlements (a target's `entitlements`, `network: host`)
 * need `--allow network.host` / `--allow security.insecure`.
 *
 * The working directory is where tsbake runs (the process's cwd), as in buildx: a config file cannot
 * widen it by where it sits, and `-f ../other/tsbake.yaml` reading `../other` needs an allow.
 *
 * Paths are compared after `..` is resolved and symlinks are followed: requested and allowed paths
 * alike count as the real path of their longest existing prefix plus the part that does not exist
 * yet (a `dest` is judged by where it will be created). So a symlink inside the project that points
 * out of it is outside. (buildx judges a requested path by its existing prefix alone, so there an
 * allow for a `dest` that does not exist yet never matches; tsbake compares the whole path.)
 *
 * The file system is read here (lstat/readlink) but no daemon is asked: the check runs before any
 * builder is opened.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { TsbakeError } from '../errors.js';
import type { ResolvedTarget } from './types.js';

export type Entitlement = 'network.host' | 'security.insecure';

/** What `--allow` granted. */
export interface AllowSet {
  entitlements: Set<Entitlement>;
  read: string[];
  write: string[];
  anyRead: boolean;
  anyWrite: boolean;
}

/** One path a target reads or writes, and why (for the message). */
export interface PathUse {
  path: string;
  target: string;
  what: string;
}

export interface Requested {
  reads: PathUse[];
  writes: PathUse[];
  entitlements: Map<Entitlement, string[]>;
}

/** What is missing: buildx's `--allow` values, in buildx's order. */
export interface Missing {
  entitlements: Entitlement[];
  /** Real paths (deduplicated: a path under another listed one is left out). */
  read: string[];
  write: string[];
  /** Which targets asked for each path or entitlement, for the refusal. */
  uses: Map<string, PathUse[]>;
}

/** `--allow` values → AllowSet. Unknown keys are a usage error (buildx: unknown entitlement key). */
export function parseAllow(values: readonly string[], cwd: string): AllowSet {
  const set: AllowSet = { entitlements: new Set(), read: [], write: [], anyRead: false, anyWrite: false };
  for (const raw of values) {
    // One entitlement per --allow, as buildx's bake (a path may hold a comma).
    const v = raw.trim();
    if (v === 'network.host' || v === 'security.insecure') {
      set.entitlements.add(v);
      continue;
    }
    const eq = v.indexOf('=');
    const key = eq < 0 ? v : v.slice(0, eq);
    const value = eq < 0 ? '' : v.slice(eq + 1);
    if (key !== 'fs' && key !== 'fs.read' && key !== 'fs.write') {
      throw new TsbakeError('usage', `--allow: unknown entitlement key "${key}" (valid: network.host, security.insecure, fs=PATH, fs.read=PATH, fs.write=PATH)`);
    }
    if (!value) throw new TsbakeError('usage', `--allow ${key}: needs a path (${key}=PATH, or ${key}=* for any)`);
    const read = key !== 'fs.write';
    const write = key !== 'fs.read';
    if (value === '*') {
      if (read) set.anyRead = true;
      if (write) set.anyWrite = true;
      continue;
    }
    const abs = path.resolve(cwd, value);
    if (read) set.read.push(abs);
    if (write) set.write.push(abs);
  }
  return set;
}

/** Every local path and entitlement the targets use. Pure. */
export function requestedAccess(targets: readonly ResolvedTarget[]): Requested {
  const reads: PathUse[] = [];
  const writes: PathUse[] = [];
  const entitlements = new Map<Entitlement, string[]>();
  const ent = (e: Entitlement, target: string): void => {
    const list = entitlements.get(e) ?? [];
    if (!list.includes(target)) list.push(target);
    entitlements.set(e, list);
  };
  for (const t of targets) {
    const r = (p: string, what: string): void => void reads.push({ path: p, target: t.name, what });
    const w = (p: string, what: string): void => void writes.push({ path: p, target: t.name, what });
    if (t.contextIsLocal) r(t.context, 'context');
    if (t.dockerfileInline === undefined && (t.contextIsLocal || path.isAbsolute(t.dockerfile))) {
      r(path.isAbsolute(t.dockerfile) ? t.dockerfile : path.join(t.context, t.dockerfile), 'dockerfile');
    }
    for (const [name, c] of Object.entries(t.contexts)) if (c.kind === 'local') r(c.path, `contexts.${name}`);
    for (const s of t.secrets) if (s.source.kind === 'file') r(s.source.path, `secret id=${s.id}`);
    for (const s of t.ssh) for (const p of s.paths) if (!p.startsWith('$')) r(p, `ssh ${s.id}`);
    for (const c of t.cacheFrom) if (c.type === 'local' && c.attrs['src']) r(c.attrs['src'], 'cache-from type=local');
    for (const c of t.cacheTo) if (c.type === 'local' && c.attrs['dest']) w(c.attrs['dest'], 'cache-to type=local');
    for (const o of t.outputs) {
      const dest = o.attrs['dest'];
      if (dest === undefined || dest === '' || dest === '-') continue;
      if (['local', 'tar', 'oci', 'docker'].includes(o.type)) w(dest, `output type=${o.type}`);
    }
    for (const e of t.entitlements) if (e === 'network.host' || e === 'security.insecure') ent(e, t.name);
    if (t.network === 'host') ent('network.host', t.name);
  }
  return { reads, writes, entitlements };
}

/**
 * The real path of `p`'s longest existing prefix, `..` and symlinks resolved component by component
 * (a dangling link is followed to where it points), and the part that does not exist yet.
 */
export async function realExistingPrefix(p: string): Promise<{ real: string; rest: string }> {
  let pending = path.resolve(p).split(path.sep).filter(Boolean);
  let cur = path.parse(path.resolve(p)).root;
  let links = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      cur = path.dirname(cur);
      continue;
    }
    const next = path.join(cur, name);
    let st;
    try {
      st = await fs.lstat(next);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { real: cur, rest: path.join(name, ...pending) };
      throw err;
    }
    if (st.isSymbolicLink()) {
      if (++links > 255) throw new TsbakeError('io', `${p}: too many symbolic links`);
      const target = path.resolve(cur, await fs.readlink(next));
      pending = [...target.split(path.sep).filter(Boolean), ...pending];
      cur = path.parse(target).root;
      continue;
    }
    cur = next;
  }
  return { real: cur, rest: '' };
}

function isUnder(p: string, parent: string): boolean {
  return p === parent || parent === path.parse(parent).root || p.startsWith(parent + path.sep);
}

/** What the targets use that neither the working directory nor `--allow` covers. */
export async function missingEntitlements(targets: readonly ResolvedTarget[], allow: AllowSet, cwd: string): Promise<Missing> {
  const req = requestedAccess(targets);
  const realCwd = (await realExistingPrefix(cwd)).real;
  const allowed = async (list: string[]): Promise<string[]> => {
    const out = [realCwd];
    for (const a of list) {
      const { real, rest } = await realExistingPrefix(a);
      out.push(rest ? path.join(real, rest) : real);
    }
    return out;
  };
  const uses = new Map<string, PathUse[]>();
  const check = async (useList: PathUse[], any: boolean, allowList: string[], kind: string): Promise<string[]> => {
    if (any) return [];
    const roots = await allowed(allowList);
    const outside = new Set<string>();
    for (const u of useList) {
      const { real: prefix, rest } = await realExistingPrefix(u.path);
      const real = rest ? path.join(prefix, rest) : prefix;
      if (roots.some((r) => isUnder(real, r))) continue;
      outside.add(real);
      const key = `${kind}:${real}`;
      uses.set(key, [...(uses.get(key) ?? []), u]);
    }
    // A path under another listed one is covered by that one's allow (buildx dedupPaths).
    const sorted = [...outside].sort((a, b) => a.length - b.length || a.localeCompare(b));
    const kept: string[] = [];
    for (const p of sorted) {
      if (kept.some((k) => isUnder(p, k))) {
        const key = `${kind}:${p}`;
        const parentKey = `${kind}:${kept.find((k) => isUnder(p, k))!}`;
        uses.set(parentKey, [...(uses.get(parentKey) ?? []), ...(uses.get(key) ?? [])]);
        uses.delete(key);
        continue;
      }
      kept.push(p);
    }
    return kept.sort();
  };
  const read = await check(req.reads, allow.anyRead, allow.read, 'read');
  const write = await check(req.writes, allow.anyWrite, allow.write, 'write');
  const entitlements: Entitlement[] = [];
  for (const e of ['network.host', 'security.insecure'] as const) {
    const who = req.entitlements.get(e);
    if (!who || allow.entitlements.has(e)) continue;
    entitlements.push(e);
    uses.set(`ent:${e}`, who.map((target) => ({ path: e, target, what: e === 'network.host' ? 'network host' : 'entitlements' })));
  }
  return { entitlements, read, write, uses };
}

export function nothingMissing(m: Missing): boolean {
  return m.entitlements.length === 0 && m.read.length === 0 && m.write.length === 0;
}

/** A path as buildx shows it: relative to the working directory when at most one `..` up. */
function shown(p: string, cwd: string): string {
  const rel = path.relative(cwd, p);
  if (rel === '') return '.';
  return rel.startsWith(`..${path.sep}..`) || path.isAbsolute(rel) ? p : rel;
}

/** The `--allow=…` flags that would grant what is missing, in buildx's order (fs before fs.read/fs.write). */
export function allowFlags(m: Missing, cwd: string): string[] {
  const common = m.read.filter((p) => m.write.includes(p));
  return [
    ...m.entitlements.map((e) => `--allow=${e}`),
    ...common.map((p) => `--allow=fs=${shown(p, cwd)}`),
    ...m.read.filter((p) => !common.includes(p)).map((p) => `--allow=fs.read=${shown(p, cwd)}`),
    ...m.write.filter((p) => !common.includes(p)).map((p) => `--allow=fs.write=${shown(p, cwd)}`),
  ];
}

/**
 * buildx's request text: the capabilities, one a line, and the flags that grant them; then which
 * target asks for what (tsbake's addition, so a reviewer sees where each path comes from).
 */
export function formatRequest(m: Missing, cwd: string, options: { terminal: boolean }): string {
  const lines = ['Your build is requesting privileges for following possibly insecure capabilities:', ''];
  const common = m.read.filter((p) => m.write.includes(p));
  const why = (key: string): string => {
    const list = m.uses.get(key) ?? [];
    const parts = [...new Set(list.map((u) => `target "${u.target}" ${u.what}`))];
    return parts.length > 0 ? ` (${parts.slice(0, 4).join(', ')}${parts.length > 4 ? `, and ${parts.length - 4} more` : ''})` : '';
  };
  for (const e of m.entitlements) {
    lines.push(e === 'network.host' ? ` - Running build containers that can access host network${why(`ent:${e}`)}` : ` - Running privileged containers that can make system changes${why(`ent:${e}`)}`);
  }
  for (const p of common) lines.push(` - Read and write access to path ${shown(p, cwd)}${why(`read:${p}`)}`);
  for (const p of m.read) if (!common.includes(p)) lines.push(` - Read access to path ${shown(p, cwd)}${why(`read:${p}`)}`);
  for (const p of m.write) if (!common.includes(p)) lines.push(` - Write access to path ${shown(p, cwd)}${why(`write:${p}`)}`);
  const flags = allowFlags(m, cwd).join(' ');
  lines.push('');
  lines.push(options.terminal ? `In order to not see this message in the future pass "${flags}" to grant requested privileges.` : `Pass "${flags}" to grant requested privileges.`);
  return lines.join('\n') + '\n';
}

/**
 * What `--set` grants by itself, as buildx does (bake/bake.go, target overrides): a path typed on the
 * command line is the user's choice, not the file's. `output` dest and `cache-to` dest are writable,
 * `cache-from` src, `secrets` src and `ssh` paths readable, `entitlements` granted.
 */
export function grantedBySet(set: readonly string[], cwd: string): AllowSet {
  const out: AllowSet = { entitlements: new Set(), read: [], write: [], anyRead: false, anyWrite: false };
  for (const s of set) {
    const m = /^[^=]*?\.([a-z-]+)(?:\.[^=+]*)?\+?=(.*)$/s.exec(s);
    if (!m) continue;
    const key = m[1]!;
    const value = m[2]!;
    const fields = value.split(',').map((f) => f.trim());
    const field = (...names: string[]): string | undefined => {
      for (const f of fields) {
        const eq = f.indexOf('=');
        if (eq > 0 && names.includes(f.slice(0, eq))) return f.slice(eq + 1);
      }
      return undefined;
    };
    const abs = (p: string | undefined): string[] => (p && p !== '-' ? [path.resolve(cwd, p)] : []);
    switch (key) {
      case 'output':
      case 'cache-to':
        out.write.push(...abs(field('dest')));
        break;
      case 'cache-from':
        out.read.push(...abs(field('src')));
        break;
      case 'secrets':
      case 'secret':
        out.read.push(...abs(field('src', 'source')));
        break;
      case 'ssh': {
        const eq = value.indexOf('=');
        if (eq > 0) for (const p of value.slice(eq + 1).split(',')) if (p && !p.startsWith('$')) out.read.push(path.resolve(cwd, p));
        break;
      }
      case 'entitlements':
        for (const f of fields) if (f === 'network.host' || f === 'security.insecure') out.entitlements.add(f);
        break;
    }
  }
  return out;
}

/** Two grants in one. */
export function mergeAllow(a: AllowSet, b: AllowSet): AllowSet {
  return {
    entitlements: new Set([...a.entitlements, ...b.entitlements]),
    read: [...a.read, ...b.read],
    write: [...a.write, ...b.write],
    anyRead: a.anyRead || b.anyRead,
    anyWrite: a.anyWrite || b.anyWrite,
  };
}
