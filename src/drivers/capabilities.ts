/**
 * Capabilities over the descriptors: what a builder's daemon may do (before it is asked), and what it
 * does once it has answered. The version rules are the same for every driver; the descriptor adds its
 * own (the docker driver's image store).
 */
import type { BuilderConfig } from '../config/types.js';
import { DRIVERS } from './registry.js';
import type { BuilderIssue, DaemonFacts, DriverCapabilities, ResolvedBuilder } from './types.js';

/** The driver's own checks of a builder as written; an unknown driver is the schema's to report. */
export function checkBuilderConfig(name: string, b: BuilderConfig): BuilderIssue[] {
  const d = b.driver === undefined ? undefined : DRIVERS.descriptors[b.driver];
  return d ? d.checkBuilder(name, b) : [];
}

/**
 * What a builder's daemon MAY be able to do: the static table plus what some daemons of the driver add
 * (the docker driver on an engine with the containerd image store). Refusals that only the daemon can
 * decide wait until the executor has asked it, before any build is sent.
 */
export function possibleCapabilities(b: ResolvedBuilder): DriverCapabilities {
  const d = DRIVERS.descriptors[b.driver];
  return d ? { ...d.capabilities(b), ...d.daemonMayAdd } : staticOf(b);
}

function staticOf(b: ResolvedBuilder): DriverCapabilities {
  const d = DRIVERS.descriptors[b.driver];
  if (!d) throw new Error(`internal: no driver "${b.driver}" in the registry`);
  return d.capabilities(b);
}

function minorOf(version: string): number {
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return 99;
  return Number(m[1]) > 0 ? 99 : Number(m[2]);
}

function versionAtLeast(version: string | undefined, minor: number): boolean {
  if (!version) return false;
  const m = /^v?(\d+)\.(\d+)/.exec(version);
  if (!m) return true; // a development build: assume current
  return Number(m[1]) > 0 || Number(m[2]) >= minor;
}

/** The capabilities of a builder whose daemon has answered. */
export function refineCapabilities(b: ResolvedBuilder, daemon: DaemonFacts): DriverCapabilities {
  const version = daemon.buildkitVersion;
  // Info exists from v0.11 on; without it (and without an engine version to go by) the daemon is older.
  const known = version ?? 'v0.10';
  const caps: DriverCapabilities = {
    ...staticOf(b),
    ...(version ? { buildkitMinor: minorOf(version) } : {}),
    namedContexts: versionAtLeast(known, 10),
    multipleExporters: versionAtLeast(known, 13),
    daemon: `BuildKit ${version ?? '(older than v0.11)'}`,
  };
  return DRIVERS.descriptors[b.driver]!.refine(caps, daemon);
}
