/**
 * Runs the planned graph: a target starts when its dependencies finished, independent targets build
 * concurrently (bounded by --parallelism and each builder's `parallelism`), the first failure cancels
 * the rest unless keepGoing, and one AbortSignal cancels everything.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setMaxListeners } from 'node:events';
import type { DriverCapabilities, Plan, PlannedExport, ResolvedTarget } from '../plan/types.js';
import { checkCapabilities, handoffProblem, holdsPushes, planExports, planNodeExports, targetContextNames } from '../plan/index.js';
import type { ExportFacts } from '../plan/exports.js';
import { isBuilt, type BuildEvent, type EventSink, type TargetFailure, type TargetResult } from '../events.js';
import { solveTarget } from './solve-target.js';
import type { BuilderHandle } from './builders.js';
import { BuilderPool } from './pool.js';
import { sshAgentsFor, type SshAgents } from './ssh.js';
import { TsbakeError, formatDiagnostic, type Diagnostic } from '../errors.js';
import { localEngineStore } from './load.js';
import { Semaphore } from './semaphore.js';
import { writeFileToDestination } from '../buildkit/destination.js';
import { holdBeforePush, runPushPhase, type PushMode, type PushSummary } from './push.js';
import { trace } from '../trace.js';
import { descriptorOf } from '../drivers/index.js';
import { NodeSet, nodeLabel, nodeProblems, openNodes, pushMerged, mergedPushOf, solveOnNodes } from './nodes.js';

export interface RunOptions {
  plan: Plan;
  signal: AbortSignal;
  onEvent?: EventSink;
  env?: Record<string, string | undefined>;
  /** Global limit on concurrent solves (default: unlimited, like bake). */
  parallelism?: number;
  /** Let independent targets finish after a failure. */
  keepGoing?: boolean;
  /** Build only these targets; their dependencies are taken as already built (watch mode). */
  only?: string[];
  /** Reuse open builders across runs (watch); when absent the run opens and closes its own. */
  pool?: BuilderPool;
  /** Close `pool` when the run ends, as its own: a pool opened for this run alone (cli/early-builders.ts). */
  closePool?: boolean;
  /** Results of earlier runs, for `target:` contexts of targets not rebuilt now (watch). */
  previous?: Record<string, TargetResult>;
  /**
   * `each`: push every image as soon as it is built (bake's behaviour). Default: each builder's `push`
   * setting, else `all`: push only after every target of the run has built (src/exec/push.ts).
   */
  pushMode?: PushMode;
}

export interface RunSummary {
  results: TargetResult[];
  durationMs: number;
  ok: boolean;
  cancelled: boolean;
  /** What happened to the pushes held back until every target had built. */
  push: PushSummary;
}

