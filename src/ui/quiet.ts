/**
 * `--progress=quiet`: nothing while building but errors (on stderr); at the end the image ID of each
 * target that produced one, one per line on stdout, as `docker build -q` prints it.
 */
import type { BuildEvent } from '../events.js';
import { formatFailure, imageIdOf } from './format.js';
import type { OutputStream, Renderer, RunSummaryLike } from './types.js';

export function createQuietRenderer(options: { stdout: OutputStream; stderr: OutputStream; targets: string[] }): Renderer {
  const reported = new Set<string>();
  const fail = (target: string, error: string, location: string | undefined, logTail: string[]): void => {
    reported.add(target);
    options.stderr.write(formatFailure(target, error, location, logTail).join('\n') + '\n');
  };
  return {
    onEvent(e: BuildEvent) {
      if (e.type === 'target-failed') fail(e.target, e.failure.message, e.failure.location, e.logTail);
    },
    async finish(summary: RunSummaryLike) {
      for (const r of summary.results) {
        if (r.state === 'failed' && !reported.has(r.target)) fail(r.target, r.failure?.message ?? 'build failed', r.failure?.location, []);
      }
      // Targets in the order they were asked for, then any the run added.
      const rank = new Map(options.targets.map((t, i) => [t, i]));
      const ordered = [...summary.results].sort(
        (a, b) => (rank.get(a.target) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.target) ?? Number.MAX_SAFE_INTEGER),
      );
      const ids: string[] = [];
      for (const r of ordered) {
        if (r.state !== 'built' && r.state !== 'cached') continue;
        const id = imageIdOf(r.exporterResponse, r.imageStore);
        if (id) ids.push(id);
      }
      if (ids.length > 0) options.stdout.write(ids.join('\n') + '\n');
    },
  };
}
