// Issue 11: the side-by-side table. Every scenario runs tsbake and `docker buildx bake` (0.13.1, the
// anchor; scripts/install-buildx.sh) on the same engine and the same definitions, alternating A B A B
// after one unmeasured warm-up pair, BENCH_PAIRS pairs (default 5): median wall time, median peak RSS
// (GNU time's %M, whole process; for buildx the largest of the docker CLI and its plugin) and ratios.
//
//   npm run bench issue11                        the whole table
//   BENCH_ISSUE11=tiny-docker,load npm run bench issue11     some rows (ids below)
//   BENCH_PAIRS=7 BENCH_LOAD_MB=200 BENCH_LOAD_SIZES=50,200,400
//
// Ids: print, cached20, tiny-docker, tiny-remote, context-docker, context-remote (fresh and one file
// changed), load, load-sizes (tsbake and buildx peak RSS for each BENCH_LOAD_SIZES image, one run each).
// The "remote builder" is a relay in front of Docker 26's embedded BuildKit (v0.13); buildx uses a
// `remote` builder on the same relay socket. A failed run is counted and shown, not fatal; builders,
// relays, images and directories are removed at the end, also after a failure or Ctrl-C.
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { measure, median, tmpdir, table, fmtMs, fmtMb, haveBuildx, report, tsbake, startRelay } from './lib.js';
import { generate } from './print.js';

const D20 = process.env.TSBAKE_TEST_DOCKER20 || 'unix:///var/run/docker.sock';
const D26 = process.env.TSBAKE_TEST_DOCKER26 || 'unix:///var/run/tsbake-docker26.sock';
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const LOAD_MB = Number(process.env.BENCH_LOAD_MB ?? 200);
const LOAD_SIZES = (process.env.BENCH_LOAD_SIZES ?? '50,200,400').split(',').map(Number);
const ALL = ['print', 'cached20', 'tiny-docker', 'tiny-remote', 'context-docker', 'context-remote', 'load', 'load-sizes'];
const ONLY = new Set((process.env.BENCH_ISSUE11 ?? ALL.join(',')).split(',').map((s) => s.trim()));
const BX_BUILDER = 'tsbake-bench-i11';

