/**
 * planContentStores (src/exec/oci-context.ts): which stores a solve serves and how the cache entries,
 * exporters and named contexts are rewritten for them. Pure apart from temp directories; the daemon's
 * side is in test/integration/content-store-remote.test.ts.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { putIndexEntry } from '../../src/buildkit/index.js';
import { OCI_DIGEST_KEY, OCI_LAYOUT_KEY, planContentStores, requireOciHandoff, type ContentStoreInput } from '../../src/exec/oci-context.js';
import { handoffProblem } from '../../src/plan/exports.js';
import type { TargetResult } from '../../src/events.js';
import type { DriverCapabilities, Plan, ResolvedTarget } from '../../src/plan/types.js';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-cplan-'));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

function target(name: string, extra: Partial<ResolvedTarget> = {}): ResolvedTarget {
  return {
    name, context: root, contextIsLocal: true, dockerfile: 'Dockerfile', args: {}, labels: {}, tags: [], platforms: [],
    cacheFrom: [], cacheTo: [], outputs: [], exports: [], secrets: [], ssh: [], noCache: false, noCacheFilter: [], pull: false,
    ulimits: [], extraHosts: {}, annotations: [], attest: [], entitlements: [], contexts: {}, dependsOn: [],
    builder: 'rb', ...extra,
  };
}
function plan(targets: ResolvedTarget[]): Plan {
  const order = targets.map((t) => t.name);
  return { requested: order, targets: Object.fromEntries(targets.map((t) => [t.name, t])), groups: {}, builders: {}, edges: [], order, levels: [order], warnings: [] };
}
const caps = (minor?: number): DriverCapabilities => ({
  loadsByDefault: false, cacheExport: 'all', tarballOutput: true, multiPlatform: true, buildkitConfig: true, namedContexts: true,
  multipleExporters: minor === undefined || minor >= 13, ...(minor !== undefined ? { buildkitMinor: minor } : {}),
});
function input(t: ResolvedTarget, p: Plan, extra: Partial<ContentStoreInput> = {}): ContentStoreInput {
  return { target: t, plan: p, caps: caps(), results: new Map(), tmpDir: root, internalRef: undefined, frontendAttrs: {}, cacheImports: [], cacheExports: [], exporters: [], layoutDirs: [], ...extra };
}

describe('planContentStores', () => {
  test('local caches: paths become ASCII store keys; cache-from resolves the tag to a digest, or is skipped when the directory has none', async () => {
    const dest = path.join(root, 'cäche');
    const empty = path.join(root, 'empty');
    await putIndexEntry(dest, { mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1 }, [{ tag: 'latest' }]);
    const t = target('app');
    const inp = input(t, plan([t]), {
      frontendAttrs: { 'cache-imports': 'stale' },
      cacheExports: [{ type: 'local', attrs: { dest, mode: 'max' } }],
      cacheImports: [{ type: 'local', attrs: { src: dest } }, { type: 'local', attrs: { src: empty } }, { type: 'registry', attrs: { ref: 'r/c' } }],
    });
    const res = await planContentStores(inp);
    const exportKey = inp.cacheExports[0]!.attrs['dest']!;
    expect(exportKey).toMatch(/^tsbake-cache-[0-9a-f]{16}$/);
    expect(inp.cacheImports).toEqual([
      { type: 'local', attrs: { src: exportKey, digest: `sha256:${'a'.repeat(64)}` } },
      { type: 'registry', attrs: { ref: 'r/c' } },
    ]);
    expect(JSON.parse(inp.frontendAttrs['cache-imports']!)).toEqual(inp.cacheImports.map((c) => ({ Type: c.type, Attrs: c.attrs })));
    // One directory used both ways is one writable store.
    expect(res.stores).toEqual({ [`local:${exportKey}`]: { dir: dest, writable: true } });

    await res.finish({ 'cache.manifest': JSON.stringify({ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${'b'.repeat(64)}`, size: 2 }) });
    const index = JSON.parse(await fs.readFile(path.join(dest, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests.map((m) => m.digest)).toEqual([`sha256:${'b'.repeat(64)}`]);
  });

  test('a dependency with target: dependents gets an extra OCI exporter into the run dir; a daemon known to allow one exporter is refused before the solve', async () => {
    const base = target('base');
    const app = target('app', { contexts: { base: { kind: 'target', target: 'base' } } });
    const p = plan([base, app]);
    const inp = input(base, p, { exporters: [{ type: 'oci', attrs: {}, output: { kind: 'stdout' } }] });
    const res = await planContentStores(inp);
    expect(inp.exporters[1]).toEqual({ type: 'oci', attrs: { tar: 'false' } });
    expect(res.stores['export']?.dir.startsWith(root)).toBe(true);
    await res.discard();

    // The refusal is the planner's (plan/exports.ts), made by the runner before any solve.
    const withImage = { ...base, exports: [{ kind: 'image' as const, attrs: {} }] };
    expect(handoffProblem(withImage, p.targets, caps(12), false)).toMatch(/allows one exporter per solve \(BuildKit v0\.13\+ allows several\)/);
    expect(handoffProblem(withImage, p.targets, caps(13), false)).toBeUndefined();
    expect(handoffProblem(withImage, p.targets, caps(12), true)).toBeUndefined();
    expect(handoffProblem({ ...base, exports: [{ kind: 'engine-store', attrs: { name: 'tsbake-local/base:latest' } }] }, p.targets, caps(12), false)).toBeUndefined();
    expect(handoffProblem({ ...app, exports: withImage.exports }, p.targets, caps(12), false)).toBeUndefined();
    // No other output: one exporter is enough, on any daemon.
    expect(handoffProblem({ ...base, exports: [{ kind: 'cache-only' }] }, p.targets, caps(12), false)).toBeUndefined();
    const alone = input(base, p, { caps: caps(12) });
    await planContentStores(alone);
    expect(alone.exporters).toEqual([{ type: 'oci', attrs: { tar: 'false' } }]);
    // An image ref dependents can use (docker driver, pushed image): no handoff.
    const withRef = input(base, p, { internalRef: 'tsbake-local/base:latest' });
    await planContentStores(withRef);
    expect(withRef.exporters).toEqual([]);
  });

  test('the dependent gets context:NAME=oci-layout://<store>@<digest> and a read-only oci:<store>; without a layout the dependency is refused clearly', async () => {
    const layout = path.join(root, 'oci-base');
    const digest = `sha256:${'c'.repeat(64)}`;
    await putIndexEntry(layout, { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest, size: 3 }, [{ tag: 'latest' }]);
    const base = target('base');
    const app = target('app', { contexts: { base: { kind: 'target', target: 'base' } } });
    const dep: TargetResult = { target: 'base', state: 'built', exporterResponse: { [OCI_LAYOUT_KEY]: layout, [OCI_DIGEST_KEY]: digest }, durationMs: 1, steps: { total: 1, cached: 0 } };
    const inp = input(app, plan([base, app]), { results: new Map([['base', dep]]) });
    const res = await planContentStores(inp);
    const m = /^oci-layout:\/\/(tsbake-oci-[0-9a-f]{16})@(sha256:c{64})$/.exec(inp.frontendAttrs['context:base'] ?? '');
    expect(m).not.toBeNull();
    expect(res.stores[`oci:${m![1]}`]).toEqual({ dir: layout, writable: false });

    await expect(requireOciHandoff(app, 'base', 'base', dep, 'remote')).resolves.toBeUndefined();
    const none: TargetResult = { ...dep, exporterResponse: {} };
    await expect(requireOciHandoff(app, 'base', 'base', none, 'remote')).rejects.toThrow(/context "base" uses target:base, but base's result was not handed over on the remote driver/);
  });
});
