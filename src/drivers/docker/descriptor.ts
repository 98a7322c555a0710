/**
 * The docker driver, described: the BuildKit inside a Docker engine. Its results land in the engine's
 * own image store (the `moby` exporter). What it can do depends on that store: the classic one holds
 * one platform per image and exports no tarballs or caches; the containerd image store can.
 */
import type { BuilderIssue, DriverDescriptor } from '../types.js';
import { dockerHostIssue } from '../endpoint.js';

const SNAPSHOTTER_LABEL = 'org.mobyproject.buildkit.worker.snapshotter';

export const dockerDescriptor: DriverDescriptor = {
  name: 'docker',
  summary: "the Docker engine's own BuildKit",
  optionsSchema: {
    type: 'object',
    title: 'no driver options (the docker driver takes none)',
    properties: {},
    additionalProperties: false,
  },
  resultStore: 'engine',
  capabilities: () => ({
    // The classic image store of the Docker engine.
    loadsByDefault: true,
    cacheExport: 'inline',
    tarballOutput: false,
    multiPlatform: false,
    buildkitConfig: false,
    buildkitConfigRefusal: 'BuildKit is managed by the Docker daemon',
    namedContexts: true,
    multipleExporters: false,
    daemon: 'the Docker engine',
  }),
  // An engine with the containerd image store (and BuildKit v0.13+ for several exporters).
  daemonMayAdd: { cacheExport: 'all', tarballOutput: true, multiPlatform: true, multipleExporters: true },
  refine(caps, daemon) {
    // The snapshotter label is set by engines that use the containerd image store.
    const containerdStore = daemon.workerLabels.some((labels) => SNAPSHOTTER_LABEL in labels);
    return {
      ...caps,
      daemon: `BuildKit ${daemon.buildkitVersion ?? '(older than v0.11)'} in Docker ${daemon.engineVersion ?? 'engine'}`,
      imageStore: containerdStore ? 'containerd' : 'classic',
      ...(containerdStore ? { cacheExport: 'all', tarballOutput: true, multiPlatform: true } : {}),
    };
  },
  checkBuilder(name, b) {
    const issues: BuilderIssue[] = [];
    for (const key of ['buildkitd-config', 'buildkitd-config-inline', 'buildkitd-flags'] as const) {
      if (b[key] !== undefined) {
        issues.push({ path: ['builder', name, key], part: 'key', message: `"${key}" is not supported by driver "docker" in builder "${name}": the docker driver uses the Docker engine's own BuildKit` });
      }
    }
    issues.push(...dockerHostIssue(name, b.endpoint));
    return issues;
  },
  defaultEndpoint: (env) => env.DOCKER_HOST || 'unix:///var/run/docker.sock',
  load: async () => (await import('./index.js')).createDockerDriver,
};
