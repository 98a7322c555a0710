/**
 * Multi-node builders at run time: every node opened at the start (an unreachable one is reported by
 * name and left out), each target placed by the rule of plan/nodes.ts with the nodes' live load, and a
 * target whose platforms land on several nodes built as one solve per node whose OCI layouts are
 * merged into one image index (oci-merge.ts) and then pushed, written or loaded.
 */
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { ResolvedBuilder, ResolvedTarget } from '../plan/types.js';
import { assignPlatforms, describeUnassignable, formatNodeParts, type NodeAssignment, type NodePart, type NodeView } from '../plan/nodes.js';
import type { BuilderHandle } from './builders.js';
import type { BuilderPool } from './pool.js';
import type { BuildEvent, EventSink, TargetFailure, TargetResult } from '../events.js';
import { solveTarget, type SolveTargetInput } from './solve-target.js';
import { layoutTarball, mergeLayouts, type MergedLayout } from './oci-merge.js';
import { pushIndex, type Descriptor } from './registry.js';
import { OCI_DIGEST_KEY, OCI_LAYOUT_KEY } from './oci-context.js';
import { loadImageTarball } from './load.js';
import { dockerConfigAuth } from '../buildkit/auth.js';
import { isAbortError, TsbakeError } from '../errors.js';

/** exporterResponse key: where each platform was built (`node=platform,platform;node=…`). */
export const NODES_KEY = 'tsbake.nodes';
/** exporterResponse key of a merged result that still has to be pushed (deferred push). */
const MERGED_INDEX_KEY = 'tsbake.merged-index';

export interface NodeEntry {
  node: ResolvedBuilder;
  handle?: BuilderHandle;
  /** Why it did not open. */
  error?: string;
  load: number;
}

/** The label messages use for a node: `node "arm" of builder "fleet"`. */
export function nodeLabel(node: ResolvedBuilder): string {
  if (node.node === undefined) return `builder "${node.name}"`;
  return `node "${node.node}" of builder "${node.name.slice(0, -(node.node.length + 1))}"`;
}

export class NodeSet {
  constructor(
    readonly builder: ResolvedBuilder,
    readonly entries: NodeEntry[],
  ) {}

  views(): NodeView[] {
    return this.entries.map((e) => ({
      name: e.node.node ?? e.node.name,
      platforms: e.node.platforms.length > 0 ? e.node.platforms : [...new Set((e.handle?.workers ?? []).flatMap((w) => w.platforms))],
      reachable: e.handle !== undefined,
      load: e.load,
    }));
  }

  assign(platforms: readonly string[]): NodeAssignment {
    return assignPlatforms(platforms, this.views());
  }

  entry(name: string): NodeEntry {
    const e = this.entries.find((x) => (x.node.node ?? x.node.name) === name);
    if (!e) throw new Error(`internal: no node "${name}" in builder "${this.builder.name}"`);
    return e;
  }

  /** The first reachable node's handle: the builder's stand-in for checks that take one daemon. */
  first(): BuilderHandle | undefined {
    return this.entries.find((e) => e.handle)?.handle;
  }

  unreachable(): NodeEntry[] {
    return this.entries.filter((e) => !e.handle);
  }
}

/** Open every node; a node that fails is kept with its error (the caller decides what can still run). */
export async function openNodes(builder: ResolvedBuilder, pool: BuilderPool, signal: AbortSignal): Promise<NodeSet> {
  const entries = await Promise.all(
    (builder.nodes ?? []).map(async (node): Promise<NodeEntry> => {
      try {
        return { node, handle: await pool.get(node, signal), load: 0 };
      } catch (err) {
        if (signal.aborted || isAbortError(err)) throw err;
        return { node, error: err instanceof Error ? err.message : String(err), load: 0 };
      }
    }),
  );
  return new NodeSet(builder, entries);
}

