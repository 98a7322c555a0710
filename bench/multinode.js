// Multi-node builders (issue 14): 20 independent targets run by the real CLI on a builder of one node
// against the same targets on a builder of two nodes. The nodes are two distinct BuildKit daemons on this
// machine, engine B (Docker 26) and engine C (a second Docker 26, scripts/test-env.sh), each behind the
// test relay as a `remote` node. Every node runs at most BENCH_MN_PARALLELISM solves at once (the
// builder's `parallelism`, per node), which stands for each daemon's capacity; the placement spreads the
// targets over the nodes by load. Two workloads: `sleep` (a RUN that waits: what a second daemon gives
// when the work is not this machine's CPU — network, remote machines) and `cpu` (a RUN that spins: both
// daemons share this machine's cores).
// Needs `npm run build` and the test environment; compiles test/helpers/relay.ts with tsc first.
import { execa } from 'execa';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { measure, median, table, fmtMs, report, repoRoot, tmpdir, tsbake } from './lib.js';

const TARGETS = Number(process.env.BENCH_MN_TARGETS ?? 20);
const REPS = Number(process.env.BENCH_RUNS ?? 3);
const PARALLELISM = Number(process.env.BENCH_MN_PARALLELISM ?? 2);
const REGISTRY = process.env.TSBAKE_TEST_REGISTRY || '127.0.0.1:5000';
const ENGINE_B = process.env.TSBAKE_TEST_DOCKER26 || 'unix:///var/run/tsbake-docker26.sock';
const ENGINE_C = process.env.TSBAKE_TEST_DOCKER26B || 'unix:///var/run/tsbake-docker26b.sock';
const WORKLOADS = {
  sleep: { run: 'sleep 1', label: '`RUN sleep 1` (waiting, no CPU)' },
  cpu: { run: 'i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done', label: '`RUN` a shell loop of 150,000 steps (CPU-bound)' },
};

async function relayModule() {
  const out = path.join(repoRoot, 'node_modules/.cache/tsbake-bench');
  await execa('npx', ['tsc', '--outDir', out, '--rootDir', 'test/helpers', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--skipLibCheck', '--types', 'node', '--noCheck', 'test/helpers/relay.ts'], { cwd: repoRoot });
  return import(path.join(out, 'relay.js'));
}

const tname = (i) => `t${String(i).padStart(2, '0')}`;

function config(nodes, workload) {
  const lines = ['builder:', '  bench:', `    parallelism: ${PARALLELISM}`, '    nodes:'];
  for (const n of nodes) lines.push(`      - name: ${n.name}`, '        driver: remote', `        endpoint: ${n.endpoint}`);
  lines.push('group:', '  default:', `    targets: [${Array.from({ length: TARGETS }, (_, i) => tname(i)).join(', ')}]`, 'target:');
  for (let i = 0; i < TARGETS; i++) {
    lines.push(`  ${tname(i)}:`, `    context: ${tname(i)}`, `    dockerfile: ${workload}.Dockerfile`, '    output: [type=cacheonly]');
  }
  return lines.join('\n') + '\n';
}

export async function main() {
  const { startGrpcRelay } = await relayModule();
  const dir = await tmpdir('multinode');
  const relays = [];
  try {
    relays.push(await startGrpcRelay({ engineSocket: ENGINE_B, listen: { tcp: { host: '127.0.0.1', port: 0 } } }));
    relays.push(await startGrpcRelay({ engineSocket: ENGINE_C, listen: { tcp: { host: '127.0.0.1', port: 0 } } }));
    for (let i = 0; i < TARGETS; i++) {
      const ctx = path.join(dir, tname(i));
      await fs.mkdir(ctx);
      await fs.writeFile(path.join(ctx, 'input.txt'), `${tname(i)}\n`);
      for (const [w, { run }] of Object.entries(WORKLOADS)) {
        await fs.writeFile(path.join(ctx, `${w}.Dockerfile`), `FROM ${REGISTRY}/busybox:1\nCOPY input.txt /input.txt\nRUN ${run}\n`);
      }
    }
    const setups = {
      one: [{ name: 'b', endpoint: relays[0].address }],
      two: [{ name: 'b', endpoint: relays[0].address }, { name: 'c', endpoint: relays[1].address }],
    };
    const files = {};
    for (const [s, nodes] of Object.entries(setups)) {
      for (const w of Object.keys(WORKLOADS)) {
        files[`${s}/${w}`] = path.join(dir, `${s}-${w}.yaml`);
        await fs.writeFile(files[`${s}/${w}`], config(nodes, w));
      }
    }
    const run = (s, w) => measure(tsbake, ['run', '-f', files[`${s}/${w}`], '--no-cache', '--progress', 'plain'], { cwd: dir });
    // Warm-up (not measured): the base image pulled on both daemons.
    await run('two', 'sleep');
    const load0 = os.loadavg()[0];
    const results = {};
    for (const w of Object.keys(WORKLOADS)) {
      for (let rep = 0; rep < REPS; rep++) {
        for (const s of rep % 2 ? ['two', 'one'] : ['one', 'two']) {
          const r = await run(s, w);
          (results[`${s}/${w}`] ??= []).push(r.ms);
          process.stderr.write(`[bench] ${s} node(s) ${w} run ${rep + 1}: ${fmtMs(r.ms)}\n`);
        }
      }
    }
    const load1 = os.loadavg()[0];
    const rows = [];
    for (const w of Object.keys(WORKLOADS)) {
      const one = median(results[`one/${w}`]);
      const two = median(results[`two/${w}`]);
      rows.push([w, fmtMs(one), fmtMs(two), `${(two / one).toFixed(2)}`]);
    }
    const body = [
      `${TARGETS} independent targets (each its own context, FROM ${REGISTRY}/busybox:1 + COPY + one RUN, type=cacheonly, --no-cache), ` +
        `real CLI; builder \`parallelism: ${PARALLELISM}\` (per node). Nodes: engine B and engine C (two Docker 26 daemons, distinct BuildKits) through the test relay. ` +
        `Median of ${REPS} runs, orders alternated; ${os.cpus().length} CPU cores.`,
      '',
      ...Object.entries(WORKLOADS).map(([w, { label }]) => `- workload **${w}**: ${label}`),
      '',
      table(['workload', 'one node (wall)', 'two nodes (wall)', 'ratio two/one'], rows),
      '',
      `Load average (1 min): ${load0.toFixed(1)} before the measured runs, ${load1.toFixed(1)} after (other work shares the cores).`,
    ].join('\n');
    await report(`multi-node builder: ${TARGETS} targets on one node vs two`, body);
  } finally {
    for (const r of relays) await r.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
