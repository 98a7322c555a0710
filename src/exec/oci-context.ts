/**
 * Everything a solve serves from the session's content store (src/buildkit/content-store.ts):
 *
 * - `cache-to type=local,dest=DIR`: the daemon writes the cache blobs into store `local:<dest>`; after the
 *   solve tsbake records the `cache.manifest` descriptor in `DIR/index.json` under `tag` (default
 *   `latest`), as BuildKit's Go client does (client/solve.go parseCacheOptions + ociindex).
 * - `cache-from type=local,src=DIR`: tsbake resolves `tag` in `DIR/index.json` to a digest and passes it
 *   as the `digest` attribute; the daemon reads the blobs from store `local:<src>`. A directory without
 *   the tag is skipped, as buildx does (nothing to import yet is not an error).
 *   The daemon uses `dest`/`src` only as the store id, so tsbake sends a short ASCII key instead of the
 *   path (gRPC header values must be printable ASCII; paths need not be).
 * - `type=oci|docker,tar=false,dest=DIR`: the exporter copies the image into store `export`; tsbake
 *   writes it to a temp dir beside DIR, adds `index.json`, and swaps it into place at the end, so DIR
 *   is complete or untouched.
 * - `target:` contexts on builders without a shared image store: the dependency is ALSO exported as an
 *   OCI layout into the run's temp dir (one more exporter: BuildKit v0.13+), and the dependent gets
 *   `context:NAME=oci-layout://<store>@<digest>`, its blobs served from store `oci:<store>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { indexEntryFor, putIndexEntry, type ContentStoreDir, type ExporterSpec } from '../buildkit/index.js';
import { moveDirIntoPlace } from '../buildkit/destination.js';
import { TsbakeError } from '../errors.js';
import type { DriverCapabilities, Plan, ResolvedTarget } from '../plan/types.js';
import type { TargetResult } from '../events.js';

/** exporterResponse keys a dependency's result carries for its dependents. */
export const OCI_LAYOUT_KEY = 'tsbake.oci-layout';
export const OCI_DIGEST_KEY = 'tsbake.oci-digest';

export interface ContentStoreInput {
  target: ResolvedTarget;
  plan: Plan;
  caps: DriverCapabilities;
  results: Map<string, TargetResult>;
  tmpDir: string;
  /** The image ref dependents can use instead (docker driver, pushed images): no OCI handoff then. */
  internalRef: string | undefined;
  /** Mutated: `context:NAME` for OCI handoffs, `cache-imports`. */
  frontendAttrs: Record<string, string>;
  /** Mutated: local entries get store keys (and a digest). */
  cacheImports: { type: string; attrs: Record<string, string> }[];
  cacheExports: { type: string; attrs: Record<string, string> }[];
  /** Mutated: the handoff exporter is appended. */
  exporters: ExporterSpec[];
  /**
   * The planned OCI layout outputs' directories (tar=false, src/plan/exports.ts): at most one, its
   * exporter sent without a FileSend output. The planner refused a second one.
   */
  layoutDirs: string[];
}

export interface ContentStorePlan {
  /** For SolveParams.contentStores. */
  stores: Record<string, ContentStoreDir>;
  /** After a successful solve: index.json updates, layout dirs moved into place. Returns keys to add to the result. */
  finish(exporterResponse: Record<string, string>): Promise<Record<string, string>>;
  /** After a failed solve: remove temp dirs. */
  discard(): Promise<void>;
}

