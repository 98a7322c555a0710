/**
 * The objects the kubernetes driver creates: a ConfigMap with buildkitd.toml (when a config is given) and a
 * Deployment of BuildKit pods. Pure functions of the options, so they are tested as tables.
 * Shapes mirror buildx's kubernetes driver manifest
 * (https://github.com/docker/buildx/blob/master/driver/kubernetes/manifest/manifest.go) in spirit, not code.
 */
import { createHash } from 'node:crypto';
import type { V1ConfigMap, V1Container, V1Deployment, V1SecurityContext } from '@kubernetes/client-node';
import type { KubernetesOptions } from './options.js';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'tsbake';
export const BUILDER_LABEL = 'tsbake.builder';
/** Hash of the desired spec; a different hash on the live Deployment means "update it". */
export const SPEC_HASH_ANNOTATION = 'tsbake.spec-hash';
export const CONTAINER_NAME = 'buildkitd';
export const CONFIG_MOUNT = '/etc/buildkit';
const CONFIG_FILE = 'buildkitd.toml';

export function deploymentName(builder: string): string {
  return `tsbake-${sanitize(builder)}`;
}

export function configMapName(builder: string): string {
  return `tsbake-${sanitize(builder)}-config`;
}

/** Kubernetes names are DNS labels: lower case, digits and '-'. */
function sanitize(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return s || 'builder';
}

export function selectorLabels(builder: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [BUILDER_LABEL]: builder };
}

export function labelSelector(builder: string): string {
  return Object.entries(selectorLabels(builder))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Split buildkitd flags like a shell would for simple quoting (`--debug --oci-worker-gc=false "a b"`). */
export function splitFlags(flags: string | undefined): string[] {
  if (!flags) return [];
  const out: string[] = [];
  const re = /"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(flags); m; m = re.exec(flags)) {
    out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3] ?? ''));
  }
  return out;
}

export interface ManifestInput {
  builder: string;
  namespace: string;
  options: KubernetesOptions;
  /** buildkitd.toml content, when the builder has one. */
  buildkitdConfig?: string;
  buildkitdFlags?: string;
}

export function buildConfigMap(input: ManifestInput): V1ConfigMap | undefined {
  if (input.buildkitdConfig === undefined) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: configMapName(input.builder),
      namespace: input.namespace,
      labels: { ...input.options.labels, ...selectorLabels(input.builder) },
    },
    data: { [CONFIG_FILE]: input.buildkitdConfig },
  };
}

export function buildDeployment(input: ManifestInput, replicas = input.options.replicas): V1Deployment {
  const { builder, namespace, options: o } = input;
  const labels = { ...o.labels, ...selectorLabels(builder) };
  const args = splitFlags(input.buildkitdFlags);
  if (input.buildkitdConfig !== undefined) args.unshift('--config', `${CONFIG_MOUNT}/${CONFIG_FILE}`);
  // Rootless BuildKit cannot create a PID namespace without privileges
  // (https://github.com/moby/buildkit/blob/master/docs/rootless.md).
  if (o.rootless && !args.includes('--oci-worker-no-process-sandbox')) args.push('--oci-worker-no-process-sandbox');

  const securityContext: V1SecurityContext = o.rootless
    ? {
        seccompProfile: { type: 'Unconfined' },
        appArmorProfile: { type: 'Unconfined' },
        runAsUser: 1000,
        runAsGroup: 1000,
      }
    : { privileged: true };

  const container: V1Container = {
    name: CONTAINER_NAME,
    image: o.image,
    args,
    securityContext,
    readinessProbe: {
      exec: { command: ['buildctl', 'debug', 'workers'] },
      initialDelaySeconds: 1,
      periodSeconds: 2,
      timeoutSeconds: 10,
    },
  };
  if (Object.keys(o.requests).length || Object.keys(o.limits).length) {
    container.resources = {};
    if (Object.keys(o.requests).length) container.resources.requests = { ...o.requests };
    if (Object.keys(o.limits).length) container.resources.limits = { ...o.limits };
  }
  const envNames = Object.keys(o.env).sort();
  if (envNames.length) container.env = envNames.map((name) => ({ name, value: o.env[name] ?? '' }));
  if (input.buildkitdConfig !== undefined) {
    container.volumeMounts = [{ name: 'config', mountPath: CONFIG_MOUNT }];
  }

  const podAnnotations: Record<string, string> = { ...o.annotations };
  if (o.rootless) {
    // Clusters older than 1.30 read AppArmor from this annotation instead of the securityContext field.
    podAnnotations[`container.apparmor.security.beta.kubernetes.io/${CONTAINER_NAME}`] = 'unconfined';
  }

  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: deploymentName(builder), namespace, labels, annotations: { ...o.annotations } },
    spec: {
      replicas,
      selector: { matchLabels: selectorLabels(builder) },
      template: {
        metadata: { labels, annotations: podAnnotations },
        spec: { containers: [container] },
      },
    },
  };
  const podSpec = deployment.spec!.template.spec!;
  if (o.qemuInstall) {
    podSpec.initContainers = [
      { name: 'qemu', image: o.qemuImage, args: ['--install', 'all'], securityContext: { privileged: true } },
    ];
  }
  if (Object.keys(o.nodeSelector).length) podSpec.nodeSelector = { ...o.nodeSelector };
  if (o.tolerations.length) podSpec.tolerations = o.tolerations.map((t) => ({ ...t }));
  if (o.serviceAccount) podSpec.serviceAccountName = o.serviceAccount;
  if (o.schedulerName) podSpec.schedulerName = o.schedulerName;
  if (input.buildkitdConfig !== undefined) {
    podSpec.volumes = [{ name: 'config', configMap: { name: configMapName(builder) } }];
  }

  // The hash covers the pod template and the config text: a changed ConfigMap alone does not restart pods,
  // so the config must change the template (through this annotation) for buildkitd to read it again.
  const hash = specHash(deployment, input.buildkitdConfig);
  deployment.metadata!.annotations![SPEC_HASH_ANNOTATION] = hash;
  podAnnotations[SPEC_HASH_ANNOTATION] = hash;
  return deployment;
}

function specHash(d: V1Deployment, config: string | undefined): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(d.spec?.template ?? {}));
  h.update('\0');
  h.update(config ?? '');
  return h.digest('hex').slice(0, 16);
}
