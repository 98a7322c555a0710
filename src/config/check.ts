/**
 * Checks that need the merged, interpolated config: builder settings (with the driver's own checks,
 * passed in: config/ knows no driver), and references to builders. (Unknown target names in groups, contexts, inherits and depends-on
 * are the planner's to report, using LoadedConfig.positionOf.)
 */
import type { BuilderConfig, ConfigFile } from './types.js';
import { suggest } from './suggest.js';

export interface CheckIssue {
  path: (string | number)[];
  part: 'key' | 'value';
  message: string;
  suggestion?: string;
}

export type BuilderCheck = (name: string, builder: BuilderConfig) => CheckIssue[];

export function checkConfig(config: ConfigFile, checkBuilder?: BuilderCheck): CheckIssue[] {
  const issues: CheckIssue[] = [];
  const builders = config.builder ?? {};
  const names = Object.keys(builders);
  for (const [name, b] of Object.entries(builders)) {
    const at = (key: string): (string | number)[] => ['builder', name, key];
    if (b['buildkitd-config'] !== undefined && b['buildkitd-config-inline'] !== undefined) {
      issues.push({ path: at('buildkitd-config-inline'), part: 'key', message: `builder "${name}" sets both buildkitd-config and buildkitd-config-inline: keep one` });
    }
    if (checkBuilder && b.nodes === undefined) issues.push(...checkBuilder(name, b));
    // Each node is checked as the builder its driver sees; the issues point at the node.
    for (const [i, n] of (b.nodes ?? []).entries()) {
      if (!checkBuilder) break;
      const { nodes: _nodes, ...shared } = b;
      const asBuilder: BuilderConfig = { ...shared, ...n };
      for (const issue of checkBuilder(name, asBuilder)) {
        const rest = issue.path[0] === 'builder' && issue.path[1] === name ? issue.path.slice(2) : [];
        issues.push({
          ...issue,
          path: ['builder', name, 'nodes', i, ...rest],
          message: issue.message.replaceAll(`builder "${name}"`, `node "${n.name}" of builder "${name}"`),
        });
      }
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

