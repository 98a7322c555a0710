/** Shared wiring: flags → loadConfig → resolvePlan. */
import { loadConfig } from '../config/index.js';
import type { LoadedConfig } from '../config/types.js';
import { resolvePlan } from '../plan/index.js';
import type { Plan, PlanOptions } from '../plan/types.js';
import { formatDiagnostic } from '../errors.js';
import type { CliIO, CommonFlags } from './main.js';

export interface Loaded {
  loaded: LoadedConfig;
  plan: Plan;
}

export async function loadAndPlan(
  names: string[],
  flags: CommonFlags & { cache?: boolean; pull?: boolean },
  ctx: CliIO,
  extra: Partial<PlanOptions> = {},
): Promise<Loaded> {
  const loaded = await loadConfig({ files: flags.file, cwd: ctx.cwd, env: ctx.env });
  const set = [...flags.set];
  if (flags.cache === false) set.push('*.no-cache=true');
  if (flags.pull) set.push('*.pull=true');
  const plan = resolvePlan(loaded, {
    names,
    set,
    ...(flags.load ? { load: true } : {}),
    ...(flags.push ? { push: true } : {}),
    ...(flags.builder ? { builder: flags.builder } : {}),
    env: ctx.env,
    ...extra,
  });
  return { loaded, plan };
}

export function printWarnings(plan: Plan, ctx: CliIO): void {
  for (const w of plan.warnings) ctx.stderr.write(formatDiagnostic({ ...w, severity: 'warning' }) + '\n');
}
