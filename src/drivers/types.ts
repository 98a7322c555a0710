/**
 * A driver knows how to reach a BuildKit daemon and manage its lifecycle, nothing about targets or the
 * planner. Each driver folder exports a light `descriptor.ts` (name, option schema and checks,
 * capabilities, where its result lands) and a heavy implementation its descriptor loads on demand.
 * Adding a driver means one new folder and one line in drivers/registry.ts (docs/architecture.md).
 *
 * This file holds only types: plan/ reads the descriptors' facts through these types (import type),
 * never a value from drivers/.
 */
import type { Duplex } from 'node:stream';
import type { BuildkitClient } from '../buildkit/client.js';
import type { WorkerInfo } from '../buildkit/types.js';
import type { BuilderConfig } from '../config/types.js';

export interface ResolvedBuilder {
  name: string;
  /** A name in the driver registry (src/drivers/registry.ts). */
  driver: string;
  /** Driver options as strings (`env.FOO`, `requests.cpu` flattened with dots). */
  driverOpts: Record<string, string>;
  endpoint?: string;
  platforms: string[];
  /** Absolute path. */
  buildkitdConfig?: string;
  buildkitdConfigInline?: string;
  buildkitdFlags?: string;
  defaultLoad: boolean;
  parallelism?: number;
  /** `each`: push as soon as built (bake's way); absent or `all`: push after the whole run built. */
  push?: 'all' | 'each';
  description?: string;
  /** True for the builder `default` made up when none is declared. */
  implicit: boolean;
  /**
   * A multi-node builder's daemons, in declaration order, each resolved like a builder of its own
   * (`name` is `<builder>.<node>`, `node` the node's own name). Absent for a single-daemon builder.
   */
  nodes?: ResolvedBuilder[];
  /** Set on a node: its name within its builder. */
  node?: string;
}

/** What a driver's daemon can do; static per driver at plan time, detected from the daemon at run time. */
export interface DriverCapabilities {
  loadsByDefault: boolean;
  cacheExport: 'inline' | 'all';
  tarballOutput: boolean;
  multiPlatform: boolean;
  buildkitConfig: boolean;
  /** Dockerfile frontend `context:NAME` support (BuildKit >= v0.10). */
  namedContexts: boolean;
  /** Several exporters in one solve (BuildKit >= v0.13). */
  multipleExporters: boolean;
  /** BuildKit minor version when known at run time (8 for v0.8); undefined at plan time. */
  buildkitMinor?: number;
  /** Text naming the daemon, used in refusals ("BuildKit v0.8.2 in Docker 20.10.24"). */
  daemon?: string;
  /** Drivers whose result lands in an engine's store, at run time: that store, which decides what an image ID is. */
  imageStore?: 'containerd' | 'classic';
  /** Why buildkitd-config and buildkitd-flags do not apply, where buildkitConfig is false. */
  buildkitConfigRefusal?: string;
}


export interface DialHint {
  /** The build's context path, used by drivers that balance over several daemons (kubernetes sticky). */
  contextPath?: string;
  /** Index of the target in the run, for spreading targets over replicas. */
  sequence?: number;
}

export interface BuilderStatus {
  name: string;
  driver: string;
  endpoint: string;
  status: 'running' | 'stopped' | 'inactive' | 'error';
  buildkitVersion?: string;
  platforms: string[];
  /** Driver-specific facts (container id, pods, nodes …). */
  details?: Record<string, unknown>;
  error?: string;
}

export interface DriverContext {
  builder: ResolvedBuilder;
  env: Record<string, string | undefined>;
  /** Progress messages from lifecycle work (pulling, creating, waiting). */
  log?: (message: string) => void;
}

