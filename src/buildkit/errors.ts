import { TsbakeError } from '../errors.js';

/** The daemon could not be reached (dial failed, the upgrade was refused, no answer in time). */
export class BuildkitConnectError extends TsbakeError {
  readonly endpoint: string;
  constructor(endpoint: string, message: string, options?: { cause?: unknown }) {
    super('daemon-unreachable', `cannot reach BuildKit at ${endpoint}: ${message}`, options);
    this.name = 'BuildkitConnectError';
    this.endpoint = endpoint;
  }
}

export interface SourceLocation {
  filename: string;
  /** 1-based line ranges as BuildKit reports them. */
  ranges: { start: { line: number; character: number }; end: { line: number; character: number } }[];
}

/** A solve failed inside BuildKit; `message` is the daemon's text (exit codes, missing files …). */
export class BuildkitSolveError extends TsbakeError {
  readonly grpcCode: number;
  /** The Dockerfile location the error points to, when BuildKit attached one. */
  readonly location: SourceLocation | undefined;
  /** Errors of the vertices that failed (from the status stream). */
  readonly vertexErrors: { vertex: string; name: string; error: string }[];
  constructor(
    message: string,
    init: { grpcCode: number; location?: SourceLocation; vertexErrors?: { vertex: string; name: string; error: string }[]; cause?: unknown },
  ) {
    super('build-failed', message, { cause: init.cause });
    this.name = 'BuildkitSolveError';
    this.grpcCode = init.grpcCode;
    this.location = init.location;
    this.vertexErrors = init.vertexErrors ?? [];
  }

  /** `Dockerfile:3` style text for the location, or undefined. */
  locationText(): string | undefined {
    const l = this.location;
    if (!l) return undefined;
    const r = l.ranges[0];
    return r ? `${l.filename}:${r.start.line}` : l.filename;
  }
}

/**
 * The connection to the daemon was lost while a solve was under way (the daemon died or restarted, the
 * network or a proxy dropped it): gRPC's UNAVAILABLE, "Connection dropped". Names the endpoint; the
 * executor adds the builder's name.
 */
export class BuildkitConnectionLostError extends TsbakeError {
  readonly endpoint: string;
  /** gRPC's own text (`Connection dropped`, `read ECONNRESET`). */
  readonly detail: string;
  constructor(endpoint: string, detail: string, options?: { cause?: unknown }) {
    super('daemon-error', `${endpoint}: connection dropped during the build (${detail})`, options);
    this.name = 'BuildkitConnectionLostError';
    this.endpoint = endpoint;
    this.detail = detail;
  }
}

/** Errors for daemon calls other than solve (prune, disk usage, session failures). */
export class BuildkitError extends TsbakeError {
  readonly grpcCode: number | undefined;
  constructor(message: string, options?: { cause?: unknown; grpcCode?: number }) {
    super('daemon-error', message, options);
    this.name = 'BuildkitError';
    this.grpcCode = options?.grpcCode;
  }
}

export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const e = new Error('the build was cancelled', reason === undefined ? undefined : { cause: reason });
  e.name = 'AbortError';
  return e;
}
