/**
 * The kubernetes driver, described: BuildKit pods of a Deployment tsbake creates in a cluster. Its
 * results reach the local engine as streamed tarballs.
 */
import type { BuilderIssue, DriverDescriptor } from '../types.js';
import { STANDALONE_CAPABILITIES } from '../standalone.js';

export const kubernetesDescriptor: DriverDescriptor = {
  name: 'kubernetes',
  summary: 'BuildKit pods',
  optionsSchema: {
    type: 'object',
    title: 'kubernetes driver options',
    properties: {
      image: { type: 'string', description: 'BuildKit image of the pods.' },
      namespace: { type: 'string', description: "Namespace of the deployment (default: the kubeconfig context's)." },
      replicas: { $ref: '#/$defs/positiveIntish', description: 'Number of BuildKit pods (default 1).' },
      requests: { $ref: '#/$defs/scalarMap', description: 'Resource requests: cpu, memory, ephemeral-storage (also written requests.cpu: 1).' },
      limits: { $ref: '#/$defs/scalarMap', description: 'Resource limits: cpu, memory, ephemeral-storage (also written limits.memory: 2Gi).' },
      nodeselector: { type: 'string', description: 'Node selector, as label=value,label2=value2.' },
      tolerations: { type: 'string', description: 'Tolerations, separated by ;.' },
      annotations: { type: 'string', description: 'Pod annotations, as key=value,key2=value2.' },
      labels: { type: 'string', description: 'Pod labels, as key=value,key2=value2.' },
      serviceaccount: { type: 'string', description: 'Service account of the pods.' },
      schedulername: { type: 'string', description: 'Scheduler of the pods.' },
      rootless: { $ref: '#/$defs/boolish', description: 'Run BuildKit rootless.' },
      loadbalance: { enum: ['sticky', 'random'], title: 'one of sticky, random', description: 'How a pod is chosen: sticky (by context path) or random.' },
      qemu: {
        type: 'object',
        title: 'a map with install and image',
        description: 'QEMU emulation (also written qemu.install, qemu.image).',
        properties: {
          install: { $ref: '#/$defs/boolish', description: 'Install QEMU emulators in the pods.' },
          image: { type: 'string', description: 'Image with the QEMU emulators.' },
        },
        additionalProperties: false,
      },
      'qemu.install': { $ref: '#/$defs/boolish', description: 'Install QEMU emulators in the pods.' },
      'qemu.image': { type: 'string', description: 'Image with the QEMU emulators.' },
      timeout: { type: 'string', description: 'How long to wait for pods to be ready (default 120s).' },
      'default-load': { $ref: '#/$defs/boolish', description: 'Load the result into Docker when a target has no output.' },
      context: { type: 'string', description: 'kubeconfig context to use (default: the current context).' },
      kubeconfig: { type: 'string', description: 'Path of the kubeconfig file (default: KUBECONFIG or ~/.kube/config).' },
      env: { $ref: '#/$defs/scalarMap', description: 'Environment variables of the BuildKit pods (also written env.NAME: value).' },
    },
    patternProperties: {
      '^env\\..+$': { $ref: '#/$defs/scalar', description: 'An environment variable of the BuildKit pods.' },
      '^requests\\..+$': { $ref: '#/$defs/scalar', description: 'A resource request, e.g. requests.memory: 1Gi.' },
      '^limits\\..+$': { $ref: '#/$defs/scalar', description: 'A resource limit, e.g. limits.cpu: 2.' },
    },
    additionalProperties: false,
  },
  resultStore: 'tarball',
  capabilities: () => ({ ...STANDALONE_CAPABILITIES }),
  daemonMayAdd: {},
  refine: (caps) => caps,
  checkBuilder(name, b) {
    const issues: BuilderIssue[] = [];
    if (b.endpoint !== undefined) {
      issues.push({ path: ['builder', name, 'endpoint'], part: 'key', message: `"endpoint" is not used by driver "kubernetes" in builder "${name}": choose the cluster with driver-opts context and kubeconfig` });
    }
    return issues;
  },
  load: async () => (await import('./index.js')).createKubernetesDriver,
};
