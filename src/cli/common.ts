/** Shared wiring: flags → loadConfig → resolvePlan. */
import { loadConfig } from '../config/index.js';
import { parseVarFlags } from './bake-list.js';
import type { LoadedConfig } from '../config/types.js';
import { checkCapabilities, resolvePlan, staticCapabilities } from '../plan/index.js';
import type { DriverCapabilities, Plan, PlanOptions, ResolvedBuilder } from '../plan/types.js';
import { formatDiagnostic, type Diagnostic } from '../errors.js';
import { listNames } from '../plan/problems.js';
import type { CliIO, CommonFlags } from './main.js';

export interface Loaded {
  loaded: LoadedConfig;
  plan: Plan;
}

export async function loadAndPlan(
  names: string[] | ((loaded: LoadedConfig) => string[]),
  flags: CommonFlags & { cache?: boolean; pull?: boolean },
  ctx: CliIO,
  extra: Partial<PlanOptions> = {},
): Promise<Loaded> {
  const loaded = await loadConfig({ files: flags.file, cwd: ctx.cwd, env: ctx.env, vars: parseVarFlags(flags.var) });
  const set = [...flags.set];
  if (flags.cache === false) set.push('*.no-cache=true');
  if (flags.pull) set.push('*.pull=true');
  const plan = resolvePlan(loaded, {
    capabilities: runTimeCapabilities,
    names: typeof names === 'function' ? names(loaded) : names,
    set,
    ...(flags.load ? { load: true } : {}),
    ...(flags.push ? { push: true } : {}),
    ...(flags.builder ? { builder: flags.builder } : {}),
    env: ctx.env,
    ...extra,
  });
  // What the docker driver can do depends on the engine's image store: say now what will be checked.
  for (const d of checkCapabilities(plan, (b) => staticCapabilities(b.driver))) {
    plan.warnings.push({ ...d, severity: 'warning', message: `${d.message} (unless the engine uses the containerd image store; checked against the daemon before building)` });
  }
  return { loaded, plan };
}

export function printWarnings(plan: Plan, ctx: CliIO): void {
  for (const w of mergeGroupedWarnings(plan.warnings)) ctx.stderr.write(formatDiagnostic({ ...w, severity: 'warning' }) + '\n');
}

/**
 * One line per warning group (Diagnostic.group), at the place of its first warning: 100 targets
 * without an output give one warning, not 100. A group of one keeps its own message.
 */
export function mergeGroupedWarnings(warnings: readonly Diagnostic[]): Diagnostic[] {
  const groups = new Map<string, Diagnostic[]>();
  for (const w of warnings) {
    if (!w.group) continue;
    const list = groups.get(w.group.key) ?? [];
    list.push(w);
    groups.set(w.group.key, list);
  }
  const out: Diagnostic[] = [];
  for (const w of warnings) {
    const list = w.group ? groups.get(w.group.key) : undefined;
    if (!w.group || !list || list.length < 2) {
      out.push(w);
      continue;
    }
    if (list[0] !== w) continue;
    const items = list.map((d) => d.group!.item);
    const names = `${items.length} targets (${listNames(items, 10)})`;
    const sameFile = list.every((d) => d.file === w.file);
    out.push({ file: sameFile ? w.file : '', line: 0, column: 0, severity: 'warning', message: w.group.summary.replace('{items}', names) });
  }
  return out;
}

/**
 * What a builder's daemon MAY be able to do. The docker driver gains tarballs, several outputs (v0.13+),
 * cache export and multi-platform on an engine with the containerd image store, which only the daemon
 * can tell, so those checks wait until the executor has asked it (before any build is sent).
 */
export function runTimeCapabilities(b: ResolvedBuilder): DriverCapabilities {
  const caps = staticCapabilities(b.driver);
  if (b.driver !== 'docker') return caps;
  return { ...caps, cacheExport: 'all', tarballOutput: true, multiPlatform: true, multipleExporters: true };
}
