/**
 * What to watch for a plan, and which targets a changed path affects. Pure apart from reading the
 * `.dockerignore` files; the chokidar side only asks `isWatched`.
 */
import path from 'node:path';
import type { Plan, ResolvedTarget } from '../plan/types.js';
import { createContextIgnore, dockerignoreCandidates, loadContextIgnore, type ContextIgnore } from './dockerignore.js';
import { isNoisePath } from './noise.js';

/** Exporters whose `dest` is written on this machine. */
const LOCAL_EXPORTERS = new Set(['local', 'tar', 'oci', 'docker']);

export interface TargetWatchSpec {
  name: string;
  /** Absolute local context dir, or undefined for a remote context. */
  context: string | undefined;
  /** Absolute Dockerfile path, or undefined when inline or inside a remote context. */
  dockerfile: string | undefined;
  /** Both candidate ignore files, whichever exists wins (see dockerignoreCandidates). */
  dockerignoreFiles: string[];
  /** Absolute dirs of `contexts` entries of kind local. */
  namedContexts: string[];
  ignore: ContextIgnore;
}

export interface WatchSet {
  targets: TargetWatchSpec[];
  configFiles: string[];
  /** Absolute `dest` of every local/tar/oci/docker output: never watched, never a trigger. */
  outputDests: string[];
  /** Directories handed to chokidar. Parents of contexts are watched so a deleted context can come back. */
  roots: string[];
}

export interface Classification {
  targets: Set<string>;
  configChanged: boolean;
  /** Targets whose ignore file changed, so their rules must be re-read. */
  ignoreChanged: Set<string>;
}

/** `ownFiles`: files tsbake itself writes during the session (`--report`), treated like outputs. */
export function createWatchSet(plan: Plan, configFiles: string[], cwd: string, ownFiles: string[] = []): WatchSet {
  const targets = Object.values(plan.targets)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => targetSpec(t));
  const outputDests = [
    ...new Set([
      ...Object.values(plan.targets).flatMap((t) =>
        t.outputs
          .filter((o) => LOCAL_EXPORTERS.has(o.type) && o.attrs.dest && o.attrs.dest !== '-')
          .map((o) => path.resolve(cwd, o.attrs.dest ?? '')),
      ),
      ...ownFiles.map((f) => path.resolve(cwd, f)),
    ]),
  ].sort();
  const files = configFiles.map((f) => path.resolve(cwd, f));
  const interesting: string[] = [...files];
  for (const t of targets) {
    if (t.context) interesting.push(t.context);
    if (t.dockerfile) interesting.push(t.dockerfile);
    interesting.push(...t.dockerignoreFiles, ...t.namedContexts);
  }
  const roots = [...new Set(interesting.map((p) => path.dirname(p)))].sort();
  return { targets, configFiles: files, outputDests, roots };
}

function targetSpec(t: ResolvedTarget): TargetWatchSpec {
  const context = t.contextIsLocal ? path.resolve(t.context) : undefined;
  let dockerfile: string | undefined;
  if (t.dockerfileInline === undefined) {
    if (path.isAbsolute(t.dockerfile)) dockerfile = path.normalize(t.dockerfile);
    else if (context) dockerfile = path.join(context, t.dockerfile || 'Dockerfile');
  }
  const dockerignoreFiles = context ? dockerignoreCandidates(context, dockerfile) : [];
  const namedContexts = Object.values(t.contexts).flatMap((c) => (c.kind === 'local' ? [path.resolve(c.path)] : []));
  return {
    name: t.name,
    context,
    dockerfile,
    dockerignoreFiles,
    namedContexts: [...new Set(namedContexts)].sort(),
    ignore: context ? loadContextIgnore(dockerignoreFiles) : createContextIgnore([], undefined),
  };
}

/** Re-reads the ignore rules of the given targets; returns the names whose rules changed. */
export function reloadIgnores(set: WatchSet, names: Iterable<string>): string[] {
  const wanted = new Set(names);
  const changed: string[] = [];
  for (const spec of set.targets) {
    if (!wanted.has(spec.name) || !spec.context) continue;
    const next = loadContextIgnore(spec.dockerignoreFiles);
    if (next.source !== spec.ignore.source || next.patterns.join('\n') !== spec.ignore.patterns.join('\n')) {
      changed.push(spec.name);
    }
    spec.ignore = next;
  }
  return changed;
}

/** `child` equals `dir` or is inside it; returns the `/`-separated relative path, or undefined. */
export function relativeInside(dir: string, child: string): string | undefined {
  if (child === dir) return '';
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  if (!child.startsWith(prefix)) return undefined;
  return child.slice(prefix.length).split(path.sep).join('/');
}

function isUnderOutput(set: WatchSet, file: string): boolean {
  return set.outputDests.some((d) => relativeInside(d, file) !== undefined || isExportStaging(d, file));
}

/**
 * The exporters write next to `dest` first and rename into place (`.<name>.tmp-<hex>/` for a local
 * directory, `<name>.tmp-<hex>` for a tarball; see buildkit/filesend.ts), so those siblings are the
 * target's own output too: watching them rebuilds the target after every build, forever.
 */
function isExportStaging(dest: string, file: string): boolean {
  const rel = relativeInside(path.dirname(dest), file);
  if (!rel) return false;
  const first = rel.split('/')[0] ?? '';
  const base = path.basename(dest);
  return first.startsWith(`.${base}.`) || first.startsWith(`${base}.tmp-`);
}

/**
 * Should chokidar watch this path at all? Roots, the files and dirs of interest, and everything under a
 * context except noise, output destinations and directories `.dockerignore` excludes for good.
 */
export function isWatched(set: WatchSet, file: string): boolean {
  if (isNoisePath(file) || isUnderOutput(set, file)) return false;
  if (set.roots.includes(file) || set.configFiles.includes(file)) return true;
  for (const t of set.targets) {
    if (t.dockerfile === file || t.dockerignoreFiles.includes(file)) return true;
    // An ancestor of a Dockerfile or ignore file kept in an excluded or unrelated dir.
    if (t.dockerfile && relativeInside(file, t.dockerfile) !== undefined) return true;
    if (t.namedContexts.some((n) => relativeInside(n, file) !== undefined)) return true;
    if (t.context) {
      const rel = relativeInside(t.context, file);
      if (rel !== undefined && !t.ignore.canPrune(rel)) return true;
    }
  }
  return false;
}

/** Which targets a changed path affects (not yet including dependents), and whether config changed. */
export function classifyPath(set: WatchSet, file: string): Classification {
  const result: Classification = { targets: new Set(), configChanged: false, ignoreChanged: new Set() };
  if (isNoisePath(file) || isUnderOutput(set, file)) return result;
  if (set.configFiles.includes(file)) result.configChanged = true;
  for (const t of set.targets) {
    if (t.dockerfile === file) {
      result.targets.add(t.name);
      continue;
    }
    if (t.dockerignoreFiles.includes(file)) {
      result.targets.add(t.name);
      result.ignoreChanged.add(t.name);
      continue;
    }
    if (t.namedContexts.some((n) => relativeInside(n, file) !== undefined)) {
      result.targets.add(t.name);
      continue;
    }
    if (t.context) {
      const rel = relativeInside(t.context, file);
      if (rel !== undefined && !t.ignore.excludes(rel)) result.targets.add(t.name);
    }
  }
  return result;
}
