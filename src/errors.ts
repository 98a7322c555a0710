/**
 * Diagnostics (the user's config is wrong), failures (a build or daemon failed) and bugs (anything else)
 * are kept apart. Every user-facing failure is a TsbakeError keyed by `reason`; the CLI maps reasons to
 * exit codes in one place (exitCodeFor).
 */

export interface Diagnostic {
  /** Absolute or cwd-relative path of the file the problem is in ('' when not tied to a file, e.g. --set). */
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
  message: string;
  /** The offending key path, dotted (`target.app.contexts`). */
  key?: string;
  /** "did you mean" text, without the question. */
  suggestion?: string;
  severity: 'error' | 'warning';
  /**
   * Warnings that say the same thing about several items (one per target) share `key`; they are
   * printed as one line, `summary` with `{items}` replaced by the items, as buildx prints one line
   * for all the targets without an output.
   */
  group?: { key: string; item: string; summary: string };
}

export type FailureReason =
  | 'invalid-config'
  | 'usage'
  | 'cycle'
  | 'unknown-target'
  | 'capability'
  | 'daemon-unreachable'
  | 'daemon-error'
  | 'build-failed'
  | 'cancelled'
  /** A target not built because a dependency did not build (a consequence, never the cause). */
  | 'dependency-failed'
  /** Watch: a target's context or Dockerfile is missing; it waits for it to come back. */
  | 'missing-input'
  | 'not-implemented'
  | 'io';

export class TsbakeError extends Error {
  readonly reason: FailureReason;
  readonly diagnostics: Diagnostic[];
  constructor(reason: FailureReason, message: string, options?: { cause?: unknown; diagnostics?: Diagnostic[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TsbakeError';
    this.reason = reason;
    this.diagnostics = options?.diagnostics ?? [];
  }
}

/** Exit codes: 0 success, 1 build/daemon failure, 2 invalid config or usage, 130 interrupted. */
export function exitCodeFor(reason: FailureReason): number {
  switch (reason) {
    case 'invalid-config':
    case 'usage':
    case 'cycle':
    case 'unknown-target':
    case 'capability':
      return 2;
    case 'cancelled':
      return 130;
    default:
      return 1;
  }
}

/**
 * The exit code of a run from its targets' results: 130 when the run was interrupted, else the highest
 * code of the failures' reasons (a refusal, 2, over a build failure, 1), 0 when every target built. A
 * target skipped or cancelled because another failed is a consequence: it counts as 1, never as 130.
 */
export function exitCodeForResults(
  results: readonly { state: string; failure?: { reason: FailureReason } }[],
  interrupted: boolean,
): number {
  if (interrupted) return exitCodeFor('cancelled');
  let code = 0;
  for (const r of results) {
    if (r.state === 'built' || r.state === 'cached') continue;
    const reason = r.failure?.reason;
    const c = reason === undefined || reason === 'cancelled' ? 1 : exitCodeFor(reason);
    code = Math.max(code, c);
  }
  return code;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? (d.line > 0 ? `${d.file}:${d.line}:${d.column}: ` : `${d.file}: `) : '';
  const sev = d.severity === 'warning' ? 'warning: ' : '';
  const hint = d.suggestion ? ` (did you mean ${d.suggestion}?)` : '';
  return `${where}${sev}${d.message}${hint}`;
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err instanceof TsbakeError && err.reason === 'cancelled'));
}