const loadavg = async () => (await fs.readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
const dockerCli = (host, args) => execa('docker', ['-H', host, ...args], { reject: false });

/** Cleanups run in reverse order at the end, and on SIGINT/SIGTERM before exiting. */
const cleanups = [];
async function cleanUp() {
  while (cleanups.length) await cleanups.pop()().catch(() => undefined);
}
/** The rows measured so far: an interrupted run still reports them. */
const rows = [];
const notes = [];
const header = ['work', 'tsbake', 'buildx', 'ratio', 'tsbake peak RSS', 'buildx peak RSS', 'RSS ratio'];
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.once(sig, () => {
    process.stderr.write(`\nissue11: ${sig}, cleaning up; the rows measured so far:\n${table(header, rows)}\n${notes.join('\n')}\n`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function scratchDir(name) {
  const dir = await tmpdir(`i11-${name}`);
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

const ok = (runs) => runs.filter((r) => r.code === 0);
const fails = (runs) => runs.filter((r) => r.code !== 0).map((r) => /ERROR[: ]+([^\n]+)/.exec(r.stderr)?.[1] ?? `exit ${r.code}`);
const perRun = (runs) => runs.map((r) => `${r.code === 0 ? '' : 'FAILED '}${fmtMs(r.ms)}/${fmtMb(r.maxRssKb)}`).join(', ');

/** One row of the table from the measured runs of both tools. */
function row(work, a, b) {
  const am = median(ok(a).map((x) => x.ms));
  const bm = median(ok(b).map((x) => x.ms));
  const ar = median(ok(a).map((x) => x.maxRssKb));
  const br = median(ok(b).map((x) => x.maxRssKb));
  const failed = fails(a).length + fails(b).length;
  return {
    cells: [work, fmtMs(am), fmtMs(bm), `**${(am / bm).toFixed(2)}**`, fmtMb(ar), fmtMb(br), `${(ar / br).toFixed(2)}`],
    note:
      `${work}: tsbake ${perRun(a)}; buildx ${perRun(b)}` +
      (failed ? `; failures: tsbake ${JSON.stringify(fails(a))}, buildx ${JSON.stringify(fails(b))}` : ''),
  };
}

/** A warm-up pair, then PAIRS alternating pairs; `prepare(tool)` runs untimed before each run. */
async function alternate(ts, bx, prepare = async () => undefined) {
  const a = [];
  const b = [];
  for (let i = -1; i < PAIRS; i++) {
    await prepare('tsbake');
    const x = await ts();
    await prepare('buildx');
    const y = await bx();
    if (i >= 0) {
      a.push(x);
      b.push(y);
    }
  }
  return { a, b };
}

const tsRun = (dir, args, env) => () => measure(tsbake, [...args], { cwd: dir, env, allowFail: true });
const bxRun = (dir, args, env) => () => measure('docker', ['buildx', ...args], { cwd: dir, env: { BUILDX_BUILDER: '', ...env }, allowFail: true });

async function writeBake(dir, target) {
  await fs.writeFile(path.join(dir, 'docker-bake.json'), JSON.stringify({ group: { default: { targets: Object.keys(target) } }, target }));
}

/** The remote builder both tools use: tsbake's in builders.yaml beside the bake file, buildx's created here. */
async function remoteBuilder(dir, relaySock) {
  await fs.writeFile(path.join(dir, 'builders.yaml'), `builder:\n  rb:\n    driver: remote\n    endpoint: unix://${relaySock}\n`);
}

// ---- scenarios ----

async function print() {
  const dir = await scratchDir('print');
  await fs.writeFile(path.join(dir, 'docker-bake.json'), JSON.stringify(generate(1000)));
  const { a, b } = await alternate(tsRun(dir, ['print', '-f', 'docker-bake.json'], {}), bxRun(dir, ['bake', '-f', 'docker-bake.json', '--print'], {}));
  return [row('print of 1,000 targets', a, b)];
}

async function cached20() {
  const dir = await scratchDir('cached20');
  await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM local/busybox:1\nARG I\nRUN echo "target $I" > /out.txt\n');
  const target = {};
  for (let i = 0; i < 20; i++) target[`t${i}`] = { context: '.', args: { I: String(i) }, tags: [`bench/i11-c20-${i}:dev`] };
  await writeBake(dir, target);
  cleanups.push(() => dockerCli(D20, ['rmi', '-f', ...Object.values(target).map((t) => t.tags[0])]));
  const env = { DOCKER_HOST: D20 };
  const { a, b } = await alternate(
    tsRun(dir, ['run', '-f', 'docker-bake.json', '--progress', 'quiet'], env),
    bxRun(dir, ['bake', '-f', 'docker-bake.json', '--progress', 'quiet'], env),
  );
  return [row('20 small cached targets, Docker 20.10', a, b)];
}

async function tiny(kind, relaySock) {
  const dir = await scratchDir(`tiny-${kind}`);
  await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM local/busybox:1\nRUN echo tiny-${kind} > /t.txt\n`);
  await writeBake(dir, { tiny: { context: '.', tags: [`bench/i11-tiny-${kind}:dev`] } });
  cleanups.push(() => dockerCli(D26, ['rmi', '-f', `bench/i11-tiny-${kind}:dev`]));
  const env = { DOCKER_HOST: D26 };
  const remote = kind === 'remote';
  if (remote) await remoteBuilder(dir, relaySock);
  const { a, b } = await alternate(
    tsRun(dir, ['run', '-f', 'docker-bake.json', '--progress', 'quiet', ...(remote ? ['--builder', 'rb'] : [])], env),
    bxRun(dir, ['bake', '-f', 'docker-bake.json', '--progress', 'quiet', ...(remote ? ['--builder', BX_BUILDER] : [])], env),
  );
  return [row(remote ? 'one tiny cached target, remote builder (relay to Docker 26 BuildKit v0.13)' : "one tiny cached target, Docker 26's docker driver", a, b)];
}

/** 10,000 files of 5 kB in 100 directories (50 MB), a Dockerfile that copies them, nothing exported. */
async function bigContext(dir) {
  await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /ctx\n');
  const chunk = Buffer.alloc(5 * 1024, 'x');
  for (let d = 0; d < 100; d++) {
    await fs.mkdir(path.join(dir, 'src', `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: 100 }, (_, f) => fs.writeFile(path.join(dir, 'src', `d${d}`, `f${f}.txt`), chunk)));
  }
  await writeBake(dir, { ctx: { context: '.', output: ['type=cacheonly'] } });
}

/**
 * Fresh: each run builds a context directory of its own, new to BuildKit (a new path, so a new local
 * name for both tools: nothing of it is cached). One file changed: the same directory built again with
 * one file rewritten, so both tools send exactly that file.
 */
async function context(kind, relaySock) {
  const remote = kind === 'remote';
  const env = { DOCKER_HOST: D26 };
  const runs = { fresh: { tsbake: [], buildx: [] }, changed: { tsbake: [], buildx: [] } };
  for (let i = -1; i < PAIRS; i++) {
    for (const tool of ['tsbake', 'buildx']) {
      const dir = await tmpdir(`i11-ctx-${tool}`);
      try {
        await bigContext(dir);
        if (remote) await remoteBuilder(dir, relaySock);
        const run =
          tool === 'tsbake'
            ? tsRun(dir, ['run', '-f', 'docker-bake.json', '--progress', 'quiet', ...(remote ? ['--builder', 'rb'] : [])], env)
            : bxRun(dir, ['bake', '-f', 'docker-bake.json', '--progress', 'quiet', ...(remote ? ['--builder', BX_BUILDER] : [])], env);
        const fresh = await run();
        await fs.writeFile(path.join(dir, 'src', 'd42', 'f42.txt'), `changed ${i} ${tool}\n`);
        const changed = await run();
        if (i >= 0) {
          runs.fresh[tool].push(fresh);
          runs.changed[tool].push(changed);
        }
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    }
  }
  const where = remote ? 'remote builder' : 'Docker 26';
  return [
    row(`10,000-file / 50 MB context, fresh, ${where}`, runs.fresh.tsbake, runs.fresh.buildx),
    row(`same context, one file changed, ${where}`, runs.changed.tsbake, runs.changed.buildx),
  ];
}

/** A remote-built image of `mb` MB (random, so nothing compresses it away), loaded into Docker 20.10. */
async function loadDir(mb, relaySock) {
  const dir = await scratchDir(`load-${mb}`);
  const tag = `bench/i11-load-${mb}:dev`;
  await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM local/busybox:1\nRUN dd if=/dev/urandom of=/blob bs=1048576 count=${mb} 2>/dev/null\n`);
  await writeBake(dir, { big: { context: '.', tags: [tag] } });
  await remoteBuilder(dir, relaySock);
  cleanups.push(() => dockerCli(D20, ['rmi', '-f', tag]));
  const env = { DOCKER_HOST: D20 };
  const ts = tsRun(dir, ['run', '-f', 'docker-bake.json', '--builder', 'rb', '--load', '--progress', 'plain'], env);
  const bx = bxRun(dir, ['bake', '-f', 'docker-bake.json', '--builder', BX_BUILDER, '--load', '--progress', 'plain'], env);
  // Each load starts from an engine without the image, so both tools do the whole import.
  const prepare = async () => void (await dockerCli(D20, ['rmi', '-f', tag]));
  return { dir, tag, ts, bx, prepare };
}

async function load(relaySock) {
  const l = await loadDir(LOAD_MB, relaySock);
  // The warm-up pair builds the image once (the RUN is cached afterwards for both: same BuildKit) and
  // lets BuildKit compress the layer, which it keeps: whichever tool went first would pay for it.
  const { a, b } = await alternate(l.ts, l.bx, l.prepare);
  const check = await dockerCli(D20, ['run', '--rm', l.tag, 'sh', '-c', 'wc -c < /blob']);
  const r = row(`\`--load\` of a ${LOAD_MB} MB image, remote → Docker 20.10`, a, b);
  r.note += `; loaded image checked: /blob has ${check.stdout.trim() || '?'} bytes`;
  return [r];
}

async function loadSizes(relaySock) {
  const rows = [];
  for (const mb of LOAD_SIZES) {
    const l = await loadDir(mb, relaySock);
    // One warm-up pair (builds and compresses) and one measured pair per size.
    const a = [];
    const b = [];
    for (let i = 0; i < 2; i++) {
      await l.prepare();
      const x = await l.ts();
      await l.prepare();
      const y = await l.bx();
      if (i === 1) {
        a.push(x);
        b.push(y);
      }
    }
    rows.push(row(`\`--load\` of ${mb} MB (peak RSS as the image grows; one measured pair)`, a, b));
    await dockerCli(D20, ['rmi', '-f', l.tag]);
  }
  return rows;
}

/**
 * Node's own start-up here, with this environment and without NODE_EXTRA_CA_CERTS (which makes Node 20
 * build its root store while it starts; bin/tsbake.js moves it aside, src/extra-ca.ts): the floor under
 * every tsbake row, and what a machine without that variable would see.
 */
async function nodeStartup() {
  const time = async (env) => {
    const runs = [];
    for (let i = 0; i < 7; i++) runs.push((await measure('node', ['-e', '0'], { env })).ms);
    return median(runs);
  };
  const withEnv = await time({});
  const without = await time({ NODE_EXTRA_CA_CERTS: '' });
  const set = process.env.NODE_EXTRA_CA_CERTS ? `set (${process.env.NODE_EXTRA_CA_CERTS})` : 'not set';
  return `\`node -e 0\` (median of 7): ${fmtMs(withEnv)} in this environment, NODE_EXTRA_CA_CERTS ${set}; ${fmtMs(without)} with it empty.`;
}

export async function main() {
  if (!(await haveBuildx())) {
    await report('issue 11: tsbake vs buildx', 'docker buildx is not installed (scripts/install-buildx.sh): skipped');
    return;
  }
  const bxVersion = (await execa('docker', ['buildx', 'version'], { reject: false })).stdout.trim();
  const started = new Date().toISOString();
  const before = await loadavg();
  try {
    const relayDir = await scratchDir('relay');
    const relaySock = path.join(relayDir, 'bk.sock');
    const relay = await startRelay(D26.replace(/^unix:\/\//, ''), relaySock);
    cleanups.push(() => relay.close());
    await execa('docker', ['buildx', 'rm', BX_BUILDER], { reject: false });
    await execa('docker', ['buildx', 'create', '--name', BX_BUILDER, '--driver', 'remote', `unix://${relaySock}`]);
    cleanups.push(() => execa('docker', ['buildx', 'rm', BX_BUILDER], { reject: false }));
    const scenarios = {
      print: () => print(),
      cached20: () => cached20(),
      'tiny-docker': () => tiny('docker'),
      'tiny-remote': () => tiny('remote', relaySock),
      'context-docker': () => context('docker'),
      'context-remote': () => context('remote', relaySock),
      load: () => load(relaySock),
      'load-sizes': () => loadSizes(relaySock),
    };
    for (const id of ALL) {
      if (!ONLY.has(id)) continue;
      const at = await loadavg();
      process.stderr.write(`issue11: ${id} (load ${at})\n`);
      try {
        for (const r of await scenarios[id]()) {
          rows.push(r.cells);
          notes.push(`- ${r.note} (load average at the start: ${at})`);
          process.stderr.write(`issue11: ${r.cells.join(' | ')}\n`);
        }
      } catch (err) {
        rows.push([id, 'error', '', '', '', '', '']);
        notes.push(`- ${id}: ${String(err?.message ?? err).split('\n').slice(0, 3).join(' ')}`);
      }
    }
  } finally {
    await cleanUp();
  }
  const after = await loadavg();
  const startup = await nodeStartup();
  await report(
    `issue 11: tsbake vs \`docker buildx bake\` (${bxVersion}), median of ${PAIRS} alternating pairs after a warm-up, ${started}`,
    `${table(header, rows)}\n\n` +
      `Load average (1/5/15 min) before ${before}, after ${after}. ${startup}\nPer run (wall/peak RSS):\n${notes.join('\n')}`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
