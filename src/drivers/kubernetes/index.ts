/**
 * The kubernetes driver: BuildKit pods of a Deployment in a cluster, reached by `buildctl dial-stdio`
 * through the API server's pod exec. See docs/kubernetes.md for use and the RBAC it needs.
 */
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { AppsV1Api, CoreV1Api, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { TsbakeError } from '../../errors.js';
import type { ResolvedBuilder } from '../types.js';
import type { BuilderStatus, DialHint, Driver, DriverContext, DriverFactory } from '../types.js';
import { pickPod } from './balance.js';
import { ExecUpgradeError, openPodExec } from './exec-stream.js';
import { apiStatusCode, type ClusterAccess, describeApiError, firstLine, loadClusterAccess } from './kubeconfig.js';
import {
  buildConfigMap,
  buildDeployment,
  CONTAINER_NAME,
  configMapName,
  deploymentName,
  labelSelector,
  SPEC_HASH_ANNOTATION,
} from './manifests.js';
import { type KubernetesOptions, parseKubernetesOptions } from './options.js';

export { parseKubernetesOptions } from './options.js';
export { buildConfigMap, buildDeployment, configMapName, deploymentName } from './manifests.js';
export { pickPod } from './balance.js';

export const createKubernetesDriver: DriverFactory = (ctx) => new KubernetesDriver(ctx);

interface PodSummary {
  name: string;
  node?: string;
  phase: string;
  ready: boolean;
  specHash?: string;
  /** `container: reason: message` for containers that wait or terminated. */
  waiting: string[];
}

interface Desired {
  deployment: V1Deployment;
  configMap: ReturnType<typeof buildConfigMap>;
  hash: string;
}

const POLL_MIN_MS = 250;
const POLL_MAX_MS = 1_000;

export class KubernetesDriver implements Driver {
  readonly builder: ResolvedBuilder;
  readonly options: KubernetesOptions;
  private readonly ctx: DriverContext;
  private access: ClusterAccess | undefined;
  private coreApi: CoreV1Api | undefined;
  private appsApi: AppsV1Api | undefined;
  private desired: Desired | undefined;

  constructor(ctx: DriverContext) {
    this.ctx = ctx;
    this.builder = ctx.builder;
    this.options = parseKubernetesOptions(ctx.builder.name, ctx.builder.driverOpts);
  }

  /** The cluster, loaded once; throws the one-line kubeconfig error. */
  cluster(): ClusterAccess {
    if (!this.access) {
      this.access = loadClusterAccess({
        builder: this.builder.name,
        kubeconfig: this.options.kubeconfig,
        context: this.options.context,
        namespace: this.options.namespace,
        env: this.ctx.env,
      });
    }
    return this.access;
  }

  private get core(): CoreV1Api {
    this.coreApi ??= this.cluster().kc.makeApiClient(CoreV1Api);
    return this.coreApi;
  }

  private get apps(): AppsV1Api {
    this.appsApi ??= this.cluster().kc.makeApiClient(AppsV1Api);
    return this.appsApi;
  }

  get deploymentName(): string {
    return deploymentName(this.builder.name);
  }

  endpoint(): string {
    let ns = this.options.namespace ?? '';
    try {
      ns = this.cluster().namespace;
    } catch {
      // the kubeconfig error is reported by bootstrap/dial; the address is only for messages
    }
    return `kubernetes://${ns}/deployments/${this.deploymentName}`;
  }

  nodes(): number {
    return this.options.replicas;
  }

  /** Run an API call; a failure other than the codes the caller handles becomes the one-line error. */
  private async api<T>(doing: string, call: () => Promise<T>, allow: number[] = []): Promise<T | { notOk: number }> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof TsbakeError) throw err;
      const code = apiStatusCode(err);
      if (code !== undefined && allow.includes(code)) return { notOk: code };
      throw describeApiError(this.cluster(), this.builder.name, doing, err);
    }
  }

  private async desiredObjects(): Promise<Desired> {
    if (this.desired) return this.desired;
    let config = this.builder.buildkitdConfigInline;
    if (config === undefined && this.builder.buildkitdConfig) {
      try {
        config = await readFile(this.builder.buildkitdConfig, 'utf8');
      } catch (err) {
        throw new TsbakeError('io', `builder "${this.builder.name}": cannot read buildkitd config ${this.builder.buildkitdConfig}: ${firstLine(err)}`, { cause: err });
      }
    }
    const input = {
      builder: this.builder.name,
      namespace: this.cluster().namespace,
      options: this.options,
      buildkitdConfig: config,
      buildkitdFlags: this.builder.buildkitdFlags,
    };
    const deployment = buildDeployment(input);
    this.desired = {
      deployment,
      configMap: buildConfigMap(input),
      hash: deployment.metadata?.annotations?.[SPEC_HASH_ANNOTATION] ?? '',
    };
    return this.desired;
  }

  async bootstrap(signal: AbortSignal): Promise<void> {
    throwIfCancelled(signal);
    const { namespace } = this.cluster();
    const want = await this.desiredObjects();
    const log = this.ctx.log ?? (() => {});

    if (want.configMap) {
      const name = configMapName(this.builder.name);
      const live = await this.api(`reading configmap ${name}`, () => this.core.readNamespacedConfigMap({ name, namespace }), [404]);
      if ('notOk' in live) {
        log(`creating configmap ${namespace}/${name}`);
        await this.api(`creating configmap ${name}`, () => this.core.createNamespacedConfigMap({ namespace, body: want.configMap! }));
      } else if (JSON.stringify(live.data ?? {}) !== JSON.stringify(want.configMap.data)) {
        log(`updating configmap ${namespace}/${name}`);
        const body = { ...want.configMap, metadata: { ...want.configMap.metadata, resourceVersion: live.metadata?.resourceVersion } };
        await this.api(`updating configmap ${name}`, () => this.core.replaceNamespacedConfigMap({ name, namespace, body }));
      }
    }
    throwIfCancelled(signal);

    const name = this.deploymentName;
    const live = await this.api(`reading deployment ${name}`, () => this.apps.readNamespacedDeployment({ name, namespace }), [404]);
    if ('notOk' in live) {
      log(`creating deployment ${namespace}/${name} (${this.options.replicas} × ${this.options.image})`);
      await this.api(`creating deployment ${name}`, () => this.apps.createNamespacedDeployment({ namespace, body: want.deployment }));
    } else if (
      live.metadata?.annotations?.[SPEC_HASH_ANNOTATION] !== want.hash ||
      live.spec?.replicas !== want.deployment.spec?.replicas
    ) {
      // Options changed (or the builder was stopped): replace, keeping the live object's version for
      // optimistic concurrency.
      log(`updating deployment ${namespace}/${name}`);
      const body = { ...want.deployment, metadata: { ...want.deployment.metadata, resourceVersion: live.metadata?.resourceVersion } };
      await this.api(`updating deployment ${name}`, () => this.apps.replaceNamespacedDeployment({ name, namespace, body }));
    }
    await this.waitReady(signal, want.hash);
  }

  private async listPods(): Promise<PodSummary[]> {
    const { namespace } = this.cluster();
    const res = await this.api(`listing pods of ${this.deploymentName}`, () =>
      this.core.listNamespacedPod({ namespace, labelSelector: labelSelector(this.builder.name) }),
    );
    if ('notOk' in res) return [];
    return res.items.filter((p) => !p.metadata?.deletionTimestamp).map(summarizePod).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Poll until `replicas` pods of the current spec are ready; on timeout, say why, with what the cluster knows. */
  private async waitReady(signal: AbortSignal, hash: string): Promise<void> {
    const deadline = Date.now() + this.options.timeoutMs;
    let delay = POLL_MIN_MS;
    let lastState = '';
    for (;;) {
      throwIfCancelled(signal);
      const pods = (await this.listPods()).filter((p) => !hash || p.specHash === hash);
      const ready = pods.filter((p) => p.ready).length;
      if (ready >= this.options.replicas) return;
      const state = `${ready}/${this.options.replicas} ready${pods.length ? `: ${pods.map(podState).join(', ')}` : ''}`;
      if (state !== lastState) this.ctx.log?.(`waiting for pods of ${this.deploymentName}: ${state}`);
      lastState = state;
      if (Date.now() >= deadline) throw await this.timeoutReport(pods, ready);
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }

  private async timeoutReport(pods: PodSummary[], ready: number): Promise<TsbakeError> {
    const a = this.cluster();
    const lines = [
      `builder "${this.builder.name}": deployment ${this.deploymentName} has ${ready}/${this.options.replicas} ready pods after ${Math.round(this.options.timeoutMs / 1000)}s ` +
        `(kubeconfig ${a.source}, context ${a.context}, namespace ${a.namespace})`,
    ];
    if (pods.length === 0) lines.push('  no pods exist (see the events below: quota, admission or scheduling)');
    for (const p of pods) {
      lines.push(`  pod ${p.name}: ${p.phase}${p.ready ? ', ready' : ', not ready'}${p.node ? ` on ${p.node}` : ''}${p.waiting.length ? ` — ${p.waiting.join('; ')}` : ''}`);
    }
    const names = new Set(pods.map((p) => p.name));
    try {
      const events = await this.core.listNamespacedEvent({ namespace: a.namespace });
      const mine = events.items.filter((e) => {
        const n = e.involvedObject?.name ?? '';
        return names.has(n) || n === this.deploymentName || n.startsWith(`${this.deploymentName}-`);
      });
      if (mine.length) {
        lines.push('  events:');
        for (const e of mine.slice(-15)) {
          lines.push(`    ${e.involvedObject?.kind ?? ''} ${e.involvedObject?.name ?? ''}: ${e.type ?? ''} ${e.reason ?? ''}: ${(e.message ?? '').trim()}${e.count && e.count > 1 ? ` (×${e.count})` : ''}`);
        }
      }
    } catch (err) {
      lines.push(`  events: cannot list (${firstLine(err)})`);
    }
    for (const p of pods.slice(0, 3)) {
      try {
        const text = await this.core.readNamespacedPodLog({ name: p.name, namespace: a.namespace, container: CONTAINER_NAME, tailLines: 10 });
        const logLines = String(text).trimEnd().split('\n').filter(Boolean);
        if (logLines.length) {
          lines.push(`  last log lines of ${p.name}:`);
          for (const l of logLines.slice(-10)) lines.push(`    ${l}`);
        }
      } catch {
        // a pod that never started has no log; the phase and events above say why
      }
    }
    return new TsbakeError('daemon-unreachable', lines.join('\n'));
  }

  async dial(signal: AbortSignal, hint?: DialHint): Promise<Duplex> {
    const { kc, namespace } = this.cluster();
    const deadline = Date.now() + this.options.timeoutMs;
    let delay = POLL_MIN_MS;
    let last = 'no ready pod';
    for (;;) {
      throwIfCancelled(signal);
      const ready = (await this.listPods()).filter((p) => p.ready);
      const pod = pickPod(
        ready.map((p) => p.name),
        this.options.loadBalance,
        hint,
      );
      if (pod) {
        try {
          const stream = await raceAbort(
            openPodExec(kc, { namespace, pod, container: CONTAINER_NAME, command: ['buildctl', 'dial-stdio'] }),
            signal,
          );
          // A command that failed at once (buildctl missing, daemon socket absent) has already said so.
          if (stream.errored) throw stream.errored;
          return stream;
        } catch (err) {
          if (isCancel(err, signal)) throw new TsbakeError('cancelled', 'cancelled', { cause: err });
          if (err instanceof ExecUpgradeError && (err.statusCode === 401 || err.statusCode === 403)) {
            throw describeApiError(this.cluster(), this.builder.name, `exec in pod ${pod}`, Object.assign(err, { code: err.statusCode }));
          }
          // Pod not running yet, container restarting, connection refused: worth another try.
          last = `pod ${pod}: ${firstLine(err)}`;
        }
      }
      if (Date.now() >= deadline) {
        const a = this.cluster();
        throw new TsbakeError(
          'daemon-unreachable',
          `builder "${this.builder.name}": cannot reach BuildKit in deployment ${this.deploymentName} after ${Math.round(this.options.timeoutMs / 1000)}s: ${last} ` +
            `(kubeconfig ${a.source}, context ${a.context}, namespace ${a.namespace})`,
        );
      }
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())), signal);
      delay = Math.min(delay * 2, POLL_MAX_MS);
    }
  }

  async inspect(signal: AbortSignal): Promise<BuilderStatus> {
    throwIfCancelled(signal);
    const base = {
      name: this.builder.name,
      driver: 'kubernetes',
      endpoint: this.endpoint(),
      platforms: [...this.builder.platforms],
    };
    try {
      const a = this.cluster();
      const name = this.deploymentName;
      const live = await this.api(`reading deployment ${name}`, () => this.apps.readNamespacedDeployment({ name, namespace: a.namespace }), [404]);
      const details: Record<string, unknown> = { namespace: a.namespace, context: a.context, kubeconfig: a.source, deployment: name };
      if ('notOk' in live) return { ...base, status: 'inactive', details };
      const replicas = live.spec?.replicas ?? 0;
      const pods = await this.listPods();
      details.replicas = replicas;
      details.image = live.spec?.template.spec?.containers[0]?.image;
      details.pods = pods.map((p) => ({ name: p.name, node: p.node, phase: p.phase, ready: p.ready }));
      if (replicas === 0) return { ...base, status: 'stopped', details };
      if (pods.some((p) => p.ready)) return { ...base, status: 'running', details };
      return {
        ...base,
        status: 'error',
        details,
        error: pods.length ? `no ready pod: ${pods.map(podState).join(', ')}` : 'no pods (see the namespace events)',
      };
    } catch (err) {
      return { ...base, status: 'error', error: firstLine(err) };
    }
  }

  async stop(signal: AbortSignal): Promise<void> {
    throwIfCancelled(signal);
    const { namespace } = this.cluster();
    const name = this.deploymentName;
    const live = await this.api(`reading deployment ${name}`, () => this.apps.readNamespacedDeployment({ name, namespace }), [404]);
    if ('notOk' in live || live.spec?.replicas === 0) return;
    live.spec!.replicas = 0;
    this.ctx.log?.(`scaling deployment ${namespace}/${name} to 0`);
    await this.api(`scaling deployment ${name} to 0`, () => this.apps.replaceNamespacedDeployment({ name, namespace, body: live }));
  }

  async remove(signal: AbortSignal, _options: { keepState: boolean }): Promise<void> {
    throwIfCancelled(signal);
    // The pods keep no state outside their own filesystem, so keepState has nothing to keep.
    const { namespace } = this.cluster();
    const name = this.deploymentName;
    const cm = configMapName(this.builder.name);
    this.ctx.log?.(`deleting deployment ${namespace}/${name} and configmap ${cm}`);
    await this.api(`deleting deployment ${name}`, () => this.apps.deleteNamespacedDeployment({ name, namespace, propagationPolicy: 'Foreground' }), [404]);
    await this.api(`deleting configmap ${cm}`, () => this.core.deleteNamespacedConfigMap({ name: cm, namespace }), [404]);
  }
}

