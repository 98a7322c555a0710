// Issue 10: parse + evaluate + print of a generated docker-bake.hcl of 1,000 targets (variables, a user
// function, stdlib calls, inherits, a 2x2 matrix every 10th target, target: contexts): whole process,
// tsbake print against `$TSBAKE_TEST_BUILDX bake --print` on the same file, alternating runs, medians.
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { measure, median, tmpdir, table, fmtMs, fmtMb, report, tsbake } from './lib.js';

export function generateHcl(n) {
  const out = [];
  out.push('variable "TAG" {\n  default = "dev"\n}\nvariable "REGISTRY" {\n  default = "registry.example/bench"\n}');
  out.push('function "img" {\n  params = [name, suffix]\n  result = "${REGISTRY}/${lower(name)}:${TAG}${suffix == "" ? "" : "-${suffix}"}"\n}');
  out.push('target "_common" {\n  args = { COMMON = "1", YEAR = "2026" }\n  labels = { "org.example.team" = "bench" }\n  platforms = ["linux/amd64"]\n}');
  const names = [];
  // Each target of the generated body counts once; a matrix target forks into 4, so the count includes forks.
  let i = 0;
  while (names.length < n) {
    if (i % 10 === 9 && names.length + 4 <= n) {
      out.push(`target "m${i}" {
  inherits = ["_common"]
  name = "m${i}-\${os}-\${replace(v, ".", "-")}"
  matrix = {
    os = ["alpine", "debian"]
    v = ["1.0", "2.0"]
  }
  context = "svc/${i % 50}"
  args = { OS = os, VERSION = v, INDEX = "${i}" }
  tags = [img("m${i}", "\${os}-\${v}")]
}`);
      for (const os of ['alpine', 'debian']) for (const v of ['1-0', '2-0']) names.push(`m${i}-${os}-${v}`);
    } else {
      const base = i - (i % 10);
      out.push(`target "t${i}" {
  inherits = ["_common"]
  context = "svc/${i % 50}"
  dockerfile = "Dockerfile"
  tags = [img("svc-${i}", ""), format("%s/svc-%04d:latest", REGISTRY, ${i})]
  args = { INDEX = "${i}", UPPER = upper("svc-${i}"), N = ${i} * 2 }${i !== base ? `\n  contexts = { base = "target:t${base}" }` : ''}
}`);
      names.push(`t${i}`);
    }
    i++;
  }
  out.push(`group "default" {\n  targets = [${names.map((x) => `"${x}"`).join(', ')}]\n}`);
  return `${out.join('\n\n')}\n`;
}

export async function main() {
  const runs = Number(process.env.BENCH_RUNS ?? 5);
  const buildx = process.env.TSBAKE_TEST_BUILDX;
  if (!buildx) throw new Error('bench hcl: TSBAKE_TEST_BUILDX is not set (source /var/lib/tsbake-test/env.sh after scripts/test-env.sh)');
  const n = Number(process.env.BENCH_HCL_TARGETS ?? 1000);
  const dir = await tmpdir('hcl');
  const file = path.join(dir, 'docker-bake.hcl');
  await fs.writeFile(file, generateHcl(n));
  // Same result first: the figures compare equal work.
  const check = async (cmd, args) => JSON.parse((await execa(cmd, args, { cwd: dir })).stdout);
  const a = await check(tsbake, ['print']);
  const b = await check(buildx, ['bake', '--print']);
  delete a.builder;
  for (const t of Object.values(a.target)) delete t.builder;
  const same = JSON.stringify(a) === JSON.stringify(b);
  const ts = [];
  const tsRss = [];
  const bx = [];
  const bxRss = [];
  for (let r = 0; r < runs; r++) {
    const x = await measure(tsbake, ['print'], { cwd: dir });
    ts.push(x.ms);
    tsRss.push(x.maxRssKb);
    const y = await measure(buildx, ['bake', '--print'], { cwd: dir });
    bx.push(y.ms);
    bxRss.push(y.maxRssKb);
  }
  const tsM = median(ts);
  const bxM = median(bx);
  await fs.rm(dir, { recursive: true, force: true });
  await report(
    `hcl: parse + evaluate + print of docker-bake.hcl (median of ${runs} runs, whole process)`,
    table(
      ['targets', 'tsbake print', 'tsbake peak RSS', 'buildx bake --print', 'buildx peak RSS', 'tsbake / buildx', 'same output'],
      [[String(Object.keys(a.target).length), fmtMs(tsM), fmtMb(median(tsRss)), fmtMs(bxM), fmtMb(median(bxRss)), `${(tsM / bxM).toFixed(2)}x`, same ? 'yes' : 'NO']],
    ),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
