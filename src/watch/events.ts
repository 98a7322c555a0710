/** The typed events a watcher emits. The UI renders them; the watcher never prints. */
import type { Diagnostic } from '../errors.js';
import type { TargetResult } from '../exec/events.js';
import type { Plan } from '../plan/types.js';

export interface RebuildSummary {
  /** The first few changed paths that caused this run (empty for the initial build). */
  trigger: string[];
  /** How many distinct changed paths caused it. */
  count: number;
  /** Targets that finished (built, cached, failed or skipped), in the order they finished. */
  targets: string[];
  results: TargetResult[];
  durationMs: number;
  initial: boolean;
}

export interface WatchEvents {
  /** One debounced batch of relevant changes (irrelevant paths are never reported). */
  changed: { paths: string[]; count: number };
  planned: { plan: Plan; reason: 'initial' | 'config-changed' };
  'config-error': { diagnostics: Diagnostic[] };
  'build-started': { target: string; trigger: string[] };
  /** state built/cached/failed, or skipped when a dependency failed or its context is missing. */
  'build-finished': { target: string; result: TargetResult };
  'build-cancelled': { target: string };
  /** Emitted when the watcher goes idle after a run of builds. */
  'rebuild-summary': RebuildSummary;
  warning: { message: string };
  ready: Record<string, never>;
}

export type WatchEventName = keyof WatchEvents;
