/**
 * What a BuildKit daemon of its own can do (docker-container, kubernetes, remote): every cache
 * exporter, tarballs, multi-platform. Each driver's descriptor starts from this table and says where it
 * differs, so the README's driver table has one home per column.
 */
import type { DriverCapabilities } from './types.js';

export const STANDALONE_CAPABILITIES: Readonly<DriverCapabilities> = {
  loadsByDefault: false,
  cacheExport: 'all',
  tarballOutput: true,
  multiPlatform: true,
  buildkitConfig: true,
  namedContexts: true,
  multipleExporters: true,
};
