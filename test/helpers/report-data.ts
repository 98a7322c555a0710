/** Synthetic report data for the renderer's size and Chromium tests (no build needed). */
import { criticalPath, type ReportData, type ReportStep, type ReportTarget } from '../../src/ui/report/index.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function step(id: string, name: string, state: ReportStep['state'], started: number, completed?: number): ReportStep {
  return { id, name, state, started: T0 + started, ...(completed !== undefined ? { completed: T0 + completed } : {}) };
}

function target(name: string, over: Partial<ReportTarget>): ReportTarget {
  return { name, builder: 'default', state: 'built', queuedAt: T0, durationMs: 0, steps: [], stepsTotal: 0, stepsCached: 0, exportMs: 0, ...over };
}

/** `n` targets in levels of 10, each depending on two of the level before, with `steps` steps each. */
export function synthetic(n: number, steps: number): ReportData {
  const targets: ReportTarget[] = [];
  const edges: { from: string; to: string }[] = [];
  const levels: string[][] = [];
  for (let i = 0; i < n; i++) {
    const level = Math.floor(i / 10);
    const name = `service-${String(i).padStart(3, '0')}`;
    (levels[level] ??= []).push(name);
    if (level > 0) {
      for (const k of [0, 3]) edges.push({ from: name, to: `service-${String((level - 1) * 10 + ((i + k) % 10)).padStart(3, '0')}` });
    }
    const start = level * 4000 + (i % 10) * 50;
    const st: ReportStep[] = [];
    for (let s = 0; s < steps; s++) {
      const cached = s % 3 === 0;
      st.push(step(`sha256:${i}-${s}`, `[${s + 1}/${steps}] RUN ./build-step-${s}.sh --target ${name}`, cached ? 'cached' : 'built', start + s * 200, start + s * 200 + (cached ? 0 : 300)));
    }
    st.push(step(`sha256:${i}-x`, 'exporting to image', 'built', start + steps * 200, start + steps * 200 + 400));
    const failed = i === n - 1;
    if (failed) st[steps - 1]!.state = 'failed';
    targets.push(
      target(name, {
        state: failed ? 'failed' : 'built',
        startedAt: T0 + start,
        finishedAt: T0 + start + steps * 200 + 400,
        durationMs: steps * 200 + 400,
        steps: st,
        stepsTotal: st.length,
        stepsCached: st.filter((x) => x.state === 'cached').length,
        contextBytes: 1234 * i,
        exportMs: 400,
        ...(failed ? { error: 'exit code: 1', logTail: Array.from({ length: 20 }, (_, k) => `log line ${k} of the failing step`) } : {}),
      }),
    );
  }
  const end = Math.max(...targets.map((t) => t.finishedAt!));
  return {
    version: 1,
    tool: 'tsbake',
    status: 'failed',
    startedAt: T0,
    finishedAt: end,
    durationMs: end - T0,
    targets,
    edges,
    levels,
    criticalPath: criticalPath(targets, edges),
  };
}

