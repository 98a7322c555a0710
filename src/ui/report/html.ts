/**
 * ReportData → one self-contained HTML page: inline CSS, inline SVG laid out here, no scripts and no
 * network resources, so it opens offline and can be attached to a CI run. A pure function.
 */
import { formatBytes, formatDuration } from '../format.js';
import type { ReportData, ReportTarget, StepState } from './model.js';

const LABEL_W = 200;
const CHART_W = 880;
const LANE_H = 10;
const LANE_GAP = 3;
const ROW_PAD = 6;
const AXIS_H = 24;

const STATE_TEXT: Record<string, string> = {
  built: 'built',
  cached: 'cached',
  failed: 'failed',
  cancelled: 'cancelled',
  skipped: 'skipped',
  queued: 'not started',
  running: 'running',
  unchanged: 'unchanged',
};

export function renderReportHtml(data: ReportData): string {
  const critical = new Set(data.criticalPath.targets);
  const failed = data.targets.filter((t) => t.state === 'failed');
  const counts = countStates(data.targets);
  const title = `tsbake report: ${data.status}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="tsbake report v${data.version}">`,
    `<title>${esc(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head><body>',
    '<header>',
    `<h1>tsbake build report <span class="status" data-status="${data.status}">${esc(data.status)}</span></h1>`,
    `<p class="summary">${esc(summaryLine(data, counts))}</p>`,
    data.rebuild
      ? `<p class="rebuild">watch rebuild #${data.rebuild.number}${data.rebuild.trigger.length > 0 ? `, after changes to ${esc(data.rebuild.trigger.join(', '))}` : ''}</p>`
      : '',
    data.error ? `<p class="run-error">${esc(data.error)}</p>` : '',
    '</header>',
    renderCriticalPath(data),
    '<section id="timeline"><h2>Timeline</h2>',
    legend(),
    renderTimeline(data, critical),
    '</section>',
    '<section id="targets"><h2>Targets</h2>',
    renderTable(data, critical),
    '</section>',
    '<section id="graph"><h2>Dependency graph</h2>',
    renderGraph(data, critical),
    '</section>',
    failed.length > 0 ? `<section id="failures"><h2>Failures</h2>${failed.map(renderFailure).join('')}</section>` : '',
    `<footer>written ${esc(isoTime(data.finishedAt))} by tsbake</footer>`,
    '</body></html>',
    '',
  ].join('\n');
}

function countStates(targets: ReportTarget[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const t of targets) m.set(t.state, (m.get(t.state) ?? 0) + 1);
  return m;
}

function summaryLine(data: ReportData, counts: Map<string, number>): string {
  const parts = [...counts.entries()].map(([s, n]) => `${n} ${STATE_TEXT[s] ?? s}`);
  return `${data.targets.length} target${data.targets.length === 1 ? '' : 's'} (${parts.join(', ')}) · ${formatDuration(data.durationMs)} · started ${isoTime(data.startedAt)}`;
}

function renderCriticalPath(data: ReportData): string {
  const cp = data.criticalPath;
  if (cp.targets.length === 0) return '<section id="critical-path"><h2>Critical path</h2><p>No target ran.</p></section>';
  return (
    '<section id="critical-path"><h2>Critical path</h2>' +
    `<p><span class="critical-path-names">${cp.targets.map(esc).join(' → ')}</span>: ` +
    `${formatDuration(cp.durationMs)} of the run's ${formatDuration(data.durationMs)} wall time. ` +
    'The chain of dependent targets whose wall times sum to the longest: no parallelism makes the run shorter than this chain.</p></section>'
  );
}

function legend(): string {
  const items: [StepState | 'span', string][] = [
    ['built', 'built'],
    ['cached', 'cached'],
    ['failed', 'failed'],
    ['cancelled', 'cancelled'],
    ['running', 'running'],
    ['span', 'target wall time'],
  ];
  return `<p class="legend">${items.map(([k, text]) => `<span class="key key-${k}"></span>${text}`).join(' ')} <span class="key key-critical"></span>critical path</p>`;
}

interface Lane {
  end: number;
}

