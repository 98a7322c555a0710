/** The build report's pure parts: events → ReportData (collector, critical path), data → HTML, the writer. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { BuildEvent, TargetResult } from '../../src/events.js';
import {
  ReportCollector,
  criticalPath,
  exportTime,
  renderReportHtml,
  reportFormatFor,
  writeReport,
  type ReportData,
  type ReportPlan,
  type ReportStep,
  type ReportTarget,
} from '../../src/ui/report/index.js';
import { synthetic } from '../helpers/report-data.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function target(name: string, over: Partial<ReportTarget> = {}): ReportTarget {
  return {
    name,
    builder: 'default',
    state: 'built',
    queuedAt: T0,
    startedAt: T0,
    finishedAt: T0 + 1000,
    durationMs: 1000,
    steps: [],
    stepsTotal: 0,
    stepsCached: 0,
    contextBytes: 0,
    exportMs: 0,
    ...over,
  };
}

function data(targets: ReportTarget[], edges: { from: string; to: string }[] = [], over: Partial<ReportData> = {}): ReportData {
  const levels = [targets.map((t) => t.name)];
  return {
    version: 1,
    tool: 'tsbake',
    status: 'succeeded',
    startedAt: T0,
    finishedAt: T0 + 10_000,
    durationMs: 10_000,
    targets,
    edges,
    levels,
    criticalPath: criticalPath(targets, edges),
    ...over,
  };
}

function step(id: string, name: string, state: ReportStep['state'], started: number, completed?: number): ReportStep {
  return { id, name, state, started: T0 + started, ...(completed !== undefined ? { completed: T0 + completed } : {}) };
}

/** Attributes of the elements whose opening tag matches `tag` and carries `data-target`. */
function rowsOf(html: string, cls: string): { target: string; state: string; critical: boolean; body: string }[] {
  const re = new RegExp(`<g class="${cls}( critical)?" data-target="([^"]*)" data-state="([^"]*)">([\\s\\S]*?)</g>`, 'g');
  return [...html.matchAll(re)].map((m) => ({ target: m[2]!, state: m[3]!, critical: m[1] !== undefined, body: m[4]! }));
}

