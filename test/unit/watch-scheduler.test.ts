/**
 * The watch scheduler's builds and the session's signal: each build has its own controller (a newer
 * change cancels it), linked to the watcher's signal, so a build never outlives the session even when
 * stop() is not reached; the link is undone when the build settles (a long session starts thousands).
 */
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { TargetResult } from '../../src/events.js';
import type { Plan } from '../../src/plan/types.js';
import { Scheduler, type UntimedWatchEvent } from '../../src/watch/scheduler.js';
import { resolvedTarget } from '../helpers/targets.js';

function plan(names: string[]): Plan {
  return {
    requested: names,
    targets: Object.fromEntries(names.map((n) => [n, resolvedTarget({ name: n, context: `/nowhere/${n}` })])),
    groups: {},
    builders: {},
    edges: [],
    order: names,
    levels: [names],
    warnings: [],
  };
}

interface Call {
  target: string;
  signal: AbortSignal;
  finish: (state: TargetResult['state']) => void;
}

function harness(names: string[]): { scheduler: Scheduler; session: AbortController; calls: Call[]; events: UntimedWatchEvent[] } {
  const session = new AbortController();
  const calls: Call[] = [];
  const events: UntimedWatchEvent[] = [];
  const scheduler = new Scheduler(plan(names), {
    signal: session.signal,
    emit: (e) => events.push(e),
    cancelInFlight: true,
    concurrency: Number.POSITIVE_INFINITY,
    precheck: () => undefined,
    build: (_plan, target, signal) =>
      new Promise<TargetResult>((resolve) => {
        const finish = (state: TargetResult['state']): void =>
          resolve({ target, state, exporterResponse: {}, durationMs: 0, steps: { total: 0, cached: 0 } });
        calls.push({ target, signal, finish });
        signal.addEventListener('abort', () => finish('cancelled'), { once: true });
      }),
  });
  return { scheduler, session, calls, events };
}

/** Resolves once `ok()` holds, checking after each microtask turn (the builds settle on promises). */
async function settled(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setImmediate(r));
  expect(ok()).toBe(true);
}

describe('watch scheduler', () => {
  it("aborting the watcher's signal aborts every running build, without stop()", async () => {
    const h = harness(['a', 'b']);
    h.scheduler.invalidate(['a', 'b'], [], 0, true);
    expect(h.calls.map((c) => c.target)).toEqual(['a', 'b']);
    expect(h.calls.some((c) => c.signal.aborted)).toBe(false);
    const reason = new Error('watch stopped by the user');
    h.session.abort(reason);
    for (const c of h.calls) {
      expect(c.signal.aborted).toBe(true);
      expect(c.signal.reason).toBe(reason);
    }
    await settled(() => h.events.filter((e) => e.type === 'watch-build-cancelled').length === 2);
    // Nothing starts once the session is over.
    h.scheduler.invalidate(['a'], ['/x'], 1);
    expect(h.calls).toHaveLength(2);
  });

  it('a finished build no longer listens on the session signal', async () => {
    const h = harness(['a']);
    for (let i = 0; i < 20; i++) {
      h.scheduler.invalidate(['a'], [`/f${i}`], 1, i === 0);
      const call = h.calls.at(-1)!;
      call.finish('built');
      await settled(() => h.events.some((e) => e.type === 'watch-rebuild-summary'));
      h.events.length = 0;
    }
    expect(h.calls).toHaveLength(20);
    expect(getEventListeners(h.session.signal, 'abort')).toHaveLength(0);
  });

  it('a build superseded by a newer change is aborted by its own controller, not the session', async () => {
    const h = harness(['a']);
    h.scheduler.invalidate(['a'], [], 0, true);
    const first = h.calls[0]!;
    h.scheduler.invalidate(['a'], ['/f'], 1);
    expect(first.signal.aborted).toBe(true);
    expect(h.session.signal.aborted).toBe(false);
    const second = h.calls[1]!;
    expect(second.signal.aborted).toBe(false);
    second.finish('built');
    await settled(() => h.events.some((e) => e.type === 'watch-build-finished'));
    const finished = h.events.find((e): e is Extract<UntimedWatchEvent, { type: 'watch-build-finished' }> => e.type === 'watch-build-finished');
    expect(finished?.result.state).toBe('built');
  });
});
