/**
 * `tsbake run --report`: the report of real runs of examples/monorepo (named `target:` contexts, so
 * Docker 26's docker driver: BuildKit v0.13) opened in headless Chromium, with assertions on the DOM
 * it rendered. The screenshots stay in the test's temporary folder.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { engines, requireEngine, repoRoot } from '../helpers/env.js';
import { project, runCli, spawnCli } from '../helpers/cli.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { writeReport, type ReportData } from '../../src/ui/report/index.js';
import { synthetic } from '../helpers/report-data.js';

const uniq = (): string => Math.random().toString(36).slice(2, 8);
const env = { DOCKER_HOST: engines.docker26.host };

interface RowInfo {
  target: string;
  state: string;
  critical: boolean;
  steps: { state: string; name: string; width: number; fill: string }[];
}

const ROWS = `[...document.querySelectorAll('svg.timeline g.row')].map((g) => ({
  target: g.dataset.target,
  state: g.dataset.state,
  critical: g.classList.contains('critical'),
  steps: [...g.querySelectorAll('rect.step')].map((r) => ({
    state: r.dataset.stepState,
    name: r.querySelector('title').textContent.split('\\n')[0],
    width: r.getBoundingClientRect().width,
    fill: getComputedStyle(r).fill,
  })),
}))`;

/** examples/monorepo copied with unique tags and a run id in base, so the first run builds its RUN steps. */
async function monorepoCopy(id: string): Promise<string> {
  const src = path.join(repoRoot, 'examples/monorepo');
  const files: Record<string, string> = {};
  for (const rel of ['tsbake.yaml', 'base/Dockerfile', 'app/Dockerfile', 'app/main.sh', 'api/Dockerfile', 'api/main.sh']) {
    files[rel] = await fs.readFile(path.join(src, rel), 'utf8');
  }
  files['tsbake.yaml'] = files['tsbake.yaml']!.replace(/^\$schema:.*$/m, '').replace(/example\/(\w+):dev/g, `tsbake-it/report-$1:${id}`);
  files['base/Dockerfile'] = files['base/Dockerfile']!.replace(/^(FROM .*)$/m, `$1\nARG REPORT_RUN=${id}`);
  return project(files);
}