export interface Driver {
  readonly builder: ResolvedBuilder;
  /**
   * Make sure the daemon exists and answers (create on first use). With `keep`, a driver whose check
   * connected to the daemon may hand that connection over, with what the daemon answered, instead of
   * closing it: the caller then owns the client (and closes it). Without `keep` it resolves undefined.
   */
  bootstrap(signal: AbortSignal, options?: { keep?: boolean }): Promise<ReadyDaemon | void>;
  /** A fresh byte stream speaking HTTP/2 (gRPC) to the daemon. Called per connection. */
  dial(signal: AbortSignal, hint?: DialHint): Promise<Duplex>;
  /**
   * A session connection of the driver's own (the Docker engine's `POST /session`): the daemon speaks
   * HTTP/2 as the client on it. `headers` are the session's `x-docker-expose-session-*` headers.
   * Without it, sessions ride the Control API's Control.Session stream.
   */
  dialSession?(headers: Record<string, string | string[]>, signal: AbortSignal): Promise<Duplex>;
  /** Human-readable address for messages ("unix:///var/run/docker.sock"). */
  endpoint(): string;
  inspect(signal: AbortSignal): Promise<BuilderStatus>;
  stop(signal: AbortSignal): Promise<void>;
  remove(signal: AbortSignal, options: { keepState: boolean }): Promise<void>;
  /** Number of independent daemons behind the driver (replicas); 1 for most. */
  nodes?(): number;
  /** Facts about the daemon that BuildKit itself does not report (the docker driver's engine version). */
  describeDaemon?(signal: AbortSignal): Promise<{ engineVersion?: string }>;
}

export type DriverFactory = (ctx: DriverContext) => Driver;

/** A daemon a bootstrap found ready, still connected: its ListWorkers and Info answers are not asked again. */
export interface ReadyDaemon {
  client: BuildkitClient;
  workers: WorkerInfo[];
  /** BuildKit's own version (Info, v0.11+). */
  buildkitVersion?: string;
}

/** What a connected daemon told about itself, for DriverDescriptor.refine. */
export interface DaemonFacts {
  /** The BuildKit version in effect (`v0.13.2`; from the engine's version where BuildKit does not say). */
  buildkitVersion?: string;
  /** The Docker engine's version, for drivers that run inside one. */
  engineVersion?: string;
  /** Worker labels as BuildKit lists them (one map per worker). */
  workerLabels: Record<string, string>[];
}

/** A problem with a builder as written (config/check.ts positions it: key or value of `path`). */
export interface BuilderIssue {
  path: (string | number)[];
  part: 'key' | 'value';
  message: string;
}

/**
 * What a driver is and can do, without its implementation: cheap to import (no Docker or Kubernetes
 * client), read by the config checks, the planner and the executor.
 */
export interface DriverDescriptor {
  readonly name: string;
  /** For the schema's `driver` description: what the driver reaches ("a BuildKit container"). */
  readonly summary: string;
  /**
   * JSON Schema of the driver's `driver-opts`. schema/tsbake.schema.json's driver parts are generated
   * from the descriptors (src/drivers/schema-parts.ts; test/unit/config-schema.test.ts checks drift).
   */
  readonly optionsSchema: Readonly<Record<string, unknown>>;
  /**
   * How a built image reaches the local image store: `engine`, the daemon runs in the Docker engine
   * and exports into its store directly (the `moby` exporter); `tarball`, the image is streamed as a
   * tarball and loaded into the local engine.
   */
  readonly resultStore: 'engine' | 'tarball';
  /** What every daemon of this driver can do (plan time). */
  capabilities(builder: ResolvedBuilder): DriverCapabilities;
  /** What some daemons of this driver can do on top, which only the daemon can tell (checked before building). */
  readonly daemonMayAdd: Readonly<Partial<DriverCapabilities>>;
  /** The capabilities once the daemon is known: `caps` has the version-dependent fields decided already. */
  refine(caps: DriverCapabilities, daemon: DaemonFacts): DriverCapabilities;
  /** The driver's checks of a builder as written, beyond its option schema. */
  checkBuilder(name: string, builder: BuilderConfig): BuilderIssue[];
  /** The endpoint of a builder that names none, where the driver has one (the implicit builder's). */
  defaultEndpoint?(env: Record<string, string | undefined>): string;
  /** The implementation, imported on first use. */
  load(): Promise<DriverFactory>;
}

/** The drivers there are, as the planner gets them through its options. */
export interface DriverSet {
  /** By name, in the order the schema lists them. */
  readonly descriptors: Readonly<Record<string, DriverDescriptor>>;
  /** The driver of a builder that names none (`docker buildx create`'s default). */
  readonly defaultDriver: string;
  /** The driver of the builder `default` made up when none is declared. */
  readonly implicitDriver: string;
}