describe('renderReportHtml', () => {
  const cases: { name: string; data: ReportData; check: (html: string) => void }[] = [
    {
      name: 'a failed target shows its error, location, failing step and log tail (escaped)',
      data: data(
        [
          target('web', {
            state: 'failed',
            error: 'process "/bin/sh -c make" did not complete successfully: exit code: 2',
            location: 'Dockerfile:4',
            logTail: ['compiling <main.c>', 'main.c:3: error: & expected'],
            steps: [step('s1', '[1/2] FROM busybox', 'cached', 0, 0), step('s2', '[2/2] RUN make', 'failed', 10, 900)],
            stepsTotal: 2,
            stepsCached: 1,
          }),
        ],
        [],
        { status: 'failed' },
      ),
      check: (html) => {
        expect(html).toContain('<section id="failures">');
        expect(html).toMatch(/<article class="failure" data-target="web">/);
        expect(html).toContain('<pre class="log-tail">compiling &lt;main.c&gt;\nmain.c:3: error: &amp; expected</pre>');
        expect(html).toContain('(Dockerfile:4)');
        expect(html).toContain('step: [2/2] RUN make');
        expect(rowsOf(html, 'row')[0]!.body).toMatch(/data-step-state="failed"/);
        expect(html).toContain('data-status="failed"');
      },
    },
    {
      name: 'a cancelled target and its unfinished step are drawn as cancelled',
      data: data(
        [target('slow', { state: 'cancelled', steps: [step('s1', '[1/1] RUN sleep 60', 'cancelled', 5)], stepsTotal: 1, finishedAt: T0 + 3000, durationMs: 3000 })],
        [],
        { status: 'cancelled' },
      ),
      check: (html) => {
        const [row] = rowsOf(html, 'row');
        expect(row).toMatchObject({ target: 'slow', state: 'cancelled' });
        expect(row!.body).toMatch(/class="step s-cancelled" data-step-state="cancelled"/);
        expect(html).toContain('data-status="cancelled"');
        expect(html).not.toContain('id="failures"');
      },
    },
    {
      name: 'cached steps are marked, one row per target, the critical path named and highlighted',
      data: data(
        [
          target('base', { steps: [step('a', '[1/2] FROM x', 'cached', 0, 0), step('b', '[2/2] RUN x', 'built', 0, 900)], stepsTotal: 2, stepsCached: 1 }),
          target('app', { startedAt: T0 + 1000, finishedAt: T0 + 4000, durationMs: 3000, steps: [step('c', '[1/1] RUN y', 'cached', 1100, 1100)] }),
          target('api', { startedAt: T0 + 1000, finishedAt: T0 + 2000, durationMs: 1000 }),
        ],
        [
          { from: 'app', to: 'base' },
          { from: 'api', to: 'base' },
        ],
      ),
      check: (html) => {
        const rows = rowsOf(html, 'row');
        expect(rows.map((r) => r.target)).toEqual(['base', 'app', 'api']);
        expect(rows.filter((r) => r.critical).map((r) => r.target)).toEqual(['base', 'app']);
        expect(rows[1]!.body).toMatch(/data-step-state="cached"/);
        expect(html).toContain('<span class="critical-path-names">base → app</span>: 4.0s');
        expect(html).toMatch(/<path class="edge critical"[^>]*><title>app depends on base<\/title>/);
        expect(html).toMatch(/<path class="edge"[^>]*><title>api depends on base<\/title>/);
        expect(html).toContain('<td class="num steps-count">1 / 2</td>');
      },
    },
    {
      name: 'names are escaped everywhere',
      data: data([target('x"><script>alert(1)</script>')]),
      check: (html) => {
        expect(html).not.toContain('<script>');
        expect(html).toContain('x&quot;&gt;&lt;script&gt;');
      },
    },
  ];
  it.each(cases)('$name', ({ data: d, check }) => check(renderReportHtml(d)));

  it('references nothing outside the file', () => {
    const html = renderReportHtml(data([target('a')]));
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).not.toMatch(/@import|url\((?!#)/);
    expect(html).not.toContain('<script');
  });

  it('stays under 1 MB for 100 targets with 12 steps each', () => {
    const d = synthetic(100, 12);
    const html = renderReportHtml(d);
    expect(rowsOf(html, 'row')).toHaveLength(100);
    expect(rowsOf(html, 'node')).toHaveLength(100);
    expect(Buffer.byteLength(html)).toBeLessThan(1024 * 1024);
  });
});

describe('criticalPath', () => {
  const dur = (name: string, durationMs: number): Pick<ReportTarget, 'name' | 'durationMs' | 'startedAt'> => ({ name, durationMs, startedAt: T0 });
  it.each([
    {
      name: 'a diamond takes the longer branch',
      targets: [dur('a', 1000), dur('b', 500), dur('c', 3000), dur('d', 200)],
      edges: [
        { from: 'b', to: 'a' },
        { from: 'c', to: 'a' },
        { from: 'd', to: 'b' },
        { from: 'd', to: 'c' },
      ],
      want: { targets: ['a', 'c', 'd'], durationMs: 4200 },
    },
    {
      name: 'an independent long target beats a short chain',
      targets: [dur('a', 100), dur('b', 100), dur('solo', 5000)],
      edges: [{ from: 'b', to: 'a' }],
      want: { targets: ['solo'], durationMs: 5000 },
    },
    {
      name: 'ties go to the first name, so the same run names the same path',
      targets: [dur('x', 100), dur('p', 50), dur('q', 50)],
      edges: [
        { from: 'x', to: 'q' },
        { from: 'x', to: 'p' },
      ],
      want: { targets: ['p', 'x'], durationMs: 150 },
    },
    {
      name: 'targets that never started weigh nothing and are left out',
      targets: [dur('a', 700), { name: 'b', durationMs: 0 }],
      edges: [{ from: 'b', to: 'a' }],
      want: { targets: ['a'], durationMs: 700 },
    },
    { name: 'nothing ran', targets: [{ name: 'a', durationMs: 0 }], edges: [], want: { targets: [], durationMs: 0 } },
  ])('$name', ({ targets, edges, want }) => expect(criticalPath(targets, edges)).toEqual(want));
});

describe('exportTime', () => {
  it('is the union of the exporting steps, overlaps counted once', () => {
    const steps = [
      step('1', 'exporting to image', 'built', 100, 400),
      step('2', 'exporting cache to registry', 'built', 300, 600),
      step('3', '[2/2] RUN make', 'built', 0, 100),
      step('4', 'exporting to client tarball', 'built', 1000, 1100),
    ];
    expect(exportTime(steps, T0 + 5000)).toBe(600);
  });
});

describe('ReportCollector', () => {
  const plan: ReportPlan = {
    order: ['base', 'app'],
    levels: [['base'], ['app']],
    edges: [{ from: 'app', to: 'base' }],
    targets: { base: { builder: 'default' }, app: { builder: 'default' } },
  };
  const result = (t: string, over: Partial<TargetResult> = {}): TargetResult => ({
    target: t,
    state: 'built',
    exporterResponse: {},
    durationMs: 1000,
    steps: { total: 2, cached: 1 },
    contextBytes: 321,
    ...over,
  });
  const vertex = (t: string, id: string, name: string, over: { cached?: boolean; started?: number; completed?: number; error?: string }, time: number): BuildEvent => ({
    type: 'step',
    target: t,
    step: { id, name, cached: over.cached ?? false, ...over },
    time,
  });

  it('turns events into targets, steps, figures and a critical path', () => {
    const c = new ReportCollector(plan, { now: T0 });
    const events: BuildEvent[] = [
      { type: 'target-queued', target: 'base', time: T0 },
      { type: 'target-queued', target: 'app', time: T0 },
      { type: 'target-started', target: 'base', builder: 'default', time: T0 + 10 },
      vertex('base', 'v1', '[1/2] FROM busybox', { cached: true, started: T0 + 20, completed: T0 + 20 }, T0 + 20),
      vertex('base', 'v2', '[2/2] RUN make', { started: T0 + 30 }, T0 + 30),
      // A progress status of v2: its `started` is the status's, which must not move the step.
      { type: 'step', target: 'base', step: { id: 'v2', name: '[2/2] RUN make', cached: false, current: 5, total: 10, started: T0 + 500 }, time: T0 + 500 },
      vertex('base', 'v2', '[2/2] RUN make', { started: T0 + 30, completed: T0 + 800 }, T0 + 800),
      vertex('base', 'v3', 'exporting to image', { started: T0 + 800, completed: T0 + 1000 }, T0 + 1000),
      { type: 'target-finished', target: 'base', state: 'built', durationMs: 1000, result: result('base', { steps: { total: 3, cached: 1 } }), time: T0 + 1010 },
      { type: 'target-started', target: 'app', builder: 'default', time: T0 + 1020 },
      vertex('app', 'w1', '[1/1] RUN test', { started: T0 + 1100, completed: T0 + 1200, error: 'exit code: 1' }, T0 + 1200),
      { type: 'log', target: 'app', stepId: 'w1', stream: 'stderr', data: 'boom\n', time: T0 + 1150 },
      { type: 'target-failed', target: 'app', failure: { reason: 'build-failed', message: 'exit code: 1' }, logTail: ['boom'], durationMs: 300, contextBytes: 55, time: T0 + 1320 },
    ];
    for (const e of events) c.onEvent(e);
    const d = c.snapshot({ now: T0 + 2000 });
    expect(d.status).toBe('failed');
    expect(d.startedAt).toBe(T0);
    expect(d.durationMs).toBe(1320);
    expect(c.snapshot({ now: T0 + 2000, status: 'running' }).durationMs).toBe(2000);
    const [base, app] = d.targets;
    expect(base).toMatchObject({ name: 'base', state: 'built', durationMs: 1000, stepsTotal: 3, stepsCached: 1, contextBytes: 321, exportMs: 200 });
    expect(base!.steps.map((s) => [s.name, s.state, s.started! - T0, s.completed! - T0])).toEqual([
      ['[1/2] FROM busybox', 'cached', 20, 20],
      ['[2/2] RUN make', 'built', 30, 800],
      ['exporting to image', 'built', 800, 1000],
    ]);
    expect(app).toMatchObject({ state: 'failed', contextBytes: 55, logTail: ['boom'], error: 'exit code: 1' });
    expect(app!.steps[0]!.state).toBe('failed');
    expect(d.criticalPath).toEqual({ targets: ['base', 'app'], durationMs: 1300 });
  });

  it('watch: a rebuild shows the targets it did not rebuild as unchanged, without bars', () => {
    const c = new ReportCollector(plan, { now: T0 });
    c.beginRebuild([], T0);
    for (const t of ['base', 'app']) {
      c.onEvent({ type: 'target-queued', target: t, time: T0 + 1 });
      c.onEvent({ type: 'target-started', target: t, builder: 'default', time: T0 + 2 });
      c.onEvent({ type: 'target-finished', target: t, state: 'built', durationMs: 100, result: result(t), time: T0 + 102 });
    }
    expect(c.snapshot({ now: T0 + 200 }).rebuild).toEqual({ number: 1, trigger: [] });
    c.beginRebuild(['app/main.sh'], T0 + 60_000);
    c.onEvent({ type: 'target-queued', target: 'app', time: T0 + 60_001 });
    c.onEvent({ type: 'target-started', target: 'app', builder: 'default', time: T0 + 60_002 });
    c.onEvent({ type: 'target-cancelled', target: 'app', time: T0 + 60_500 });
    const d = c.snapshot({ now: T0 + 61_000 });
    expect(d.rebuild).toEqual({ number: 2, trigger: ['app/main.sh'] });
    expect(d.targets.map((t) => [t.name, t.state, t.earlier ?? false])).toEqual([
      ['base', 'built', true],
      ['app', 'cancelled', false],
    ]);
    expect(d.status).toBe('cancelled');
    // The time axis spans this rebuild only, to its last event (not to when the file is written).
    expect(d.startedAt).toBe(T0 + 60_001);
    expect(d.finishedAt).toBe(T0 + 60_500);
    expect(d.criticalPath.targets).toEqual(['app']);
    const html = renderReportHtml(d);
    expect(rowsOf(html, 'row').map((r) => [r.target, r.state, /class="step/.test(r.body)])).toEqual([
      ['base', 'unchanged', false],
      ['app', 'cancelled', false],
    ]);
    expect(html).toContain('watch rebuild #2, after changes to app/main.sh');
  });
});

describe('report files', () => {
  it.each([
    ['report.html', 'html'],
    ['out/R.HTM', 'html'],
    ['report.json', 'json'],
    ['report.txt', undefined],
    ['report', undefined],
  ])('%s → %s', (file, want) => expect(reportFormatFor(file)).toBe(want));

  it('writes atomically, leaving no temp file, in a folder it creates', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-report-unit-'));
    try {
      const d = data([target('a')]);
      const file = path.join(dir, 'artifacts', 'report.json');
      await writeReport(file, d);
      await writeReport(file, { ...d, status: 'failed' });
      expect(await fs.readdir(path.dirname(file))).toEqual(['report.json']);
      expect(JSON.parse(await fs.readFile(file, 'utf8'))).toMatchObject({ status: 'failed', targets: [{ name: 'a' }] });
      await writeReport(path.join(dir, 'r.html'), d);
      expect(await fs.readFile(path.join(dir, 'r.html'), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
