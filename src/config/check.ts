/**
 * Checks that need the merged, interpolated config: builder settings that depend on the driver,
 * and references to builders. (Unknown target names in groups, contexts, inherits and depends-on
 * are the planner's to report, using LoadedConfig.positionOf.)
 */
import type { ConfigFile } from './types.js';
import { suggest } from './suggest.js';

export interface CheckIssue {
  path: (string | number)[];
  part: 'key' | 'value';
  message: string;
  suggestion?: string;
}

const DOCKER_HOST = /^(unix|tcp|ssh|npipe):\/\//;
const BUILDKIT_ADDR = /^(tcp|unix):\/\//;

export function checkConfig(config: ConfigFile): CheckIssue[] {
  const issues: CheckIssue[] = [];
  const builders = config.builder ?? {};
  const names = Object.keys(builders);
  for (const [name, b] of Object.entries(builders)) {
    const at = (key: string): (string | number)[] => ['builder', name, key];
    if (b['buildkitd-config'] !== undefined && b['buildkitd-config-inline'] !== undefined) {
      issues.push({ path: at('buildkitd-config-inline'), part: 'key', message: `builder "${name}" sets both buildkitd-config and buildkitd-config-inline: keep one` });
    }
    const daemonManaged = b.driver === 'docker' || b.driver === 'remote';
    if (daemonManaged) {
      const why = b.driver === 'docker' ? 'the docker driver uses the Docker engine\'s own BuildKit' : 'a remote daemon is configured where it runs';
      for (const key of ['buildkitd-config', 'buildkitd-config-inline', 'buildkitd-flags'] as const) {
        if (b[key] !== undefined) issues.push({ path: at(key), part: 'key', message: `"${key}" is not supported by driver "${b.driver}" in builder "${name}": ${why}` });
      }
    }
    if (b.nodes === undefined) checkEndpoint(issues, b.driver, b.endpoint, ['builder', name], `builder "${name}"`);
    for (const [i, n] of (b.nodes ?? []).entries()) {
      checkEndpoint(issues, n.driver, n.endpoint, ['builder', name, 'nodes', i], `node "${n.name}" of builder "${name}"`);
    }
  }
  const ref = (path: (string | number)[], value: string, what: string): void => {
    if (Object.hasOwn(builders, value)) return;
    const declared = names.length > 0 ? `declared builders: ${names.join(', ')}` : 'no builders are declared (add a builder block or builders.yaml)';
    const issue: CheckIssue = { path, part: 'value', message: `${what} refers to unknown builder "${value}"; ${declared}` };
    const s = suggest(value, names);
    if (s !== undefined) issue.suggestion = s;
    issues.push(issue);
  };
  if (config['default-builder'] !== undefined) ref(['default-builder'], config['default-builder'], 'default-builder');
  for (const [name, t] of Object.entries(config.target ?? {})) {
    if (t.builder !== undefined) ref(['target', name, 'builder'], t.builder, `target "${name}"`);
  }
  return issues;
}

/** A builder's or a node's endpoint, as its driver reads it. */
function checkEndpoint(issues: CheckIssue[], driver: string | undefined, ep: string | undefined, where: (string | number)[], label: string): void {
  const at = [...where, 'endpoint'];
  if (driver === 'remote') {
    if (ep === undefined) {
      issues.push({ path: where, part: 'key', message: `${label} (driver remote) needs an endpoint: tcp://host:port or unix:///path/to/buildkitd.sock` });
    } else if (!BUILDKIT_ADDR.test(ep)) {
      issues.push({ path: at, part: 'value', message: `endpoint of ${label} must start with tcp:// or unix://, got "${ep}"` });
    }
  } else if (driver === 'kubernetes' && ep !== undefined) {
    issues.push({ path: at, part: 'key', message: `"endpoint" is not used by driver "kubernetes" in ${label}: choose the cluster with driver-opts context and kubeconfig` });
  } else if (ep !== undefined && !DOCKER_HOST.test(ep)) {
    issues.push({ path: at, part: 'value', message: `endpoint of ${label} must be a Docker host (unix://, tcp://, ssh:// or npipe://), got "${ep}"` });
  }
}
