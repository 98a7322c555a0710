// Issue 4: `--load` of a 200 MB image from a remote builder (a relay in front of Docker 26's BuildKit)
// into Docker 26: tsbake run --load vs docker buildx bake --load on a buildx remote builder on the same
// relay, the same BuildKit and the same already-built result (cache on, so both measure export +
// transfer + import). Wall time and peak RSS; the tarball is streamed, so tsbake's RSS must not grow with
// the image. Also the time from `tsbake run` to the first Solve (TSBAKE_TRACE=1 → `solve-sent`) on a
// running remote builder and on a docker-container builder created by the run (BuildKit stand-in image).
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { measure, median, tmpdir, table, fmtMs, fmtMb, haveBuildx, report, tsbake, repoRoot, startRelay } from './lib.js';

const ENGINE = process.env.BENCH_DOCKER_HOST ?? 'unix:///var/run/tsbake-docker26.sock';
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SIZE_MB = Number(process.env.BENCH_LOAD_MB ?? 200);
const BUILDX_BUILDER = 'tsbake-bench';

const engineSocket = ENGINE.replace(/^unix:\/\//, '');
const dockerCli = (args, opts = {}) => execa('docker', ['-H', ENGINE, ...args], { reject: false, ...opts });

async function loadComparison(dir, relaySock) {
  const tag = `bench/load-${SIZE_MB}:dev`;
  await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM local/busybox:1\nRUN dd if=/dev/urandom of=/blob bs=1048576 count=${SIZE_MB} 2>/dev/null\n`);
  await fs.writeFile(path.join(dir, 'docker-bake.json'), JSON.stringify({ target: { big: { context: '.', tags: [tag] } }, group: { default: { targets: ['big'] } } }));
  await fs.writeFile(
    path.join(dir, 'tsbake.yaml'),
    `default-builder: rb\nbuilder:\n  rb:\n    driver: remote\n    endpoint: unix://${relaySock}\ntarget:\n  big:\n    context: .\n    tags: ["${tag}"]\n`,
  );
  const env = { DOCKER_HOST: ENGINE, BUILDX_BUILDER: '' };
  await execa('docker', ['buildx', 'rm', BUILDX_BUILDER], { reject: false });
  await execa('docker', ['buildx', 'create', '--name', BUILDX_BUILDER, '--driver', 'remote', `unix://${relaySock}`], { env });
  try {
    // Built once (the RUN is cached afterwards for both tools: same BuildKit, same definition).
    await measure(tsbake, ['run', 'big', '--progress', 'quiet'], { cwd: dir, env });
    // A failed run is counted, not fatal: other work on the shared engine (a cache prune) can remove
    // content under an export ("not found"); medians are over the runs that succeeded.
    const failures = { tsbake: [], buildx: [] };
    const keep = (tool, r) => {
      if (r.code !== 0) failures[tool].push(/ERROR[: ]+([^\n]+)/.exec(r.stderr)?.[1] ?? `exit ${r.code}`);
      return r;
    };
    const ts = async () => keep('tsbake', await measure(tsbake, ['run', 'big', '--load', '--progress', 'plain'], { cwd: dir, env, allowFail: true }));
    const bx = async () =>
      keep('buildx', await measure('docker', ['buildx', 'bake', '--builder', BUILDX_BUILDER, '-f', 'docker-bake.json', '--load', '--progress', 'plain'], { cwd: dir, env, allowFail: true }));
    // One unmeasured load each: BuildKit compresses the layer on the first export and keeps the blob,
    // so whichever tool went first would pay for it.
    await dockerCli(['rmi', '-f', tag]);
    await ts();
    await dockerCli(['rmi', '-f', tag]);
    await bx();
    const a = [];
    const b = [];
    for (let r = 0; r < RUNS; r++) {
      // Each load starts from an engine without the image, so both tools do the full import.
      await dockerCli(['rmi', '-f', tag]);
      a.push(await ts());
      await dockerCli(['rmi', '-f', tag]);
      b.push(await bx());
    }
    const okA = a.filter((x) => x.code === 0);
    const okB = b.filter((x) => x.code === 0);
    const check = await dockerCli(['run', '--rm', tag, 'sh', '-c', 'wc -c < /blob']);
    const blobBytes = Number(check.stdout.trim());
    const am = median(okA.map((x) => x.ms));
    const bm = median(okB.map((x) => x.ms));
    const sending = /sending tarball: ([^\n]+)/.exec(okA.at(-1)?.stderr ?? '')?.[1] ?? '?';
    const bxSending = /sending tarball ([\d.]+s) done/.exec(okB.at(-1)?.stderr ?? '')?.[1] ?? '?';
    return {
      rows: [
        [
          `--load of a ${SIZE_MB} MB image (already built)`,
          fmtMs(am),
          fmtMb(median(okA.map((x) => x.maxRssKb))),
          fmtMs(bm),
          fmtMb(median(okB.map((x) => x.maxRssKb))),
          `${(am / bm).toFixed(2)}x`,
        ],
      ],
      note:
        `Loaded image checked: /blob has ${blobBytes} bytes. Last run's transfer: tsbake "sending tarball: ${sending}", buildx "sending tarball ${bxSending}". ` +
        `Per run (ms / peak RSS): tsbake ${a.map((x) => `${x.code === 0 ? '' : 'FAILED '}${fmtMs(x.ms)} / ${fmtMb(x.maxRssKb)}`).join(', ')}; ` +
        `buildx ${b.map((x) => `${x.code === 0 ? '' : 'FAILED '}${fmtMs(x.ms)} / ${fmtMb(x.maxRssKb)}`).join(', ')}.` +
        (failures.tsbake.length + failures.buildx.length > 0 ? ` Failures: tsbake ${JSON.stringify(failures.tsbake)}, buildx ${JSON.stringify(failures.buildx)}.` : '') +
        ` Load average at the end: ${(await fs.readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')}.`,
      tag,
    };
  } finally {
    await execa('docker', ['buildx', 'rm', BUILDX_BUILDER], { reject: false });
    await dockerCli(['rmi', '-f', tag]);
  }
}

