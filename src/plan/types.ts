/**
 * What was resolved: every field decided, camelCase. Produced by plan/, consumed by exec/, ui/, cli/.
 */
import type { TargetConfig } from '../config/types.js';
import type { DriverCapabilities, DriverSet, ResolvedBuilder } from '../drivers/types.js';

export type { DriverCapabilities, DriverDescriptor, DriverSet, ResolvedBuilder } from '../drivers/types.js';
import type { Diagnostic } from '../errors.js';

/** `type=…` plus the remaining key=value attributes, all strings (bake's CSV form parsed). */
export interface TypedEntry {
  type: string;
  attrs: Record<string, string>;
}

export interface SecretEntry {
  id: string;
  /** Where the value comes from. Never the value itself. */
  source: { kind: 'env'; env: string } | { kind: 'file'; path: string };
}

export interface SshEntry {
  id: string;
  paths: string[];
}

export type NamedContext =
  | { kind: 'target'; target: string }
  | { kind: 'local'; path: string }
  | { kind: 'image'; ref: string }
  | { kind: 'url'; url: string };

export interface ResolvedTarget {
  name: string;
  /** Absolute path of a local context, or a URL (git/http) when remote. */
  context: string;
  contextIsLocal: boolean;
  /** Path of the Dockerfile relative to the context (bake's meaning), or absolute. */
  dockerfile: string;
  dockerfileInline?: string;
  args: Record<string, string>;
  labels: Record<string, string>;
  tags: string[];
  platforms: string[];
  target?: string;
  cacheFrom: TypedEntry[];
  cacheTo: TypedEntry[];
  /** Final outputs after the loading rules, as entries (what `plan` shows). */
  outputs: TypedEntry[];
  /** What the outputs become on the target's builder: what exec carries out (src/plan/exports.ts). */
  exports: PlannedExport[];
  /**
   * A multi-node builder's target built as one solve (one node part): its exports planned for each node
   * it may be placed on, by node name, with that node's driver (result store) and daemon. The placement
   * (exec/nodes.ts, the rule of plan/nodes.ts) takes its node's set as it is; `exports` is the first
   * node's. Unset for other targets (a split target's parts export OCI layouts that are merged).
   */
  nodeExports?: Record<string, PlannedExport[]>;
  secrets: SecretEntry[];
  ssh: SshEntry[];
  noCache: boolean;
  noCacheFilter: string[];
  pull: boolean;
  network?: string;
  shmSize?: string;
  ulimits: string[];
  extraHosts: Record<string, string>;
  annotations: string[];
  attest: TypedEntry[];
  entitlements: string[];
  description?: string;
  contexts: Record<string, NamedContext>;
  dependsOn: string[];
  /** Name of the builder that builds it. */
  builder: string;
}

/**
 * One export of a target, decided by the planner (src/plan/exports.ts planExports); exec turns each
 * into one BuildKit exporter without deciding anything. `attrs` are the exporter's attributes.
 */
export type PlannedExport =
  /**
   * Into the builder's own engine image store (BuildKit's `moby` exporter); `push=true` pushes too.
   * `push` (set when it pushes): `now` during the build, `held` after every target of the run built.
   */
  | { kind: 'engine-store'; attrs: Record<string, string>; push?: PushTiming }
  /** A tarball streamed back and loaded into the local Docker engine. */
  | { kind: 'load'; format: 'docker' | 'oci'; attrs: Record<string, string> }
  /** BuildKit's image exporter: into the daemon's image store, pushed with `push=true` (`name` is the ref). */
  | { kind: 'image'; attrs: Record<string, string>; push?: PushTiming }
  /** The result's files, into a directory. */
  | { kind: 'local'; dest: string; attrs: Record<string, string> }
  /** A tarball (an image as docker/OCI, or the files as tar) written to a file, or to stdout for `-`. */
  | { kind: 'tarball'; format: 'docker' | 'oci' | 'tar'; dest: string; attrs: Record<string, string> }
  /**
   * An OCI layout directory (tar=false), written through the session's content store. `handoff`: it
   * also hands the result over to the target's `target:` dependents.
   */
  | { kind: 'oci-layout'; format: 'docker' | 'oci'; dir: string; attrs: Record<string, string>; handoff?: true }
  /**
   * One more OCI layout, in the run's temp dir, that hands the result over to the target's `target:`
   * dependents (no image name reaches them; src/exec/oci-context.ts). Exec fills in the directory.
   */
  | { kind: 'handoff-layout' }
  /** Built for the cache (and `target:` dependents) only. */
  | { kind: 'cache-only' }
  /** An exporter tsbake does not know, sent as written. */
  | { kind: 'exporter'; type: string; attrs: Record<string, string> };

/** When an image export's push happens: during the build, or held until every target of the run built (src/exec/push.ts). */
export type PushTiming = 'now' | 'held';

export interface GraphEdge {
  from: string; // dependent
  to: string; // dependency
  kind: 'context' | 'depends-on';
  /** Context name for kind 'context'. */
  via?: string;
}

export interface Plan {
  /** Targets asked for (after group expansion), sorted. */
  requested: string[];
  /** Every target that must build (requested + dependencies). */
  targets: Record<string, ResolvedTarget>;
  groups: Record<string, { targets: string[]; description?: string }>;
  builders: Record<string, ResolvedBuilder>;
  edges: GraphEdge[];
  /** Topological order, deterministic (by level, then name). */
  order: string[];
  /** levels[0] has no dependencies; levels[n] depends only on earlier levels. */
  levels: string[][];
  warnings: Diagnostic[];
  /** The plan as bake sees it, for `tsbake print` (src/plan/print.ts). */
  bake?: BakeView;
}

/** Each target's merged config as written (after inherits, matrix and --set), before tsbake resolves it. */
export interface BakeView {
  /** Names given on the command line, as given (empty: `default`). */
  names: string[];
  /** The groups the names went through (matrix targets as groups of their forks), as written. */
  groups: Record<string, { targets: string[]; description?: string }>;
  targets: Record<string, BakeTargetView>;
  /** SOURCE_DATE_EPOCH from the environment: bake adds it to every target's args. */
  sourceDateEpoch?: string;
}

export interface BakeTargetView {
  config: TargetConfig;
  push?: boolean;
  load?: boolean;
  /** Reached only through a `target:` context: bake builds it with the `cacheonly` exporter. */
  linked: boolean;
}

export interface PlanOptions {
  /** Targets or groups named on the command line; empty → `default`. */
  names?: string[];
  /** bake-style `pattern.key=value` / `pattern.key+=value`. */
  set?: string[];
  load?: boolean;
  push?: boolean;
  /** --builder */
  builder?: string;
  env?: Record<string, string | undefined>;
  /** For `print`: problems only a build would hit (pushing without a tag) are warnings, as bake prints them. */
  printOnly?: boolean;
  /** The drivers there are (src/drivers/registry.ts): names, option checks, static capabilities. */
  drivers: DriverSet;
  /** Capabilities per builder; when absent its driver's static table is used. */
  capabilities?: (builder: ResolvedBuilder) => DriverCapabilities;
}
