/**
 * Argument parsing and wiring; no logic of its own. Exit codes: 0 success, 1 build failure, 2 invalid
 * config or usage, 130 interrupted (SIGINT, SIGTERM), 129 hung up (SIGHUP). Errors go to stderr, data to stdout.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { TsbakeError, exitCodeFor, formatDiagnostic } from '../errors.js';
import { cmdRun, cmdWatch } from './run.js';
import { cmdPrint, cmdPlan, cmdList, cmdValidate, cmdBakeList } from './inspect.js';
import { cmdBuilder } from './builder.js';
import type { Writable } from 'node:stream';

export interface CliIO {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface CommonFlags {
  file: string[];
  set: string[];
  /** --var NAME=VALUE (repeatable) */
  var?: string[];
  /** --list targets|variables|type=…,format=… (print, run) */
  list?: string;
  load?: boolean;
  push?: boolean;
  builder?: string;
  progress: 'auto' | 'tty' | 'plain' | 'json' | 'quiet';
  metadataFile?: string;
}

const ALLOW_HELP =
  'allow access outside the working directory or a privileged entitlement: fs.read=PATH, fs.write=PATH, fs=PATH (* for any), network.host, security.insecure (repeatable)';
const collect = (value: string, previous: string[]): string[] => [...previous, value];

function addCommon(cmd: Command): Command {
  return cmd
    .option('-f, --file <path>', 'config file (repeatable; merged in order)', collect, [])
    .option('--set <pattern.key=value>', 'override a target attribute, bake syntax (repeatable)', collect, [])
    .option('--var <name=value>', 'set a variable of the bake files, over the environment (repeatable)', collect, [])
    .option('--load', 'shorthand for --set=*.output=type=docker (load into the local image store)')
    .option('--push', 'shorthand for --set=*.output=type=registry')
    .option('--builder <name>', 'builder to use for every target (env TSBAKE_BUILDER)')
    .addOption(
      new Option('--progress <mode>', 'progress output').choices(['auto', 'tty', 'plain', 'json', 'quiet']).default('auto'),
    )
    .option('--metadata-file <path>', 'write build results as JSON');
}

