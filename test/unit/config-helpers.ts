import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { checkBuilderConfig } from '../../src/drivers/index.js';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';
import { TsbakeError, type Diagnostic } from '../../src/errors.js';
import { loadConfig } from '../../src/config/index.js';
import type { LoadOptions } from '../../src/config/types.js';

export const FIXTURES = new URL('../fixtures/config/', import.meta.url).pathname;

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A temporary directory holding the given files; removed after the test. */
export async function tempDir(files: Record<string, string | Buffer>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tsbake-config-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), content);
  }
  return dir;
}

/** Runs loadConfig expecting an invalid-config (or given reason) failure; returns the error. */
export async function loadError(options: LoadOptions, reason = 'invalid-config'): Promise<TsbakeError> {
  try {
    // With the drivers' own builder checks, as the CLI loads.
    await loadConfig({ env: {}, checkBuilder: checkBuilderConfig, ...options });
  } catch (err: unknown) {
    if (err instanceof TsbakeError && err.reason === reason) return err;
    throw err;
  }
  throw new Error('expected loadConfig to fail');
}

export async function diagnosticsOf(files: Record<string, string | Buffer>, main = 'tsbake.yaml', env: Record<string, string> = {}): Promise<Diagnostic[]> {
  const dir = await tempDir(files);
  return (await loadError({ cwd: dir, files: [main], env })).diagnostics;
}
