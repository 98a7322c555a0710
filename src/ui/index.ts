/**
 * Progress output. Renderers consume the typed events (src/events.ts) and never see
 * anything the events do not carry (no secret values reach them).
 */
import { createJsonRenderer } from './json.js';
import { createPlainRenderer } from './plain.js';
import { createQuietRenderer } from './quiet.js';
import { createTtyRenderer } from './tty.js';
import type { ProgressMode, Renderer, RendererOptions, ResolvedProgressMode } from './types.js';

export type { OutputStream, ProgressMode, Renderer, RendererOptions, ResolvedProgressMode, RunSummaryLike } from './types.js';
export type { RunSummaryLine } from './json.js';
export { jsonLine } from './json.js';
export { createWatchRenderer, type WatchRenderer, type WatchRendererOptions } from './watch.js';
export { formatBytes, formatDuration, formatFailure, formatSummary, formatWarning, imageIdOf } from './format.js';
export type { SummaryOptions } from './format.js';

const MODES: readonly ProgressMode[] = ['auto', 'tty', 'plain', 'json', 'quiet'];

/**
 * A `--progress` value as typed, with buildx's spellings accepted: `rawjson` is `json`, `none` is
 * `quiet`. Undefined when unknown (the CLI turns that into a usage error).
 */
export function parseProgressMode(value: string): ProgressMode | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'rawjson') return 'json';
  if (v === 'none') return 'quiet';
  return MODES.find((m) => m === v);
}

/** `auto` is `tty` on a terminal, `plain` without one or on CI (env `CI` set); other modes stand. */
export function resolveProgressMode(mode: ProgressMode, env: { isTTY: boolean; ci: boolean }): ResolvedProgressMode {
  if (mode !== 'auto') return mode;
  return env.isTTY && !env.ci ? 'tty' : 'plain';
}

export function createRenderer(mode: ProgressMode, options: RendererOptions): Renderer {
  const resolved = resolveProgressMode(mode, { isTTY: options.stderr.isTTY === true, ci: Boolean(process.env.CI) });
  switch (resolved) {
    case 'tty':
      return createTtyRenderer({ stderr: options.stderr, targets: options.targets, color: options.color });
    case 'plain':
      return createPlainRenderer({ stderr: options.stderr, color: options.color ?? false });
    case 'json':
      return createJsonRenderer({ stream: options.jsonStream === 'stdout' ? options.stdout : options.stderr });
    case 'quiet':
      return createQuietRenderer({ stdout: options.stdout, stderr: options.stderr, targets: options.targets });
  }
}
