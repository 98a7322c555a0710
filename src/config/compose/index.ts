/**
 * Compose files as bake reads them (buildx bake/compose.go, 0.29.1): every service with `build` becomes a
 * target (`.` in its name becomes `_`), and a `default` group lists them all. Only `image`, `build` and
 * `environment` of a service are read (plus top-level `secrets`); everything else is skipped silently,
 * as bake does. The keys read are checked here, with file:line:column diagnostics; unknown keys under
 * `build` are errors (the compose spec allows none but `x-*`), with a suggestion.
 *
 * Mapping (compose → bake): context and secret paths cleaned (as Go's filepath.Clean), `dockerfile`,
 * `dockerfile_inline`, `args` (a bare key takes the service's `environment`, then the environment),
 * `target`, `tags` (else `image`), `labels`, `cache_from`, `cache_to`, `platforms`, `secrets` (from the
 * top-level `secrets:` file or environment), `ssh` (sorted), `additional_contexts` (`service:x` →
 * `target:x`), `network`, `shm_size` (bytes → go-units' "128MiB"), `ulimits`, `extra_hosts`,
 * `no_cache`, `pull`, `sbom` / `provenance` (→ attest), then the `x-bake` extension.
 * https://github.com/docker/buildx/blob/v0.29.1/bake/compose.go
 */
import type { Diagnostic } from '../../errors.js';
import type { KeyPath, ParsedFile } from '../parse.js';
import { suggest } from '../suggest.js';
import type { ConfigFile, TargetConfig } from '../types.js';
import { InterpolationError, interpolateCompose, parseDotEnv, type Lookup } from './interpolate.js';

export interface ComposeOptions {
  /** The environment compose interpolates with (process environment over `.env`). */
  lookup: Lookup;
  /** Contents of the `env_file` files (as listed, see composeEnvFiles), undefined when missing. */
  envFiles?: ReadonlyMap<string, string | undefined>;
}

/** The `env_file` paths of every service, as written (strings, lists of strings or `{path, required}`). */
export function composeEnvFiles(value: unknown): { path: string; required: boolean }[] {
  const out: { path: string; required: boolean }[] = [];
  const services = isObj(value) ? value.services : undefined;
  for (const svc of Object.values(isObj(services) ? services : {})) {
    const ef = isObj(svc) ? svc.env_file : undefined;
    for (const e of Array.isArray(ef) ? ef : ef === undefined || ef === null ? [] : [ef]) {
      if (typeof e === 'string') out.push({ path: e, required: true });
      else if (isObj(e) && typeof e.path === 'string') out.push({ path: e.path, required: e.required !== false });
    }
  }
  return out;
}

export interface ComposeResult {
  config: ConfigFile;
  diagnostics: Diagnostic[];
  /** Where a target key path came from in the compose file (`target.web.tags` → `services.web.build.tags`). */
  sourcePath(path: KeyPath): KeyPath | undefined;
}

type Obj = Record<string, unknown>;

/** The keys of a service's `build` the compose spec defines. */
const BUILD_KEYS = [
  'context', 'dockerfile', 'dockerfile_inline', 'args', 'ssh', 'labels', 'cache_from', 'cache_to', 'no_cache', 'additional_contexts',
  'network', 'pull', 'target', 'shm_size', 'extra_hosts', 'isolation', 'privileged', 'secrets', 'tags', 'ulimits', 'platforms',
  'entitlements', 'sbom', 'provenance',
];
const TARGET_NAME = /^[a-zA-Z0-9_-]+$/;

export { parseDotEnv } from './interpolate.js';

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Go's filepath.Clean on a relative or absolute POSIX path. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  const joined = out.join('/');
  return abs ? `/${joined}` : joined === '' ? '.' : joined;
}

/** go-units BytesSize: binary units, "%.4g". */
export function bytesSize(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let i = 0;
  let size = n;
  while (size >= 1024 && i < units.length - 1) {
    size /= 1024;
    i++;
  }
  return `${formatG4(size)}${units[i]}`;
}

