// The kubernetes driver's transport cost, measured through the Kubernetes API-server STAND-IN (not a
// cluster: test/helpers/k8s-stand-in.ts) whose pod exec relays to a real BuildKit (Docker 26's, through the
// /grpc relay). What it can tell: the cost of carrying gRPC in exec WebSocket frames compared with a plain
// TCP connection to the same BuildKit — connect + ListWorkers latency and bulk throughput — and how sticky
// balancing spreads contexts over 3 replicas. What it cannot tell: a real API server's and kubelet's
// latency (two more hops in a cluster), scheduling or image pulls.
// Needs `npm run build` and the test environment; compiles the two TypeScript test helpers with tsc first.
import { execa } from 'execa';
import net from 'node:net';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { median, percentile, table, fmtMs, report, repoRoot, tmpdir } from './lib.js';

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

export async function main() {
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

if (import.meta.url === `file://${process.argv[1]}`) await main();