/** Refusals before any solve: a platform no reachable node builds, an output a split cannot give. */
export function nodeProblems(t: ResolvedTarget, nodes: NodeSet): string[] {
  const a = nodes.assign(t.platforms);
  if (!a.ok) return [describeUnassignable(nodes.builder.name, t.name, a)];
  if (a.parts.length < 2) return [];
  const out: string[] = [];
  for (const o of t.outputs) {
    if (o.type === 'local' || o.type === 'tar') {
      out.push(`target "${t.name}": its platforms are built on several nodes of builder "${nodes.builder.name}" (${describeParts(a.parts)}), and a type=${o.type} output of several nodes is not merged; use type=oci or push the image`);
    } else if (o.type === 'docker' && o.attrs['dest'] !== undefined) {
      out.push(`target "${t.name}": a docker tarball holds one platform, and its platforms are built on several nodes (${describeParts(a.parts)}); use type=oci,dest=${o.attrs['dest']}`);
    }
  }
  return out;
}

const describeParts = (parts: NodePart[]): string => formatNodeParts(parts);

export interface NodeSolveInput extends Omit<SolveTargetInput, 'handle'> {
  nodes: NodeSet;
  /** Filled with the node each single-node target was built on (its deferred push goes there). */
  builtOn: Map<string, BuilderHandle>;
  /** Filled with each single-node target as placed: with the exports planned for its node. */
  placed?: Map<string, ResolvedTarget>;
}

/** `t` as placed on `node`: the exports the runner planned for that node's driver (never re-planned here). */
export function placedOn(t: ResolvedTarget, node: string): ResolvedTarget {
  const exports = t.nodeExports?.[node];
  return exports ? { ...t, exports } : t;
}

/** Build one target on a multi-node builder. Never throws for a build failure. */
export async function solveOnNodes(input: NodeSolveInput): Promise<TargetResult> {
  const { target: t, nodes, emit } = input;
  const a = nodes.assign(t.platforms);
  if (!a.ok) {
    const failure: TargetFailure = { reason: 'capability', message: describeUnassignable(nodes.builder.name, t.name, a) };
    emit({ type: 'target-failed', target: t.name, failure, logTail: [], durationMs: 0, time: Date.now() });
    return { target: t.name, state: 'failed', exporterResponse: {}, durationMs: 0, failure, steps: { total: 0, cached: 0 } };
  }
  if (a.parts.length === 1) {
    const part = a.parts[0]!;
    const entry = nodes.entry(part.node);
    entry.load++;
    try {
      if (part.emulated.length > 0) {
        emit({ type: 'info', target: t.name, message: `${part.emulated.join(', ')}: no node builds it natively; emulated on ${part.node}`, time: Date.now() });
      }
      input.builtOn.set(t.name, entry.handle!);
      const target = placedOn(t, part.node);
      input.placed?.set(t.name, target);
      const res = await solveTarget({ ...input, target, handle: entry.handle! });
      res.exporterResponse[NODES_KEY] = `${part.node}=${part.platforms.join(',')}`;
      return res;
    } finally {
      entry.load--;
    }
  }
  return solveSplit(input, a.parts);
}

