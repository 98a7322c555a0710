/**
 * tsbake as a library: load a config, resolve a plan, run it, watch it. The same functions the CLI uses.
 *
 *   const loaded = await loadConfig({ files: ['tsbake.yaml'] });
 *   const plan = resolvePlan(loaded, { names: ['app'] });
 *   const summary = await runPlan({ plan, signal: AbortSignal.timeout(600_000), onEvent: console.log });
 */
export { loadConfig } from './config/index.js';
export type * from './config/types.js';
export { resolvePlan, toBakePrint, formatPlan, checkCapabilities, staticCapabilities } from './plan/index.js';
export type * from './plan/types.js';
export { runPlan, writeMetadataFile } from './exec/runner.js';
export type { RunOptions, RunSummary } from './exec/runner.js';
export { BuilderPool } from './exec/pool.js';
export type * from './events.js';
export { createWatcher } from './watch/index.js';
export { ReportCollector, criticalPath, renderReportHtml, writeReport } from './ui/report/index.js';
export type { ReportData, ReportTarget, ReportStep, ReportStatus } from './ui/report/index.js';
export { TsbakeError, exitCodeFor, formatDiagnostic } from './errors.js';
export type { Diagnostic, FailureReason } from './errors.js';
export { main } from './cli/main.js';
