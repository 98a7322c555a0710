/** Driver registry: one line per driver. Loaded lazily so `print` or `docker` runs never load the Kubernetes client. */
import type { DriverName } from '../config/types.js';
import type { Driver, DriverContext, DriverFactory } from './types.js';

const factories: Record<DriverName, () => Promise<DriverFactory>> = {
  docker: async () => (await import('./docker/index.js')).createDockerDriver,
  'docker-container': async () => (await import('./docker-container/index.js')).createDockerContainerDriver,
  kubernetes: async () => (await import('./kubernetes/index.js')).createKubernetesDriver,
  remote: async () => (await import('./remote/index.js')).createRemoteDriver,
};

export async function createDriver(ctx: DriverContext): Promise<Driver> {
  const factory = await factories[ctx.builder.driver]();
  return factory(ctx);
}

export type { Driver, DriverContext, BuilderStatus, DialHint } from './types.js';
