/** A ResolvedTarget with every field at its empty default, for unit tests of the planner's consumers. */
import type { ResolvedTarget } from '../../src/plan/types.js';

export function resolvedTarget(over: Partial<ResolvedTarget> & Pick<ResolvedTarget, 'name' | 'context'>): ResolvedTarget {
  return {
    contextIsLocal: true,
    dockerfile: 'Dockerfile',
    args: {},
    labels: {},
    tags: [],
    platforms: [],
    cacheFrom: [],
    cacheTo: [],
    outputs: [],
    exports: [],
    secrets: [],
    ssh: [],
    noCache: false,
    noCacheFilter: [],
    pull: false,
    ulimits: [],
    extraHosts: {},
    annotations: [],
    attest: [],
    entitlements: [],
    contexts: {},
    dependsOn: [],
    builder: 'default',
    ...over,
  };
}