async function solveSplit(input: NodeSolveInput, parts: NodePart[]): Promise<TargetResult> {
  const { target: t, nodes, emit } = input;
  const started = Date.now();
  emit({ type: 'target-started', target: t.name, builder: t.builder, time: started });
  emit({ type: 'info', target: t.name, message: `split across nodes: ${describeParts(parts)}`, time: started });
  const work = path.join(input.tmpDir, `nodes-${t.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${randomBytes(3).toString('hex')}`);
  // One part failing ends the others: the target has failed already.
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(input.signal.reason);
  input.signal.addEventListener('abort', onAbort, { once: true });
  // An image is assembled when the target exports one, or when dependents take it as a target: context.
  const wantsImage =
    t.outputs.some((o) => o.type !== 'cacheonly') ||
    Object.values(input.plan.targets).some((d) => Object.values(d.contexts).some((c) => c.kind === 'target' && c.target === t.name));
  const failures: { node: string; failure: TargetFailure; logTail: string[] }[] = [];
  try {
    const results = await Promise.all(
      parts.map(async (p) => {
        const entry = nodes.entry(p.node);
        const dir = path.join(work, p.node);
        const partTarget: ResolvedTarget = {
          ...t,
          platforms: p.platforms,
          outputs: wantsImage ? [{ type: 'oci', attrs: { tar: 'false', dest: dir } }] : t.outputs,
          // Each node writes its part as an OCI layout; the target's own exports are made from the merge.
          exports: wantsImage
            ? [{ kind: 'oci-layout', format: 'oci', dir, attrs: { tar: 'false', ...(t.tags.length > 0 ? { name: t.tags.join(',') } : {}) } }]
            : t.exports.filter((e) => e.kind === 'cache-only'),
        };
        const partEmit: EventSink = (e: BuildEvent) => {
          if (e.type === 'target-started' || e.type === 'target-finished' || e.type === 'target-cancelled') return;
          if (e.type === 'target-failed') {
            failures.push({ node: p.node, failure: e.failure, logTail: e.logTail });
            abort.abort(new Error(`target ${t.name} failed on node ${p.node}`));
            return;
          }
          emit(e);
        };
        entry.load++;
        try {
          const res = await solveTarget({ ...input, target: partTarget, handle: entry.handle!, emit: partEmit, holdPush: false, signal: abort.signal });
          return { part: p, dir, res };
        } finally {
          entry.load--;
        }
      }),
    );
    const durationMs = (): number => Date.now() - started;
    const steps = results.reduce((n, r) => ({ total: n.total + r.res.steps.total, cached: n.cached + r.res.steps.cached }), { total: 0, cached: 0 });
    const first = failures[0] ?? results.filter((r) => r.res.state === 'failed').map((r) => ({ node: r.part.node, failure: r.res.failure!, logTail: [] as string[] }))[0];
    if (first) {
      const failure: TargetFailure = { ...first.failure, message: `on ${nodeLabel(nodes.entry(first.node).node)}: ${first.failure.message}` };
      emit({ type: 'target-failed', target: t.name, failure, logTail: first.logTail, durationMs: durationMs(), time: Date.now() });
      return { target: t.name, state: 'failed', exporterResponse: {}, durationMs: durationMs(), failure, steps };
    }
    if (results.some((r) => r.res.state === 'cancelled') || input.signal.aborted) {
      emit({ type: 'target-cancelled', target: t.name, time: Date.now() });
      return { target: t.name, state: 'cancelled', exporterResponse: {}, durationMs: durationMs(), steps };
    }
    const exporterResponse: Record<string, string> = {
      [NODES_KEY]: parts.map((p) => `${p.node}=${p.platforms.join(',')}`).join(';'),
    };
    if (wantsImage) {
      const merged = await mergeLayouts(
        results.map((r) => ({ node: r.part.node, dir: r.dir })),
        path.join(work, 'merged'),
        t.tags,
      );
      Object.assign(exporterResponse, await exportMerged(input, merged));
    }
    const state = steps.total > 0 && steps.cached === steps.total ? 'cached' : 'built';
    const res: TargetResult = { target: t.name, state, exporterResponse, durationMs: durationMs(), steps };
    emit({ type: 'target-finished', target: t.name, state, durationMs: res.durationMs, result: res, time: Date.now() });
    return res;
  } catch (err) {
    if (input.signal.aborted) {
      emit({ type: 'target-cancelled', target: t.name, time: Date.now() });
      return { target: t.name, state: 'cancelled', exporterResponse: {}, durationMs: Date.now() - started, steps: { total: 0, cached: 0 } };
    }
    const failure: TargetFailure = { reason: err instanceof TsbakeError ? err.reason : 'daemon-error', message: err instanceof Error ? err.message : String(err) };
    emit({ type: 'target-failed', target: t.name, failure, logTail: [], durationMs: Date.now() - started, time: Date.now() });
    return { target: t.name, state: 'failed', exporterResponse: {}, durationMs: Date.now() - started, failure, steps: { total: 0, cached: 0 } };
  } finally {
    input.signal.removeEventListener('abort', onAbort);
  }
}