const MANIFEST_TYPES = new Set([
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);

function key(prefix: string, dir: string): string {
  return `${prefix}-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`;
}

/** Whether some target of the plan takes `name` as a `target:` context. */
function hasTargetDependents(plan: Plan, name: string): boolean {
  return Object.values(plan.targets).some((t) => Object.values(t.contexts).some((c) => c.kind === 'target' && c.target === name));
}

/**
 * For solve-target's dependency loop: true when `dep` left an OCI layout for its dependents. Otherwise
 * throws the refusal that names what to do.
 */
export async function requireOciHandoff(t: ResolvedTarget, contextName: string, depName: string, dep: TargetResult | undefined, driver: string): Promise<void> {
  const dir = dep?.exporterResponse[OCI_LAYOUT_KEY];
  const digest = dep?.exporterResponse[OCI_DIGEST_KEY];
  if (dir && digest && (await fs.stat(path.join(dir, 'index.json')).then(() => true, () => false))) return;
  throw new TsbakeError(
    'capability',
    `target ${t.name}: context "${contextName}" uses target:${depName}, but ${depName}'s result was not handed over on the ${driver} driver` +
      (dir ? ` (its OCI layout ${dir} is gone; run both targets together)` : '') +
      `: build both targets in the same run on a BuildKit v0.13+ builder, or give ${depName} an image output that pushes to a registry and use docker-image://`,
  );
}

export async function planContentStores(input: ContentStoreInput): Promise<ContentStorePlan> {
  const { target: t } = input;
  const stores: Record<string, ContentStoreDir> = {};
  const addStore = (id: string, spec: ContentStoreDir): void => {
    const prev = stores[id];
    stores[id] = prev ? { dir: prev.dir, writable: prev.writable || spec.writable } : spec;
  };
  const cacheDests: { dir: string; tag: string }[] = [];
  const temps: string[] = [];
  let layoutOutput: { dest: string; tmp: string } | undefined;
  let handoff: { dir: string; finalDir: string } | undefined;

  // Local caches.
  for (const e of input.cacheExports) {
    if (e.type !== 'local') continue;
    const dest = e.attrs['dest'];
    if (!dest) throw new TsbakeError('invalid-config', `target ${t.name}: cache-to type=local needs dest=DIR`);
    await fs.mkdir(dest, { recursive: true });
    const k = key('tsbake-cache', dest);
    e.attrs['dest'] = k;
    addStore(`local:${k}`, { dir: dest, writable: true });
    cacheDests.push({ dir: dest, tag: e.attrs['tag'] ?? 'latest' });
  }
  const imports: typeof input.cacheImports = [];
  for (const e of input.cacheImports) {
    if (e.type !== 'local') {
      imports.push(e);
      continue;
    }
    const src = e.attrs['src'];
    if (!src) throw new TsbakeError('invalid-config', `target ${t.name}: cache-from type=local needs src=DIR`);
    if (!e.attrs['digest']) {
      const found = await indexEntryFor(src, e.attrs['tag'] ?? 'latest');
      // Nothing cached there yet (first build): skip the import, as buildx does.
      if (!found) continue;
      e.attrs['digest'] = found.digest;
    }
    const k = key('tsbake-cache', src);
    e.attrs['src'] = k;
    addStore(`local:${k}`, { dir: src, writable: false });
    imports.push(e);
  }
  input.cacheImports.splice(0, input.cacheImports.length, ...imports);
  if (imports.length > 0) input.frontendAttrs['cache-imports'] = JSON.stringify(imports.map((c) => ({ Type: c.type, Attrs: c.attrs })));
  else delete input.frontendAttrs['cache-imports'];

  // OCI layout outputs (tar=false): through store `export` (one per solve: BuildKit names it so).
  for (const dir of input.layoutDirs) {
    if (layoutOutput) throw new Error(`internal: target ${t.name}: a second OCI layout output reached the solve`);
    const dest = path.resolve(dir);
    await fs.mkdir(path.dirname(dest), { recursive: true });
    const tmp = path.join(path.dirname(dest), `.${path.basename(dest)}.tmp-${randomBytes(4).toString('hex')}`);
    await fs.mkdir(tmp);
    temps.push(tmp);
    layoutOutput = { dest, tmp };
    addStore('export', { dir: tmp, writable: true });
  }

  // The handoff to `target:` dependents.
  if (!input.internalRef && hasTargetDependents(input.plan, t.name)) {
    if (layoutOutput) handoff = { dir: layoutOutput.tmp, finalDir: layoutOutput.dest };
    else {
      // A daemon with one exporter per solve cannot add this one next to the target's own outputs: the
      // runner refused that before any solve (plan/exports.ts handoffProblem).
      const dir = path.join(input.tmpDir, `oci-${t.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${randomBytes(3).toString('hex')}`);
      await fs.mkdir(dir, { recursive: true });
      handoff = { dir, finalDir: dir };
      input.exporters.push({ type: 'oci', attrs: { tar: 'false' } });
      addStore('export', { dir, writable: true });
    }
  }

  // Dependents' side: target: contexts that have no image ref come from the dependency's OCI layout.
  for (const [name, ctx] of Object.entries(t.contexts)) {
    if (ctx.kind !== 'target' || input.frontendAttrs[`context:${name}`] !== undefined) continue;
    const dep = input.results.get(ctx.target);
    const dir = dep?.exporterResponse[OCI_LAYOUT_KEY];
    const digest = dep?.exporterResponse[OCI_DIGEST_KEY];
    if (!dir || !digest) continue;
    // The store name is parsed as an image reference name by the frontend: lower-case, no path.
    const storeName = key('tsbake-oci', dir);
    input.frontendAttrs[`context:${name}`] = `oci-layout://${storeName}@${digest}`;
    addStore(`oci:${storeName}`, { dir, writable: false });
  }

  return {
    stores,
    async finish(res) {
      const extra: Record<string, string> = {};
      const manifest = res['cache.manifest'];
      if (manifest && cacheDests.length > 0) {
        const desc = JSON.parse(manifest) as { mediaType: string; digest: string; size: number };
        for (const c of cacheDests) await putIndexEntry(c.dir, desc, [{ tag: c.tag }]);
      }
      const layoutDir = layoutOutput?.tmp ?? handoff?.dir;
      if (layoutDir) {
        const desc = await imageDescriptor(layoutDir, res);
        if (!desc) {
          throw new TsbakeError(
            'daemon-error',
            `target ${t.name}: the daemon wrote no image into the OCI layout (it may allow only one exporter per solve: BuildKit v0.13+ is needed for an OCI layout next to other outputs)`,
          );
        }
        const names = (res['image.name'] ?? '').split(',').filter(Boolean);
        await putIndexEntry(layoutDir, desc, names.length > 0 ? names.map((n) => ({ name: n })) : [{ tag: 'latest' }]);
        await fs.rm(path.join(layoutDir, '.tsbake-ingest'), { recursive: true, force: true });
        // Merged into an existing dest (blobs are content-addressed; index.json and oci-layout are
        // overwritten), never swapped in whole: `dest=.` once took the project with it.
        if (layoutOutput) await moveDirIntoPlace(layoutOutput.tmp, layoutOutput.dest);
        if (handoff) {
          extra[OCI_LAYOUT_KEY] = handoff.finalDir;
          extra[OCI_DIGEST_KEY] = desc.digest;
        }
      }
      return extra;
    },
    async discard() {
      await Promise.all(temps.map((d) => fs.rm(d, { recursive: true, force: true }).catch(() => undefined)));
      if (handoff && handoff.dir !== layoutOutput?.tmp) await fs.rm(handoff.dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/**
 * The image's root descriptor: `containerimage.descriptor` (v0.12+, base64 JSON) when its blob is in
 * this layout; else `containerimage.digest`; else the one manifest or index blob no other blob refers to.
 * (With several exporters the response keys of one may shadow another's, so the layout has the last word.)
 */
async function imageDescriptor(dir: string, res: Record<string, string>): Promise<{ mediaType: string; digest: string; size: number; annotations?: Record<string, string> } | undefined> {
  const blob = (d: string): string => path.join(dir, 'blobs', ...d.split(':'));
  const has = (d: string | undefined): Promise<boolean> => (d && /^sha(256|512):[a-f0-9]+$/.test(d) ? fs.stat(blob(d)).then(() => true, () => false) : Promise.resolve(false));
  const encoded = res['containerimage.descriptor'];
  if (encoded) {
    try {
      const d = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as { mediaType: string; digest: string; size: number; annotations?: Record<string, string> };
      if (await has(d.digest)) return { mediaType: d.mediaType, digest: d.digest, size: d.size, ...(d.annotations ? { annotations: d.annotations } : {}) };
    } catch {
      // fall through
    }
  }
  const candidates: { mediaType: string; digest: string; size: number; refs: string[] }[] = [];
  for (const alg of ['sha256', 'sha512']) {
    const names = await fs.readdir(path.join(dir, 'blobs', alg)).catch(() => [] as string[]);
    for (const n of names) {
      const file = path.join(dir, 'blobs', alg, n);
      const st = await fs.stat(file);
      if (st.size > 4 * 1024 * 1024) continue;
      try {
        const j = JSON.parse(await fs.readFile(file, 'utf8')) as { mediaType?: string; manifests?: { digest: string }[]; layers?: { digest: string }[]; config?: { digest: string } };
        const mediaType = j.mediaType ?? (j.manifests ? 'application/vnd.oci.image.index.v1+json' : j.layers ? 'application/vnd.oci.image.manifest.v1+json' : '');
        if (!MANIFEST_TYPES.has(mediaType)) continue;
        const refs = [...(j.manifests ?? []), ...(j.layers ?? []), ...(j.config ? [j.config] : [])].map((r) => r.digest);
        candidates.push({ mediaType, digest: `${alg}:${n}`, size: st.size, refs });
      } catch {
        // a layer, not JSON
      }
    }
  }
  const referenced = new Set(candidates.flatMap((c) => c.refs));
  const wanted = res['containerimage.digest'];
  const byDigest = candidates.find((c) => c.digest === wanted);
  const root = byDigest ?? candidates.find((c) => !referenced.has(c.digest));
  return root ? { mediaType: root.mediaType, digest: root.digest, size: root.size } : undefined;
}

