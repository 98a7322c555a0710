// The kubernetes driver's transport cost, measured through the Kubernetes API-server STAND-IN (not a
// cluster: test/helpers/k8s-stand-in.ts) whose pod exec relays to a real BuildKit (Docker 26's, through the
// /grpc relay). What it can tell: the cost of carrying gRPC in exec WebSocket frames compared with a plain
// TCP connection to the same BuildKit — connect + ListWorkers latency and bulk throughput — and how sticky
// balancing spreads contexts over 3 replicas. What it cannot tell: a real API server's and kubelet's
// latency (two more hops in a cluster), scheduling or image pulls.
//
// The replicas part (the issue's benchmark): 30 independent targets run by the real CLI through the stand-in
// on a builder of 1 and of 3 replicas, each pod relayed to its OWN Docker 20.10 engine (independent
// BuildKits started by scripts/bench-engines.sh, stopped at the end), for a CPU-bound and a waiting
// workload; it also reports which pods the run's connections went to.
// Needs `npm run build` and the test environment; compiles the two TypeScript test helpers with tsc first.
// BENCH_K8S_PART=transport|replicas runs one part (default both).
import { execa } from 'execa';
import net from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { measure, median, percentile, table, fmtMs, report, repoRoot, tmpdir, tsbake } from './lib.js';

const ENGINE = (process.env.BENCH_DOCKER_HOST ?? 'unix:///var/run/tsbake-docker26.sock').replace(/^unix:\/\//, '');
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const MB = Number(process.env.BENCH_K8S_MB ?? 64);

async function helpers() {
  // Inside the repo so that `ws` and `execa` resolve from its node_modules.
  const out = path.join(repoRoot, 'node_modules/.cache/tsbake-bench');
  await execa('npx', ['tsc', '--outDir', out, '--rootDir', 'test/helpers', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
    '--target', 'ES2022', '--skipLibCheck', '--types', 'node', '--noCheck',
    'test/helpers/k8s-stand-in.ts', 'test/helpers/relay.ts'], { cwd: repoRoot });
  return {
    standIn: await import(path.join(out, 'k8s-stand-in.js')),
    relay: await import(path.join(out, 'relay.js')),
  };
}

function dialTcp(port) {
  return () =>
    new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
}

async function timeConnectList(BuildkitClient, dial) {
  const t0 = process.hrtime.bigint();
  const c = await BuildkitClient.connect(dial);
  await c.listWorkers(AbortSignal.timeout(30_000));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const t1 = process.hrtime.bigint();
  for (let i = 0; i < 10; i++) await c.listWorkers(AbortSignal.timeout(30_000));
  const perCall = Number(process.hrtime.bigint() - t1) / 1e6 / 10;
  await c.close();
  return { ms, perCall };
}

/** Bytes through a stream to an echo server and back; MB/s of the round trip. */
async function throughput(stream) {
  const chunk = Buffer.alloc(256 * 1024, 7);
  const total = MB * 1024 * 1024;
  let got = 0;
  const t0 = process.hrtime.bigint();
  const done = new Promise((resolve, reject) => {
    stream.on('data', (d) => {
      got += d.length;
      if (got >= total) resolve();
    });
    stream.once('error', reject);
  });
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!stream.write(chunk)) await once(stream, 'drain');
  }
  await done;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  stream.destroy();
  return MB / s;
}

