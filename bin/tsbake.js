#!/usr/bin/env node
// Entry point. `--version` answers without loading anything heavy.
import { readFileSync } from 'node:fs';

const first = process.argv[2];
if (first === '--version' || first === '-V' || first === '-v') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`tsbake ${pkg.version}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
