// Issue 3: tsbake run vs `docker buildx bake` on the same engine and the same definitions, run
// alternately: 20 and 100 independent small targets with RUN (cached and --no-cache), one 50 MB /
// 10,000-file context built twice (the second run must send almost nothing), and a 10-level chain of
// target: contexts. Wall time (median), peak RSS, ratio tsbake/buildx. BENCH_BUILD_SCENARIOS picks
// scenarios (independent,context,chain).
import fs from 'node:fs/promises';
import path from 'node:path';
import { measure, median, tmpdir, table, fmtMs, fmtMb, haveBuildx, report, tsbake } from './lib.js';

const ENGINE = process.env.BENCH_DOCKER_HOST ?? 'unix:///var/run/tsbake-docker26.sock';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
/** `independent,context,chain` (default all): which scenarios to run. */
const SCENARIOS = new Set((process.env.BENCH_BUILD_SCENARIOS ?? 'independent,context,chain').split(','));

async function independent(dir, n) {
  await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM local/busybox:1\nARG I\nRUN echo "target $I" > /out.txt\n');
  const target = {};
  for (let i = 0; i < n; i++) target[`t${i}`] = { context: '.', args: { I: String(i) }, tags: [`bench/ind-${n}-${i}:dev`] };
  await fs.writeFile(path.join(dir, 'docker-bake.json'), JSON.stringify({ group: { default: { targets: Object.keys(target) } }, target }));
}

async function bigContext(dir) {
  await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM local/busybox:1\nCOPY . /ctx\nRUN du -s /ctx\n');
  // 10,000 files, 5 kB each = 50 MB, in 100 directories.
  const chunk = Buffer.alloc(5 * 1024, 'x');
  for (let d = 0; d < 100; d++) {
    await fs.mkdir(path.join(dir, 'src', `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, f) => fs.writeFile(path.join(dir, 'src', `d${d}`, `f${f}.txt`), chunk)));
  }
  await fs.writeFile(path.join(dir, 'docker-bake.json'), JSON.stringify({ target: { big: { context: '.', tags: ['bench/big:dev'] } }, group: { default: { targets: ['big'] } } }));
}

async function chain(dir, levels) {
  const target = {};
  for (let i = 0; i < levels; i++) {
    await fs.mkdir(path.join(dir, `l${i}`), { recursive: true });
    const from = i === 0 ? 'local/busybox:1' : 'prev';
    await fs.writeFile(path.join(dir, `l${i}`, 'Dockerfile'), `FROM ${from}\nRUN echo level-${i} >> /chain.txt\n`);
    target[`l${i}`] = { context: `l${i}`, tags: [`bench/chain-${i}:dev`], ...(i > 0 ? { contexts: { prev: `target:l${i - 1}` } } : {}) };
  }
  await fs.writeFile(path.join(dir, 'docker-bake.json'), JSON.stringify({ group: { default: { targets: [`l${levels - 1}`] } }, target }));
}

async function compare(name, dir, extraTs = [], extraBx = [], { warm = true } = {}) {
  const env = { DOCKER_HOST: ENGINE, BUILDX_BUILDER: '' };
  const file = path.join(dir, 'docker-bake.json');
  const failures = { ts: 0, bx: 0 };
  const note = (tool) => (r) => {
    if (r.code !== 0) {
      failures[tool]++;
      process.stderr.write(`${name}: ${tool} run failed (${r.code}): ${r.stderr.slice(-400)}\n`);
    }
    return r;
  };
  const ts = () => measure(tsbake, ['run', '-f', file, '--progress', 'quiet', ...extraTs], { cwd: dir, env, allowFail: true }).then(note('ts'));
  const bx = () => measure('docker', ['buildx', 'bake', '-f', file, '--progress', 'quiet', ...extraBx], { cwd: dir, env, allowFail: true }).then(note('bx'));
  if (warm) {
    await ts();
    await bx();
  }
  const a = [];
  const b = [];
  for (let r = 0; r < RUNS; r++) {
    a.push(await ts());
    b.push(await bx());
  }
  const am = median(a.map((x) => x.ms));
  const bm = median(b.map((x) => x.ms));
  const failed = failures.ts || failures.bx ? ` (failed runs: tsbake ${failures.ts}, buildx ${failures.bx})` : '';
  return [name + failed, fmtMs(am), fmtMb(median(a.map((x) => x.maxRssKb))), fmtMs(bm), fmtMb(median(b.map((x) => x.maxRssKb))), `${(am / bm).toFixed(2)}x`];
}

export async function main() {
  if (!(await haveBuildx())) {
    await report('build: tsbake vs buildx bake', 'docker buildx is not installed (scripts/install-buildx.sh): skipped');
    return;
  }
  const rows = [];
  for (const n of SCENARIOS.has('independent') ? [20, 100] : []) {
    const dir = await tmpdir(`ind${n}`);
    await independent(dir, n);
    rows.push(await compare(`${n} independent targets, cached`, dir));
    rows.push(await compare(`${n} independent targets, --no-cache`, dir, ['--no-cache'], ['--no-cache'], { warm: false }));
    await fs.rm(dir, { recursive: true, force: true });
  }
  if (SCENARIOS.has('context')) {
    // First and second build of a fresh 50 MB context, for each tool with its own fresh copy each time
    // (the first build of a new directory sends everything), alternating, RUNS times.
    const env = { DOCKER_HOST: ENGINE, BUILDX_BUILDER: '' };
    const runs = { tsbake: [], buildx: [] };
    for (let r = 0; r < RUNS; r++) {
      for (const tool of ['tsbake', 'buildx']) {
        const dir = await tmpdir(`big-${tool}`);
        await bigContext(dir);
        const file = path.join(dir, 'docker-bake.json');
        const run = () =>
          tool === 'tsbake'
            ? measure(tsbake, ['run', '-f', file, '--progress', 'quiet'], { cwd: dir, env })
            : measure('docker', ['buildx', 'bake', '-f', file, '--progress', 'quiet'], { cwd: dir, env });
        const first = await run();
        const second = await run();
        runs[tool].push({ first, second });
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
    const med = (tool, which, key) => median(runs[tool].map((x) => x[which][key]));
    for (const [which, label] of [['first', '50 MB / 10,000-file context, first build'], ['second', 'same context, second build (unchanged)']]) {
      const t = med('tsbake', which, 'ms');
      const b = med('buildx', which, 'ms');
      rows.push([label, fmtMs(t), fmtMb(med('tsbake', which, 'maxRssKb')), fmtMs(b), fmtMb(med('buildx', which, 'maxRssKb')), `${(t / b).toFixed(2)}x`]);
    }
  }
  if (SCENARIOS.has('chain')) {
    const dir = await tmpdir('chain');
    await chain(dir, 10);
    rows.push(await compare('10-level chain of target: contexts, cached', dir));
    await fs.rm(dir, { recursive: true, force: true });
  }
  await report(
    `build: tsbake run vs docker buildx bake 0.13 (docker driver, ${ENGINE}, median of ${RUNS} alternating runs)`,
    table(['scenario', 'tsbake', 'tsbake peak RSS', 'buildx bake', 'buildx peak RSS', 'tsbake / buildx'], rows),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
