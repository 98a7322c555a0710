/** Runs the real CLI (`bin/tsbake.js`, built `dist/`) as a child process. */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import fs from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const bin = path.join(repoRoot, 'bin/tsbake.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs?: number;
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const r = await execa(bin, args, {
    cwd: options.cwd ?? repoRoot,
    env: { CI: 'true', ...options.env },
    reject: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' }),
    // Under the 120 s test timeout, so a run that hangs fails with its own stderr instead of a bare timeout.
    timeout: options.timeoutMs ?? 110_000,
  });
  return { code: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Starts the CLI without waiting (for Ctrl-C and watch tests). */
export function spawnCli(args: string[], options: CliOptions = {}): ResultPromise {
  return execa(bin, args, {
    cwd: options.cwd ?? repoRoot,
    env: { CI: 'true', ...options.env },
    reject: false,
    stdin: 'ignore',
    buffer: true,
  });
}

/**
 * Resolves once every marker has been printed as a RUN step's output (`echo MARKER` in the step's name
 * does not count) on the child's stderr; rejects if the child exits first. Stops listening either way.
 */
export function waitForStepOutput(child: ResultPromise, markers: string[]): Promise<void> {
  const patterns = markers.map((m) => new RegExp(`(?<!echo )${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  let seen = '';
  return new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      seen += b.toString();
      if (patterns.every((p) => p.test(seen))) {
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    const onExit = (): void => {
      child.stderr?.off('data', onData);
      reject(new Error(`tsbake exited before the RUN started:\n${seen}`));
    };
    void child.then(onExit, onExit);
  });
}

/** Dirs made by `project()` in this test file; test/helpers/cleanup.ts removes them after the file. */
export const projectDirs: string[] = [];

/** A fresh temp dir with the given files (path → content). */
export async function project(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-test-'));
  projectDirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  return dir;
}