function formatG4(x: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 4) {
    const [m, e] = x.toExponential(3).split('e');
    const mant = m!.includes('.') ? m!.replace(/0+$/, '').replace(/\.$/, '') : m!;
    const ev = Number(e);
    return `${mant}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
  }
  const s = x.toPrecision(4);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** Docker's RAMInBytes: `128m`, `1g`, `1.5GB`, plain bytes. */
export function ramInBytes(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?\s*$/i.exec(text);
  if (!m) return undefined;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(Number(m[1]) * mult[(m[2] ?? '').toLowerCase()]!);
}

/** compose-go's CanonicalizeAttest via buildx: a boolean turns the attestation on or off. */
function canonicalAttest(kind: string, v: string): string {
  const b = v === 'true' || v === '1' || v === 'TRUE' || v === 'True' || v === 't' || v === 'T' ? true : v === 'false' || v === '0' || v === 'FALSE' || v === 'False' || v === 'f' || v === 'F' ? false : undefined;
  return b === undefined ? `type=${kind},${v}` : `type=${kind},disabled=${!b}`;
}

export function mapCompose(parsed: ParsedFile, options: ComposeOptions): ComposeResult {
  const diagnostics: Diagnostic[] = [];
  const origins = new Map<string, KeyPath>();
  const file = parsed.file;
  const at = (path: KeyPath, message: string, part: 'key' | 'value' = 'key', suggestion?: string): void => {
    const pos = parsed.positionOf(path, part) ?? parsed.positionOf(path.slice(0, -1), 'key');
    const d: Diagnostic = { file, line: pos?.line ?? 0, column: pos?.column ?? 0, message, severity: 'error', key: path.join('.') };
    if (suggestion !== undefined) d.suggestion = suggestion;
    diagnostics.push(d);
  };
  const root = parsed.value as Obj;

  /** Interpolated string of a scalar; numbers and booleans as YAML wrote them. */
  const text = (v: unknown, path: KeyPath): string | undefined => {
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') return undefined;
    try {
      return interpolateCompose(v, options.lookup);
    } catch (err) {
      if (err instanceof InterpolationError) at(path, err.message, 'value');
      else throw err;
      return '';
    }
  };
  const str = (v: unknown, path: KeyPath, what: string): string | undefined => {
    if (v === undefined || v === null) return undefined;
    const s = text(v, path);
    if (s === undefined) at(path, `${what} must be a string`, 'value');
    return s;
  };
  const strList = (v: unknown, path: KeyPath, what: string): string[] | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      at(path, `${what} must be a list of strings`, 'value');
      return undefined;
    }
    const out: string[] = [];
    v.forEach((x, i) => {
      const s = text(x, [...path, i]);
      if (s === undefined) at([...path, i], `${what} entries must be strings`, 'value');
      else out.push(s);
    });
    return out;
  };
  const bool = (v: unknown, path: KeyPath, what: string): boolean | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    const s = typeof v === 'string' ? text(v, path) : undefined;
    if (s === 'true') return true;
    if (s === 'false') return false;
    at(path, `${what} must be true or false`, 'value');
    return undefined;
  };
  /** A list of KEY=VALUE (or bare KEY → null) or a map; `sep` also accepted as the separator (extra_hosts). */
  const mapping = (v: unknown, path: KeyPath, what: string, seps = ['=']): Map<string, string | null> | undefined => {
    if (v === undefined || v === null) return undefined;
    const out = new Map<string, string | null>();
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        const s = text(x, [...path, i]);
        if (s === undefined) {
          at([...path, i], `${what} entries must be strings (KEY=VALUE)`, 'value');
          return;
        }
        let cut = -1;
        for (const sep of seps) {
          cut = s.indexOf(sep);
          if (cut >= 0) break;
        }
        if (cut < 0) out.set(s, null);
        else out.set(s.slice(0, cut), s.slice(cut + 1));
      });
      return out;
    }
    if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (x === null) out.set(k, null);
        else if (Array.isArray(x) && what === 'extra_hosts') out.set(k, x.map((y, i) => text(y, [...path, k, i]) ?? '').join(','));
        else {
          const s = text(x, [...path, k]);
          if (s === undefined) at([...path, k], `${what}.${k} must be a string`, 'value');
          else out.set(k, s);
        }
      }
      return out;
    }
    at(path, `${what} must be a map or a list of KEY=VALUE`, 'value');
    return undefined;
  };

  // Top-level secrets: id → file or environment.
  const topSecrets = new Map<string, { file?: string; env?: string; external?: boolean }>();
  const rawSecrets = root.secrets;
  if (rawSecrets !== undefined && rawSecrets !== null) {
    if (!isObj(rawSecrets)) at(['secrets'], 'secrets must be a map of secret definitions', 'value');
    else {
      for (const [id, def] of Object.entries(rawSecrets)) {
        const p = ['secrets', id];
        if (!isObj(def)) {
          at(p, `secret "${id}" must be a map with file or environment`, 'value');
          continue;
        }
        const entry: { file?: string; env?: string; external?: boolean } = {};
        const f = str(def.file, [...p, 'file'], `secrets.${id}.file`);
        if (f !== undefined) entry.file = cleanPath(f);
        const e = str(def.environment, [...p, 'environment'], `secrets.${id}.environment`);
        if (e !== undefined) entry.env = e;
        if (def.external === true) entry.external = true;
        topSecrets.set(id, entry);
      }
    }
  }

  const services = root.services;
  const target: Record<string, TargetConfig> = {};
  const members: string[] = [];
  if (services !== null && services !== undefined && !isObj(services)) at(['services'], 'services must be a map of service definitions', 'value');
  for (const [svc, raw] of Object.entries(isObj(services) ? services : {})) {
    if (raw !== null && !isObj(raw)) {
      at(['services', svc], `service "${svc}" must be a map`, 'value');
      continue;
    }
    const s = (raw ?? {}) as Obj;
    if (s.build === undefined || s.build === null) continue;
    const sp = ['services', svc];
    const name = svc.replaceAll('.', '_');
    if (!TARGET_NAME.test(name)) {
      at(sp, `invalid service name "${name}": only [a-zA-Z0-9_-]+ are allowed`);
      continue;
    }
    const bp = [...sp, 'build'];
    let build: Obj;
    if (typeof s.build === 'string') build = { context: s.build };
    else if (isObj(s.build)) build = s.build;
    else {
      at(bp, 'build must be a context path or a map', 'value');
      continue;
    }
    for (const k of Object.keys(build)) {
      if (BUILD_KEYS.includes(k) || k.startsWith('x-')) continue;
      at([...bp, k], `unknown key "${k}" in services.${svc}.build`, 'key', suggest(k, BUILD_KEYS));
    }
    const t: TargetConfig = {};
    const origin = (attr: string, key: string): void => {
      origins.set(`${name}\0${attr}`, typeof s.build === 'string' ? bp : [...bp, key]);
    };
    const set = <K extends keyof TargetConfig>(attr: K, key: string, value: TargetConfig[K] | undefined): void => {
      if (value === undefined) return;
      t[attr] = value;
      origin(attr, key);
    };

    const ctx = str(build.context, [...bp, 'context'], 'build.context');
    if (ctx !== undefined && ctx !== '') set('context', 'context', isRemote(ctx) ? ctx : cleanPath(ctx));
    const df = str(build.dockerfile, [...bp, 'dockerfile'], 'build.dockerfile');
    if (df) set('dockerfile', 'dockerfile', df);
    const dfi = str(build.dockerfile_inline, [...bp, 'dockerfile_inline'], 'build.dockerfile_inline');
    if (dfi) set('dockerfile-inline', 'dockerfile_inline', dfi);

    const extra = mapping(build.additional_contexts, [...bp, 'additional_contexts'], 'additional_contexts');
    if (extra) set('contexts', 'additional_contexts', namedContexts(extra));

    const shm = build.shm_size;
    if (shm !== undefined && shm !== null) {
      const bytes = typeof shm === 'number' ? shm : ramInBytes(text(shm, [...bp, 'shm_size']) ?? '');
      if (bytes === undefined) at([...bp, 'shm_size'], 'shm_size must be a size such as 128m or 1g', 'value');
      else if (bytes > 0) set('shm-size', 'shm_size', bytesSize(bytes));
    }
    const net = str(build.network, [...bp, 'network'], 'build.network');
    if (net) set('network', 'network', net);

    const ul = build.ulimits;
    if (ul !== undefined && ul !== null) {
      if (!isObj(ul)) at([...bp, 'ulimits'], 'ulimits must be a map of name: limit or name: {soft, hard}', 'value');
      else {
        const list: string[] = [];
        for (const k of Object.keys(ul).sort()) {
          const u = ul[k];
          // buildx reads a single number as soft=hard=0 (compose's `Single` field is not used): printed as bake prints it
          if (typeof u === 'number') list.push(`${k}=0:0`);
          else if (isObj(u) && typeof u.soft === 'number' && typeof u.hard === 'number') list.push(`${k}=${u.soft}:${u.hard}`);
          else at([...bp, 'ulimits', k], `ulimits.${k} must be a number or {soft, hard}`, 'value');
        }
        set('ulimits', 'ulimits', list);
      }
    }

    const hosts = mapping(build.extra_hosts, [...bp, 'extra_hosts'], 'extra_hosts', ['=', ':']);
    set('extra-hosts', 'extra_hosts', hosts ? Object.fromEntries([...hosts].map(([k, v]) => [k, v ?? ''])) : {});

    const ssh = sshEntries(build.ssh, [...bp, 'ssh']);
    if (ssh) set('ssh', 'ssh', ssh);

    const secrets: string[] = [];
    if (build.secrets !== undefined && build.secrets !== null) {
      if (!Array.isArray(build.secrets)) at([...bp, 'secrets'], 'build.secrets must be a list', 'value');
      else {
        build.secrets.forEach((x, i) => {
          const p = [...bp, 'secrets', i];
          const source = typeof x === 'string' ? text(x, p) : isObj(x) ? str(x.source, [...p, 'source'], 'secrets[].source') : undefined;
          if (source === undefined) {
            at(p, 'a build secret is a name or {source, target}', 'value');
            return;
          }
          const def = topSecrets.get(source);
          if (def?.external) {
            at(p, `unsupported external secret ${source}`, 'value');
            return;
          }
          const fields = [`id=${source}`];
          if (def?.file) fields.push(`src=${def.file}`);
          if (def?.env) fields.push(`env=${def.env}`);
          secrets.push(fields.map(csvQuote).join(','));
        });
      }
    }
    set('secret', 'secrets', secrets.length > 0 ? secrets : undefined);

    const labels = mapping(build.labels, [...bp, 'labels'], 'labels');
    // compose has no null labels: a bare key is an empty label
    if (labels) set('labels', 'labels', Object.fromEntries([...labels].map(([k, v]) => [k, v ?? ''])));

    const cacheFrom = strList(build.cache_from, [...bp, 'cache_from'], 'cache_from');
    if (cacheFrom) set('cache-from', 'cache_from', cacheFrom);
    const cacheTo = strList(build.cache_to, [...bp, 'cache_to'], 'cache_to');
    if (cacheTo) set('cache-to', 'cache_to', cacheTo);

    const attest: string[] = [];
    for (const kind of ['sbom', 'provenance'] as const) {
      const v = build[kind];
      if (v === undefined || v === null) continue;
      const s2 = text(v, [...bp, kind]);
      if (s2 === undefined) at([...bp, kind], `${kind} must be true, false or attestation options`, 'value');
      else if (s2 !== '') attest.push(canonicalAttest(kind, s2));
    }
    if (attest.length > 0) set('attest', kind0(build), attest);

    const noCache = bool(build.no_cache, [...bp, 'no_cache'], 'no_cache');
    if (noCache) set('no-cache', 'no_cache', true);
    const pull = bool(build.pull, [...bp, 'pull'], 'pull');
    if (pull) set('pull', 'pull', true);

    const tags = strList(build.tags, [...bp, 'tags'], 'tags');
    if (tags && tags.length > 0) set('tags', 'tags', tags);
    const platforms = strList(build.platforms, [...bp, 'platforms'], 'platforms');
    if (platforms && platforms.length > 0) set('platforms', 'platforms', platforms);

    // args: a bare key takes the service's environment (env_file values under `environment`), then
    // compose's environment; else it is dropped.
    const env = new Map<string, string | null>();
    const ef = s.env_file;
    for (const e of Array.isArray(ef) ? ef : ef === undefined || ef === null ? [] : [ef]) {
      const p = typeof e === 'string' ? e : isObj(e) && typeof e.path === 'string' ? e.path : undefined;
      if (p === undefined) continue;
      const text = options.envFiles?.get(p);
      if (text === undefined) {
        if (!(isObj(e) && e.required === false)) at([...sp, 'env_file'], `env file ${p} not found`, 'value');
        continue;
      }
      for (const [k, v] of Object.entries(parseDotEnv(text, options.lookup))) env.set(k, v);
    }
    for (const [k, v] of mapping(s.environment, [...sp, 'environment'], 'environment') ?? []) env.set(k, v);
    const args = mapping(build.args, [...bp, 'args'], 'args');
    if (args) {
      const out: Record<string, string> = {};
      for (const [k, v] of args) {
        if (v !== null) out[k] = v;
        else {
          const fromSvc = env.get(k);
          const resolved = fromSvc !== undefined && fromSvc !== null ? fromSvc : options.lookup(k);
          if (resolved !== undefined) out[k] = resolved;
        }
      }
      if (Object.keys(out).length > 0) set('args', 'args', out);
    }

    const xb = build['x-bake'];
    if (xb !== undefined && xb !== null) applyXBake(t, xb, [...bp, 'x-bake'], { text, str, strList, bool, at, origin });

    const tgt = str(build.target, [...bp, 'target'], 'build.target');
    if (tgt) set('target', 'target', tgt);
    if ((t.tags ?? []).length === 0 && s.image !== undefined && s.image !== null) {
      const image = str(s.image, [...sp, 'image'], 'image');
      if (image) {
        t.tags = [image];
        origins.set(`${name}\0tags`, [...sp, 'image']);
      }
    }
    target[name] = t;
    members.push(name);
  }

  const config: ConfigFile = {};
  if (members.length > 0) {
    config.group = { default: { targets: members } };
    config.target = target;
  }
  return {
    config,
    diagnostics,
    sourcePath(path) {
      if (path[0] === 'group') return ['services'];
      if (path[0] !== 'target' || path.length < 2) return undefined;
      const name = String(path[1]);
      const svc = Object.keys(isObj(services) ? services : {}).find((k) => k.replaceAll('.', '_') === name) ?? name;
      if (path.length === 2) return ['services', svc];
      const o = origins.get(`${name}\0${String(path[2])}`);
      return o ? [...o, ...path.slice(3)] : ['services', svc, 'build'];
    },
  };
}

function kind0(build: Obj): string {
  return build.sbom !== undefined ? 'sbom' : 'provenance';
}

function isRemote(ctx: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(ctx) || ctx.startsWith('git@');
}

function csvQuote(field: string): string {
  return /[",\n\r]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

function namedContexts(m: Map<string, string | null>, clean = true): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v0] of m) {
    let v = v0 ?? '';
    if (v.startsWith('service:') || v.startsWith('target:')) v = `target:${v.slice(v.indexOf(':') + 1).replaceAll('.', '_')}`;
    // compose-go cleans local paths (not URLs, images or targets)
    else if (clean && v !== '' && !v.includes('://') && !v.startsWith('git@')) v = cleanPath(v);
    out[k] = v;
  }
  return out;
}

function sshEntries(v: unknown, path: KeyPath): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list: { id: string; path: string }[] = [];
  if (Array.isArray(v)) {
    for (const x of v) {
      const s = String(x);
      const eq = s.indexOf('=');
      list.push(eq < 0 ? { id: s, path: '' } : { id: s.slice(0, eq), path: s.slice(eq + 1) });
    }
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) list.push({ id: k, path: x === null ? '' : String(x) });
  } else {
    void path;
    return undefined;
  }
  // buildx sorts them (SSH.Less: by id, then paths)
  list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return list.map((e) => (e.path === '' ? e.id : `${e.id}=${e.path}`));
}

interface XBakeHelpers {
  text(v: unknown, path: KeyPath): string | undefined;
  str(v: unknown, path: KeyPath, what: string): string | undefined;
  strList(v: unknown, path: KeyPath, what: string): string[] | undefined;
  bool(v: unknown, path: KeyPath, what: string): boolean | undefined;
  at(path: KeyPath, message: string, part?: 'key' | 'value', suggestion?: string): void;
  origin(attr: string, key: string): void;
}

const XBAKE_KEYS = ['tags', 'cache-from', 'cache-to', 'secret', 'ssh', 'platforms', 'output', 'pull', 'no-cache', 'no-cache-filter', 'contexts'];

/** composeExtTarget: x-bake's fields appended (tags, platforms, filters de-duplicated) or set. */
function applyXBake(t: TargetConfig, xb: unknown, path: KeyPath, h: XBakeHelpers): void {
  if (!isObj(xb)) {
    h.at(path, 'x-bake must be a map', 'value');
    return;
  }
  for (const k of Object.keys(xb)) if (!XBAKE_KEYS.includes(k)) h.at([...path, k], `unknown key "${k}" in x-bake`, 'key', suggest(k, XBAKE_KEYS));
  // stringArray: a list, or one string split on whitespace
  const arr = (key: string): string[] | undefined => {
    const v = xb[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return (h.text(v, [...path, key]) ?? '').split(/\s+/).filter(Boolean);
    return h.strList(v, [...path, key], `x-bake.${key}`);
  };
  const uniq = (a: string[]): string[] => [...new Set(a)];
  const add = (attr: keyof TargetConfig, values: string[] | undefined, dedupe: boolean): void => {
    if (!values || values.length === 0) return;
    const prev = (t[attr] as string[] | undefined) ?? [];
    (t as Record<string, unknown>)[attr] = dedupe ? uniq([...prev, ...values]) : [...prev, ...values];
    h.origin(attr, `x-bake`);
  };
  add('tags', arr('tags'), true);
  add('cache-from', arr('cache-from'), false);
  add('cache-to', arr('cache-to'), false);
  add('secret', arr('secret'), false);
  const ssh = arr('ssh');
  if (ssh && ssh.length > 0) {
    const all = [...(t.ssh ?? []), ...ssh].map(String);
    t.ssh = all.sort((a, b) => {
      const [ia, pa] = splitSsh(a);
      const [ib, pb] = splitSsh(b);
      return ia < ib ? -1 : ia > ib ? 1 : pa < pb ? -1 : pa > pb ? 1 : 0;
    });
  }
  add('platforms', arr('platforms'), true);
  add('output', arr('output'), false);
  const pull = h.bool(xb.pull, [...path, 'pull'], 'x-bake.pull');
  if (pull !== undefined) t.pull = pull;
  const noCache = h.bool(xb['no-cache'], [...path, 'no-cache'], 'x-bake.no-cache');
  if (noCache !== undefined) t['no-cache'] = noCache;
  add('no-cache-filter', arr('no-cache-filter'), true);
  const ctx = xb.contexts;
  if (ctx !== undefined && ctx !== null) {
    if (!isObj(ctx)) h.at([...path, 'contexts'], 'x-bake.contexts must be a map', 'value');
    else {
      const m = new Map<string, string | null>();
      for (const [k, v] of Object.entries(ctx)) m.set(k, h.text(v, [...path, 'contexts', k]) ?? '');
      // dedupMap: what the service already has wins
      t.contexts = { ...namedContexts(m, false), ...(t.contexts ?? {}) };
      h.origin('contexts', 'x-bake');
    }
  }
}

function splitSsh(s: string): [string, string] {
  const eq = s.indexOf('=');
  return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)];
}
