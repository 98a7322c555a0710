/**
 * The data shapes of the BuildKit client's API. Imports nothing of the client or the session (their
 * own types live with them: SolveParams in client.ts, SessionOptions in session.ts).
 */
import type { Readable } from 'node:stream';

export type SecretProvider = (id: string) => Promise<Uint8Array | undefined>;
export type AuthProvider = (host: string) => Promise<{ username: string; secret: string } | undefined>;
/** Fallback lookup for local names no solve registered. */
export type SourceProvider = (dirName: string) => string | undefined;

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