/** ms from spawning `tsbake run` to its `tsbake-trace solve-sent` line, and the run's total time. */
async function timeToSolve(dir, args, env) {
  const t0 = Date.now();
  const r = await execa(tsbake, ['run', ...args, '--progress', 'quiet'], { cwd: dir, env: { ...process.env, ...env, TSBAKE_TRACE: '1' }, reject: false });
  if (r.exitCode !== 0) throw new Error(`tsbake run ${args.join(' ')} exited ${r.exitCode}:\n${r.stderr.slice(-2000)}`);
  const m = /tsbake-trace solve-sent (\d+)ms/.exec(r.stderr);
  const origin = /tsbake-trace origin 0ms epoch=(\d+)/.exec(r.stderr);
  if (!m || !origin) throw new Error(`no "tsbake-trace solve-sent" line from tsbake (TSBAKE_TRACE=1):\n${r.stderr.slice(-2000)}`);
  return { toSolve: Number(origin[1]) + Number(m[1]) - t0, total: Date.now() - t0 };
}

async function firstSolve(dir, relaySock, tcpPort) {
  const name = `tsbake-bench-dc`;
  const standIn = `tsbake-test/buildkit-standin:${tcpPort}`;
  await execa('bash', [path.join(repoRoot, 'scripts/stand-in-image.sh'), ENGINE, String(tcpPort)]);
  await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM local/busybox:1\nRUN echo first-solve > /f.txt\n');
  await fs.writeFile(
    path.join(dir, 'tsbake.yaml'),
    [
      'builder:',
      '  rb:',
      '    driver: remote',
      `    endpoint: unix://${relaySock}`,
      `  ${name}:`,
      '    driver: docker-container',
      `    endpoint: ${ENGINE}`,
      '    driver-opts:',
      `      image: ${standIn}`,
      '      privileged: false',
      '      network: host',
      'target:',
      '  remote:',
      '    builder: rb',
      '    output: ["type=cacheonly"]',
      '  created:',
      `    builder: ${name}`,
      '    output: ["type=cacheonly"]',
      '',
    ].join('\n'),
  );
  const env = { DOCKER_HOST: ENGINE };
  const rm = () => execa(tsbake, ['builder', 'rm', name], { cwd: dir, env: { ...process.env, ...env }, reject: false });
  const remote = [];
  const created = [];
  try {
    await timeToSolve(dir, ['remote'], env); // warm the file cache of node and dist/
    for (let r = 0; r < RUNS; r++) {
      remote.push(await timeToSolve(dir, ['remote'], env));
      await rm();
      created.push(await timeToSolve(dir, ['created'], env));
    }
  } finally {
    await rm();
    await dockerCli(['rmi', '-f', standIn]);
  }
  const row = (label, xs) => [label, fmtMs(median(xs.map((x) => x.toSolve))), fmtMs(median(xs.map((x) => x.total)))];
  return [row('remote builder, already running (relay)', remote), row('docker-container builder created by the run (stand-in image)', created)];
}

export async function main() {
  if (!(await haveBuildx())) {
    await report('load: tsbake vs buildx bake --load', 'docker buildx is not installed (scripts/install-buildx.sh): skipped');
    return;
  }
  const dir = await tmpdir('load');
  const relaySock = path.join(dir, 'bk.sock');
  const relay = await startRelay(engineSocket, relaySock);
  const tcpRelay = await startRelay(engineSocket, { host: '127.0.0.1', port: 0 });
  try {
    const load = await loadComparison(dir, relaySock);
    await report(
      `load: tsbake run --load vs docker buildx bake --load 0.13 (remote builder on a relay to Docker 26's BuildKit, into ${ENGINE}, median of ${RUNS} alternating runs)`,
      `${table(['scenario', 'tsbake', 'tsbake peak RSS', 'buildx bake', 'buildx peak RSS', 'tsbake / buildx'], load.rows)}\n\n${load.note}`,
    );
    const solveDir = await tmpdir('first-solve');
    try {
      const rows = await firstSolve(solveDir, relaySock, tcpRelay.port);
      await report(
        `time from \`tsbake run\` to the first Solve (TSBAKE_TRACE=1 solve-sent, median of ${RUNS})`,
        table(['builder', 'spawn → solve sent', 'whole run (cached RUN)'], rows),
      );
    } finally {
      await fs.rm(solveDir, { recursive: true, force: true });
    }
  } finally {
    await relay.close();
    await tcpRelay.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
