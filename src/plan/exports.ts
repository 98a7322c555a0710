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
        // Where results land in the engine's store, its exporter (`moby`) is also the one that pushes.
        exports.push(facts.resultStore === 'engine' ? { kind: 'engine-store', attrs: a } : { kind: 'image', attrs: a });
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

/** Whether some target of the plan takes `name` as a `target:` context. */
export function hasTargetDependents(targets: Record<string, ResolvedTarget>, name: string): boolean {
  return Object.values(targets).some((t) => Object.values(t.contexts).some((c) => c.kind === 'target' && c.target === name));
}

/**
 * A target whose dependents take it as a `target:` context, on a builder without a shared image store,
 * hands its result over as one more exporter (an OCI layout): refused where the daemon allows one
 * exporter per solve and the target has outputs of its own. `handsOverByName`: its result reaches the
 * dependents by an image name instead (a push done during the build).
 */
export function handoffProblem(
  t: ResolvedTarget,
  targets: Record<string, ResolvedTarget>,
  caps: DriverCapabilities,
  handsOverByName: boolean,
): string | undefined {
  if (handsOverByName || engineStoreRef(t.exports) !== undefined || !hasTargetDependents(targets, t.name)) return undefined;
  if (t.exports.some((e) => e.kind === 'oci-layout')) return undefined;
  const own = t.exports.filter((e) => e.kind !== 'cache-only').length;
  if (own === 0 || caps.buildkitMinor === undefined || caps.buildkitMinor >= 13) return undefined;
  return (
    `target ${t.name}: its dependents take it as a target: context, which needs one more exporter (an OCI layout) next to its ` +
    `output${own > 1 ? 's' : ''}, and ${caps.daemon ?? 'this daemon'} allows one exporter per solve (BuildKit v0.13+ allows several). ` +
    `Remove ${t.name}'s outputs, push it to a registry and use docker-image://, or use a newer builder`
  );
}
