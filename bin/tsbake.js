#!/usr/bin/env node
// Entry point. `--version` answers without loading anything heavy. The CLI runs from its bundle
// (dist/bundle, see rolldown.config.mjs) and falls back to tsc's output when there is none.
import { existsSync, readFileSync } from 'node:fs';

const first = process.argv[2];
if (first === '--version' || first === '-V' || first === '-v') {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`tsbake ${pkg.version}\n`);
} else {
  // The young generation grows 8x per step instead of 2x: a config's parse tree and values survive to
  // the end, so each of the ~11 scavenges of a 1,000-target print copied them again (GC was ~20% of it);
  // now ~6 scavenges, about half the GC time, for ~5 MB more peak RSS. V8 reads this flag at each growth.
  // Only for the short config commands: a long run or watch keeps V8's defaults.
  if (['print', 'plan', 'list', 'validate'].includes(first)) (await import('node:v8')).setFlagsFromString('--semi-space-growth-factor=8');
  const bundled = new URL('../dist/bundle/cli.js', import.meta.url);
  const { main } = await import(existsSync(bundled) ? bundled.href : '../dist/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
