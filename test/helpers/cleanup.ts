/** vitest setup file: removes the temp projects a test file made once all its tests are done. */
import { afterAll } from 'vitest';
import fs from 'node:fs/promises';
import { projectDirs } from './cli.js';

afterAll(async () => {
  await Promise.all(projectDirs.splice(0).map((d) => fs.rm(d, { recursive: true, force: true }).catch(() => undefined)));
});
