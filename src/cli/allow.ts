/**
 * `--allow`: refuses a plan that reads or writes outside the working directory, or asks for
 * network.host / security.insecure, without the matching `--allow` (src/plan/entitlements.ts). On a
 * terminal it asks once, as buildx does (y/N); anywhere else it fails before any builder is opened,
 * with one message listing every missing `--allow`, exit 2.
 */
import { createRequire } from 'node:module';
import type { Plan } from '../plan/types.js';
import { formatRequest, grantedBySet, mergeAllow, missingEntitlements, nothingMissing, parseAllow } from '../plan/entitlements.js';
import { TsbakeError } from '../errors.js';
import type { CliIO } from './main.js';

export interface AllowOptions {
  /** --allow values. */
  allow: readonly string[];
  /** --set values: the paths and entitlements they name are granted (buildx does the same). */
  set: readonly string[];
  /** Whether a terminal on stdin may be asked (false for watch re-plans). */
  mayAsk: boolean;
  signal: AbortSignal;
  /** The terminal to ask on; default process.stdin. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export async function checkEntitlements(plan: Plan, ctx: CliIO, options: AllowOptions): Promise<void> {
  const allow = mergeAllow(parseAllow(options.allow, ctx.cwd), grantedBySet(options.set, ctx.cwd));
  const targets = plan.order.map((n) => plan.targets[n]!).filter(Boolean);
  const missing = await missingEntitlements(targets, allow, ctx.cwd);
  if (nothingMissing(missing)) return;
  const stdin = options.stdin ?? process.stdin;
  const terminal = options.mayAsk && stdin.isTTY === true;
  const request = formatRequest(missing, ctx.cwd, { terminal });
  if (!terminal) throw new TsbakeError('usage', `additional privileges requested\n${request.trimEnd()}`);
  ctx.stderr.write(request + '\nDo you want to grant requested privileges and continue? [y/N] ');
  const answer = await readLine(stdin, options.signal);
  if (answer.trim().toLowerCase() === 'y') return;
  throw new TsbakeError(options.signal.aborted ? 'cancelled' : 'usage', 'additional privileges requested');
}

/**
 * node:readline is required only to ask (it is four more of Node's modules for every run). Through
 * require, not import(): in the CLI's bundle an import() of a Node module fails (vm.Script chunks).
 */
function readLine(input: NodeJS.ReadableStream, signal: AbortSignal): Promise<string> {
  const readline = createRequire(import.meta.url)('node:readline') as typeof import('node:readline');
  const rl = readline.createInterface({ input, terminal: false });
  return new Promise<string>((resolve) => {
    let settled = false;
    const done = (line: string): void => {
      // rl.close() below emits 'close' at once, which comes back here: the first answer wins.
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      rl.close();
      // Leave the terminal alone afterwards: nothing else reads stdin.
      (input as { pause?: () => void }).pause?.();
      resolve(line);
    };
    const onAbort = (): void => done('');
    rl.once('line', done);
    rl.once('close', () => done(''));
    if (signal.aborted) return done('');
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