/** The target's own outputs, from the merged layout. */
async function exportMerged(input: NodeSolveInput, merged: MergedLayout): Promise<Record<string, string>> {
  const { target: t, emit } = input;
  const res: Record<string, string> = {
    'containerimage.digest': merged.index.digest,
    'containerimage.descriptor': Buffer.from(JSON.stringify(merged.index)).toString('base64'),
    // Dependents (target: contexts, on any node) take the merged index as an OCI layout.
    [OCI_LAYOUT_KEY]: merged.dir,
    [OCI_DIGEST_KEY]: merged.index.digest,
  };
  const progress = (message: string): void => emit({ type: 'info', target: t.name, message, time: Date.now() });
  for (const o of t.outputs) {
    if (o.type === 'oci') {
      const dest = o.attrs['dest'];
      if (!dest) continue;
      if (o.attrs['tar'] === 'false') {
        await fs.mkdir(dest, { recursive: true });
        await fs.cp(merged.dir, dest, { recursive: true, force: true });
      } else if (dest === '-') {
        await pipeline(layoutTarball(merged.dir), process.stdout, { end: false });
      } else {
        await fs.mkdir(path.dirname(path.resolve(dest)), { recursive: true });
        await pipeline(layoutTarball(merged.dir), createWriteStream(dest));
      }
    } else if (o.type === 'docker' && o.attrs['dest'] === undefined) {
      // --load: a multi-platform index loads into a containerd-store engine (the runner refused a classic one).
      await loadImageTarball(layoutTarball(merged.dir), { env: input.env, signal: input.signal, onProgress: progress, built: Promise.resolve() });
    } else if ((o.type === 'image' || o.type === 'registry') && (o.type === 'registry' || o.attrs['push'] === 'true')) {
      const names = (o.attrs['name'] ?? t.tags.join(',')).split(',').filter(Boolean);
      if (names.length === 0) continue;
      res['image.name'] = names.join(',');
      if (input.holdPush) {
        res[MERGED_INDEX_KEY] = JSON.stringify({ names: [...(res[MERGED_INDEX_KEY] ? (JSON.parse(res[MERGED_INDEX_KEY]) as { names: string[] }).names : []), ...names], index: merged.index });
        continue;
      }
      await pushIndex(merged.dir, merged.index, names, { auth: dockerConfigAuth(input.env), signal: input.signal, onProgress: progress });
    }
  }
  return res;
}

/** The deferred push of a merged result (push: all): the index the build phase assembled. */
export function mergedPushOf(result: TargetResult | undefined): { layout: string; index: Descriptor; names: string[] } | undefined {
  const raw = result?.exporterResponse[MERGED_INDEX_KEY];
  const layout = result?.exporterResponse[OCI_LAYOUT_KEY];
  if (!raw || !layout) return undefined;
  const j = JSON.parse(raw) as { names: string[]; index: Descriptor };
  return { layout, index: j.index, names: j.names };
}

export async function pushMerged(t: ResolvedTarget, result: TargetResult, env: Record<string, string | undefined>, signal: AbortSignal, emit: EventSink): Promise<TargetResult> {
  const m = mergedPushOf(result)!;
  await pushIndex(m.layout, m.index, m.names, {
    auth: dockerConfigAuth(env),
    signal,
    onProgress: (message) => emit({ type: 'info', target: t.name, message, time: Date.now() }),
  });
  const { [MERGED_INDEX_KEY]: _done, ...rest } = result.exporterResponse;
  return { ...result, exporterResponse: { ...rest, 'containerimage.digest': m.index.digest, 'image.name': m.names.join(',') } };
}
