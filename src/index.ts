/**
 * tsbake as a library: load a config, resolve a plan, run it, watch it. The same functions the CLI uses.
 *
 *   const loaded = await loadConfig({ files: ['tsbake.yaml'] });
 *   const plan = resolvePlan(loaded, { names: ['app'] });
 *   const summary = await runPlan({ plan, signal: AbortSignal.timeout(600_000), onEvent: console.log });
 */
import { loadConfig as loadConfigFiles } from './config/index.js';
import type { LoadedConfig, LoadOptions } from './config/types.js';
import { resolvePlan as resolvePlanWith } from './plan/index.js';
import type { Plan, PlanOptions } from './plan/types.js';
import { DRIVERS, checkBuilderConfig } from './drivers/index.js';

/** Loads config files, with the registry's drivers checking their builders (as the CLI does). */
export function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  return loadConfigFiles({ checkBuilder: checkBuilderConfig, ...options });
}

/** Resolves a plan against the registry's drivers unless `options.drivers` names others. */
export function resolvePlan(loaded: LoadedConfig, options: Partial<PlanOptions> = {}): Plan {
  return resolvePlanWith(loaded, { drivers: DRIVERS, ...options });
}

export type * from './config/types.js';
export { toBakePrint, formatPlan, checkCapabilities } from './plan/index.js';
export type * from './plan/types.js';
export { DRIVERS, possibleCapabilities } from './drivers/index.js';
export { runPlan, writeMetadataFile } from './exec/runner.js';
export type { RunOptions, RunSummary } from './exec/runner.js';
export { BuilderPool } from './exec/pool.js';
export type * from './events.js';
export { isBuilt } from './events.js';
export { createWatcher } from './watch/index.js';
export type { WatchOptions, Watcher, WatchEventMap } from './watch/index.js';
export { ReportCollector, criticalPath, renderReportHtml, writeReport } from './ui/report/index.js';
export type { ReportData, ReportTarget, ReportStep, ReportStatus } from './ui/report/index.js';
export { TsbakeError, exitCodeFor, exitCodeForResults, formatDiagnostic } from './errors.js';
export type { Diagnostic, FailureReason } from './errors.js';
export { main } from './cli/main.js';
