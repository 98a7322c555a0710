/** `tsbake builder …`: manage the declared builders. */
import { Command, Option } from 'commander';
import type { CliIO, CommonFlags } from './main.js';
import { loadConfigFor, resolveBuilderList } from './common.js';
import type { ResolvedBuilder } from '../plan/types.js';
import { TsbakeError } from '../errors.js';
import { closest } from 'fastest-levenshtein';
import { parseSize } from '../exec/solve-request.js';
import type { BuilderStatus } from '../drivers/types.js';
import { describeBuildkitVersion } from '../exec/versions.js';

function engineVersionOf(status: BuilderStatus): string | undefined {
  const v = status.details?.['engineVersion'];
  return typeof v === 'string' ? v : undefined;
}

type Flags = CommonFlags & { format: 'text' | 'json' };

async function declaredBuilders(flags: CommonFlags, ctx: CliIO): Promise<Record<string, ResolvedBuilder>> {
  return resolveBuilderList(await loadConfigFor(flags, ctx), ctx.env);
}

async function pick(name: string, flags: CommonFlags, ctx: CliIO): Promise<ResolvedBuilder> {
  const all = await declaredBuilders(flags, ctx);
  const b = all[name];
  if (!b) {
    const names = Object.keys(all);
    const hint = names.length ? ` (did you mean ${closest(name, names)}?)` : '';
    throw new TsbakeError('usage', `no builder named "${name}"${hint}; declared: ${names.join(', ') || 'none'}`);
  }
  return b;
}

async function driverFor(b: ResolvedBuilder, ctx: CliIO) {
  const { createDriver } = await import('../drivers/index.js');
  return createDriver({ builder: b, env: ctx.env, log: (m) => ctx.stderr.write(`${m}\n`) });
}

/** The daemons a builder stands for: its nodes, or itself. */
function nodesOf(b: ResolvedBuilder): ResolvedBuilder[] {
  return b.nodes ?? [b];
}

/** How a node is named in output: `fleet/amd` (a builder's own name when it has no nodes). */
function displayName(b: ResolvedBuilder): string {
  return b.node !== undefined ? `${b.name.slice(0, -(b.node.length + 1))}/${b.node}` : b.name;
}

/** A daemon's status with, when it runs, the platforms and BuildKit version it reports. */
async function statusOf(b: ResolvedBuilder, ctx: CliIO, signal: AbortSignal, withWorkers: boolean): Promise<BuilderStatus & { node?: string }> {
  const driver = await driverFor(b, ctx);
  const status: BuilderStatus & { node?: string } = await driver.inspect(signal).catch((err: unknown): BuilderStatus => {
    if (signal.aborted) throw err;
    return { name: b.name, driver: b.driver, endpoint: driver.endpoint(), status: 'error', platforms: [], error: (err as Error).message };
  });
  if (b.node !== undefined) {
    status.name = b.name.slice(0, -(b.node.length + 1));
    status.node = b.node;
  }
  if (status.status === 'running' && (withWorkers || !status.buildkitVersion)) {
    await withClient(b, ctx, signal, async (c) => {
      const [workers, info] = await Promise.all([c.listWorkers(signal), c.info(signal)]);
      status.platforms = [...new Set(workers.flatMap((w) => w.platforms))];
      status.buildkitVersion = describeBuildkitVersion(info?.version, engineVersionOf(status));
      if (withWorkers) status.details = { ...status.details, workers };
    }).catch((err: unknown) => {
      if (withWorkers) status.error = (err as Error).message;
    });
  }
  // A node's declared platforms are what the planner uses: marked `*` as buildx does, the daemon's after them.
  if (b.node !== undefined && b.platforms.length > 0) {
    status.platforms = [...b.platforms.map((p) => `${p}*`), ...status.platforms.filter((p) => !b.platforms.includes(p))];
  }
  return status;
}

async function withClient<T>(b: ResolvedBuilder, ctx: CliIO, signal: AbortSignal, fn: (c: import('../buildkit/index.js').BuildkitClient) => Promise<T>): Promise<T> {
  const driver = await driverFor(b, ctx);
  await driver.bootstrap(signal);
  const { BuildkitClient } = await import('../buildkit/index.js');
  const client = await BuildkitClient.connect((s) => driver.dial(s), { signal, endpointName: driver.endpoint() });
  try {
    return await fn(client);
  } finally {
    await client.close();
  }
}

