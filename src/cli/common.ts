/** Shared wiring: flags → loadConfig → resolvePlan. */
import { loadConfig } from '../config/index.js';
import { parseVarFlags } from './bake-list.js';
import type { LoadedConfig } from '../config/types.js';
import { checkCapabilities, resolvePlan } from '../plan/index.js';
import type { Plan, PlanOptions } from '../plan/types.js';
import { DRIVERS, checkBuilderConfig, descriptorOf, possibleCapabilities } from '../drivers/index.js';
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
  /**
   * `print`, `plan`, `validate`: warn now about what only the daemon can allow. `run` and `watch` ask
   * the daemon before building and refuse then, so the refusal is printed once, as the error.
   */
  view: { warnDaemonChecks?: boolean } = {},
): Promise<Loaded> {
  const loaded = await loadConfigFor(flags, ctx);
  const set = [...flags.set];
  if (flags.cache === false) set.push('*.no-cache=true');
  if (flags.pull) set.push('*.pull=true');
  const plan = resolvePlan(loaded, {
    drivers: DRIVERS,
    capabilities: possibleCapabilities,
    names: typeof names === 'function' ? names(loaded) : names,
    set,
    ...(flags.load ? { load: true } : {}),
    ...(flags.push ? { push: true } : {}),
    ...(flags.builder ? { builder: flags.builder } : {}),
    env: ctx.env,
    ...extra,
  });
  // What some drivers can do depends on the daemon (the docker driver: the engine's image store).
  if (view.warnDaemonChecks) {
    for (const d of checkCapabilities(plan, (b) => descriptorOf(b.driver).capabilities(b))) {
      plan.warnings.push({ ...d, severity: 'warning', message: `${d.message} (unless the engine uses the containerd image store; checked against the daemon before building)` });
    }
  }
  return { loaded, plan };
}

/** The config files of the flags, with the drivers' own builder checks. */
export function loadConfigFor(flags: CommonFlags, ctx: CliIO): Promise<LoadedConfig> {
  return loadConfig({ files: flags.file, cwd: ctx.cwd, env: ctx.env, vars: parseVarFlags(flags.var), checkBuilder: checkBuilderConfig });
}

/** The builders as resolved (the implicit `default` included), without resolving any target. */
export function resolveBuilderList(loaded: LoadedConfig, env: Record<string, string | undefined>): Plan['builders'] {
  return resolvePlan({ ...loaded, config: { ...loaded.config, target: {}, group: {} } }, { names: [], env, drivers: DRIVERS }).builders;
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
