/**
 * resolvePlan: config → Plan. Stages: matrix expansion, inherits, --set, names → targets, dependency
 * closure, builders, per-target resolution and loading rules, graph, capability checks. Problems are
 * collected across stages and thrown once. Pure: no daemon, no file reads.
 */
import type { LoadedConfig, TargetConfig } from '../config/types.js';
import { checkCapabilities } from './capabilities.js';
import { createBuilderChooser, resolveBuilders } from './builders.js';
import { computeGraph, sortEdges } from './graph.js';
import { createGroupExpander, requestedTargets, usedGroups } from './groups.js';
import { resolveInherits } from './inherits.js';
import { expandMatrices } from './matrix.js';
import { applyOverrides } from './overrides.js';
import { planOutputs } from './outputs.js';
import { planExports } from './exports.js';
import { Problems, listNames, suggest } from './problems.js';
import { resolveTarget } from './target.js';
import type { DriverCapabilities, GraphEdge, Plan, PlanOptions, ResolvedBuilder, ResolvedTarget } from './types.js';

export function resolvePlan(loaded: LoadedConfig, options: PlanOptions): Plan {
  const problems = new Problems(loaded);
  const env = options.env ?? process.env;
  const config = loaded.config;
  const groups = config.group ?? {};

  const { targets: expanded, forks } = expandMatrices(config.target ?? {}, problems);
  const merged = resolveInherits(expanded, forks, new Set(Object.keys(groups)), problems);
  const origin = (name: string): string => expanded.get(name)?.origin ?? name;
  const isTarget = (name: string): boolean => merged.has(name);
  let sortedNames: string[] | undefined;
  const allTargets = (): string[] => (sortedNames ??= [...merged.keys()].sort());
  const expander = createGroupExpander(groups, isTarget, forks, problems, allTargets);

  const flags = applyOverrides(
    options.set ?? [],
    merged,
    (n) => (Object.hasOwn(groups, n) || forks.has(n) ? expander.expand(n) : undefined),
    problems,
  );

  const names = options.names ?? [];
  const requested = requestedTargets(names, expander, allTargets, problems);

  // Dependency closure: requested targets plus everything they reach through target: contexts and depends-on.
  const edges: GraphEdge[] = [];
  const inPlan = new Set<string>(requested);
  const queue = [...requested];
  for (let qi = 0; qi < queue.length; qi++) {
    const name = queue[qi]!;
    const c = merged.get(name)!;
    const add = (to: string): void => {
      if (!inPlan.has(to)) {
        inPlan.add(to);
        queue.push(to);
      }
    };
    for (const [via, value] of Object.entries(c.contexts ?? {})) {
      const text = String(value);
      if (!text.startsWith('target:')) continue;
      const dep = text.slice('target:'.length);
      const where = ['target', origin(name), 'contexts', via];
      if (merged.has(dep)) {
        edges.push({ from: name, to: dep, kind: 'context', via });
        add(dep);
      } else if (forks.has(dep)) {
        problems.error('invalid-config', where, `target "${name}": context "${via}" names matrix target "${dep}", which is several targets; name one fork: ${listNames(forks.get(dep)!)}`);
      } else {
        problems.error('unknown-target', where, `target "${name}": context "${via}" refers to unknown target "${dep}"`, { suggestion: suggest(dep, allTargets()) });
      }
    }
    (c['depends-on'] ?? []).forEach((dep, i) => {
      const members = expander.expand(dep);
      if (members === undefined) {
        problems.error('unknown-target', ['target', origin(name), 'depends-on', i], `target "${name}" depends on unknown target "${dep}"`, {
          suggestion: suggest(dep, [...allTargets(), ...expander.groupLikeNames()]),
        });
        return;
      }
      for (const m of members) {
        edges.push({ from: name, to: m, kind: 'depends-on' });
        add(m);
      }
    });
  }
  sortEdges(edges);

  const { drivers } = options;
  const builders = resolveBuilders(config, loaded.baseDir, env, drivers, problems);
  const chooseBuilder = createBuilderChooser(config, builders, options.builder, env, problems);
  const caps = options.capabilities ?? ((b: ResolvedBuilder): DriverCapabilities => drivers.descriptors[b.driver]!.capabilities(b));
  const capsCache = new Map<string, DriverCapabilities>();
  const capsOf = (b: ResolvedBuilder): DriverCapabilities => {
    let c = capsCache.get(b.name);
    if (!c) capsCache.set(b.name, (c = caps(b)));
    return c;
  };

  const dependsOn = new Map<string, Set<string>>();
  for (const e of edges) {
    let s = dependsOn.get(e.from);
    if (!s) dependsOn.set(e.from, (s = new Set()));
    s.add(e.to);
  }

  // bake's loadLinks: a target reached only through `target:` contexts (not asked for, not a
  // depends-on) is built for its dependents alone: `cacheonly` in print, never pushed or loaded.
  const built = new Set<string>(requested);
  for (const e of edges) if (e.kind === 'depends-on') built.add(e.to);
  const bakeTargets: NonNullable<Plan['bake']>['targets'] = {};

  const targets: Record<string, ResolvedTarget> = {};
  for (const name of [...inPlan].sort()) {
    const c: TargetConfig = merged.get(name)!;
    const builderName = chooseBuilder(name, origin(name), c.builder);
    const builder = builderName === undefined ? undefined : builders[builderName];
    const f = flags.get(name);
    const linked = !built.has(name);
    const push = f?.push ?? options.push;
    const load = f?.load ?? options.load;
    const view: NonNullable<Plan['bake']>['targets'][string] = { config: c, linked };
    if (push !== undefined) view.push = push;
    if (load !== undefined) view.load = load;
    bakeTargets[name] = view;
    const outputs = builder
      ? planOutputs(
          {
            target: name,
            origin: origin(name),
            written: c.output,
            tags: c.tags ?? [],
            builder,
            loadsByDefault: capsOf(builder).loadsByDefault,
            resultStore: drivers.descriptors[builder.driver]!.resultStore,
            load: !linked && (load ?? false),
            push: !linked && (push ?? false),
            linked,
            ...(options.printOnly ? { printOnly: true } : {}),
            baseDir: loaded.baseDir,
          },
          problems,
        )
      : [];
    const t = resolveTarget(
      {
        name,
        origin: origin(name),
        config: c,
        baseDir: loaded.baseDir,
        builder: builderName ?? '',
        outputs,
        dependsOn: [...(dependsOn.get(name) ?? [])].sort(),
      },
      problems,
    );
    if (builder) {
      const planned = planExports(t, origin(name), { resultStore: drivers.descriptors[builder.driver]!.resultStore });
      t.exports = planned.exports;
      for (const p of planned.problems) problems.error('capability', p.path, p.message);
    }
    targets[name] = t;
  }

  const graph = computeGraph(Object.keys(targets), edges);
  for (const cycle of graph.cycles) {
    const first = edges.find((e) => e.from === cycle[0] && e.to === cycle[1]);
    const where = first ? (first.kind === 'context' ? ['target', origin(first.from), 'contexts', first.via!] : ['target', origin(first.from), 'depends-on']) : undefined;
    problems.error('cycle', where, `dependency cycle: ${cycle.join(' -> ')}`);
  }

  const planGroups = usedGroups(names.length > 0 ? names : ['default'], groups, isTarget, forks);
  const traversedGroups = { ...planGroups };
  if (!Object.hasOwn(planGroups, 'default')) planGroups.default = { targets: names.length > 0 ? [...names] : requested };

  const plan: Plan = {
    requested,
    targets,
    groups: planGroups,
    builders,
    edges,
    order: graph.order,
    levels: graph.levels,
    warnings: problems.warnings,
    bake: {
      names: [...names],
      groups: traversedGroups,
      targets: bakeTargets,
      ...(env.SOURCE_DATE_EPOCH ? { sourceDateEpoch: env.SOURCE_DATE_EPOCH } : {}),
    },
  };

  for (const d of checkCapabilities(plan, capsOf, { positionOf: (p) => loaded.positionOf(p), origin })) problems.add('capability', d);
  problems.throwIfAny();
  return plan;
}
