/** `print`, `plan`, `list`, `validate`: read-only views of the config and the plan. */
import { toBakePrint, formatBakePrint, formatPlan } from '../plan/index.js';
import type { CliIO, CommonFlags } from './main.js';
import { loadAndPlan, loadConfigFor, printWarnings, resolveBuilderList } from './common.js';
import { formatTargetList, formatVariableList, parseListSpec } from './bake-list.js';

export async function cmdPrint(names: string[], flags: CommonFlags, ctx: CliIO): Promise<number> {
  const { plan } = await loadAndPlan(names, flags, ctx, { printOnly: true }, { warnDaemonChecks: true });
  printWarnings(plan, ctx);
  ctx.stdout.write(formatBakePrint(toBakePrint(plan)) + '\n');
  return 0;
}

export async function cmdPlan(names: string[], flags: CommonFlags & { format: 'text' | 'dot' | 'mermaid' | 'json' }, ctx: CliIO): Promise<number> {
  const { plan } = await loadAndPlan(names, flags, ctx, {}, { warnDaemonChecks: true });
  printWarnings(plan, ctx);
  const out = formatPlan(plan, flags.format);
  ctx.stdout.write(out.endsWith('\n') ? out : out + '\n');
  return 0;
}

export async function cmdList(flags: CommonFlags & { format: 'text' | 'json' }, ctx: CliIO): Promise<number> {
  const loaded = await loadConfigFor(flags, ctx);
  const cfg = loaded.config;
  // The builders as resolved (implicit `default` included), without checking any target. A builder the
  // planner refuses is a config error here too: the list shows only what a run would use.
  const builders = resolveBuilderList(loaded, ctx.env);
  const targets = (Object.entries(cfg.target ?? {}) as [string, import('../config/types.js').TargetConfig][]).map(([name, t]) => ({ name, description: t.description ?? '' }));
  const groups = (Object.entries(cfg.group ?? {}) as [string, import('../config/types.js').GroupConfig][]).map(([name, g]) => ({ name, description: g.description ?? '', targets: g.targets ?? [] }));
  const builderList = Object.values(builders).map((b) => ({ name: b.name, driver: b.driver, description: b.description ?? '' }));
  if (flags.format === 'json') {
    ctx.stdout.write(JSON.stringify({ targets, groups, builders: builderList }, null, 2) + '\n');
    return 0;
  }
  const section = (title: string, rows: string[][]): void => {
    ctx.stdout.write(`${title}\n`);
    if (rows.length === 0) ctx.stdout.write('  (none)\n');
    const width = Math.max(0, ...rows.map((r) => r[0]!.length));
    for (const r of rows) ctx.stdout.write(`  ${r[0]!.padEnd(width)}  ${r.slice(1).filter(Boolean).join('  ')}`.trimEnd() + '\n');
  };
  section('TARGETS', targets.map((t) => [t.name, t.description]));
  section('GROUPS', groups.map((g) => [g.name, g.description, `[${g.targets.join(', ')}]`]));
  section('BUILDERS', builderList.map((b) => [b.name, b.driver, b.description]));
  return 0;
}

export async function cmdValidate(flags: CommonFlags, ctx: CliIO): Promise<number> {
  // Resolving every target checks names, inherits, matrix, graph and capabilities too.
  const { loaded, plan } = await loadAndPlan((l) => Object.keys(l.config.target ?? {}), flags, ctx, {}, { warnDaemonChecks: true });
  printWarnings(plan, ctx);
  ctx.stdout.write(`${loaded.files.join(', ')}: valid (${Object.keys(plan.targets).length} targets, ${Object.keys(plan.builders).length} builders)\n`);
  return 0;
}

/** `--list targets|variables`: buildx's lists, read from the files without resolving any target. */
export async function cmdBakeList(flags: CommonFlags, ctx: CliIO): Promise<number> {
  const spec = parseListSpec(flags.list ?? '');
  const loaded = await loadConfigFor(flags, ctx);
  ctx.stdout.write(spec.type === 'targets' ? formatTargetList(loaded.config, spec.format) : formatVariableList(loaded.variableList ?? [], spec.format));
  return 0;
}