/** Steps laid in lanes so that overlapping (parallel) steps do not cover each other. */
function laneSteps(t: ReportTarget, minSpan: number): { step: ReportTarget['steps'][number]; lane: number; start: number; end: number }[] {
  const timed = t.steps
    .filter((s) => s.started !== undefined)
    .map((s) => ({ step: s, start: s.started!, end: Math.max(s.completed ?? t.finishedAt ?? s.started!, s.started!) }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const lanes: Lane[] = [];
  return timed.map((x) => {
    let lane = lanes.findIndex((l) => l.end <= x.start);
    if (lane < 0) {
      lane = lanes.length;
      lanes.push({ end: 0 });
    }
    lanes[lane]!.end = Math.max(x.end, x.start + minSpan);
    return { ...x, lane };
  });
}

function renderTimeline(data: ReportData, critical: Set<string>): string {
  const t0 = data.startedAt;
  const span = Math.max(1, data.finishedAt - t0);
  const x = (ms: number): number => LABEL_W + ((ms - t0) / span) * CHART_W;
  const minSpan = (4 / CHART_W) * span; // a 4 px bar, for cached and instant steps
  const rows: string[] = [];
  let y = AXIS_H;
  for (const t of data.targets) {
    const laid = t.earlier ? [] : laneSteps(t, minSpan);
    const lanes = Math.max(1, ...laid.map((l) => l.lane + 1));
    const h = lanes * (LANE_H + LANE_GAP) - LANE_GAP + 2 * ROW_PAD;
    const isCritical = critical.has(t.name);
    const parts: string[] = [];
    parts.push(`<rect class="row-bg" x="0" y="${y}" width="${LABEL_W + CHART_W}" height="${h}"/>`);
    const label = `${t.name} · ${t.earlier ? 'unchanged' : `${STATE_TEXT[t.state] ?? t.state} ${formatDuration(t.durationMs)}`}`;
    parts.push(`<text class="label" x="6" y="${y + h / 2 + 4}">${esc(truncate(label, 30))}<title>${esc(label)}</title></text>`);
    if (t.startedAt !== undefined && !t.earlier) {
      const end = t.finishedAt ?? data.finishedAt;
      parts.push(
        `<rect class="span" x="${f(x(t.startedAt))}" y="${y + 2}" width="${f(Math.max(2, x(end) - x(t.startedAt)))}" height="${h - 4}"><title>${esc(`${t.name}: ${formatDuration(t.durationMs)}`)}</title></rect>`,
      );
    }
    for (const l of laid) {
      const w = Math.max(4, x(l.end) - x(l.start));
      const sy = y + ROW_PAD + l.lane * (LANE_H + LANE_GAP);
      // Long RUN lines are cut: a page of 100 targets must stay small (the JSON keeps them whole).
      const tip = `${truncate(l.step.name, 240)}\n${l.step.state}, ${formatDuration(l.end - l.start)}${l.step.error ? `\n${truncate(l.step.error, 400)}` : ''}`;
      parts.push(
        `<rect class="step s-${l.step.state}" data-step-state="${l.step.state}" x="${f(x(l.start))}" y="${sy}" width="${f(w)}" height="${LANE_H}"><title>${esc(tip)}</title></rect>`,
      );
    }
    rows.push(
      `<g class="row${isCritical ? ' critical' : ''}" data-target="${esc(t.name)}" data-state="${t.earlier ? 'unchanged' : t.state}">${parts.join('')}</g>`,
    );
    y += h + 2;
  }
  const height = y + 4;
  return (
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${LABEL_W + CHART_W + 20}" height="${height}" viewBox="0 0 ${LABEL_W + CHART_W + 20} ${height}" role="img" aria-label="timeline">` +
    axis(span, x, t0, height) +
    rows.join('') +
    '</svg>'
  );
}

function axis(span: number, x: (ms: number) => number, t0: number, height: number): string {
  const steps = [100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => span / s <= 10) ?? Math.ceil(span / 10);
  const out: string[] = [];
  for (let ms = 0; ms <= span + 1; ms += step) {
    const px = f(x(t0 + ms));
    out.push(`<line class="tick" x1="${px}" y1="${AXIS_H - 6}" x2="${px}" y2="${height}"/>`);
    out.push(`<text class="tick-label" x="${px}" y="${AXIS_H - 10}">${formatDuration(ms)}</text>`);
  }
  return `<g class="axis">${out.join('')}</g>`;
}

function renderTable(data: ReportData, critical: Set<string>): string {
  const head =
    '<tr><th>target</th><th>builder</th><th>state</th><th>wall time</th><th>steps cached / total</th><th>context sent</th><th>export</th></tr>';
  const rows = data.targets.map((t) => {
    const state = t.earlier ? 'unchanged' : t.state;
    const note = t.skipReason ? ` (${t.skipReason})` : '';
    return (
      `<tr data-target="${esc(t.name)}" data-state="${state}"${critical.has(t.name) ? ' class="critical"' : ''}>` +
      `<td>${esc(t.name)}</td><td>${esc(t.builder ?? '')}</td>` +
      `<td><span class="badge b-${state}">${esc(STATE_TEXT[state] ?? state)}</span>${esc(note)}</td>` +
      `<td class="num">${t.startedAt !== undefined && !t.earlier ? formatDuration(t.durationMs) : '–'}</td>` +
      `<td class="num steps-count">${t.stepsCached} / ${t.stepsTotal}</td>` +
      `<td class="num">${t.contextBytes !== undefined ? formatBytes(t.contextBytes) : '–'}</td>` +
      `<td class="num">${t.steps.some((s) => /^exporting\b/i.test(s.name)) ? formatDuration(t.exportMs) : '–'}</td>` +
      '</tr>'
    );
  });
  return `<table class="targets"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}

function renderFailure(t: ReportTarget): string {
  const failedStep = t.steps.find((s) => s.state === 'failed');
  return (
    `<article class="failure" data-target="${esc(t.name)}"><h3>${esc(t.name)}</h3>` +
    `<p class="error">${esc(t.error ?? 'build failed')}${t.location ? ` <span class="location">(${esc(t.location)})</span>` : ''}</p>` +
    (failedStep ? `<p class="failed-step">step: ${esc(failedStep.name)}</p>` : '') +
    (t.logTail && t.logTail.length > 0 ? `<pre class="log-tail">${esc(t.logTail.map((l) => truncate(l, 1000)).join('\n'))}</pre>` : '<p class="no-log">no log output from the failing step</p>') +
    '</article>'
  );
}

const NODE_W = 170;
const NODE_H = 30;
const COL_W = 230;
const ROW_H = 44;

/** Layered layout: one column per plan level, nodes ordered by the mean position of their dependencies. */
export function layoutGraph(data: Pick<ReportData, 'levels' | 'edges' | 'targets'>): Map<string, { x: number; y: number }> {
  const known = new Set(data.targets.map((t) => t.name));
  const levels = data.levels.map((l) => l.filter((n) => known.has(n)));
  const placed = new Set(levels.flat());
  const rest = [...known].filter((n) => !placed.has(n));
  if (rest.length > 0) levels.push(rest);
  const deps = new Map<string, string[]>();
  for (const e of data.edges) deps.set(e.from, [...(deps.get(e.from) ?? []), e.to]);
  const pos = new Map<string, { x: number; y: number }>();
  levels.forEach((level, i) => {
    const order = level
      .map((n, k) => {
        const ys = (deps.get(n) ?? []).map((d) => pos.get(d)?.y).filter((v): v is number => v !== undefined);
        return { n, key: ys.length > 0 ? ys.reduce((a, b) => a + b, 0) / ys.length : k * ROW_H };
      })
      .sort((a, b) => a.key - b.key || (a.n < b.n ? -1 : 1));
    order.forEach(({ n }, k) => pos.set(n, { x: 10 + i * COL_W, y: 10 + k * ROW_H }));
  });
  return pos;
}

function renderGraph(data: ReportData, critical: Set<string>): string {
  const pos = layoutGraph(data);
  const byName = new Map(data.targets.map((t) => [t.name, t]));
  const chain = data.criticalPath.targets;
  const criticalEdges = new Set(chain.slice(1).map((n, i) => `${n}\0${chain[i]!}`));
  const edges: string[] = [];
  for (const e of data.edges) {
    const a = pos.get(e.to);
    const b = pos.get(e.from);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    const cls = criticalEdges.has(`${e.from}\0${e.to}`) ? 'edge critical' : 'edge';
    edges.push(`<path class="${cls}" d="M${f(x1)},${f(y1)} C${f(mid)},${f(y1)} ${f(mid)},${f(y2)} ${f(x2 - 6)},${f(y2)}" marker-end="url(#arrow)"><title>${esc(`${e.from} depends on ${e.to}`)}</title></path>`);
  }
  const nodes: string[] = [];
  let w = 0;
  let h = 0;
  for (const [name, p] of pos) {
    const t = byName.get(name);
    const state = !t || t.earlier ? 'unchanged' : t.state;
    w = Math.max(w, p.x + NODE_W + 10);
    h = Math.max(h, p.y + NODE_H + 10);
    nodes.push(
      `<g class="node${critical.has(name) ? ' critical' : ''}" data-target="${esc(name)}" data-state="${state}">` +
        `<rect class="n-${state}" x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="5"/>` +
        `<text x="${p.x + 8}" y="${p.y + 19}">${esc(truncate(name, 22))}</text>` +
        `<title>${esc(`${name}: ${STATE_TEXT[state] ?? state}${t && t.startedAt !== undefined && !t.earlier ? `, ${formatDuration(t.durationMs)}` : ''}`)}</title></g>`,
    );
  }
  return (
    `<svg class="graph" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="dependency graph">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#7a8594"/></marker></defs>' +
    edges.join('') +
    nodes.join('') +
    '</svg>'
  );
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

function f(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
:root{--built:#3b8f4f;--cached:#9db7d6;--failed:#d2463c;--cancelled:#e3a32b;--running:#8a63c9;--unchanged:#c9ced6;--crit:#f07d13;color-scheme:light}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e7ec;padding-bottom:4px}h3{font-size:15px;margin:12px 0 4px}
.status{font-size:13px;padding:2px 8px;border-radius:10px;vertical-align:middle;color:#fff;background:#6b7380}
.status[data-status=succeeded]{background:var(--built)}.status[data-status=failed]{background:var(--failed)}.status[data-status=cancelled]{background:var(--cancelled)}.status[data-status=running]{background:var(--running)}
.summary,.rebuild{margin:2px 0;color:#4a5362}.run-error{color:var(--failed);font-weight:600}
.critical-path-names{font-weight:700;color:#a04e00}
.legend{color:#4a5362;font-size:12px}.key{display:inline-block;width:14px;height:10px;margin:0 4px 0 10px;vertical-align:middle;border-radius:2px}
.key-built{background:var(--built)}.key-cached{background:var(--cached)}.key-failed{background:var(--failed)}.key-cancelled{background:var(--cancelled)}.key-running{background:var(--running)}.key-span{background:#e9edf2;border:1px solid #c5ccd6}.key-critical{background:#fff1e3;border:2px solid var(--crit)}
svg{display:block;max-width:100%;height:auto}svg text{font:12px system-ui,sans-serif;fill:#1d2430}
.row-bg{fill:#fafbfc}.row.critical .row-bg{fill:#fff1e3}.row.critical .label{font-weight:700;fill:#a04e00}
.span{fill:#e9edf2;stroke:#c5ccd6}.row.critical .span{stroke:var(--crit);stroke-width:1.5}
.step{rx:2}.s-built{fill:var(--built)}.s-cached{fill:var(--cached);stroke:#5f84b0;stroke-width:1}.s-failed{fill:var(--failed)}.s-cancelled{fill:var(--cancelled)}.s-running{fill:var(--running)}
.tick{stroke:#edf0f3}.tick-label{font-size:11px;fill:#6b7380;text-anchor:middle}
table.targets{border-collapse:collapse;font-size:13px}table.targets th,table.targets td{padding:4px 10px;border-bottom:1px solid #edf0f3;text-align:left}
table.targets td.num{text-align:right;font-variant-numeric:tabular-nums}tr.critical td:first-child{font-weight:700;color:#a04e00}
.badge{padding:1px 7px;border-radius:8px;color:#fff;font-size:12px;background:#6b7380}
.b-built{background:var(--built)}.b-cached{background:#5f84b0}.b-failed{background:var(--failed)}.b-cancelled{background:var(--cancelled)}.b-running{background:var(--running)}.b-skipped,.b-unchanged,.b-queued{background:#8d95a1}
.edge{fill:none;stroke:#9aa4b1;stroke-width:1.3}.edge.critical{stroke:var(--crit);stroke-width:2.5}
.node rect{stroke:#fff;stroke-width:1}.node.critical rect{stroke:var(--crit);stroke-width:3}.node text{fill:#fff;font-weight:600}
.n-built{fill:var(--built)}.n-cached{fill:#5f84b0}.n-failed{fill:var(--failed)}.n-cancelled{fill:var(--cancelled)}.n-running{fill:var(--running)}.n-skipped,.n-queued,.n-unchanged{fill:#8d95a1}
.failure{border-left:4px solid var(--failed);padding:2px 12px;margin:10px 0;background:#fdf3f2}.failure .error{font-weight:600}
.log-tail{background:#1d2430;color:#e7ebf0;padding:10px;overflow:auto;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;max-height:360px}
footer{margin-top:32px;color:#8d95a1;font-size:12px}
`.trim();
