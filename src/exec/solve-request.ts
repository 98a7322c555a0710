/**
 * Turns a ResolvedTarget into the Dockerfile frontend's solve parameters. Mirrors what buildx sends
 * (build/opt.go in docker/buildx): frontend attributes, exporters, cache entries, local dirs.
 * Pure: no I/O except naming temp paths handed in by the caller.
 */
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { PlannedExport, ResolvedTarget, TypedEntry } from '../plan/types.js';
import { engineStoreRef } from '../plan/exports.js';

export interface ExportSpec {
  /** BuildKit exporter type (`moby`, `image`, `docker`, `oci`, `local`, `tar`). */
  type: string;
  attrs: Record<string, string>;
  /**
   * Where the exporter's stream goes: a dir (local), a file or stdout (tarballs), the docker engine
   * (load), or an OCI layout dir written through the session's content store (oci-context.ts).
   */
  output?:
    | { kind: 'dir'; dest: string }
    | { kind: 'layout'; dir: string }
    | { kind: 'file'; dest: string }
    | { kind: 'stdout' }
    | { kind: 'load' };
}

export interface SolveSpec {
  frontendAttrs: Record<string, string>;
  /** Local name → absolute directory. */
  localDirs: Record<string, string>;
  exporters: ExportSpec[];
  cacheImports: { type: string; attrs: Record<string, string> }[];
  cacheExports: { type: string; attrs: Record<string, string> }[];
  entitlements: string[];
  /** The image name dependents use as `docker-image://` (a result in the engine's store). */
  internalRef?: string;
}

export interface SolveSpecInput {
  target: ResolvedTarget;
  /** Image refs of already built `target:` dependencies, by target name. */
  dependencyRefs: Record<string, string>;
  /** Directory holding a written `dockerfile-inline`, when the target has one. */
  inlineDockerfileDir?: string;
}

/** A stable short key for a directory, so one context shared by several targets is one local. */
export function localKey(prefix: string, dir: string): string {
  return `${prefix}-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`;
}