async function transport() {
  const { standIn: si, relay: rl } = await helpers();
  const { createKubernetesDriver } = await import(path.join(repoRoot, 'dist/drivers/kubernetes/index.js'));
  const { BuildkitClient } = await import(path.join(repoRoot, 'dist/buildkit/index.js'));
  const dir = await tmpdir('k8s');
  const echo = net.createServer((s) => s.pipe(s));
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  const echoPort = echo.address().port;
  const relay = await rl.startGrpcRelay({ engineSocket: ENGINE, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
  let target = relay.port;
  const standIn = await si.startK8sStandIn({ readyAfterMs: 50, execTarget: () => target });
  try {
    const kubeconfig = standIn.writeKubeconfig(path.join(dir, 'kubeconfig'), [{ name: 'stand-in' }]);
    const driver = createKubernetesDriver({
      builder: { name: 'bench', driver: 'kubernetes', driverOpts: { replicas: '3' }, platforms: [], defaultLoad: false, implicit: false },
      env: { KUBECONFIG: kubeconfig, HOME: os.homedir() },
    });
    const t0 = Date.now();
    await driver.bootstrap(AbortSignal.timeout(60_000));
    const bootMs = Date.now() - t0;

    const direct = [];
    const viaExec = [];
    for (let i = 0; i < RUNS; i++) {
      direct.push(await timeConnectList(BuildkitClient, dialTcp(relay.port)));
      viaExec.push(await timeConnectList(BuildkitClient, (s) => driver.dial(s, { contextPath: `/ctx/${i}` })));
    }
    target = echoPort;
    const tcpMbs = await throughput(await dialTcp(echoPort)());
    const execMbs = await throughput(await driver.dial(AbortSignal.timeout(30_000), { contextPath: '/bulk' }));

    const before = standIn.execs.length;
    for (let i = 0; i < 30; i++) (await driver.dial(AbortSignal.timeout(30_000), { contextPath: `/repo/svc-${i}` })).destroy();
    const perPod = {};
    for (const e of standIn.execs.slice(before)) perPod[e.pod] = (perPod[e.pod] ?? 0) + 1;

    const row = (name, xs) => [name, fmtMs(median(xs.map((x) => x.ms))), fmtMs(percentile(xs.map((x) => x.ms), 95)), `${median(xs.map((x) => x.perCall)).toFixed(2)} ms`];
    const body = [
      `BuildKit: ${ENGINE} through the /grpc relay; ${RUNS} connections each; bootstrap of 3 stand-in pods: ${fmtMs(bootMs)}.`,
      '',
      table(['path', 'connect + ListWorkers (median)', 'p95', 'ListWorkers on an open connection'], [row('TCP to the relay', direct), row('pod exec (stand-in)', viaExec)]),
      '',
      table(['path', `${MB} MB echoed, MB/s`], [['TCP', tcpMbs.toFixed(0)], ['pod exec WebSocket frames', execMbs.toFixed(0)]]),
      '',
      `Sticky spread of 30 context paths over 3 pods: ${Object.entries(perPod).sort().map(([p, n]) => `${p.replace(/^tsbake-bench-\w+-/, 'pod ')}: ${n}`).join(', ')}.`,
      '',
      'The stand-in adds one local hop (the WebSocket server) where a cluster adds two network hops (API server, kubelet);',
      'the numbers bound the framing cost, not a cluster\'s latency.',
    ].join('\n');
    await report('kubernetes driver transport (API-server stand-in, real BuildKit)', body);
    await driver.remove(AbortSignal.timeout(30_000), { keepState: false });
  } finally {
    await standIn.close();
    await relay.close();
    echo.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}


const TARGETS = Number(process.env.BENCH_K8S_TARGETS ?? 30);
const REPS = Number(process.env.BENCH_K8S_REPS ?? 3);
const LOOP = Number(process.env.BENCH_K8S_LOOP ?? 300_000);
const SLEEP_S = Number(process.env.BENCH_K8S_SLEEP ?? 2);
const ENGINES = 3;
const benchEngines = path.join(repoRoot, 'scripts/bench-engines.sh');

// Written into Dockerfiles, never through the bake file, so no variable interpolation touches `$i`.
const WORKLOADS = {
  sleep: { label: `RUN sleep ${SLEEP_S} (waiting, no CPU)`, run: `sleep ${SLEEP_S}; echo done > /out` },
  cpu: { label: `RUN a shell loop of ${LOOP} increments (CPU-bound)`, run: `i=0; while [ $i -lt ${LOOP} ]; do i=$((i+1)); done; echo $i > /out` },
};
const tname = (i) => `t${String(i).padStart(2, '0')}`;

/** Builders r1 (1 replica), r3 (3 replicas) and e1..e3 (1 replica each, pinned to engines 1..3); every target on builderOf(i). */
function bakeFile(builderOf, workload) {
  const lines = ['builder:'];
  for (const [name, replicas] of [['r1', 1], ['r3', 3], ['e1', 1], ['e2', 1], ['e3', 1]]) {
    lines.push(`  ${name}:`, '    driver: kubernetes', '    driver-opts:', '      namespace: bench', `      replicas: ${replicas}`, '      timeout: 60s');
  }
  lines.push('target:');
  for (let i = 0; i < TARGETS; i++) {
    lines.push(`  ${tname(i)}:`, `    context: ${tname(i)}`, `    dockerfile: ${workload}.Dockerfile`, `    builder: ${builderOf(i)}`, '    output: ["type=cacheonly"]');
  }
  lines.push('group:', '  default:', `    targets: [${Array.from({ length: TARGETS }, (_, i) => tname(i)).join(', ')}]`, '');
  return lines.join('\n');
}

/** Which engine (1-based) a stand-in pod's exec reaches: r1's pod → 1, r3's pod i → i+1, e<n>'s pod → n. */
function engineOfPod(pod) {
  const m = /^tsbake-(\w+)-[0-9a-f]+-(\d+)$/.exec(pod);
  if (!m) return undefined;
  const [, builder = '', idx] = m;
  if (builder === 'r1') return 1;
  if (builder === 'r3') return Number(idx) + 1;
  if (/^e\d$/.test(builder)) return Number(builder.slice(1));
  return undefined;
}

const countBy = (xs) => {
  const out = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
};
const fmtCounts = (c) => Object.keys(c).sort().map((k) => `${k}: ${c[k]}`).join(', ');

/**
 * The issue's benchmark: 30 independent targets, real CLI, kubernetes builder of 1 vs 3 replicas through the
 * stand-in, each pod relayed to its own Docker 20.10 engine. Plus `split`: the same targets spread by the
 * driver's sticky hash over three 1-replica builders pinned to engines 1..3 — what 3 replicas give when each
 * target's connection goes to the pod its context hashes to.
 */
async function replicas() {
  const { standIn: si, relay: rl } = await helpers();
  const { pickPod } = await import(path.join(repoRoot, 'dist/drivers/kubernetes/balance.js'));
  const dir = await tmpdir('k8s-replicas');
  const relays = [];
  let standIn;
  try {
    const started = await execa('bash', [benchEngines, 'start', String(ENGINES)], { all: true, reject: false });
    if (started.exitCode !== 0) throw new Error(`scripts/bench-engines.sh start failed:\n${started.all}`);
    const sockets = started.stdout.split('\n').filter((l) => l.startsWith('unix://'));
    if (sockets.length !== ENGINES) throw new Error(`scripts/bench-engines.sh listed ${sockets.length} engines:\n${started.all}`);
    for (const s of sockets) relays.push(await rl.startGrpcRelay({ engineSocket: s, listen: { tcp: { host: '127.0.0.1', port: 0 } } }));
    standIn = await si.startK8sStandIn({ readyAfterMs: 50, execTarget: (pod) => relays[(engineOfPod(pod) ?? 0) - 1]?.port });
    const kubeconfig = standIn.writeKubeconfig(path.join(dir, 'kubeconfig'), [{ name: 'stand-in' }]);
    const env = { KUBECONFIG: kubeconfig, HOME: dir };

    for (let i = 0; i < TARGETS; i++) {
      const ctx = path.join(dir, tname(i));
      await fs.mkdir(ctx);
      await fs.writeFile(path.join(ctx, 'input.txt'), `${tname(i)}\n`);
      for (const [w, { run }] of Object.entries(WORKLOADS)) {
        await fs.writeFile(path.join(ctx, `${w}.Dockerfile`), `FROM local/busybox:1\nCOPY input.txt /input.txt\nRUN ${run}\n`);
      }
    }
    const files = {};
    const writeConfig = async (config, builderOf) => {
      for (const w of Object.keys(WORKLOADS)) {
        files[`${config}/${w}`] = path.join(dir, `${config}-${w}.yaml`);
        await fs.writeFile(files[`${config}/${w}`], bakeFile(builderOf, w));
      }
    };
    /** One CLI run; returns its wall time and the pods (and engines) its pod execs went to. */
    const run = async (config, workload) => {
      const before = standIn.execs.length;
      const r = await measure(tsbake, ['run', '-f', files[`${config}/${workload}`], '--no-cache', '--progress', 'plain'], { cwd: dir, env });
      const execs = standIn.execs.slice(before).filter((e) => e.accepted);
      return { ms: r.ms, pods: execs.map((e) => e.pod), output: r.stderr + r.stdout };
    };

    await writeConfig('r1', () => 'r1');
    await writeConfig('r3', () => 'r3');
    // Warm-up (not measured): deployments bootstrapped, base image resolved once on each engine.
    const warm = [await run('r1', 'sleep'), await run('r3', 'sleep')];
    const r3Pods = standIn.podsOf('bench', 'tsbake-r3').map((p) => p.metadata.name).sort();
    const podOfTarget = Array.from({ length: TARGETS }, (_, i) => pickPod(r3Pods, 'sticky', { contextPath: path.join(dir, tname(i)) }));
    const engineOfTarget = podOfTarget.map((p) => engineOfPod(p));
    await writeConfig('split', (i) => `e${engineOfTarget[i]}`);
    warm.push(await run('split', 'sleep'));

    const configs = ['r1', 'r3', 'split'];
    const results = {};
    const load0 = os.loadavg()[0];
    for (const w of Object.keys(WORKLOADS)) {
      for (let rep = 0; rep < REPS; rep++) {
        // Alternate the order so drift (page cache, engine state) does not favour one configuration.
        for (const c of rep % 2 ? [...configs].reverse() : configs) {
          const r = await run(c, w);
          (results[`${c}/${w}`] ??= []).push(r);
          process.stderr.write(`[bench] ${c} ${w} run ${rep + 1}: ${fmtMs(r.ms)}, execs ${fmtCounts(countBy(r.pods.map((p) => `engine ${engineOfPod(p)}`)))}\n`);
        }
      }
    }
    // A sanity check that the runs did the work: the CPU loop's target log shows the RUN step executing.
    const sample = results['r1/cpu']?.[0]?.output ?? '';
    const ranRun = /RUN i=0/.test(sample) || /while \[/.test(sample);

    const describe = {
      r1: 'builder of 1 replica (its pod → engine 1)',
      r3: 'builder of 3 replicas (pod i → engine i+1)',
      split: 'sticky split emulated: 3 builders of 1 replica (engines 1..3), target → engine of the pod its context hashes to',
    };
    const rows = [];
    for (const c of configs) {
      for (const w of Object.keys(WORKLOADS)) {
        const rs = results[`${c}/${w}`];
        const ms = rs.map((r) => r.ms);
        const engines = countBy(rs.flatMap((r) => r.pods.map((p) => `engine ${engineOfPod(p)}`)));
        rows.push([c, w, fmtMs(median(ms)), `${fmtMs(Math.min(...ms))} – ${fmtMs(Math.max(...ms))}`, fmtCounts(engines)]);
      }
    }
    const targetSpread = countBy(engineOfTarget.map((e) => `engine ${e}`));
    const r3Engines = new Set(Object.keys(WORKLOADS).flatMap((w) => results[`r3/${w}`].flatMap((r) => r.pods.map((p) => engineOfPod(p)))));
    const r3Execs = Object.keys(WORKLOADS).flatMap((w) => results[`r3/${w}`].map((r) => r.pods.length));
    const med = (k) => median(results[k].map((r) => r.ms));
    const body = [
      `${TARGETS} independent targets (each its own context dir, FROM local/busybox:1 + COPY + one RUN, output type=cacheonly), ` +
        `real CLI (\`tsbake run --no-cache\`), kubernetes builders through the API-server stand-in; every pod's exec is relayed to its own ` +
        `Docker 20.10 engine (independent BuildKit v0.8, scripts/bench-engines.sh). Median of ${REPS} runs, orders alternated; ${os.cpus().length} CPU cores.`,
      '',
      ...configs.map((c) => `- **${c}**: ${describe[c]}`),
      ...Object.entries(WORKLOADS).map(([w, { label }]) => `- workload **${w}**: ${label}`),
      '',
      table(['builder', 'workload', 'wall (median)', 'range', 'pod exec connections, by engine (all runs)'], rows),
      '',
      `Sticky hash of the ${TARGETS} context paths over r3's pods (what the split uses): ${fmtCounts(targetSpread)}.`,
      `Speed-up of 3 over 1: r3 sleep ${(med('r1/sleep') / med('r3/sleep')).toFixed(2)}×, cpu ${(med('r1/cpu') / med('r3/cpu')).toFixed(2)}×; ` +
        `split sleep ${(med('r1/sleep') / med('split/sleep')).toFixed(2)}×, cpu ${(med('r1/cpu') / med('split/cpu')).toFixed(2)}×.`,
      r3Engines.size === 1
        ? `r3 reached one engine only: each run opened ${[...new Set(r3Execs)].join('/')} pod exec(s), so all ${TARGETS} targets shared one connection ` +
          'and one pod (the executor opens one BuildKit client per builder per run and dials without a context hint); the split rows show what per-target dialing would give.'
        : `r3 reached engines ${[...r3Engines].sort().join(', ')}.`,
      `Load average (1 min) of the machine: ${load0.toFixed(1)} at the start of the measured runs, ${os.loadavg()[0].toFixed(1)} at the end (other work shares the ${os.cpus().length} cores).`,
      ranRun ? '' : '(warning: the RUN step did not show in the plain log of a CPU run; check that --no-cache took effect)',
    ].join('\n');
    await report(`kubernetes driver: ${TARGETS} targets on 1 vs 3 replicas (stand-in, independent BuildKits)`, body);
  } finally {
    await standIn?.close();
    for (const r of relays) await r.close();
    const stopped = await execa('bash', [benchEngines, 'stop'], { all: true, reject: false });
    if (stopped.exitCode !== 0) process.stderr.write(`scripts/bench-engines.sh stop failed:\n${stopped.all}\n`);
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function main() {
  const part = process.env.BENCH_K8S_PART ?? 'all';
  if (part === 'all' || part === 'transport') await transport();
  if (part === 'all' || part === 'replicas') await replicas();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
