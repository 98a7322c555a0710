/**
 * Collects diagnostics across the planning stages so the user sees several problems at once, then
 * throws one TsbakeError whose reason is that of the first error recorded.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { LoadedConfig } from '../config/types.js';
import { type Diagnostic, type FailureReason, TsbakeError, formatDiagnostic } from '../errors.js';

export type PlanFailureReason = Extract<FailureReason, 'cycle' | 'unknown-target' | 'capability' | 'invalid-config' | 'usage'>;

export class Problems {
  private readonly errors: { reason: PlanFailureReason; diagnostic: Diagnostic }[] = [];
  readonly warnings: Diagnostic[] = [];

  constructor(private readonly loaded: LoadedConfig | undefined) {}

  /** A diagnostic at the place `path` was written (file '' when the path is unknown or not in a file). */
  at(path: readonly (string | number)[] | undefined, message: string, extra?: { suggestion?: string; key?: string }): Diagnostic {
    const pos = path ? this.loaded?.positionOf(path) : undefined;
    const d: Diagnostic = {
      file: pos?.file ?? '',
      line: pos?.line ?? 0,
      column: pos?.column ?? 0,
      message,
      severity: 'error',
    };
    const key = extra?.key ?? (path ? path.join('.') : undefined);
    if (key !== undefined) d.key = key;
    if (extra?.suggestion !== undefined) d.suggestion = extra.suggestion;
    return d;
  }

  error(reason: PlanFailureReason, path: readonly (string | number)[] | undefined, message: string, extra?: { suggestion?: string; key?: string }): void {
    this.errors.push({ reason, diagnostic: this.at(path, message, extra) });
  }

  add(reason: PlanFailureReason, diagnostic: Diagnostic): void {
    this.errors.push({ reason, diagnostic });
  }

  warn(path: readonly (string | number)[] | undefined, message: string, group?: Diagnostic['group']): void {
    this.warnings.push({ ...this.at(path, message), severity: 'warning', ...(group ? { group } : {}) });
  }

  get hasErrors(): boolean {
    return this.errors.length > 0;
  }

  /** Throws when any error was recorded. */
  throwIfAny(): void {
    const first = this.errors[0];
    if (!first) return;
    const diagnostics = this.errors.map((e) => e.diagnostic);
    throw new TsbakeError(first.reason, diagnostics.map(formatDiagnostic).join('\n'), { diagnostics });
  }
}

/** The closest candidate, quoted, when it is close enough to be a plausible typo. */
export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  if (list.length === 0) return undefined;
  const best = closest(name, list);
  const limit = Math.max(2, Math.floor(name.length / 3));
  return distance(name, best) <= limit ? `"${best}"` : undefined;
}

/** Plain `a, b, c` listing, shortened for very long lists. */
export function listNames(names: readonly string[], max = 20): string {
  if (names.length <= max) return names.join(', ');
  return `${names.slice(0, max).join(', ')}, … (${names.length - max} more)`;
}

export const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
