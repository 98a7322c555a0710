/**
 * The kubernetes driver against the Kubernetes API-server STAND-IN (test/helpers/k8s-stand-in.ts) — not a
 * cluster: none can run here. The stand-in's pod exec relays to a real BuildKit (a test engine's, through
 * the /grpc relay) for the gRPC test, or to a local echo server where only the choice of pod matters.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { finished } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TsbakeError } from '../../src/errors.js';
import { createKubernetesDriver } from '../../src/drivers/kubernetes/index.js';
import type { Driver } from '../../src/drivers/types.js';
import { BuildkitClient } from '../../src/buildkit/index.js';
import { type K8sStandIn, type StandInOptions, startK8sStandIn } from '../helpers/k8s-stand-in.js';
import { engines, requireEngine } from '../helpers/env.js';
import { startGrpcRelay } from '../helpers/relay.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsbake-k8s-'));
let echo: net.Server;
let echoPort = 0;
const standIns: K8sStandIn[] = [];
const streams: Duplex[] = [];

beforeAll(async () => {
  // Where the balancing tests' execs go: echoes bytes back, so a stream can be checked end to end.
  echo = net.createServer((s) => s.pipe(s));
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  echoPort = (echo.address() as net.AddressInfo).port;
});

afterEach(async () => {
  for (const s of streams.splice(0)) s.destroy();
  for (const s of standIns.splice(0)) await s.close();
});

afterAll(async () => {
  echo.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function standIn(opts: StandInOptions = {}): Promise<K8sStandIn> {
  const s = await startK8sStandIn({ execTarget: () => echoPort, ...opts });
  standIns.push(s);
  return s;
}

let n = 0;
function driverFor(
  s: K8sStandIn,
  driverOpts: Record<string, string> = {},
  extra: {
    config?: string;
    flags?: string;
    kubeconfig?: { namespace?: string; token?: string; contexts?: string[] };
    name?: string;
    log?: (message: string) => void;
  } = {},
): { driver: Driver; kubeconfig: string } {
  const kubeconfig = path.join(tmp, `kubeconfig-${++n}`);
  const names = extra.kubeconfig?.contexts ?? ['stand-in'];
  s.writeKubeconfig(kubeconfig, names.map((name) => ({ name, namespace: extra.kubeconfig?.namespace, token: extra.kubeconfig?.token })));
  const driver = createKubernetesDriver({
    builder: {
      name: extra.name ?? 'kb',
      driver: 'kubernetes',
      driverOpts: { timeout: '10s', ...driverOpts },
      platforms: [],
      defaultLoad: false,
      implicit: false,
      ...(extra.config !== undefined ? { buildkitdConfigInline: extra.config } : {}),
      ...(extra.flags !== undefined ? { buildkitdFlags: extra.flags } : {}),
    },
    env: { KUBECONFIG: kubeconfig, HOME: tmp },
    ...(extra.log ? { log: extra.log } : {}),
  });
  return { driver, kubeconfig };
}

const signal = (): AbortSignal => AbortSignal.timeout(60_000);

async function dialAndEcho(driver: Driver, hint: { contextPath?: string; sequence?: number }): Promise<void> {
  const s = await driver.dial(signal(), hint);
  streams.push(s);
  s.write('ping');
  const [data] = (await once(s, 'data')) as [Buffer];
  expect(data.toString()).toBe('ping');
}

describe('kubernetes driver: bootstrap', () => {
  it('creates the configmap and deployment the options describe, and waits for ready pods', async () => {
    const s = await standIn({ readyAfterMs: 300 });
    const logs: string[] = [];
    const { driver } = driverFor(
      s,
      {
        namespace: 'builds',
        replicas: '2',
        'requests.cpu': '500m',
        'limits.memory': '2Gi',
        nodeselector: 'kubernetes.io/arch=amd64,disk=ssd',
        tolerations: 'key=dedicated,operator=Equal,value=builds,effect=NoSchedule;key=spot,operator=Exists,tolerationSeconds=30',
        annotations: 'team=infra',
        labels: 'env=ci',
        serviceaccount: 'buildkit',
        'qemu.install': 'true',
      },
      { config: '[worker.oci]\n  max-parallelism = 4\n', flags: '--debug', log: (m) => logs.push(m) },
    );
    await driver.bootstrap(signal());

    const cm = s.configMaps.get('builds/tsbake-kb-config');
    expect(cm?.data).toEqual({ 'buildkitd.toml': '[worker.oci]\n  max-parallelism = 4\n' });
    expect(cm?.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'tsbake', 'tsbake.builder': 'kb' });

    const d = s.deployments.get('builds/tsbake-kb');
    expect(d).toBeDefined();
    expect(d!.metadata.labels).toEqual({ env: 'ci', 'app.kubernetes.io/managed-by': 'tsbake', 'tsbake.builder': 'kb' });
    expect(d!.spec.replicas).toBe(2);
    const pod = d!.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe('moby/buildkit:buildx-stable-1');
    expect(c.args).toEqual(['--config', '/etc/buildkit/buildkitd.toml', '--debug']);
    expect(c.securityContext).toEqual({ privileged: true });
    expect(c.resources).toEqual({ requests: { cpu: '500m' }, limits: { memory: '2Gi' } });
    expect(c.readinessProbe.exec.command).toEqual(['buildctl', 'debug', 'workers']);
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64', disk: 'ssd' });
    expect(pod.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'builds', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists', tolerationSeconds: 30 },
    ]);
    expect(pod.serviceAccountName).toBe('buildkit');
    expect(pod.initContainers[0]).toMatchObject({ name: 'qemu', image: 'tonistiigi/binfmt:latest', args: ['--install', 'all'] });
    expect(pod.volumes).toEqual([{ name: 'config', configMap: { name: 'tsbake-kb-config' } }]);
    expect(d!.spec.template.metadata.annotations.team).toBe('infra');

    // It returned only once both pods were ready, not at creation.
    const pods = s.podsOf('builds', 'tsbake-kb');
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.status.phase).toBe('Running');
    expect(s.requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([
      '/api/v1/namespaces/builds/configmaps',
      '/apis/apps/v1/namespaces/builds/deployments',
    ]);
    expect(logs).toContain('creating deployment builds/tsbake-kb (2 × moby/buildkit:buildx-stable-1)');
    expect(logs.some((l) => l.startsWith('waiting for pods of tsbake-kb: 0/2 ready'))).toBe(true);

    const status = await driver.inspect(signal());
    expect(status.status).toBe('running');
    expect(status.endpoint).toBe('kubernetes://builds/deployments/tsbake-kb');
    expect(status.details?.pods).toEqual(pods.map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, phase: 'Running', ready: true })));
    expect(driver.nodes?.()).toBe(2);
  });

  it('rootless: no privileged mode, the rootless image, flag and security context', async () => {
    const s = await standIn();
    const { driver } = driverFor(s, { rootless: 'true' });
    await driver.bootstrap(signal());
    const c = s.deployments.get('default/tsbake-kb')!.spec.template.spec.containers[0];
    expect(c.image).toBe('moby/buildkit:buildx-stable-1-rootless');
    expect(c.args).toContain('--oci-worker-no-process-sandbox');
    expect(c.securityContext).toEqual({ seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' }, runAsUser: 1000, runAsGroup: 1000 });
    expect(s.configMaps.size).toBe(0);
  });

  it('namespace: option, else the kubeconfig context, else default', async () => {
    const s = await standIn();
    await driverFor(s, {}, { kubeconfig: { namespace: 'from-context' } }).driver.bootstrap(signal());
    await driverFor(s, { namespace: 'from-option' }, { kubeconfig: { namespace: 'from-context' }, name: 'b2' }).driver.bootstrap(signal());
    await driverFor(s, {}, { name: 'b3' }).driver.bootstrap(signal());
    expect([...s.deployments.keys()].sort()).toEqual(['default/tsbake-b3', 'from-context/tsbake-kb', 'from-option/tsbake-b2']);
  });

  it('updates an existing deployment when the options change, and leaves it alone when they do not', async () => {
    const s = await standIn();
    await driverFor(s, { image: 'moby/buildkit:v0.12.0' }).driver.bootstrap(signal());
    const firstPods = s.podsOf('default', 'tsbake-kb').map((p) => p.metadata.name);
    await driverFor(s, { image: 'moby/buildkit:v0.12.0' }).driver.bootstrap(signal());
    expect(s.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);

    await driverFor(s, { image: 'moby/buildkit:v0.13.0', replicas: '2' }).driver.bootstrap(signal());
    const puts = s.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.path)).toEqual(['/apis/apps/v1/namespaces/default/deployments/tsbake-kb']);
    const d = s.deployments.get('default/tsbake-kb')!;
    expect(d.spec.template.spec.containers[0].image).toBe('moby/buildkit:v0.13.0');
    const pods = s.podsOf('default', 'tsbake-kb');
    expect(pods).toHaveLength(2);
    expect(pods.map((p) => p.metadata.name)).not.toContain(firstPods[0]);
    for (const p of pods) expect(p.status.phase).toBe('Running');
  });

  it('a changed buildkitd config replaces the configmap and rolls the pods', async () => {
    const s = await standIn();
    await driverFor(s, {}, { config: 'debug = false\n' }).driver.bootstrap(signal());
    const before = s.podsOf('default', 'tsbake-kb').map((p) => p.metadata.name);
    await driverFor(s, {}, { config: 'debug = true\n' }).driver.bootstrap(signal());
    expect(s.configMaps.get('default/tsbake-kb-config')!.data).toEqual({ 'buildkitd.toml': 'debug = true\n' });
    expect(s.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      '/api/v1/namespaces/default/configmaps/tsbake-kb-config',
      '/apis/apps/v1/namespaces/default/deployments/tsbake-kb',
    ]);
    const after = s.podsOf('default', 'tsbake-kb').map((p) => p.metadata.name);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it('on timeout, reports phases, waiting reasons, events and the last log lines', async () => {
    const s = await standIn({
      stuck: {
        reason: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container=buildkitd',
        events: [{ reason: 'BackOff', message: 'Back-off restarting failed container buildkitd in pod' }],
      },
      logs: () => 'starting buildkitd\nbuildkitd: failed to create worker: mount proc: operation not permitted\n',
    });
    const { driver, kubeconfig } = driverFor(s, { timeout: '1s', replicas: '2' });
    const t0 = Date.now();
    const err = await driver.bootstrap(signal()).then(() => undefined, (e: unknown) => e);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(err).toBeInstanceOf(TsbakeError);
    const e = err as TsbakeError;
    expect(e.reason).toBe('daemon-unreachable');
    const pods = s.podsOf('default', 'tsbake-kb').map((p) => p.metadata.name as string);
    expect(e.message).toContain('0/2 ready pods after 1s');
    expect(e.message).toContain(`kubeconfig ${kubeconfig}, context stand-in, namespace default`);
    for (const p of pods) expect(e.message).toContain(`pod ${p}: Pending, not ready on stand-in-node-`);
    expect(e.message).toContain('buildkitd waiting: CrashLoopBackOff: back-off 10s restarting failed container=buildkitd');
    expect(e.message).toContain(`Pod ${pods[0]}: Warning BackOff: Back-off restarting failed container buildkitd in pod`);
    expect(e.message).toContain(`last log lines of ${pods[0]}:`);
    expect(e.message).toContain('buildkitd: failed to create worker: mount proc: operation not permitted');
    const inspected = await driver.inspect(signal());
    expect(inspected.status).toBe('error');
    expect(inspected.error).toContain('CrashLoopBackOff');
  });

  it('stop scales to zero; rm deletes the deployment and the configmap', async () => {
    const s = await standIn();
    const { driver } = driverFor(s, {}, { config: 'debug = true\n' });
    await driver.bootstrap(signal());
    await driver.stop(signal());
    expect(s.deployments.get('default/tsbake-kb')!.spec.replicas).toBe(0);
    expect(s.podsOf('default', 'tsbake-kb')).toHaveLength(0);
    expect((await driver.inspect(signal())).status).toBe('stopped');

    await driver.bootstrap(signal()); // starts it again
    expect(s.deployments.get('default/tsbake-kb')!.spec.replicas).toBe(1);

    await driver.remove(signal(), { keepState: false });
    expect(s.deployments.size).toBe(0);
    expect(s.configMaps.size).toBe(0);
    expect(s.pods.size).toBe(0);
    expect(s.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      '/apis/apps/v1/namespaces/default/deployments/tsbake-kb',
      '/api/v1/namespaces/default/configmaps/tsbake-kb-config',
    ]);
    expect((await driver.inspect(signal())).status).toBe('inactive');
    await driver.remove(signal(), { keepState: false }); // nothing left: still fine
  });
});

describe('kubernetes driver: kubeconfig errors are one line naming kubeconfig, context and namespace', () => {
  async function failure(p: Promise<unknown>): Promise<TsbakeError> {
    const err = await p.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TsbakeError);
    const e = err as TsbakeError;
    expect(e.reason).toBe('daemon-unreachable');
    expect(e.message).not.toContain('\n');
    return e;
  }

  it('missing kubeconfig file', async () => {
    const s = await standIn();
    const missing = path.join(tmp, 'no-such-kubeconfig');
    const { driver } = driverFor(s, { kubeconfig: missing, namespace: 'ns1' });
    const e = await failure(driver.bootstrap(signal()));
    expect(e.message).toContain(`kubeconfig file ${missing} does not exist`);
    expect(e.message).toContain(`(kubeconfig ${missing}, context (none), namespace ns1)`);
  });

  it('unknown context', async () => {
    const s = await standIn();
    const { driver, kubeconfig } = driverFor(s, { context: 'prod' }, { kubeconfig: { contexts: ['dev', 'staging'] } });
    const e = await failure(driver.bootstrap(signal()));
    expect(e.message).toContain('context "prod" is not in the kubeconfig (contexts: dev, staging)');
    expect(e.message).toContain(`kubeconfig ${kubeconfig}, context prod`);
  });

  it('expired credentials (401)', async () => {
    const s = await standIn({ token: 'fresh' });
    const { driver, kubeconfig } = driverFor(s, { namespace: 'team-a' }, { kubeconfig: { token: 'expired' } });
    const e = await failure(driver.bootstrap(signal()));
    expect(e.message).toContain('401 Unauthorized');
    expect(e.message).toContain(`(kubeconfig ${kubeconfig}, context stand-in, namespace team-a)`);
    // The same kubeconfig with the right token works: the check is the credential, not the setup.
    await driverFor(s, { namespace: 'team-a' }, { kubeconfig: { token: 'fresh' } }).driver.bootstrap(signal());
  });

  it('forbidden namespace (403)', async () => {
    const s = await standIn({ forbiddenNamespaces: ['locked'] });
    const { driver, kubeconfig } = driverFor(s, {}, { kubeconfig: { namespace: 'locked' } });
    const e = await failure(driver.bootstrap(signal()));
    expect(e.message).toContain('forbidden');
    expect(e.message).toContain('cannot get resource "deployments"');
    expect(e.message).toContain(`(kubeconfig ${kubeconfig}, context stand-in, namespace locked)`);
  });
});

describe('kubernetes driver: dial', () => {
  it('retries while pods start: waits for a ready pod, then retries refused execs', async () => {
    const s = await standIn({ readyAfterMs: 600, failExecs: 2 });
    const { driver } = driverFor(s);
    // Create the deployment without waiting, then dial at once: no pod is ready yet.
    const boot = driver.bootstrap(signal());
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if (s.pods.size > 0) {
          clearInterval(t);
          resolve();
        }
      }, 5);
    });
    expect(s.podsOf('default', 'tsbake-kb')[0]!.status.phase).toBe('Pending');
    await dialAndEcho(driver, { contextPath: '/src' });
    await boot;
    expect(s.execs.map((e) => e.accepted)).toEqual([false, false, true]);
    expect(s.execs[2]).toMatchObject({ container: 'buildkitd', command: ['buildctl', 'dial-stdio'] });
  });

  it('gives up after the timeout with the last reason', async () => {
    const s = await standIn({ failExecs: 1000 });
    const { driver } = driverFor(s, { timeout: '1s' });
    await driver.bootstrap(signal());
    const err = await driver.dial(signal(), {}).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(TsbakeError);
    expect((err as Error).message).toMatch(/cannot reach BuildKit in deployment tsbake-kb after 1s: pod tsbake-kb-\w+-0: exec refused \(500\): unable to upgrade connection/);
    expect(s.execs.length).toBeGreaterThan(1);
  });

  it('a failed command ends the stream (or the dial) with its status and stderr', async () => {
    const s = await standIn({ execTarget: () => undefined });
    const { driver } = driverFor(s, { timeout: '1s' });
    await driver.bootstrap(signal());
    // The Status frame may arrive before or after dial() returns: either way the failure must say why.
    const err = await driver.dial(signal(), {}).then(
      (stream) => {
        streams.push(stream);
        return finished(stream).then(() => undefined, (e: unknown) => e);
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('buildctl dial-stdio in pod default/tsbake-kb-');
    expect((err as Error).message).toContain('exit status 1');
    expect((err as Error).message).toContain('stand-in: no exec target configured for this pod');
  });

  it('ending the writable side half-closes stdin; the pod side ending ends the readable side', async () => {
    const s = await standIn();
    const { driver } = driverFor(s);
    await driver.bootstrap(signal());
    const stream = await driver.dial(signal(), {});
    streams.push(stream);
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.end('hello, pod');
    await once(stream, 'end');
    expect(Buffer.concat(chunks).toString()).toBe('hello, pod');
  });

  it('sticky: one context always lands on one pod; many contexts use all three replicas', async () => {
    const s = await standIn();
    const { driver } = driverFor(s, { replicas: '3' });
    await driver.bootstrap(signal());
    const podFor = async (contextPath: string): Promise<string> => {
      const before = s.execs.length;
      await dialAndEcho(driver, { contextPath });
      expect(s.execs.length).toBe(before + 1);
      return s.execs[before]!.pod;
    };
    const first = await podFor('/repo/services/api');
    for (let i = 0; i < 3; i++) expect(await podFor('/repo/services/api')).toBe(first);
    const used = new Set<string>();
    for (let i = 0; i < 12; i++) used.add(await podFor(`/repo/services/svc-${i}`));
    expect([...used].sort()).toEqual(s.podsOf('default', 'tsbake-kb').map((p) => p.metadata.name));
  });

  it('random: connections go to different pods', async () => {
    const s = await standIn();
    const { driver } = driverFor(s, { replicas: '3', loadbalance: 'random' });
    await driver.bootstrap(signal());
    for (let i = 0; i < 24; i++) await dialAndEcho(driver, { contextPath: '/same/context' });
    const used = new Set(s.execs.map((e) => e.pod));
    // Same context every time: with sticky this would be one pod. 24 draws missing a pod: p ≈ 3·(2/3)^24 < 1e-3.
    expect(used.size).toBeGreaterThanOrEqual(2);
  });

  it('a cancelled signal stops a dial that waits for pods', async () => {
    const s = await standIn({ stuck: { reason: 'ContainerCreating', message: '' } });
    const { driver } = driverFor(s);
    const ac = new AbortController();
    const boot = driver.bootstrap(ac.signal).catch((e: unknown) => e);
    const dial = driver.dial(ac.signal, {}).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 300);
    expect(((await dial) as TsbakeError).reason).toBe('cancelled');
    expect(((await boot) as TsbakeError).reason).toBe('cancelled');
  });
});

describe('kubernetes driver: a real gRPC call through the stand-in', () => {
  it('BuildkitClient over pod exec reaches the engine BuildKit and lists its workers', async () => {
    await requireEngine('docker20');
    const relay = await startGrpcRelay({ engineSocket: engines.docker20.socketPath, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
    try {
      const s = await standIn({ execTarget: () => relay.port });
      const { driver } = driverFor(s);
      await driver.bootstrap(signal());
      const client = await BuildkitClient.connect((sig) => driver.dial(sig, { contextPath: '/ctx' }), { endpointName: driver.endpoint() });
      try {
        const workers = await client.listWorkers(signal());
        expect(workers.length).toBeGreaterThan(0);
        expect(workers[0]!.platforms).toContain('linux/amd64');
      } finally {
        await client.close();
      }
      expect(relay.acceptedConnections()).toBeGreaterThan(0);
      expect(s.execs.filter((e) => e.accepted).length).toBeGreaterThan(0);
      // Closing the client closes the exec WebSocket, which closes the stand-in's relay connection.
      await vi.waitFor(() => expect(relay.activeConnections()).toBe(0), { timeout: 5_000 });
    } finally {
      await relay.close();
    }
  });
});
