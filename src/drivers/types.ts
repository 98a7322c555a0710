/**
 * A driver knows how to reach a BuildKit daemon and manage its lifecycle, nothing about targets or the
 * planner. Adding a driver means one new folder and one line in drivers/index.ts.
 */
import type { Duplex } from 'node:stream';
import type { DriverCapabilities, ResolvedBuilder } from '../plan/types.js';

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
  /** Make sure the daemon exists and answers (create on first use). */
  bootstrap(signal: AbortSignal): Promise<void>;
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
  /** Static capabilities of the driver (plan time). Run time adds what the daemon reports. */
  staticCapabilities(): DriverCapabilities;
  inspect(signal: AbortSignal): Promise<BuilderStatus>;
  stop(signal: AbortSignal): Promise<void>;
  remove(signal: AbortSignal, options: { keepState: boolean }): Promise<void>;
  /** Load a docker/OCI image tarball into the local Docker engine (non-docker drivers' `--load`). */
  loadsViaTarball: boolean;
  /** Number of independent daemons behind the driver (replicas); 1 for most. */
  nodes?(): number;
  /** Facts about the daemon that BuildKit itself does not report (the docker driver's engine version). */
  describeDaemon?(signal: AbortSignal): Promise<{ engineVersion?: string }>;
}

export type DriverFactory = (ctx: DriverContext) => Driver;
