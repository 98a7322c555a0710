/** Shared wiring: flags → loadConfig → resolvePlan. */
import { loadConfig } from '../config/index.js';
import { parseVarFlags } from './bake-list.js';
import type { LoadedConfig } from '../config/types.js';
import { checkCapabilities, resolvePlan, staticCapabilities } from '../plan/index.js';
import type { DriverCapabilities, Plan, PlanOptions, ResolvedBuilder } from '../plan/types.js';
import { formatDiagnostic } from '../errors.js';
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
  for (const w of plan.warnings) ctx.stderr.write(formatDiagnostic({ ...w, severity: 'warning' }) + '\n');
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