export async function runPlan(options: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const { plan } = options;
  const env = options.env ?? process.env;
  const emit: EventSink = options.onEvent ?? (() => undefined);
  const selected = options.only ? plan.order.filter((t) => options.only!.includes(t)) : plan.order;
  // Replaced by the exports re-planned against the daemons before any solve (replanExports).
  let targets = selected.map((n) => plan.targets[n]!);

  const ownPool = options.pool === undefined || options.closePool === true;
  const pool = options.pool ?? new BuilderPool(env, (message) => emit({ type: 'info', message, time: Date.now() }), { signal: options.signal });

  // Failures cancel the rest through this controller; the caller's signal cancels everything.
  const runAbort = new AbortController();
  // Every concurrent solve, wait and stream listens on this one signal: no listener limit applies.
  setMaxListeners(0, runAbort.signal);
  const onOuterAbort = (): void => runAbort.abort(options.signal.reason);
  if (options.signal.aborted) runAbort.abort(options.signal.reason);
  options.signal.addEventListener('abort', onOuterAbort, { once: true });

  const tmpDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-run-'));
  const results = new Map<string, TargetResult>(Object.entries(options.previous ?? {}));
  const fresh = new Map<string, TargetResult>();
  let ssh: SshAgents | undefined;
  // The run's push mode (--push-each) is one of the facts the exports are planned from (src/plan/exports.ts).
  if (options.pushMode) targets = targets.map((t) => replanned(t, plan, { pushMode: options.pushMode! }));
  const deferred = new Set(targets.filter((t) => holdsPushes(t.exports)).map((t) => t.name));
  let push: PushSummary = { state: deferred.size > 0 ? 'withheld' : 'none', deferred: [...deferred].sort(), pushed: [], reason: 'the run did not start its builds' };
  try {
    for (const t of targets) emit({ type: 'target-queued', target: t.name, time: Date.now() });

    // Open every builder the run needs and check what its daemon can do before any build starts.
    const { handles, nodeSets } = await openBuilders(plan, targets, pool, runAbort.signal);
    const builderNames = [...handles.keys()];
    const checked = await daemonProblems(plan, targets, handles, nodeSets, env, options.pushMode);
    targets = checked.targets;
    const problems = checked.problems;
    for (const [name, set] of nodeSets) {
      for (const e of set.unreachable()) {
        for (const t of targets.filter((x) => x.builder === name)) {
          emit({ type: 'warning', target: t.name, message: `${nodeLabel(e.node)} is unreachable (${e.error ?? 'no answer'}); building on the other nodes`, time: Date.now() });
        }
      }
    }
    const agents = await sshAgentsFor(targets, env, tmpDir, runAbort.signal);
    ssh = agents;
    problems.push(...ssh.problems);
    const refused = refusalOf(problems);
    if (refused) throw refused;

    const global = new Semaphore(options.parallelism ?? Infinity);
    const perBuilder = new Map<string, Semaphore>();
    // A multi-node builder's `parallelism` is per node (each daemon's capacity); the placement keeps the nodes even.
    for (const name of builderNames) perBuilder.set(name, new Semaphore((plan.builders[name]?.parallelism ?? Infinity) * (nodeSets.get(name)?.entries.filter((e) => e.handle).length ?? 1)));

    const deps = new Map<string, string[]>();
    for (const t of targets) deps.set(t.name, []);
    for (const e of plan.edges) if (deps.has(e.from) && deps.has(e.to)) deps.get(e.from)!.push(e.to);

    // The node each target of a multi-node builder was built on: its deferred push solve goes there.
    const builtOn = new Map<string, BuilderHandle>();
    // And the target as placed there, with that node's planned exports (its push solve uses them too).
    const placed = new Map<string, ResolvedTarget>();
    // What every solve of a target shares, its build and (when pushes are held back) its push.
    const solveInput = (t: ResolvedTarget) => ({
      // A multi-node builder's target carries the exports planned for the node it was placed on.
      target: placed.get(t.name) ?? t,
      sequence: selected.indexOf(t.name),
      plan,
      handle: builtOn.get(t.name) ?? handles.get(t.builder)!,
      results,
      tmpDir,
      env,
      ssh: agents.providerFor(t.name),
      signal: runAbort.signal,
    });

    const done = new Map<string, Promise<TargetResult>>();
    const runOne = async (t: ResolvedTarget): Promise<TargetResult> => {
      const depResults = await Promise.all((deps.get(t.name) ?? []).map((d) => done.get(d)!));
      const failedDep = depResults.find((r) => r.state === 'failed' || r.state === 'cancelled' || r.state === 'skipped');
      if (failedDep || runAbort.signal.aborted) {
        const failure: TargetFailure = failedDep
          ? { reason: 'dependency-failed', message: `dependency ${failedDep.target} ${failedDep.state}` }
          : CANCELLED;
        emit({ type: 'target-skipped', target: t.name, failure, time: Date.now() });
        return skipped(t.name, failure);
      }
      const release = [await global.acquire(runAbort.signal), await perBuilder.get(t.builder)!.acquire(runAbort.signal)];
      try {
        if (runAbort.signal.aborted) {
          emit({ type: 'target-skipped', target: t.name, failure: CANCELLED, time: Date.now() });
          return skipped(t.name, CANCELLED);
        }
        const nodes = nodeSets.get(t.builder);
        const result = nodes
          ? await solveOnNodes({ ...solveInput(t), emit, holdPush: deferred.has(t.name), nodes, builtOn, placed })
          : await solveTarget({ ...solveInput(t), emit, holdPush: deferred.has(t.name) });
        if (result.state === 'failed' && !options.keepGoing) runAbort.abort(new Error(`target ${t.name} failed`));
        return result;
      } finally {
        for (const r of release.reverse()) r();
      }
    };
    for (const t of targets) {
      const p = runOne(t).catch((err: unknown): TargetResult => {
        if (runAbort.signal.aborted) {
          emit({ type: 'target-skipped', target: t.name, failure: CANCELLED, time: Date.now() });
          return skipped(t.name, CANCELLED);
        }
        const failure = failureOf(err);
        emit({ type: 'target-failed', target: t.name, failure, logTail: [], durationMs: 0, time: Date.now() });
        if (!options.keepGoing) runAbort.abort(err);
        return { target: t.name, state: 'failed', exporterResponse: {}, durationMs: 0, failure, steps: { total: 0, cached: 0 } };
      });
      done.set(t.name, p);
      p.then((r) => {
        results.set(t.name, r);
        fresh.set(t.name, r);
      });
    }
    await Promise.all(done.values());
    if (deferred.size > 0) {
      push = await pushPhase();
      emit({ type: 'push-done', push, time: Date.now() });
    }

    async function pushPhase(): Promise<PushSummary> {
      const base = { deferred: [...deferred].sort(), pushed: [] };
      const notBuilt = targets.filter((t) => !isBuilt(fresh.get(t.name)));
      if (notBuilt.length > 0) {
        const names = notBuilt.map((t) => `${t.name} ${fresh.get(t.name)?.state ?? 'not built'}`);
        return { state: 'withheld', ...base, reason: runAbort.signal.aborted && options.signal.aborted ? 'the run was interrupted' : names.join(', ') };
      }
      if (runAbort.signal.aborted) return { state: 'withheld', ...base, reason: 'the run was interrupted' };
      trace('push-ready', base.deferred.join(','));
      emit({ type: 'push-ready', targets: base.deferred, time: Date.now() });
      await holdBeforePush(env, runAbort.signal);
      if (runAbort.signal.aborted) return { state: 'withheld', ...base, reason: 'the run was interrupted before the push' };
      return runPushPhase({
        targets: targets.filter((t) => deferred.has(t.name)),
        results,
        emit,
        signal: runAbort.signal,
        push: (t) =>
          mergedPushOf(results.get(t.name))
            ? pushMerged(t, results.get(t.name)!, env, runAbort.signal, emit)
            : solveTarget({
            ...solveInput(t),
            // The push solve's own progress is not a second build of the target: only its warnings show.
            emit: (e) => {
              if (e.type === 'warning') emit(e);
            },
            phase: 'push',
          }),
      });
    }
  } finally {
    options.signal.removeEventListener('abort', onOuterAbort);
    if (ownPool) await pool.close();
    await ssh?.close();
    await fs.rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
  // The push phase updated `results` (digests, push failures).
  const list = selected.map((n) => (fresh.has(n) ? results.get(n) : undefined)).filter((r): r is TargetResult => r !== undefined);
  return {
    results: list,
    durationMs: Date.now() - started,
    ok: list.every(isBuilt) && (push.state === 'pushed' || push.state === 'none'),
    cancelled: options.signal.aborted,
    push,
  };
}

/** The open builders of `targets`, by name (opened through `pool`, which keeps them). */
interface OpenedBuilders {
  /** Per builder; for a multi-node builder its first reachable node (the checks that take one daemon). */
  handles: Map<string, BuilderHandle>;
  /** Multi-node builders: every node, reachable or not. */
  nodeSets: Map<string, NodeSet>;
}

async function openBuilders(plan: Plan, targets: ResolvedTarget[], pool: BuilderPool, signal: AbortSignal): Promise<OpenedBuilders> {
  const handles = new Map<string, BuilderHandle>();
  const nodeSets = new Map<string, NodeSet>();
  const names = [...new Set(targets.map((t) => t.builder))].sort();
  await Promise.all(
    names.map(async (name) => {
      const b = plan.builders[name];
      if (!b) throw new TsbakeError('invalid-config', `unknown builder "${name}"`);
      if (!b.nodes) {
        handles.set(name, await pool.get(b, signal));
        return;
      }
      const set = await openNodes(b, pool, signal);
      const first = set.first();
      if (!first) {
        throw new TsbakeError(
          'daemon-unreachable',
          `builder "${name}": no node is reachable:\n` + set.entries.map((e) => `  ${nodeLabel(e.node)}: ${e.error ?? 'unknown error'}`).join('\n'),
        );
      }
      nodeSets.set(name, set);
      handles.set(name, first);
    }),
  );
  return { handles: new Map(names.map((n) => [n, handles.get(n)!])), nodeSets };
}

/**
 * What the builders' daemons refuse of `targets` (capabilities, and the exports re-planned against
 * them), and the targets with those exports: what the run carries out.
 */
async function daemonProblems(
  plan: Plan,
  targets: ResolvedTarget[],
  handles: Map<string, BuilderHandle>,
  nodeSets: Map<string, NodeSet>,
  env: Record<string, string | undefined>,
  pushMode: PushMode | undefined,
): Promise<{ problems: Diagnostic[]; targets: ResolvedTarget[] }> {
  const subPlan: Plan = { ...plan, targets: Object.fromEntries(targets.map((t) => [t.name, t])) };
  const problems = checkCapabilities(subPlan, (b) => handles.get(b.name)?.caps ?? handles.values().next().value!.caps);
  for (const t of targets) {
    const set = nodeSets.get(t.builder);
    if (set) for (const message of nodeProblems(t, set)) problems.push({ file: '', line: 0, column: 0, severity: 'error', message });
  }
  const again = await replanExports(targets, plan, env, (t, node) => (node ? nodeSets.get(t.builder)?.entry(node).handle?.caps : handles.get(t.builder)?.caps), pushMode);
  problems.push(...again.problems);
  return { problems, targets: again.targets };
}

/** The error a run is refused with (exit 2), when some of `problems` are errors. */
function refusalOf(problems: Diagnostic[]): TsbakeError | undefined {
  const errors = problems.filter((d) => d.severity === 'error');
  if (errors.length === 0) return undefined;
  return new TsbakeError('capability', errors.map(formatDiagnostic).join('\n'), { diagnostics: errors });
}

/**
 * The check runPlan makes before any build, for every target of `plan`: opens their builders (the pool
 * keeps them) and throws the same refusal (TsbakeError 'capability') a run of the plan would. Watch
 * calls it before the first build of each plan, so it refuses what `run` refuses before building
 * anything. Errors other than a refusal (a daemon that cannot be reached) are thrown as they are.
 */
export async function checkPlanOnBuilders(plan: Plan, options: { pool: BuilderPool; env: Record<string, string | undefined>; signal: AbortSignal }): Promise<void> {
  const targets = plan.order.map((n) => plan.targets[n]!);
  const { handles, nodeSets } = await openBuilders(plan, targets, options.pool, options.signal);
  const refused = refusalOf((await daemonProblems(plan, targets, handles, nodeSets, options.env, undefined)).problems);
  if (refused) throw refused;
}

/**
 * The planner's exports again, now that the daemons can be asked (src/plan/exports.ts): a load's format
 * follows the local engine's image store (OCI for the containerd store, which also takes multi-platform
 * images; the classic store refuses those), and a `target:` handoff that needs one more exporter is
 * refused where the builder's daemon allows one per solve. Every refusal here comes before any solve.
 */
async function replanExports(
  targets: ResolvedTarget[],
  plan: Plan,
  env: Record<string, string | undefined>,
  /** The daemon of the target's builder, or of one of its nodes (undefined: the node did not answer). */
  capsOf: (t: ResolvedTarget, node?: string) => DriverCapabilities | undefined,
  pushMode: PushMode | undefined,
): Promise<{ targets: ResolvedTarget[]; problems: Diagnostic[] }> {
  const host = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  // An engine that cannot be asked fails the load itself, in the solve, with its own message.
  const localStore = targets.some((t) => t.exports.some((e) => e.kind === 'load')) ? await localEngineStore(env).catch(() => undefined) : undefined;
  const problems: Diagnostic[] = [];
  const refuse = (message: string): void => {
    problems.push({ file: '', line: 0, column: 0, severity: 'error', message });
  };
  const next = targets.map((t) =>
    replanned(t, plan, { ...(localStore ? { localStore } : {}), localEngine: host, ...(pushMode ? { pushMode } : {}) }, (p) => refuse(p)),
  );
  for (const t of next) {
    const handoffs = new Set<string>();
    const check = (exports: PlannedExport[], caps: DriverCapabilities | undefined): void => {
      const handoff = caps && handoffProblem({ ...t, exports }, caps);
      if (handoff) handoffs.add(handoff);
    };
    if (t.nodeExports) for (const [node, exports] of Object.entries(t.nodeExports)) check(exports, capsOf(t, node));
    else check(t.exports, capsOf(t));
    for (const h of handoffs) refuse(h);
  }
  return { targets: next, problems };
}

const dependedOnCache = new WeakMap<Plan, Set<string>>();
/** The plan's targets taken as `target:` contexts, computed once per plan. */
function dependedOn(plan: Plan): Set<string> {
  let names = dependedOnCache.get(plan);
  if (!names) dependedOnCache.set(plan, (names = targetContextNames(plan.targets)));
  return names;
}

/**
 * `t` with its exports planned again (src/plan/exports.ts) from the planner's facts (its builder's
 * result store and push mode, its `target:` dependents in the whole plan) and the run's (`extra`).
 */
function replanned(t: ResolvedTarget, plan: Plan, extra: Partial<ExportFacts>, onProblem?: (message: string) => void): ResolvedTarget {
  const b = plan.builders[t.builder];
  if (!b) return t;
  const planned = planExports(t, t.name, {
    resultStore: descriptorOf(b.driver).resultStore,
    pushMode: b.push ?? 'all',
    hasDependents: dependedOn(plan).has(t.name),
    ...extra,
  });
  for (const p of planned.problems) onProblem?.(p.message);
  if (!b.nodes) return { ...t, exports: planned.exports };
  // Each node its placement may choose has its own driver: the exports are planned for each (issue 14).
  const perNode = planNodeExports(
    t,
    t.name,
    b.nodes.map((n) => ({ name: n.node ?? n.name, resultStore: descriptorOf(n.driver).resultStore })),
    { pushMode: b.push ?? 'all', hasDependents: dependedOn(plan).has(t.name), ...extra },
  );
  for (const p of perNode.problems) if (!planned.problems.some((q) => q.message === p.message)) onProblem?.(p.message);
  return { ...t, exports: planned.exports, nodeExports: perNode.byNode };
}

const CANCELLED: TargetFailure = { reason: 'cancelled', message: 'the run was cancelled' };

function skipped(target: string, failure: TargetFailure): TargetResult {
  return { target, state: 'skipped', exporterResponse: {}, durationMs: 0, failure, steps: { total: 0, cached: 0 } };
}

/** An error thrown for a target as its failure: a TsbakeError keeps its reason. */
export function failureOf(err: unknown): TargetFailure {
  const message = err instanceof Error ? err.message : String(err);
  return { reason: err instanceof TsbakeError ? err.reason : 'build-failed', message };
}

/**
 * Writes bake's metadata file: target → exporter response plus `buildx.build.ref`. Atomic for a regular
 * file; a symlink is followed, a device or FIFO written through (buildkit/destination.ts).
 */
export async function writeMetadataFile(file: string, results: TargetResult[], builderOf: (t: string) => string): Promise<void> {
  const out: Record<string, Record<string, string>> = {};
  for (const r of results) {
    if (r.state !== 'built' && r.state !== 'cached') continue;
    out[r.target] = { ...r.exporterResponse, ...(r.buildRef ? { 'buildx.build.ref': `${builderOf(r.target)}/${builderOf(r.target)}0/${r.buildRef}` } : {}) };
  }
  await writeFileToDestination(file, JSON.stringify(out, null, 2) + '\n');
}

export type { BuildEvent };