export function cmdBuilder(
  program: Command,
  addCommon: (c: Command) => Command,
  ctx: CliIO,
  signal: AbortSignal,
  setCode: (c: number) => void,
): void {
  const builder = program.command('builder').description('manage builders (ls, inspect, bootstrap, stop, rm, du, prune)');
  const fmt = (): Option => new Option('--format <format>', 'output format').choices(['text', 'json']).default('text');
  const out = (flags: Flags, json: unknown, text: string): void => {
    ctx.stdout.write(flags.format === 'json' ? JSON.stringify(json, null, 2) + '\n' : text.endsWith('\n') ? text : text + '\n');
  };

  addCommon(builder.command('ls').description('list every declared builder with its status'))
    .addOption(fmt())
    .action(async (flags: Flags) => {
      const all = Object.values(await declaredBuilders(flags, ctx));
      const daemons = all.flatMap(nodesOf);
      const rows = await Promise.all(daemons.map((b) => statusOf(b, ctx, signal, false)));
      const text = ['NAME\tDRIVER\tENDPOINT\tSTATUS\tBUILDKIT\tPLATFORMS']
        .concat(rows.map((r, i) => [displayName(daemons[i]!), r.driver, r.endpoint, r.status, r.buildkitVersion ?? '', r.platforms.join(',')].join('\t')))
        .join('\n');
      out(flags, rows, text);
      setCode(0);
    });

  addCommon(builder.command('inspect').description('show one builder in detail'))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      const statuses = await Promise.all(nodesOf(b).map((n) => statusOf(n, ctx, signal, true)));
      const describe = (status: BuilderStatus & { node?: string }, indent: string): string[] =>
        [
          ...(status.node !== undefined ? [`Node:      ${status.node}`] : [`Name:      ${status.name}`]),
          `Driver:    ${status.driver}`,
          `Endpoint:  ${status.endpoint}`,
          `Status:    ${status.status}`,
          ...(status.buildkitVersion ? [`BuildKit:  ${status.buildkitVersion}`] : []),
          `Platforms: ${status.platforms.join(', ')}`,
          ...(status.error ? [`Error:     ${status.error}`] : []),
          ...Object.entries(status.details ?? {})
            .filter(([k]) => k !== 'workers')
            .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`),
        ].map((l) => indent + l);
      if (b.nodes) {
        const lines = [`Name:      ${b.name}`, `Platforms: ${[...new Set(statuses.flatMap((s) => s.platforms))].join(', ')}`, 'Nodes:'];
        for (const st of statuses) lines.push('', ...describe(st, '  '));
        out(flags, { name: b.name, nodes: statuses }, lines.join('\n'));
        setCode(statuses.some((st) => st.status === 'error') ? 1 : 0);
        return;
      }
      const status = statuses[0]!;
      out(flags, status, describe(status, '').join('\n'));
      setCode(status.status === 'error' ? 1 : 0);
    });

  addCommon(builder.command('bootstrap').description('create and start a builder, wait until it answers'))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      const statuses = await Promise.all(
        nodesOf(b).map(async (n) => {
          const driver = await driverFor(n, ctx);
          await driver.bootstrap(signal);
          return driver.inspect(signal);
        }),
      );
      out(flags, b.nodes ? statuses : statuses[0], nodesOf(b).map((n, i) => `${displayName(n)}: ${statuses[i]!.status}`).join('\n'));
      setCode(0);
    });

  addCommon(builder.command('stop').description('stop a builder (its state is kept)'))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      for (const n of nodesOf(b)) await (await driverFor(n, ctx)).stop(signal);
      out(flags, { name, stopped: true }, `${name}: stopped`);
      setCode(0);
    });

  addCommon(builder.command('rm').description('remove a builder and (unless --keep-state) its state'))
    .argument('<name>')
    .option('--keep-state', 'keep the build cache')
    .addOption(fmt())
    .action(async (name: string, flags: Flags & { keepState?: boolean }) => {
      const b = await pick(name, flags, ctx);
      for (const n of nodesOf(b)) await (await driverFor(n, ctx)).remove(signal, { keepState: Boolean(flags.keepState) });
      out(flags, { name, removed: true, keepState: Boolean(flags.keepState) }, `${name}: removed${flags.keepState ? ' (state kept)' : ''}`);
      setCode(0);
    });

  addCommon(builder.command('du').description("show a builder's disk usage"))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      const records = (await Promise.all(nodesOf(b).map((n) => withClient(n, ctx, signal, (c) => c.diskUsage(signal))))).flat();
      const total = records.reduce((n, r) => n + r.size, 0);
      const reclaimable = records.filter((r) => !r.inUse).reduce((n, r) => n + r.size, 0);
      const text = ['ID\tRECLAIMABLE\tSIZE\tLAST ACCESSED\tDESCRIPTION']
        .concat(records.map((r) => [r.id.slice(0, 25), String(!r.inUse), human(r.size), r.lastUsedAt ? new Date(r.lastUsedAt).toISOString() : '', r.description].join('\t')))
        .concat([`Reclaimable:\t${human(reclaimable)}`, `Total:\t${human(total)}`])
        .join('\n');
      out(flags, { records, total, reclaimable }, text);
      setCode(0);
    });

  addCommon(builder.command('prune').description("remove a builder's build cache"))
    .argument('<name>')
    .option('--all', 'include internal and frontend images')
    .option('--keep-storage <size>', 'amount of disk space to keep for cache (e.g. 1g)')
    .addOption(fmt())
    .action(async (name: string, flags: Flags & { all?: boolean; keepStorage?: string }) => {
      const b = await pick(name, flags, ctx);
      const removed: { id: string; size: number }[] = [];
      for (const n of nodesOf(b)) {
        await withClient(n, ctx, signal, (c) =>
          c.prune(
            signal,
            { all: Boolean(flags.all), ...(flags.keepStorage ? { keepBytes: parseSize(flags.keepStorage) } : {}) },
            (r) => removed.push({ id: r.id, size: r.size }),
          ),
        );
      }
      const total = removed.reduce((n, r) => n + r.size, 0);
      out(flags, { removed, total }, `Total:\t${human(total)} (${removed.length} records)`);
      setCode(0);
    });
}

function human(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)}GB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(2)}MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(2)}kB`;
  return `${n}B`;
}
