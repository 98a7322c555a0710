// Issue 2: parse + validate + plan + print of generated configs with 1,000 and 10,000 targets (with
// inherits and target: edges): whole-process time and peak memory, against `docker buildx bake --print`
// on the same docker-bake.json when buildx is installed.
import fs from 'node:fs/promises';
import path from 'node:path';
import { measure, median, tmpdir, table, fmtMs, fmtMb, haveBuildx, report, tsbake } from './lib.js';

export function generate(n) {
  const target = {};
  // Every 10th target is a "base" that the next nine consume through a target: context and inherit from.
  target['common'] = { args: { COMMON: '1' }, labels: { 'org.example.team': 'bench' } };
  for (let i = 0; i < n; i++) {
    const base = i - (i % 10);
    const t = {
      inherits: ['common'],
      context: `svc/${i % 50}`,
      dockerfile: 'Dockerfile',
      tags: [`bench/svc-${i}:dev`],
      args: { INDEX: String(i) },
    };
    if (i !== base) t.contexts = { base: `target:t${base}` };
    target[`t${i}`] = t;
  }
  return { group: { default: { targets: Object.keys(target).filter((k) => k !== 'common') } }, target };
}

export async function main() {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const buildx = await haveBuildx();
  const rows = [];
  for (const n of [1000, 10000]) {
    const dir = await tmpdir('print');
    const file = path.join(dir, 'docker-bake.json');
    await fs.writeFile(file, JSON.stringify(generate(n)));
    const ts = [];
    const tsRss = [];
    const bx = [];
    const bxRss = [];
    // Alternate the two tools so machine noise hits both alike.
    for (let r = 0; r < runs; r++) {
      const a = await measure(tsbake, ['print', '-f', file], { cwd: dir });
      ts.push(a.ms);
      tsRss.push(a.maxRssKb);
      if (buildx) {
        const b = await measure('docker', ['buildx', 'bake', '-f', file, '--print'], { cwd: dir });
        bx.push(b.ms);
        bxRss.push(b.maxRssKb);
      }
    }
    const tsM = median(ts);
    const bxM = buildx ? median(bx) : NaN;
    rows.push([
      String(n),
      fmtMs(tsM),
      fmtMb(median(tsRss)),
      buildx ? fmtMs(bxM) : 'n/a',
      buildx ? fmtMb(median(bxRss)) : 'n/a',
      buildx ? `${(tsM / bxM).toFixed(2)}x` : 'n/a',
    ]);
    await fs.rm(dir, { recursive: true, force: true });
  }
  const v = await measure(tsbake, ['--version']);
  await report(
    'print: parse + validate + plan + print (median of ' + runs + ' runs, whole process)',
    table(['targets', 'tsbake', 'tsbake peak RSS', 'buildx bake --print', 'buildx peak RSS', 'tsbake / buildx'], rows) +
      `\n\n\`tsbake --version\`: ${fmtMs(v.ms)}, ${fmtMb(v.maxRssKb)} peak RSS.`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
