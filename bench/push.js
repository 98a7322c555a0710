// Issue 13: what the all-or-nothing push costs. 20 independent small targets pushed to the local
// registry (127.0.0.1:5000), `tsbake run --push` (build everything with the pushes held back, then push
// every target by a second, all-cached solve, or the engine's push on a classic store) against
// `tsbake run --push --push-each` (bake's push-as-built), run alternately. Every run builds a new
// layer per target (a fresh RUN id), so both modes build and push the same amount. Setups:
// BENCH_PUSH_ENGINES (default docker26,docker20,remote), runs per mode BENCH_RUNS (default 5).
// docker26/docker20: the docker driver (the deferred push goes through the engine); remote: a remote
// builder on a relay to Docker 26's BuildKit (the deferred push is a second, all-cached solve).
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { measure, median, tmpdir, table, fmtMs, report, tsbake } from './lib.js';

const REG = process.env.TSBAKE_TEST_REGISTRY ?? '127.0.0.1:5000';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const N = 20;
const HOSTS = { docker26: 'unix:///var/run/tsbake-docker26.sock', docker20: 'unix:///var/run/docker.sock' };
const ENGINES = (process.env.BENCH_PUSH_ENGINES ?? 'docker26,docker20,remote').split(',');

/**
 * A relay that makes Docker 26's embedded BuildKit a remote endpoint: per connection, `POST /grpc`
 * with `Upgrade: h2c` on the engine socket, drop the 101 response headers, pipe (as test/helpers/relay.ts).
 */
async function startRelay(engineSocket, listenPath) {
  const server = net.createServer((client) => {
    client.pause();
    const up = net.connect(engineSocket);
    let buf = Buffer.alloc(0);
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      up.off('data', onData);
      const rest = buf.subarray(end + 4);
      if (rest.length > 0) client.write(rest);
      up.pipe(client);
      client.pipe(up);
      client.resume();
    };
    up.on('data', onData);
    up.on('connect', () => up.write('POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n'));
    const end = () => {
      client.destroy();
      up.destroy();
    };
    up.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
  });
  await new Promise((resolve) => server.listen(listenPath, resolve));
  return { address: `unix://${listenPath}`, close: () => new Promise((r) => server.close(r)) };
}

async function project(dir, runId, builderYaml) {
  const base = builderYaml ? `${REG}/busybox:1` : 'local/busybox:1';
  await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM ${base}\nARG I\nARG RUN_ID\nRUN echo "target $I run $RUN_ID" > /out.txt\n`);
  const target = {};
  for (let i = 0; i < N; i++) {
    target[`t${i}`] = { context: '.', args: { I: String(i), RUN_ID: runId }, tags: [`${REG}/tsbake-bench/push-t${i}:${runId}`] };
  }
  const builders = builderYaml ?? {};
  await fs.writeFile(path.join(dir, 'docker-bake.json'), JSON.stringify({ ...builders, group: { default: { targets: Object.keys(target) } }, target }));
}

export async function main() {
  const rows = [];
  for (const engine of ENGINES) {
    const env = { DOCKER_HOST: HOSTS[engine] ?? HOSTS.docker26 };
    const dir = await tmpdir('push');
    const relay = engine === 'remote' ? await startRelay('/var/run/tsbake-docker26.sock', path.join(dir, 'bk.sock')) : undefined;
    const builderYaml = relay ? { builder: { rb: { driver: 'remote', endpoint: relay.address } }, 'default-builder': 'rb' } : undefined;
    const times = { all: [], each: [] };
    const run = async (mode) => {
      await project(dir, randomBytes(4).toString('hex'), builderYaml);
      const args = ['run', '--push', '--progress', 'quiet', ...(mode === 'each' ? ['--push-each'] : [])];
      const r = await measure(tsbake, [...args], { cwd: dir, env });
      return r.ms;
    };
    await run('all'); // warm: the base image, the builder, the registry's busybox layer
    await run('each');
    for (let i = 0; i < RUNS; i++) {
      // Alternate which goes first, so drift on the shared machine hits both alike.
      for (const mode of i % 2 ? ['each', 'all'] : ['all', 'each']) times[mode].push(await run(mode));
    }
    await relay?.close();
    // The docker driver left every run's images in the engine: remove them.
    if (!relay) {
      const list = await execa('docker', ['-H', env.DOCKER_HOST, 'images', '--format', '{{.Repository}}:{{.Tag}}'], { reject: false });
      const mine = String(list.stdout).split('\n').filter((r) => r.startsWith(`${REG}/tsbake-bench/push-t`));
      for (let i = 0; i < mine.length; i += 100) await execa('docker', ['-H', env.DOCKER_HOST, 'rmi', '-f', ...mine.slice(i, i + 100)], { reject: false });
    }
    await fs.rm(dir, { recursive: true, force: true });
    const all = median(times.all);
    const each = median(times.each);
    rows.push([engine, `${N}`, fmtMs(each), fmtMs(all), fmtMs(all - each), `${(all / each).toFixed(2)}×`]);
    process.stderr.write(`${engine}: all ${times.all.map((x) => x.toFixed(0)).join(',')} each ${times.each.map((x) => x.toFixed(0)).join(',')}\n`);
  }
  await report(
    `push: all-or-nothing vs --push-each (${N} targets, local registry, median of ${RUNS})`,
    table(['engine', 'targets', '--push --push-each', '--push (all-or-nothing)', 'added', 'ratio'], rows),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
