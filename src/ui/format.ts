/**
 * Pure text helpers shared by the renderers: durations, byte counts, the end-of-run summary,
 * warnings and failures.
 */
import type { BuildEvent, TargetResult, TargetState } from '../events.js';

type WarningEvent = Extract<BuildEvent, { type: 'warning' }>;

/** `0.4s`, `12.3s`, `2m05s` (buildx prints seconds with one decimal). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) ms = 0;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.round(ms / 1000);
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}m${String(seconds).padStart(2, '0')}s`;
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'] as const;

/** Decimal units with three significant digits, as docker's `units.HumanSize` prints them (`1.23MB`). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) n = 0;
  let i = 0;
  // Rounding to three digits can carry into the next unit (999.9995MB → 1000MB): divide again then.
  while (i < BYTE_UNITS.length - 1 && Number(n.toPrecision(3)) >= 1000) {
    n /= 1000;
    i++;
  }
  const text = i === 0 ? String(Math.round(n)) : String(Number(n.toPrecision(3)));
  return `${text}${BYTE_UNITS[i]}`;
}

/** `1.2MB / 3.4MB`, or `1.2MB` when the total is unknown; undefined when there is no progress. */
export function formatProgress(current: number | undefined, total: number | undefined): string | undefined {
  if (current === undefined || (current === 0 && !total)) return undefined;
  return total ? `${formatBytes(current)} / ${formatBytes(total)}` : formatBytes(current);
}

/**
 * The image ID `docker build -q` prints, as `docker image inspect` knows it: in containerd's image
 * store the image's ID is its manifest (or index) digest, `containerimage.digest`; in the classic store
 * and outside any engine, the config digest (BuildKit's moby exporter on the classic store reports the
 * config digest as `containerimage.digest` and no `containerimage.config.digest`).
 */
export function imageIdOf(exporterResponse: Record<string, string>, imageStore?: 'containerd' | 'classic'): string | undefined {
  const config = exporterResponse['containerimage.config.digest'];
  const image = exporterResponse['containerimage.digest'];
  return imageStore === 'containerd' ? (image ?? config) : (config ?? image);
}

export function firstLine(text: string): string {
  const i = text.indexOf('\n');
  return (i < 0 ? text : text.slice(0, i)).trim();
}

export interface Palette {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
export const ansiPalette: Palette = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  dim: sgr(2, 22),
  bold: sgr(1, 22),
};
const id = (s: string) => s;
export const plainPalette: Palette = { red: id, green: id, yellow: id, dim: id, bold: id };

export function paletteFor(color: boolean | undefined): Palette {
  return color ? ansiPalette : plainPalette;
}

const STATE_COLOR: Record<TargetState, keyof Palette> = {
  queued: 'dim',
  running: 'yellow',
  built: 'green',
  cached: 'green',
  failed: 'red',
  cancelled: 'yellow',
  skipped: 'dim',
};

export interface SummaryOptions {
  /** Wall time of the whole run, shown in the header. */
  durationMs?: number;
  color?: boolean;
}

/**
 * The end-of-run table: one row per target with its state and duration, step counts for finished
 * targets, and for failures the BuildKit error and the Dockerfile location it points to.
 */
export function formatSummary(results: TargetResult[], options: SummaryOptions = {}): string {
  const p = paletteFor(options.color);
  const counts = new Map<TargetState, number>();
  for (const r of results) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const tally = [...counts.entries()].map(([state, n]) => `${n} ${state}`).join(', ');
  const took = options.durationMs === undefined ? '' : ` in ${formatDuration(options.durationMs)}`;
  const lines = [p.bold(`Summary: ${results.length} target${results.length === 1 ? '' : 's'}${took}${tally ? ` (${tally})` : ''}`)];

  const nameWidth = Math.max(0, ...results.map((r) => r.target.length));
  const stateWidth = Math.max(0, ...results.map((r) => r.state.length));
  for (const r of results) {
    const showDuration = r.state !== 'skipped' && r.state !== 'queued' && (r.durationMs > 0 || r.state !== 'cancelled');
    const duration = showDuration ? formatDuration(r.durationMs).padStart(7) : ''.padStart(7);
    let steps = '';
    if ((r.state === 'built' || r.state === 'cached') && r.steps.total > 0) {
      steps = `  ${r.steps.total} step${r.steps.total === 1 ? '' : 's'}, ${r.steps.cached} cached`;
    }
    const state = p[STATE_COLOR[r.state]](r.state.padEnd(stateWidth));
    lines.push(`  ${r.target.padEnd(nameWidth)}  ${state}  ${duration}${steps}`.trimEnd());
    if (r.state === 'failed') {
      const error = r.failure?.message ?? 'build failed';
      const [head = '', ...rest] = error.split('\n');
      lines.push(`    ${p.red(`ERROR: ${head}`)}`);
      for (const more of rest) if (more.trim()) lines.push(`    ${more}`);
      if (r.failure?.location) lines.push(`    at ${r.failure.location}`);
    } else if (r.failure) {
      // skipped/cancelled targets carry the reason here
      lines.push(`    ${p.dim(firstLine(r.failure.message))}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** One warning, prefixed with its target: `[app] WARNING: …` plus detail, location and URL lines. */
export function formatWarning(w: WarningEvent): string[] {
  const prefix = `[${w.target}]`;
  const lines = [`${prefix} WARNING: ${w.message}${w.location ? ` (${w.location})` : ''}`];
  for (const d of (w.detail ?? '').split('\n')) if (d.trim()) lines.push(`${prefix}   ${d}`);
  if (w.url) lines.push(`${prefix}   More info: ${w.url}`);
  return lines;
}

/** A failure as `docker build` prints it: the error, the location, then the log tail between rules. */
export function formatFailure(target: string, error: string, location: string | undefined, logTail: string[]): string[] {
  const lines = [`ERROR: target "${target}": ${error}${location ? ` (${location})` : ''}`];
  if (logTail.length > 0) {
    lines.push('------', ...logTail.map((l) => ` > ${l}`), '------');
  }
  return lines;
}