export function solveSpecFor(input: SolveSpecInput): SolveSpec {
  const { target: t } = input;
  const attrs: Record<string, string> = {};
  const localDirs: Record<string, string> = {};

  // Context and Dockerfile locals. `contextkey`/`dockerfilekey` name them after their directory, but the
  // Dockerfile frontend (v0.8 and v0.13 alike) still asks for the context as `context` for COPY, so the
  // client gives each solve its own session (see src/buildkit/README.md); the stable per-directory key
  // keeps BuildKit's incremental transfer working across targets and runs.
  if (t.contextIsLocal) {
    const key = localKey('ctx', t.context);
    localDirs[key] = t.context;
    attrs['contextkey'] = key;
  } else {
    attrs['context'] = t.context;
  }
  if (input.inlineDockerfileDir) {
    const key = localKey('df', input.inlineDockerfileDir);
    localDirs[key] = input.inlineDockerfileDir;
    attrs['dockerfilekey'] = key;
    attrs['filename'] = 'Dockerfile';
  } else if (t.contextIsLocal || path.isAbsolute(t.dockerfile)) {
    const file = path.isAbsolute(t.dockerfile) ? t.dockerfile : path.join(t.context, t.dockerfile);
    const dir = path.dirname(file);
    const key = localKey('df', dir);
    localDirs[key] = dir;
    attrs['dockerfilekey'] = key;
    attrs['filename'] = path.basename(file);
  } else {
    attrs['filename'] = t.dockerfile;
  }

  if (t.target) attrs['target'] = t.target;
  for (const [k, v] of Object.entries(t.args)) attrs[`build-arg:${k}`] = v;
  for (const [k, v] of Object.entries(t.labels)) attrs[`label:${k}`] = v;
  if (t.platforms.length > 0) attrs['platform'] = t.platforms.join(',');
  if (t.platforms.length > 1) attrs['multi-platform'] = 'true';
  if (t.noCache) attrs['no-cache'] = '';
  else if (t.noCacheFilter.length > 0) attrs['no-cache'] = t.noCacheFilter.join(',');
  if (t.pull) attrs['image-resolve-mode'] = 'pull';
  const hosts = Object.entries(t.extraHosts).map(([h, ip]) => `${h}=${ip}`);
  if (hosts.length > 0) attrs['add-hosts'] = hosts.join(',');
  if (t.network && t.network !== 'default') attrs['force-network-mode'] = t.network;
  if (t.shmSize) attrs['shm-size'] = String(parseSize(t.shmSize));
  if (t.ulimits.length > 0) attrs['ulimit'] = t.ulimits.join(',');
  for (const a of t.attest) {
    const { type, ...rest } = { type: a.type, ...a.attrs };
    attrs[`attest:${type}`] = Object.entries(rest)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  for (const [name, ctx] of Object.entries(t.contexts)) {
    switch (ctx.kind) {
      case 'target': {
        const ref = input.dependencyRefs[ctx.target];
        if (ref) attrs[`context:${name}`] = `docker-image://${ref}`;
        break;
      }
      case 'local': {
        const key = localKey('nc', ctx.path);
        localDirs[key] = ctx.path;
        attrs[`context:${name}`] = `local:${key}`;
        break;
      }
      case 'image':
        attrs[`context:${name}`] = ctx.ref.startsWith('docker-image://') ? ctx.ref : `docker-image://${ctx.ref}`;
        break;
      case 'url':
        attrs[`context:${name}`] = ctx.url;
        break;
    }
  }

  const cacheImports = t.cacheFrom.map(toCacheEntry);
  if (cacheImports.length > 0) {
    attrs['cache-imports'] = JSON.stringify(cacheImports.map((c) => ({ Type: c.type, Attrs: c.attrs })));
  }
  const cacheExports = t.cacheTo.map(toCacheEntry);

  const exporters = t.exports.map(exporterSpecFor).filter((e): e is ExportSpec => e !== undefined);
  // Dependents reach a result in the engine's image store by its name.
  const internalRef = engineStoreRef(t.exports);

  return {
    frontendAttrs: attrs,
    localDirs,
    exporters,
    cacheImports,
    cacheExports,
    // `network: host` runs every RUN on the host network, which BuildKit grants only with the
    // entitlement in the solve (buildx adds it too); the CLI has checked --allow network.host.
    entitlements: t.network === 'host' && !t.entitlements.includes('network.host') ? [...t.entitlements, 'network.host'] : t.entitlements,
    ...(internalRef ? { internalRef } : {}),
  };

  function toCacheEntry(e: TypedEntry): { type: string; attrs: Record<string, string> } {
    return { type: e.type, attrs: { ...e.attrs } };
  }
}

/**
 * The BuildKit exporter of one planned export: a mapping, no decisions (those are the planner's,
 * src/plan/exports.ts).
 */
export function exporterSpecFor(e: PlannedExport): ExportSpec | undefined {
  switch (e.kind) {
    case 'cache-only':
      return undefined;
    case 'engine-store':
      return { type: 'moby', attrs: { ...e.attrs } };
    case 'load':
      return { type: e.format, attrs: { ...e.attrs }, output: { kind: 'load' } };
    case 'image':
      return { type: 'image', attrs: { ...e.attrs } };
    case 'local':
      return { type: 'local', attrs: { ...e.attrs }, output: { kind: 'dir', dest: e.dest } };
    case 'tarball':
      return { type: e.format, attrs: { ...e.attrs }, output: e.dest === '-' ? { kind: 'stdout' } : { kind: 'file', dest: e.dest } };
    case 'oci-layout':
      return { type: e.format, attrs: { ...e.attrs }, output: { kind: 'layout', dir: e.dir } };
    case 'exporter':
      return { type: e.type, attrs: { ...e.attrs } };
  }
}

/** Docker's size syntax (`128m`, `1g`, bytes) → bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) return Number(text);
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : unit === 't' ? 1024 ** 4 : 1;
  return Math.round(n * mult);
}
