/**
 * Watch mode's output: status lines for the watcher's events (src/events.ts WatchEvent) and, for each
 * build it starts, the progress renderer of the mode. listr2's live rows do not suit an endless session,
 * so `tty` renders as `plain` lines under the status lines.
 *
 * Every failure's message is shown once: a build's own renderer shows the failures its events carry
 * (`target-failed`); one that ended before any such event (its builder could not be opened, the watcher
 * skipped it) is printed when the watcher reports the result.
 */
import type { BuildEvent, TargetResult, WatchEvent } from '../events.js';
import { formatDiagnostic } from '../errors.js';
import { createJsonRenderer, jsonLine } from './json.js';
import { createPlainRenderer } from './plain.js';
import { createQuietRenderer } from './quiet.js';
import { formatFailure } from './format.js';
import type { OutputStream, Renderer, ResolvedProgressMode } from './types.js';

export interface WatchRenderer {
  onEvent(e: WatchEvent): void;
  /** The renderer of one build of `target`: feed it the build's events. */
  build(target: string): Pick<Renderer, 'onEvent'>;
}

export interface WatchRendererOptions {
  stdout: OutputStream;
  stderr: OutputStream;
  color?: boolean;
}

/** One build of a target: whether its renderer has shown its failure. */
interface BuildRecord {
  shown: boolean;
}

export function createWatchRenderer(mode: ResolvedProgressMode, options: WatchRendererOptions): WatchRenderer {
  const { stderr } = options;
  const lines = mode === 'plain' || mode === 'tty';
  const line = (text: string): void => {
    if (lines) stderr.write(`${text}\n`);
  };
  /** The latest build of each target. */
  const builds = new Map<string, BuildRecord>();

  function newBuildRenderer(target: string): Renderer {
    switch (mode) {
      case 'json':
        return createJsonRenderer({ stream: stderr });
      case 'quiet':
        return createQuietRenderer({ stdout: options.stdout, stderr, targets: [target] });
      default:
        return createPlainRenderer({ stderr, color: options.color ?? false });
    }
  }

  /** A failed or skipped result no build renderer showed. */
  function showUnshown(result: TargetResult): void {
    const record = builds.get(result.target);
    if (record?.shown) return;
    const failure = result.failure;
    if (result.state === 'failed') {
      const message = failure?.message ?? 'build failed';
      if (lines) line(`[${result.target}] ERROR: ${message}${failure?.location ? ` (${failure.location})` : ''}`);
      else if (mode === 'quiet') stderr.write(formatFailure(result.target, message, failure?.location, []).join('\n') + '\n');
    } else if (result.state === 'skipped' && failure && failure.reason !== 'missing-input') {
      // (A missing input was announced as a warning when the watcher found it.)
      line(`[${result.target}] SKIPPED: ${failure.message}`);
    }
  }

  return {
    build(target) {
      const record: BuildRecord = { shown: false };
      builds.set(target, record);
      const renderer = newBuildRenderer(target);
      return {
        onEvent(e: BuildEvent) {
          if ((e.type === 'target-failed' || e.type === 'target-skipped') && e.target === target) record.shown = true;
          renderer.onEvent(e);
        },
      };
    },

    onEvent(e) {
      // In every mode, json too: the user must see why nothing rebuilds.
      if (e.type === 'watch-config-error') for (const d of e.diagnostics) stderr.write(formatDiagnostic(d) + '\n');
      if (mode === 'json') {
        stderr.write(jsonLine(e) + '\n');
        return;
      }
      switch (e.type) {
        case 'watch-changed': {
          const shown = e.paths.slice(0, 3).join(', ');
          line(`watch: ${e.count} change${e.count === 1 ? '' : 's'}: ${shown}${e.count > 3 ? ` and ${e.count - 3} more` : ''}`);
          return;
        }
        case 'watch-config-error':
          line('watch: the config is invalid; keeping the previous plan until it is fixed');
          return;
        case 'watch-planned':
          if (e.reason === 'config-changed') line('watch: config reloaded, plan updated');
          return;
        case 'watch-warning':
          line(`watch: warning: ${e.message}`);
          return;
        case 'watch-build-finished':
          showUnshown(e.result);
          return;
        case 'watch-rebuild-summary': {
          const parts = e.results.map((r) => `${r.target} ${r.state} ${formatSeconds(r.durationMs)}`);
          const trigger = e.trigger.slice(0, 3).join(', ') + (e.count > 3 ? ` (+${e.count - 3})` : '');
          line(`watch: ${trigger || 'start'} → ${parts.join(', ') || 'nothing to rebuild'} in ${formatSeconds(e.durationMs)}`);
          return;
        }
        case 'watch-ready':
          line('watch: watching for changes (Ctrl-C to stop)');
          return;
        case 'watch-build-started':
        case 'watch-build-cancelled':
          return;
      }
    },
  };
}

/** `1.2s`: the rebuild summary's durations, one decimal always. */
function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
