/**
 * The drivers there are: one line each. Descriptors are light; each loads its implementation on first
 * use, so `print` or a docker-driver run never loads the Kubernetes client.
 */
import type { DriverDescriptor, DriverSet } from './types.js';
import { dockerDescriptor } from './docker/descriptor.js';
import { dockerContainerDescriptor } from './docker-container/descriptor.js';
import { kubernetesDescriptor } from './kubernetes/descriptor.js';
import { remoteDescriptor } from './remote/descriptor.js';

const LIST: readonly DriverDescriptor[] = [
  dockerDescriptor,
  dockerContainerDescriptor,
  kubernetesDescriptor,
  remoteDescriptor,
];

export const DRIVERS: DriverSet = {
  descriptors: Object.fromEntries(LIST.map((d) => [d.name, d])),
  // As `docker buildx create` makes a builder by default.
  defaultDriver: dockerContainerDescriptor.name,
  // The Docker engine's own BuildKit, as buildx's `default` builder.
  implicitDriver: dockerDescriptor.name,
};

/** The descriptor of a driver the planner accepted (a bug otherwise). */
export function descriptorOf(driver: string): DriverDescriptor {
  const d = DRIVERS.descriptors[driver];
  if (!d) throw new Error(`internal: no driver "${driver}" in the registry`);
  return d;
}
