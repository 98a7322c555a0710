/**
 * Planned exports: what each of a target's outputs becomes once the builder's driver is known, as one
 * closed union the executor carries out as it is (src/exec/solve-request.ts maps each to one BuildKit
 * exporter, with no decisions of its own). A pure function: the planner runs it with what it knows,
 * and the executor runs it again once the daemons have answered (the local engine's image store
 * decides a load's format), before any solve. Its refusals are diagnostics, so they exit 2.
 */
import type { DriverCapabilities, PlannedExport, ResolvedTarget } from './types.js';

export interface ExportFacts {
  /** Where the builder's driver puts a built image: `engine` exports into the engine's store itself. */
  resultStore: 'engine' | 'tarball';
  /** The local Docker engine's image store, once asked (run time, and only when something loads). */
  localStore?: 'containerd' | 'classic';
  /** The local engine's address, for messages. */
  localEngine?: string;
  /**
   * The push mode for this target (`--push-each`, else its builder's `push:`): `all` (default) holds
   * its pushes until every target of the run has built (src/exec/push.ts), `each` pushes during the build.
   */
  pushMode?: 'all' | 'each';
  /** Some target of the plan takes this one as a `target:` context (hasTargetDependents). */
  hasDependents?: boolean;
  /**
   * Its builder has several nodes: a dependent may be built on another daemon, which cannot reach a
   * result in this node's engine store by name, so the result is also handed over as an OCI layout.
   */
  crossNode?: boolean;
}

/** A stable per-target image name, for dependents to use the result as `docker-image://` (engine store). */
export function internalImageRef(target: string): string {
  return `tsbake-local/${target.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}:latest`;
}

export interface PlannedExports {
  exports: PlannedExport[];
  /** Refusals, with the output's key path (`target.<origin>.output.<i>` or `target.<origin>`). */
  problems: { path: (string | number)[]; message: string }[];
}

/**
 * The exports of a target's resolved outputs (the loading rules' result, src/plan/outputs.ts).
 * `origin` names the target block the outputs were written in, for the problems' key paths.
 */
export function planExports(t: Pick<ResolvedTarget, 'name' | 'tags' | 'platforms' | 'outputs'>, origin: string, facts: ExportFacts): PlannedExports {
  const exports: PlannedExport[] = [];
  const problems: PlannedExports['problems'] = [];
  const tags = t.tags.join(',');
  const named = (attrs: Record<string, string>): Record<string, string> => (!attrs['name'] && tags ? { ...attrs, name: tags } : attrs);
  let layouts = 0;
  t.outputs.forEach((out, i) => {
    const { dest, ...attrs } = out.attrs;
    switch (out.type) {
      case 'cacheonly':
        exports.push({ kind: 'cache-only' });
        return;
      case 'docker':
      case 'oci': {
        const format = out.type;
        if (dest === undefined) {
          if (format === 'docker' && facts.resultStore === 'engine') exports.push({ kind: 'engine-store', attrs: named(attrs) });
          else exports.push({ kind: 'load', format: loadFormat(format, facts), attrs: named(attrs) });
          return;
        }
        if (attrs['tar'] === 'false') {
          // BuildKit writes every OCI layout of a solve through one content store, named `export`.
          if (++layouts > 1) {
            problems.push({
              path: ['target', origin, 'output', i],
              message: `target "${t.name}": only one output with tar=false per target (BuildKit writes every OCI layout of a solve through one store)`,
            });
          }
          exports.push({ kind: 'oci-layout', format, dir: dest, attrs: named(attrs) });
          return;
        }
        exports.push({ kind: 'tarball', format, dest, attrs: named(attrs) });
        return;
      }
      case 'image':
      case 'registry': {
        const a = named(out.type === 'registry' ? { ...attrs, push: 'true' } : attrs);
        const push = a['push'] === 'true' ? { push: facts.pushMode === 'each' ? ('now' as const) : ('held' as const) } : {};
        // Where results land in the engine's store, its exporter (`moby`) is also the one that pushes.
        exports.push(facts.resultStore === 'engine' ? { kind: 'engine-store', attrs: a, ...push } : { kind: 'image', attrs: a, ...push });
        return;
      }
      case 'local':
        // The loading rules refuse a local output without dest; never guess one (it once meant the cwd).
        if (dest === undefined) throw new Error(`internal: target ${t.name}: a local output without dest reached planExports`);
        exports.push({ kind: 'local', dest, attrs });
        return;
      case 'tar':
        exports.push({ kind: 'tarball', format: 'tar', dest: dest ?? '-', attrs });
        return;
      default:
        exports.push({ kind: 'exporter', type: out.type, attrs });
    }
  });

  // Dependents reach a result in the engine's store by name.
  const store = exports.find((e): e is Extract<PlannedExport, { kind: 'engine-store' }> => e.kind === 'engine-store');
  if (store && !store.attrs['name']) store.attrs = { ...store.attrs, name: internalImageRef(t.name) };

  // `target:` dependents that reach no image by name get the result as an OCI layout: the target's own
  // layout output when it has one, else one more exporter into the run's temp dir. On a multi-node
  // builder a result in an engine store gets one too: a dependent on another node takes the layout.
  if (facts.hasDependents && (!store || facts.crossNode) && !handsOverByName(exports)) {
    const layout = exports.find((e): e is Extract<PlannedExport, { kind: 'oci-layout' }> => e.kind === 'oci-layout');
    if (layout) layout.handoff = true;
    else exports.push({ kind: 'handoff-layout' });
  }

  if (facts.localStore === 'classic' && t.platforms.length > 1 && exports.some((e) => e.kind === 'load')) {
    problems.push({
      path: ['target', origin],
      message:
        `target "${t.name}": a multi-platform image (${t.platforms.join(', ')}) cannot be loaded into the Docker engine at ${facts.localEngine ?? 'DOCKER_HOST'}: ` +
        `its classic image store cannot hold an image index. Turn on the containerd image store, build a single platform, or push to a registry instead`,
    });
  }
  return { exports, problems };
}

