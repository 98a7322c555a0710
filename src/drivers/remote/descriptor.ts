/**
 * The remote driver, described: a BuildKit daemon someone else runs, at `endpoint`. Its configuration
 * is where it runs, so buildkitd-config and buildkitd-flags do not apply; results reach the local
 * engine as streamed tarballs.
 */
import type { BuilderIssue, DriverDescriptor } from '../types.js';
import { STANDALONE_CAPABILITIES } from '../standalone.js';

const BUILDKIT_ADDR = /^(tcp|unix):\/\//;

export const remoteDescriptor: DriverDescriptor = {
  name: 'remote',
  summary: 'a BuildKit daemon at endpoint',
  optionsSchema: {
    type: 'object',
    title: 'remote driver options',
    properties: {
      cacert: { type: 'string', description: 'CA certificate to verify the daemon (TLS).' },
      cert: { type: 'string', description: 'Client certificate (TLS).' },
      key: { type: 'string', description: 'Client key (TLS).' },
      servername: { type: 'string', description: "Server name expected in the daemon's certificate." },
      timeout: { type: 'string', description: 'How long to wait for the daemon to answer when connecting, a duration like 20s (the default).' },
      'default-load': { $ref: '#/$defs/boolish', description: 'Load the result into Docker when a target has no output.' },
    },
    additionalProperties: false,
  },
  resultStore: 'tarball',
  capabilities: () => ({
    ...STANDALONE_CAPABILITIES,
    buildkitConfig: false,
    buildkitConfigRefusal: 'the BuildKit daemon is managed externally',
  }),
  daemonMayAdd: {},
  refine: (caps) => caps,
  checkBuilder(name, b) {
    const issues: BuilderIssue[] = [];
    for (const key of ['buildkitd-config', 'buildkitd-config-inline', 'buildkitd-flags'] as const) {
      if (b[key] !== undefined) {
        issues.push({ path: ['builder', name, key], part: 'key', message: `"${key}" is not supported by driver "remote" in builder "${name}": a remote daemon is configured where it runs` });
      }
    }
    const ep = b.endpoint;
    if (ep === undefined) {
      issues.push({ path: ['builder', name], part: 'key', message: `builder "${name}" (driver remote) needs an endpoint: tcp://host:port or unix:///path/to/buildkitd.sock` });
    } else if (!BUILDKIT_ADDR.test(ep)) {
      issues.push({ path: ['builder', name, 'endpoint'], part: 'value', message: `endpoint of builder "${name}" must start with tcp:// or unix://, got "${ep}"` });
    }
    return issues;
  },
  load: async () => (await import('./index.js')).createRemoteDriver,
};