export async function main(argv: string[], io?: Partial<CliIO>): Promise<number> {
  const ctx: CliIO = {
    stdout: io?.stdout ?? process.stdout,
    stderr: io?.stderr ?? process.stderr,
    env: io?.env ?? process.env,
    cwd: io?.cwd ?? process.cwd(),
  };
  const abort = new AbortController();
  let interrupted = 0;
  let firstSignal: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted++;
    if (sig === 'SIGHUP') {
      // The terminal may be gone: a failed write to it must not crash the run before it has cleaned up.
      for (const s of [ctx.stdout, ctx.stderr]) if (s.listenerCount('error') === 0) s.on('error', () => undefined);
    }
    if (interrupted > 1) {
      ctx.stderr.write('tsbake: interrupted twice, exiting now\n');
      process.exit(signalExitCode(firstSignal ?? sig));
    }
    firstSignal = sig;
    ctx.stderr.write(`\ntsbake: ${sig === 'SIGINT' ? 'interrupted' : sig === 'SIGHUP' ? 'hung up' : 'terminated'}, cancelling builds…\n`);
    abort.abort(new TsbakeError('cancelled', 'interrupted'));
  };
  // SIGHUP (the terminal closed, or `kill -HUP`) cancels like SIGINT and SIGTERM: Node's default for it
  // is to exit at once, which left the run's temp dirs and half-written exports behind.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  let code = 0;
  const program = new Command('tsbake')
    .description('A declarative build runner for BuildKit')
    .version(readVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .showSuggestionAfterError(true);

  const setCode = (c: number): void => {
    code = c;
  };

  addCommon(program.command('run').description('build targets and groups (default: the "default" group)'))
    .argument('[targets...]', 'targets or groups')
    .option('--parallelism <n>', 'maximum concurrent solves (default: unlimited)', parsePositiveInt)
    .option('--keep-going', 'let independent targets finish after a failure')
    .option('--no-cache', 'do not use cache when building')
    .option('--pull', 'always attempt to pull all referenced images')
    .option('--report <file>', 'write a build report: FILE.html (one self-contained page) or FILE.json')
    .option('--push-each', 'push each image as soon as it is built (default: push only after every target built)')
    .option('--allow <entitlement>', ALLOW_HELP, collect, [])
    .option('--watch', 'keep watching and rebuild on changes (same as `tsbake watch`)')
    .option('--debounce <ms>', 'watch: quiet window before a rebuild', parseNonNegativeInt, 50)
    .option('--poll [ms]', 'watch: poll the file system instead of native events')
    .option('--no-cancel', 'watch: queue rebuilds instead of cancelling builds in flight')
    .option('--list <type>', 'list targets or variables instead of building (targets, variables, type=targets,format=json)')
    .action(async (targets: string[], opts) => {
      if (opts.list !== undefined) return setCode(await cmdBakeList(opts, ctx));
      setCode(opts.watch ? await cmdWatch(targets, opts, ctx, abort.signal) : await cmdRun(targets, opts, ctx, abort.signal));
    });

  addCommon(program.command('watch').description('build, then rebuild exactly what a saved file affects'))
    .argument('[targets...]', 'targets or groups')
    .option('--parallelism <n>', 'maximum concurrent solves', parsePositiveInt)
    .option('--no-cache', 'do not use cache when building')
    .option('--pull', 'always attempt to pull all referenced images')
    .option('--push-each', 'push each image as soon as it is built')
    .option('--allow <entitlement>', ALLOW_HELP, collect, [])
    .option('--debounce <ms>', 'quiet window before a rebuild, in ms', parseNonNegativeInt, 50)
    .option('--poll [ms]', 'poll the file system instead of native events (default interval 500 ms)')
    .option('--no-cancel', 'queue rebuilds instead of cancelling builds in flight')
    .option('--report <file>', 'rewrite a build report after each rebuild: FILE.html or FILE.json')
    .action(async (targets: string[], opts) => setCode(await cmdWatch(targets, opts, ctx, abort.signal)));

  addCommon(program.command('print').description('print the targets as docker buildx bake --print does (plus each target\'s builder)'))
    .argument('[targets...]', 'targets or groups')
    .option('--list <type>', 'list targets or variables instead (targets, variables, type=targets,format=json)')
    .action(async (targets: string[], opts) => setCode(opts.list !== undefined ? await cmdBakeList(opts, ctx) : await cmdPrint(targets, opts, ctx)));

  addCommon(program.command('plan').description('show the build graph: order, levels, edges'))
    .argument('[targets...]', 'targets or groups')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'dot', 'mermaid', 'json']).default('text'))
    .action(async (targets: string[], opts) => setCode(await cmdPlan(targets, opts, ctx)));

  addCommon(program.command('list').description('list targets, groups and builders'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (opts) => setCode(await cmdList(opts, ctx)));

  addCommon(program.command('validate').description('check the config files; exit 0 or print the diagnostics'))
    .action(async (opts) => setCode(await cmdValidate(opts, ctx)));

  cmdBuilder(program, addCommon, ctx, abort.signal, setCode);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    code = reportError(err, ctx);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
  if (abort.signal.aborted && code !== 0) return signalExitCode(firstSignal);
  return code;
}

/** 130 for SIGINT and SIGTERM (the documented "interrupted"), 129 (128 + 1) for SIGHUP, as a shell reports it. */
function signalExitCode(sig: NodeJS.Signals | undefined): number {
  return sig === 'SIGHUP' ? 129 : 130;
}

export function reportError(err: unknown, ctx: Pick<CliIO, 'stderr'>): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return 2; // commander already printed the message
  }
  if (err instanceof TsbakeError) {
    if (err.diagnostics.length > 0) {
      for (const d of err.diagnostics) ctx.stderr.write(formatDiagnostic(d) + '\n');
      const errors = err.diagnostics.filter((d) => d.severity === 'error').length;
      if (err.reason === 'invalid-config') ctx.stderr.write(`tsbake: ${errors} error${errors === 1 ? '' : 's'} in the config\n`);
    } else {
      ctx.stderr.write(`tsbake: ${err.message}\n`);
    }
    return exitCodeFor(err.reason);
  }
  if (err instanceof Error && err.name === 'AbortError') {
    ctx.stderr.write('tsbake: interrupted\n');
    return 130;
  }
  // A bug: say so plainly, with the stack for the report.
  ctx.stderr.write(`tsbake: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

function parsePositiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new TsbakeError('usage', `expected a positive integer, got "${v}"`);
  return n;
}

function parseNonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TsbakeError('usage', `expected a non-negative integer, got "${v}"`);
  return n;
}