/**
 * The exports of a target of a multi-node builder, planned for each node it may be placed on as one
 * solve: each node's driver decides where its results land (a `docker` node beside `remote` nodes loads
 * into its own engine's store, they load tarballs). The placement picks the node later, by load, and
 * takes that node's set as it is; a target split across nodes exports OCI layouts from each (merged).
 */
export function planNodeExports(
  t: Pick<ResolvedTarget, 'name' | 'tags' | 'platforms' | 'outputs'>,
  origin: string,
  nodes: readonly { name: string; resultStore: ExportFacts['resultStore'] }[],
  facts: Omit<ExportFacts, 'resultStore'>,
): { byNode: Record<string, PlannedExport[]>; problems: PlannedExports['problems'] } {
  const byNode: Record<string, PlannedExport[]> = {};
  const problems: PlannedExports['problems'] = [];
  const seen = new Set<string>();
  for (const n of nodes) {
    const planned = planExports(t, origin, { ...facts, resultStore: n.resultStore, crossNode: nodes.length > 1 });
    byNode[n.name] = planned.exports;
    for (const p of planned.problems) {
      if (seen.has(p.message)) continue;
      seen.add(p.message);
      problems.push(p);
    }
  }
  return { byNode, problems };
}

/** A push made during the build hands the result over by name (not a push held until the run's end). */
function handsOverByName(exports: readonly PlannedExport[]): boolean {
  if (exports.some((e) => 'push' in e && e.push === 'held')) return false;
  return exports.some((e) => 'attrs' in e && e.attrs['push'] === 'true' && Boolean(e.attrs['name']));
}

/** Whether the target's pushes wait for every target of the run (src/exec/push.ts). */
export function holdsPushes(exports: readonly PlannedExport[]): boolean {
  return exports.some((e) => 'push' in e && e.push === 'held');
}

/** A containerd-store engine loads OCI tarballs, so multi-platform results load too (as buildx does). */
function loadFormat(format: 'docker' | 'oci', facts: ExportFacts): 'docker' | 'oci' {
  return facts.localStore === 'containerd' ? 'oci' : format;
}

/** The image name dependents use for a target whose result is in the engine's store. */
export function engineStoreRef(exports: readonly PlannedExport[]): string | undefined {
  const store = exports.find((e) => e.kind === 'engine-store');
  return store?.kind === 'engine-store' ? store.attrs['name']?.split(',')[0] : undefined;
}

/** Whether a planned export loads an image into the local engine as a tarball. */
export function isLoadExport(e: PlannedExport): boolean {
  return e.kind === 'load';
}

/** The targets some target of the plan takes as a `target:` context (one pass over the plan). */
export function targetContextNames(targets: Record<string, ResolvedTarget>): Set<string> {
  const names = new Set<string>();
  for (const t of Object.values(targets)) for (const c of Object.values(t.contexts)) if (c.kind === 'target') names.add(c.target);
  return names;
}

/** Whether some target of the plan takes `name` as a `target:` context. */
export function hasTargetDependents(targets: Record<string, ResolvedTarget>, name: string): boolean {
  return Object.values(targets).some((t) => Object.values(t.contexts).some((c) => c.kind === 'target' && c.target === name));
}

/**
 * A target that hands its result over to its `target:` dependents as one more exporter (a planned
 * `handoff-layout`): refused where the daemon allows one exporter per solve and the target has outputs
 * of its own.
 */
export function handoffProblem(t: ResolvedTarget, caps: DriverCapabilities): string | undefined {
  if (!t.exports.some((e) => e.kind === 'handoff-layout')) return undefined;
  const own = t.exports.filter((e) => e.kind !== 'cache-only' && e.kind !== 'handoff-layout').length;
  if (own === 0 || caps.buildkitMinor === undefined || caps.buildkitMinor >= 13) return undefined;
  return (
    `target ${t.name}: its dependents take it as a target: context, which needs one more exporter (an OCI layout) next to its ` +
    `output${own > 1 ? 's' : ''}, and ${caps.daemon ?? 'this daemon'} allows one exporter per solve (BuildKit v0.13+ allows several). ` +
    `Remove ${t.name}'s outputs, push it to a registry and use docker-image://, or use a newer builder`
  );
}
