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
      const rows = await Promise.all(
        all.map(async (b) => {
          const driver = await driverFor(b, ctx);
          const status: BuilderStatus = await driver.inspect(signal).catch((err: unknown): BuilderStatus => {
            if (signal.aborted) throw err;
            return {
              name: b.name,
              driver: b.driver,
              endpoint: driver.endpoint(),
              status: 'error',
              platforms: [],
              error: (err as Error).message,
            };
          });
          if (status.status === 'running' && !status.buildkitVersion) {
            await withClient(b, ctx, signal, async (c) => {
              const [workers, info] = await Promise.all([c.listWorkers(signal), c.info(signal)]);
              status.platforms = [...new Set(workers.flatMap((w) => w.platforms))];
              status.buildkitVersion = describeBuildkitVersion(info?.version, engineVersionOf(status));
            }).catch(() => undefined);
          }
          return status;
        }),
      );
      const text = ['NAME\tDRIVER\tENDPOINT\tSTATUS\tBUILDKIT\tPLATFORMS']
        .concat(rows.map((r) => [r.name, r.driver, r.endpoint, r.status, r.buildkitVersion ?? '', r.platforms.join(',')].join('\t')))
        .join('\n');
      out(flags, rows, text);
      setCode(0);
    });

  addCommon(builder.command('inspect').description('show one builder in detail'))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      const driver = await driverFor(b, ctx);
      const status = await driver.inspect(signal);
      if (status.status === 'running') {
        await withClient(b, ctx, signal, async (c) => {
          const [workers, info] = await Promise.all([c.listWorkers(signal), c.info(signal)]);
          status.platforms = [...new Set(workers.flatMap((w) => w.platforms))];
          status.buildkitVersion = describeBuildkitVersion(info?.version, engineVersionOf(status));
          status.details = { ...status.details, workers };
        }).catch((err: unknown) => {
          status.error = (err as Error).message;
        });
      }
      const lines = [
        `Name:      ${status.name}`,
        `Driver:    ${status.driver}`,
        `Endpoint:  ${status.endpoint}`,
        `Status:    ${status.status}`,
        ...(status.buildkitVersion ? [`BuildKit:  ${status.buildkitVersion}`] : []),
        `Platforms: ${status.platforms.join(', ')}`,
        ...(status.error ? [`Error:     ${status.error}`] : []),
        ...Object.entries(status.details ?? {})
          .filter(([k]) => k !== 'workers')
          .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`),
      ];
      out(flags, status, lines.join('\n'));
      setCode(status.status === 'error' ? 1 : 0);
    });

  addCommon(builder.command('bootstrap').description('create and start a builder, wait until it answers'))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      const driver = await driverFor(b, ctx);
      await driver.bootstrap(signal);
      const status = await driver.inspect(signal);
      out(flags, status, `${name}: ${status.status}`);
      setCode(0);
    });

  addCommon(builder.command('stop').description('stop a builder (its state is kept)'))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      await (await driverFor(b, ctx)).stop(signal);
      out(flags, { name, stopped: true }, `${name}: stopped`);
      setCode(0);
    });

  addCommon(builder.command('rm').description('remove a builder and (unless --keep-state) its state'))
    .argument('<name>')
    .option('--keep-state', 'keep the build cache')
    .addOption(fmt())
    .action(async (name: string, flags: Flags & { keepState?: boolean }) => {
      const b = await pick(name, flags, ctx);
      await (await driverFor(b, ctx)).remove(signal, { keepState: Boolean(flags.keepState) });
      out(flags, { name, removed: true, keepState: Boolean(flags.keepState) }, `${name}: removed${flags.keepState ? ' (state kept)' : ''}`);
      setCode(0);
    });

  addCommon(builder.command('du').description("show a builder's disk usage"))
    .argument('<name>')
    .addOption(fmt())
    .action(async (name: string, flags: Flags) => {
      const b = await pick(name, flags, ctx);
      const records = await withClient(b, ctx, signal, (c) => c.diskUsage(signal));
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
      await withClient(b, ctx, signal, (c) =>
        c.prune(
          signal,
          { all: Boolean(flags.all), ...(flags.keepStorage ? { keepBytes: parseSize(flags.keepStorage) } : {}) },
          (r) => removed.push({ id: r.id, size: r.size }),
        ),
      );
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
