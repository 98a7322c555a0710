// Issue 15 (9b, 9c): config parsing at scale. `tsbake print` of a generated file with N targets as YAML
// and as JSON (the YAML library's own duplicate-key check was quadratic: 100,000 targets took 430 s
// against 7.4 s for JSON), and of a ~4 MB deeply nested YAML (which took 44–85 s and 2.3 GB before a
// "Maximum call stack size exceeded"; now refused at once by the nesting limit). Wall time, peak RSS.
// BENCH_TSBAKE=/path/to/bin/tsbake.js measures another build (e.g. an older tree) with the same files.
import fs from 'node:fs/promises';
import path from 'node:path';
import { measure, tmpdir, table, fmtMs, fmtMb, report, tsbake as ownTsbake } from './lib.js';

const tsbake = process.env.BENCH_TSBAKE ?? ownTsbake;
const SIZES = (process.env.BENCH_TARGETS ?? '20000,100000').split(',').map(Number);

/** N small targets, block YAML: about 35 bytes a target, so 100,000 stay under the 5 MB file limit. */
export function targetsYaml(n) {
  let s = 'target:\n';
  for (let i = 0; i < n; i++) s += `  t${i}:\n    context: .\n`;
  return s;
}

export function targetsJson(n) {
  const target = {};
  for (let i = 0; i < n; i++) target[`t${i}`] = { context: '.' };
  return JSON.stringify({ target }, null, 1);
}

/** `target:` then `[` nested to fill about 4 MB. */
export function deepFlowYaml() {
  const n = 2 * 1024 * 1024;
  return `target: ${'['.repeat(n)}${']'.repeat(n)}\n`;
}

export async function main() {
  const dir = await tmpdir('config-scale');
  const rows = [];
  const files = [];
  for (const n of SIZES) {
    files.push([`${n} targets, YAML`, `t${n}.yaml`, targetsYaml(n)]);
    files.push([`${n} targets, JSON`, `t${n}.json`, targetsJson(n)]);
  }
  files.push(['4 MB nested [[[…', 'deep.yaml', deepFlowYaml()]);
  for (const [label, name, text] of files) {
    const file = path.join(dir, name);
    await fs.writeFile(file, text);
    const r = await measure(tsbake, ['print', '-f', file, 't0'], { cwd: dir, allowFail: true });
    const outcome = r.code === 0 ? 'ok' : `exit ${r.code}: ${r.stderr.split('\n')[0].replace(dir + '/', '').slice(0, 90)}`;
    rows.push([label, `${(text.length / 1024 / 1024).toFixed(1)} MB`, fmtMs(r.ms), fmtMb(r.maxRssKb), outcome]);
  }
  await fs.rm(dir, { recursive: true, force: true });
  await report('config-scale', table(['file', 'size', 'print time', 'peak RSS', 'outcome'], rows));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
