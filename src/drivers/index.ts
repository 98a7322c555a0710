/** Drivers: descriptors (src/drivers/registry.ts) and the implementations they load. */
import { descriptorOf } from './registry.js';
import type { Driver, DriverContext } from './types.js';

export async function createDriver(ctx: DriverContext): Promise<Driver> {
  const factory = await descriptorOf(ctx.builder.driver).load();
  return factory(ctx);
}

export { DRIVERS, descriptorOf } from './registry.js';
export { checkBuilderConfig, possibleCapabilities, refineCapabilities } from './capabilities.js';
export type { Driver, DriverContext, BuilderStatus, DialHint, DriverDescriptor, DriverSet, DaemonFacts } from './types.js';
