/**
 * The kubernetes driver's options, parsed from the builder's flattened `driver-opts` strings. Pure: no I/O,
 * so the parsing is tested as a table (test/unit/kubernetes-options.test.ts).
 * Option names and formats follow buildx's kubernetes driver
 * (https://docs.docker.com/build/builders/drivers/kubernetes/).
 */
import { TsbakeError } from '../../errors.js';

export const DEFAULT_IMAGE = 'moby/buildkit:buildx-stable-1';
export const DEFAULT_ROOTLESS_IMAGE = 'moby/buildkit:buildx-stable-1-rootless';
export const DEFAULT_QEMU_IMAGE = 'tonistiigi/binfmt:latest';
export const DEFAULT_TIMEOUT_MS = 120_000;

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface KubernetesOptions {
  image: string;
  /** From the `namespace` option only; the kubeconfig's context namespace is decided later. */
  namespace?: string;
  /** kubeconfig context to use instead of the current one. */
  context?: string;
  /** kubeconfig path(s) instead of KUBECONFIG / ~/.kube/config. */
  kubeconfig?: string;
  replicas: number;
  requests: Record<string, string>;
  limits: Record<string, string>;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  annotations: Record<string, string>;
  labels: Record<string, string>;
  serviceAccount?: string;
  schedulerName?: string;
  rootless: boolean;
  loadBalance: 'sticky' | 'random';
  qemuInstall: boolean;
  qemuImage: string;
  timeoutMs: number;
  env: Record<string, string>;
}

const KNOWN = new Set([
  'image', 'namespace', 'context', 'kubeconfig', 'replicas', 'nodeselector', 'tolerations', 'annotations',
  'labels', 'serviceaccount', 'schedulername', 'rootless', 'loadbalance', 'qemu.install', 'qemu.image',
  'timeout', 'default-load',
]);
const RESOURCE_KEYS = new Set(['cpu', 'memory', 'ephemeral-storage']);

function invalid(builder: string, message: string): TsbakeError {
  return new TsbakeError('invalid-config', `builder "${builder}" (kubernetes driver): ${message}`);
}

export function parseBool(builder: string, key: string, value: string | undefined, dflt: boolean): boolean {
  if (value === undefined || value === '') return dflt;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw invalid(builder, `option ${key}=${value} is not a boolean (use true or false)`);
}

/** `k=v,k2=v2` (buildx's format for nodeselector, annotations, labels). */
export function parseKeyValueList(builder: string, key: string, value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  for (const part of value.split(',')) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw invalid(builder, `option ${key}: "${item}" is not key=value`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

/** `key=k,operator=Equal,value=v,effect=NoSchedule,tolerationSeconds=30;key=…` */
export function parseTolerations(builder: string, value: string | undefined): Toleration[] {
  const out: Toleration[] = [];
  if (!value) return out;
  for (const entry of value.split(';')) {
    if (!entry.trim()) continue;
    const t: Toleration = {};
    for (const [k, v] of Object.entries(parseKeyValueList(builder, 'tolerations', entry))) {
      switch (k) {
        case 'key':
        case 'operator':
        case 'value':
        case 'effect':
          t[k] = v;
          break;
        case 'tolerationSeconds': {
          const n = Number(v);
          if (!Number.isInteger(n)) throw invalid(builder, `option tolerations: tolerationSeconds=${v} is not an integer`);
          t.tolerationSeconds = n;
          break;
        }
        default:
          throw invalid(builder, `option tolerations: unknown field "${k}" (use key, operator, value, effect, tolerationSeconds)`);
      }
    }
    out.push(t);
  }
  return out;
}

/** `120s`, `2m`, `1m30s`, `500ms` or a bare number of seconds. */
export function parseDurationMs(builder: string, key: string, value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(v); m; m = re.exec(v)) {
    const n = Number(m[1]);
    total += n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
    matched = re.lastIndex;
  }
  if (matched !== v.length || v.length === 0) throw invalid(builder, `option ${key}=${value} is not a duration (e.g. 120s, 2m)`);
  return Math.round(total);
}

export function parseKubernetesOptions(builder: string, opts: Record<string, string>): KubernetesOptions {
  const requests: Record<string, string> = {};
  const limits: Record<string, string> = {};
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(opts)) {
    const [head, ...rest] = key.split('.');
    const sub = rest.join('.');
    if ((head === 'requests' || head === 'limits') && sub) {
      if (!RESOURCE_KEYS.has(sub)) throw invalid(builder, `unknown option ${key} (resources: cpu, memory, ephemeral-storage)`);
      (head === 'requests' ? requests : limits)[sub] = value;
    } else if (head === 'env' && sub) {
      env[sub] = value;
    } else if (!KNOWN.has(key)) {
      throw invalid(builder, `unknown option "${key}"`);
    }
  }
  const rootless = parseBool(builder, 'rootless', opts.rootless, false);
  let replicas = 1;
  if (opts.replicas !== undefined) {
    replicas = Number(opts.replicas);
    if (!Number.isInteger(replicas) || replicas < 1) throw invalid(builder, `option replicas=${opts.replicas} must be a whole number >= 1`);
  }
  const lb = opts.loadbalance ?? 'sticky';
  if (lb !== 'sticky' && lb !== 'random') throw invalid(builder, `option loadbalance=${lb} must be sticky or random`);
  const result: KubernetesOptions = {
    image: opts.image || (rootless ? DEFAULT_ROOTLESS_IMAGE : DEFAULT_IMAGE),
    replicas,
    requests,
    limits,
    nodeSelector: parseKeyValueList(builder, 'nodeselector', opts.nodeselector),
    tolerations: parseTolerations(builder, opts.tolerations),
    annotations: parseKeyValueList(builder, 'annotations', opts.annotations),
    labels: parseKeyValueList(builder, 'labels', opts.labels),
    rootless,
    loadBalance: lb,
    qemuInstall: parseBool(builder, 'qemu.install', opts['qemu.install'], false),
    qemuImage: opts['qemu.image'] || DEFAULT_QEMU_IMAGE,
    timeoutMs: opts.timeout ? parseDurationMs(builder, 'timeout', opts.timeout) : DEFAULT_TIMEOUT_MS,
    env,
  };
  if (opts.namespace) result.namespace = opts.namespace;
  if (opts.context) result.context = opts.context;
  if (opts.kubeconfig) result.kubeconfig = opts.kubeconfig;
  if (opts.serviceaccount) result.serviceAccount = opts.serviceaccount;
  if (opts.schedulername) result.schedulerName = opts.schedulername;
  return result;
}
