import type { Readable } from 'node:stream';
import type { SecretProvider, Session } from './session.js';
import type { SshAgentProvider } from './sshforward.js';
import type { ContentStoreDir } from './content-store.js';

export interface WorkerInfo {
  id: string;
  labels: Record<string, string>;
  /** `os/arch[/variant]`, e.g. `linux/amd64`. */
  platforms: string[];
}

export interface BuildkitVersionInfo {
  version: string;
  package: string;
  revision: string;
}

export interface UsageRecord {
  id: string;
  mutable: boolean;
  inUse: boolean;
  size: number;
  parents: string[];
  createdAt?: number;
  lastUsedAt?: number;
  usageCount: number;
  description: string;
  recordType: string;
  shared: boolean;
}

export interface PruneOptions {
  all?: boolean;
  keepBytes?: number;
  keepDurationMs?: number;
  filters?: string[];
}

/** Where a FileSend exporter's output goes. */
export type ExportTarget =
  /** `local` exporter: the files, written beside `path` and renamed into place at the end. */
  | { kind: 'dir'; path: string }
  /** tar/oci/docker exporters: the tarball, written to `<path>.tmp-*` then renamed. */
  | { kind: 'file'; path: string }
  /** tar bytes to this process's stdout. */
  | { kind: 'stdout' }
  /**
   * tar bytes handed to a consumer as they arrive (e.g. `docker load`), with back-pressure; the Readable
   * ends when the daemon has sent everything, or is destroyed with the error. The receiver does not wait
   * for the consumer's promise (the caller does); it fails the export if the promise rejects first.
   */
  | { kind: 'stream'; onTarStream: (stream: Readable) => Promise<void> };

export interface ExporterSpec {
  type: string;
  attrs: Record<string, string>;
  output?: ExportTarget;
}

export interface CacheSpec {
  type: string;
  attrs: Record<string, string>;
}

export interface SolveParams {
  /** Client-chosen build id (also used for Status); unique per solve. */
  ref: string;
  /** Default `dockerfile.v0`; ignored when `definition` is given. */
  frontend?: string;
  /** Marshalled LLB ops for a solve without a frontend. */
  definition?: Uint8Array[];
  frontendAttrs: Record<string, string>;
  /** Marshalled LLB definitions (each op a Uint8Array) for `input:KEY` contexts. */
  frontendInputs?: Record<string, Uint8Array[]>;
  exporters: ExporterSpec[];
  cacheImports: CacheSpec[];
  cacheExports: CacheSpec[];
  entitlements: string[];
  session: Session;
  /** This solve's own secrets (replacing the session's): what its target declares, nothing more. */
  secrets?: SecretProvider;
  /** This solve's own SSH agents by id (replacing the session's). */
  ssh?: SshAgentProvider;
  /** Local names this solve asks for → absolute directories (see localName()). */
  localDirs: Record<string, string>;
  /**
   * Content stores served to the daemon for this solve, by store id: `local:<dest|src>` (local caches),
   * `export` (oci/docker exporters with tar=false), `oci:<name>` (oci-layout:// contexts).
   */
  contentStores?: Record<string, ContentStoreDir>;
  /** Filled in with the file bytes sent for this solve's local dirs as they go (also when it fails). */
  transfer?: SolveTransfer;
}

export interface SolveTransfer {
  bytesSent: number;
  /** Names the solve in `TSBAKE_TRACE` context-start/context-done lines (the caller's target name). */
  label?: string;
}

export interface SolveResult {
  exporterResponse: Record<string, string>;
}

export interface VertexUpdate {
  digest: string;
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
  inputs: string[];
}

export interface StatusEntry {
  id: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  started?: number;
  completed?: number;
}

export interface LogEntry {
  vertex: string;
  stream: 1 | 2;
  data: Uint8Array;
}

export interface WarningEntry {
  vertex: string;
  level: number;
  short: string;
  detail: string[];
  url: string;
  sourceInfo?: { filename: string; ranges: { start: { line: number; character: number }; end: { line: number; character: number } }[] };
}

export interface StatusUpdate {
  vertexes: VertexUpdate[];
  statuses: StatusEntry[];
  logs: LogEntry[];
  warnings: WarningEntry[];
}