function summarizePod(p: V1Pod): PodSummary {
  const waiting: string[] = [];
  for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) {
    const w = s.state?.waiting;
    const t = s.state?.terminated;
    if (w?.reason) waiting.push(`${s.name} waiting: ${w.reason}${w.message ? `: ${w.message}` : ''}`);
    else if (t && t.exitCode !== 0) waiting.push(`${s.name} terminated: ${t.reason ?? ''} (exit ${t.exitCode})${t.message ? `: ${t.message}` : ''}`);
  }
  for (const c of p.status?.conditions ?? []) {
    if (c.type === 'PodScheduled' && c.status === 'False' && c.message) waiting.push(`unschedulable: ${c.message}`);
  }
  const ready = p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const summary: PodSummary = {
    name: p.metadata?.name ?? '',
    phase: p.status?.phase ?? 'Unknown',
    ready,
    waiting,
  };
  if (p.spec?.nodeName) summary.node = p.spec.nodeName;
  const hash = p.metadata?.annotations?.[SPEC_HASH_ANNOTATION];
  if (hash) summary.specHash = hash;
  return summary;
}

function podState(p: PodSummary): string {
  return `${p.name} ${p.phase}${p.waiting.length ? ` (${p.waiting.map((w) => w.split(':').slice(1, 2).join('').trim() || w).join(', ')})` : ''}`;
}

function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new TsbakeError('cancelled', 'cancelled', { cause: signal.reason });
}

function isCancel(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (err instanceof TsbakeError && err.reason === 'cancelled');
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new TsbakeError('cancelled', 'cancelled'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new TsbakeError('cancelled', 'cancelled'));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reject when the signal fires; a stream that opens afterwards is destroyed so no socket leaks. */
function raceAbort<T extends Duplex>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    void p.then((s) => s.destroy(), () => {});
    return Promise.reject(new TsbakeError('cancelled', 'cancelled'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      void p.then((s) => s.destroy(), () => {});
      reject(new TsbakeError('cancelled', 'cancelled'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) v.destroy();
        else resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