describe('build report in headless Chromium (Docker 26, examples/monorepo)', () => {
  let browser: Browser;
  let dir: string;
  beforeAll(async () => {
    await requireEngine(engines.docker26);
    browser = await launchChromium();
    dir = await monorepoCopy(uniq());
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('one row per target, cached steps marked on the second run, the critical path named', async () => {
    const first = await runCli(['run', '--progress', 'plain', '--report', 'first.json'], { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    const data = JSON.parse(await fs.readFile(path.join(dir, 'first.json'), 'utf8')) as ReportData;
    expect(data.status).toBe('succeeded');
    expect(data.targets.map((t) => t.name).sort()).toEqual(['api', 'app', 'base']);
    const base = data.targets.find((t) => t.name === 'base')!;
    expect(base.steps.find((s) => s.name.includes('RUN mkdir'))?.state).toBe('built');
    // app and api send main.sh and their Dockerfile; the export ran on every target.
    for (const t of data.targets) {
      expect(t.contextBytes, t.name).toBeGreaterThan(0);
      expect(t.exportMs, t.name).toBeGreaterThan(0);
      expect(t.stepsTotal).toBe(t.steps.length);
    }
    expect(data.criticalPath.targets[0]).toBe('base');
    expect(data.criticalPath.targets).toHaveLength(2);

    const second = await runCli(['run', '--progress', 'plain', '--report', 'second.html'], { cwd: dir, env });
    expect(second.code, second.stderr).toBe(0);
    const file = path.join(dir, 'second.html');
    const html = await fs.readFile(file, 'utf8');
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:|\/\/)/);

    const page = await browser.newPage();
    const loadMs = await page.goto(pathToFileURL(file).href);
    const rows = await page.evaluate<RowInfo[]>(ROWS);
    expect(rows.map((r) => r.target).sort()).toEqual(['api', 'app', 'base']);
    for (const r of rows) {
      expect(r.state, r.target).toMatch(/^(built|cached)$/);
      const run = r.steps.find((s) => s.name.includes('RUN '));
      expect(run?.state, `${r.target}: ${JSON.stringify(r.steps)}`).toBe('cached');
      // Drawn, and in the cached colour rather than the built one.
      expect(run!.width).toBeGreaterThan(0);
      const built = r.steps.find((s) => s.state === 'built');
      if (built) expect(run!.fill).not.toBe(built.fill);
    }
    const named = await page.evaluate<string>(`document.querySelector('#critical-path .critical-path-names').textContent`);
    expect(named).toMatch(/^base → (app|api)$/);
    const criticalRows = rows.filter((r) => r.critical).map((r) => r.target);
    expect(criticalRows.sort()).toEqual(named.split(' → ').sort());
    const graph = await page.evaluate<{ nodes: string[]; criticalEdges: number }>(
      `({ nodes: [...document.querySelectorAll('svg.graph g.node')].map((n) => n.dataset.target), criticalEdges: document.querySelectorAll('svg.graph path.edge.critical').length })`,
    );
    expect(graph.nodes.sort()).toEqual(['api', 'app', 'base']);
    expect(graph.criticalEdges).toBe(1);
    const cachedCells = await page.evaluate<string[]>(`[...document.querySelectorAll('table.targets td.steps-count')].map((td) => td.textContent)`);
    for (const c of cachedCells) expect(Number(c.split(' / ')[0])).toBeGreaterThan(0);
    // Nothing was fetched: the page is self-contained.
    expect(await page.evaluate<number>(`performance.getEntriesByType('resource').length`)).toBe(0);
    const shot = path.join(dir, 'report.png');
    await page.screenshot(shot, 1200);
    const png = await fs.readFile(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(10_000);
    console.log(`report: ${html.length} bytes, loaded in Chromium in ${loadMs.toFixed(0)} ms, screenshot ${shot}`);
  });

  it('a failed target shows its failing step and log tail; the report is written although the run fails', async () => {
    const id = uniq();
    const failing = await project({
      'tsbake.yaml': 'target:\n  ok: {}\n  broken:\n    dockerfile: Broken.Dockerfile\n',
      Dockerfile: 'FROM local/busybox:1\nRUN echo fine\n',
      'Broken.Dockerfile': `FROM local/busybox:1\nRUN echo "about to fail ${id}" && echo "last words ${id}" && exit 3\n`,
    });
    const r = await runCli(['run', 'ok', 'broken', '--keep-going', '--progress', 'plain', '--report', 'out/report.html'], { cwd: failing, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[broken\]/);
    const page = await browser.newPage();
    await page.goto(pathToFileURL(path.join(failing, 'out/report.html')).href);
    const seen = await page.evaluate<{ status: string; rows: RowInfo[]; failures: { target: string; log: string; step: string }[] }>(`({
      status: document.querySelector('h1 .status').dataset.status,
      rows: ${ROWS},
      failures: [...document.querySelectorAll('#failures .failure')].map((a) => ({
        target: a.dataset.target,
        log: a.querySelector('.log-tail')?.textContent ?? '',
        step: a.querySelector('.failed-step')?.textContent ?? '',
      })),
    })`);
    expect(seen.status).toBe('failed');
    expect(Object.fromEntries(seen.rows.map((x) => [x.target, x.state]))).toEqual({ ok: expect.stringMatching(/built|cached/), broken: 'failed' });
    expect(seen.rows.find((x) => x.target === 'broken')!.steps.some((s) => s.state === 'failed')).toBe(true);
    expect(seen.failures).toHaveLength(1);
    expect(seen.failures[0]!.target).toBe('broken');
    expect(seen.failures[0]!.log).toContain(`last words ${id}`);
    expect(seen.failures[0]!.step).toContain('RUN echo');
    await page.screenshot(path.join(failing, 'failed.png'), 1200);
  });

  it('a report that cannot be written is said once and fails the run; a bad extension is a usage error', async () => {
    const p = await project({ 'tsbake.yaml': 'target:\n  ok: {}\n', Dockerfile: 'FROM local/busybox:1\nRUN echo fine\n', 'taken.html/keep': '' });
    const r = await runCli(['run', 'ok', '--progress', 'quiet', '--report', 'taken.html'], { cwd: p, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tsbake: cannot write the report taken\.html: .*EISDIR/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const bad = await runCli(['run', 'ok', '--report', 'report.txt'], { cwd: p, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--report report\.txt: the file name must end in \.html .* or \.json/);
  });

  it('Ctrl-C during a build writes a partial report with the target cancelled', async () => {
    const id = uniq();
    const slow = await project({
      'tsbake.yaml': 'target:\n  slow: {}\n',
      Dockerfile: `FROM local/busybox:1\nRUN echo "started ${id}" && sleep 60\n`,
    });
    const child = spawnCli(['run', 'slow', '--progress', 'json', '--report', 'partial.json'], { cwd: slow, env });
    // Wait for the RUN step's first log line (an event), then interrupt.
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stderr! });
      lines.on('line', (l) => {
        if (l.includes(`started ${id}`) && l.includes('"type":"log"')) resolve();
      });
      void child.then(() => reject(new Error('tsbake exited before the RUN step logged')));
    });
    child.kill('SIGINT');
    const done = await child;
    expect(done.exitCode).toBe(130);
    const data = JSON.parse(await fs.readFile(path.join(slow, 'partial.json'), 'utf8')) as ReportData;
    expect(data.status).toBe('cancelled');
    const t = data.targets.find((x) => x.name === 'slow')!;
    expect(t.state).toBe('cancelled');
    expect(t.steps.find((s) => s.name.includes('sleep 60'))?.state).toBe('cancelled');
  });
});

describe('watch --report (Docker 26)', () => {
  it('rewrites the report after each rebuild', async () => {
    await requireEngine(engines.docker26);
    const id = uniq();
    const dir = await project({
      // Separate contexts: a change to page.txt rebuilds web only.
      'tsbake.yaml': 'target:\n  web: {}\n  other:\n    context: other\n',
      Dockerfile: 'FROM local/busybox:1\nCOPY page.txt /page.txt\nRUN cat /page.txt\n',
      '.dockerignore': 'other\n',
      'other/Dockerfile': `FROM local/busybox:1\nRUN echo other-${id}\n`,
      'page.txt': `one ${id}\n`,
    });
    // The report lands inside web's context: rewriting it must not trigger a rebuild of web (it did, forever).
    const child = spawnCli(['watch', 'web', 'other', '--progress', 'json', '--report', 'watch.json'], { cwd: dir, env });
    const file = path.join(dir, 'watch.json');
    const summaries: string[][] = [];
    const lines = createInterface({ input: child.stderr! });
    lines.on('line', (l) => {
      if (l.includes('"type":"watch-rebuild-summary"')) summaries.push((JSON.parse(l) as { targets: string[] }).targets);
    });
    /** The report as last written, once `ok` holds for it (the write follows the rebuild's summary). */
    const reportWhen = async (ok: (d: ReportData) => boolean, what: string): Promise<ReportData> => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const text = await fs.readFile(file, 'utf8').catch(() => '');
        if (text) {
          const d = JSON.parse(text) as ReportData;
          if (ok(d)) return d;
        }
        if (child.exitCode !== null) throw new Error(`tsbake exited before ${what}`);
        if (Date.now() > deadline) throw new Error(`no report with ${what} within 60 s`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      const initial = await reportWhen((d) => d.rebuild?.number === 1 && d.status !== 'running', 'the initial build');
      expect(initial.status).toBe('succeeded');
      expect(Object.fromEntries(initial.targets.map((t) => [t.name, t.earlier ?? false]))).toEqual({ other: false, web: false });
      await fs.writeFile(path.join(dir, 'page.txt'), `two ${id}\n`);
      const second = await reportWhen((d) => d.rebuild?.number === 2, 'the rebuild');
      expect(second.rebuild!.trigger.some((p) => p.endsWith('page.txt'))).toBe(true);
      expect(Object.fromEntries(second.targets.map((t) => [t.name, t.earlier ? 'unchanged' : t.state]))).toEqual({ other: 'unchanged', web: 'built' });
      expect(second.targets.find((t) => t.name === 'web')!.steps.find((s) => s.name.includes('RUN cat'))?.state).toBe('built');
      expect(summaries.length).toBeGreaterThanOrEqual(2);
    } finally {
      child.kill('SIGINT');
      await child;
    }
  });
});

describe('a 100-target report in headless Chromium (synthetic data, no build)', () => {
  it('draws every row, node and edge; under 1 MB', async () => {
    const browser = await launchChromium();
    try {
      const dir = await project({});
      const file = path.join(dir, 'report-100.html');
      await writeReport(file, synthetic(100, 12));
      const bytes = (await fs.stat(file)).size;
      expect(bytes).toBeLessThan(1024 * 1024);
      const page = await browser.newPage();
      const loadMs = await page.goto(pathToFileURL(file).href);
      const seen = await page.evaluate<{ rows: number; nodes: number; edges: number; drawnSteps: number; failures: number; height: number }>(`({
        rows: document.querySelectorAll('svg.timeline g.row').length,
        nodes: document.querySelectorAll('svg.graph g.node').length,
        edges: document.querySelectorAll('svg.graph path.edge').length,
        drawnSteps: [...document.querySelectorAll('svg.timeline rect.step')].filter((r) => r.getBoundingClientRect().width > 0).length,
        failures: document.querySelectorAll('#failures .failure').length,
        height: document.documentElement.scrollHeight,
      })`);
      expect(seen).toMatchObject({ rows: 100, nodes: 100, edges: 180, drawnSteps: 1300, failures: 1 });
      await page.screenshot(path.join(dir, 'report-100.png'), 1200);
      console.log(`100-target report: ${bytes} bytes, loaded in Chromium in ${loadMs.toFixed(0)} ms, page height ${seen.height} px`);
    } finally {
      await browser.close();
    }
  });
});
