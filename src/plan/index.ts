/** The planner: config → resolved targets, graph and builders. Pure; no daemon, no files. */
export { resolvePlan } from './resolve.js';
export { checkCapabilities, isTarballOutput } from './capabilities.js';
export { planExports, planNodeExports, handoffProblem, engineStoreRef, hasTargetDependents, holdsPushes, targetContextNames } from './exports.js';
export { toBakePrint, formatBakePrint, bakeOutputs } from './print.js';
export { formatPlan } from './format.js';
export { parseCsvEntry, parseSecret, parseSsh, parseOutput, parseCache, formatCsvEntry, splitCsvFields, CsvError } from './csv.js';
export { parseNamedContext, formatNamedContext, isRemoteContext } from './target.js';
export type * from './types.js';
