import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BuildEvent, TargetResult } from '../../src/events.js';
import { createRenderer, createWatchRenderer, jsonLine, type OutputStream, type RunSummaryLike } from '../../src/ui/index.js';

/** A writable that keeps what was written: a stream, not a stand-in for Docker or BuildKit. */
function collector(tty?: { columns: number; rows: number }): { stream: OutputStream; text(): string } {
  const stream = new PassThrough() as PassThrough & OutputStream;
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
  });
  if (tty) Object.assign(stream, { isTTY: true, ...tty });
  return { stream, text: () => text };
}

const stripAnsi = (s: string): string => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

const T0 = 1_700_000_000_000;
const at = (ms: number): number => T0 + ms;

/** Two targets interleaved: `app` builds (one cached step, one run step with logs), `web` fails at Dockerfile:3. */
function sampleEvents(): BuildEvent[] {
  return [
    { type: 'target-queued', target: 'app', time: at(0) },
    { type: 'target-queued', target: 'web', time: at(0) },
    { type: 'target-started', target: 'app', builder: 'default', time: at(1) },
    { type: 'target-started', target: 'web', builder: 'default', time: at(1) },
    { type: 'step', target: 'app', step: { id: 'sha256:a0', name: '[internal] load build definition from Dockerfile', cached: false }, time: at(2) },
    { type: 'step', target: 'app', step: { id: 'sha256:a0', name: '[internal] load build definition from Dockerfile', cached: false, started: at(2) }, time: at(2) },
    { type: 'step', target: 'app', step: { id: 'sha256:a0', name: '[internal] load build definition from Dockerfile', cached: false, started: at(2), completed: at(52) }, time: at(52) },
    { type: 'step', target: 'web', step: { id: 'sha256:w1', name: '[1/2] FROM local/busybox:1', cached: true, started: at(60), completed: at(60) }, time: at(60) },
    { type: 'step', target: 'app', step: { id: 'sha256:a1', name: '[1/3] FROM local/busybox:1', cached: true, started: at(70), completed: at(70) }, time: at(70) },
    { type: 'step', target: 'app', step: { id: 'sha256:a2', name: '[2/3] RUN make', cached: false, started: at(100) }, time: at(100) },
    { type: 'step', target: 'app', step: { id: 'sha256:a2', name: '[2/3] RUN make', cached: false, started: at(100), current: 1_200_000, total: 3_400_000 }, time: at(150) },
    { type: 'log', target: 'app', stepId: 'sha256:a2', stream: 'stdout', data: 'hello\nwor', time: at(223) },
    { type: 'step', target: 'web', step: { id: 'sha256:w2', name: '[2/2] RUN exit 3', cached: false, started: at(200) }, time: at(200) },
    { type: 'log', target: 'web', stepId: 'sha256:w2', stream: 'stderr', data: 'compiling\nfatal: no such file\n', time: at(250) },
    { type: 'log', target: 'app', stepId: 'sha256:a2', stream: 'stdout', data: 'ld\n', time: at(300) },
    { type: 'warning', target: 'app', message: 'FromAsCasing: as and FROM keywords casing do not match', location: 'Dockerfile:1', url: 'https://docs.docker.com/go/dockerfile/rule/from-as-casing/', time: at(310) },
    { type: 'step', target: 'web', step: { id: 'sha256:w2', name: '[2/2] RUN exit 3', cached: false, started: at(200), completed: at(400), error: 'process "/bin/sh -c exit 3" did not complete successfully: exit code: 3' }, time: at(400) },
    { type: 'target-failed', target: 'web', failure: { reason: 'build-failed', message: 'failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3', location: 'Dockerfile:3' }, logTail: ['compiling', 'fatal: no such file'], durationMs: 399, time: at(400) },
    { type: 'step', target: 'app', step: { id: 'sha256:a2', name: '[2/3] RUN make', cached: false, started: at(100), completed: at(500), current: 3_400_000, total: 3_400_000 }, time: at(500) },
    { type: 'info', target: 'app', message: 'exporting to image', time: at(510) },
    {
      type: 'target-finished',
      target: 'app',
      state: 'built',
      durationMs: 600,
      result: appResult(),
      time: at(601),
    },
  ];
}

function appResult(): TargetResult {
  return {
    target: 'app',
    state: 'built',
    exporterResponse: { 'containerimage.digest': 'sha256:manifest', 'containerimage.config.digest': 'sha256:imageid' },
    durationMs: 600,
    steps: { total: 3, cached: 1 },
  };
}

function sampleSummary(): RunSummaryLike {
  return {
    durationMs: 650,
    results: [
      appResult(),
      {
        target: 'web',
        state: 'failed',
        exporterResponse: {},
        durationMs: 399,
        failure: { reason: 'build-failed', message: 'failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3', location: 'Dockerfile:3' },
        steps: { total: 2, cached: 1 },
      },
    ],
  };
}

function linesOf(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

describe('plain renderer', () => {
  async function run(events = sampleEvents(), summary = sampleSummary()) {
    const out = collector();
    const err = collector();
    const r = createRenderer('plain', { stdout: out.stream, stderr: err.stream, targets: ['app', 'web'] });
    for (const e of events) r.onEvent(e);
    await r.finish(summary);
    return { stdout: out.text(), stderr: err.text() };
  }

  it('prefixes every progress line with its target and numbers steps per target', async () => {
    const { stdout, stderr } = await run();
    expect(stdout).toBe('');
    const progress = linesOf(stderr.slice(0, stderr.indexOf('Summary:')));
    for (const line of progress) expect(line).toMatch(/^\[(app|web)\] /);
    const app = progress.filter((l) => l.startsWith('[app] #'));
    expect(app).toEqual([
      '[app] #1 [internal] load build definition from Dockerfile',
      '[app] #1 DONE 0.1s',
      '[app] #2 [1/3] FROM local/busybox:1',
      '[app] #2 CACHED',
      '[app] #3 [2/3] RUN make',
      '[app] #3 0.123 hello',
      '[app] #3 0.200 world',
      '[app] #3 3.4MB / 3.4MB done',
      '[app] #3 DONE 0.4s',
    ]);
    // web's numbering is its own: its first step is #1 though app had shown two steps before it
    const web = progress.filter((l) => l.startsWith('[web] #'));
    expect(web).toEqual([
      '[web] #1 [1/2] FROM local/busybox:1',
      '[web] #1 CACHED',
      '[web] #2 [2/2] RUN exit 3',
      '[web] #2 0.050 compiling',
      '[web] #2 0.050 fatal: no such file',
      '[web] #2 ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
    ]);
  });

  it('does not show a vertex the daemon only announced', async () => {
    const { stderr } = await run([
      { type: 'step', target: 'app', step: { id: 'x', name: '[3/3] COPY . .', cached: false }, time: at(0) },
    ], { durationMs: 1, results: [] });
    expect(stderr).not.toContain('COPY');
  });

  it('prints warnings, info and target outcomes with the target prefix', async () => {
    const { stderr } = await run();
    expect(stderr).toContain(
      '[app] WARNING: FromAsCasing: as and FROM keywords casing do not match (Dockerfile:1)\n' +
        '[app]   More info: https://docs.docker.com/go/dockerfile/rule/from-as-casing/\n',
    );
    expect(stderr).toContain('[app] exporting to image\n');
    expect(stderr).toContain('[app] DONE 0.6s\n');
    expect(stderr).toContain('[web] FAILED 0.4s: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3\n[web]   at Dockerfile:3\n');
  });

  it('ends with the summary, the failure and its Dockerfile location', async () => {
    const { stderr } = await run();
    const summary = stderr.slice(stderr.indexOf('Summary:'));
    expect(linesOf(summary)).toEqual([
      'Summary: 2 targets in 0.7s (1 built, 1 failed)',
      expect.stringMatching(/^ {2}app\s+built\s+0\.6s {2}3 steps, 1 cached$/),
      expect.stringMatching(/^ {2}web\s+failed\s+0\.4s$/),
      '    ERROR: failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3',
      '    at Dockerfile:3',
      '1 warning (see above)',
    ]);
  });

  it('flushes a log line left without its newline when the target ends', async () => {
    const { stderr } = await run([
      { type: 'step', target: 'app', step: { id: 's', name: 'RUN printf x', cached: false, started: at(0) }, time: at(0) },
      { type: 'log', target: 'app', stepId: 's', stream: 'stdout', data: 'no newline', time: at(10) },
      { type: 'target-cancelled', target: 'app', time: at(20) },
    ], { durationMs: 20, results: [] });
    expect(stderr).toContain('[app] #1 0.020 no newline\n[app] CANCELED\n');
  });
});

describe('json renderer', () => {
  it('writes one parseable JSON object per event, each with its target, on stderr by default', async () => {
    const out = collector();
    const err = collector();
    const r = createRenderer('json', { stdout: out.stream, stderr: err.stream, targets: ['app', 'web'] });
    const events = sampleEvents();
    for (const e of events) r.onEvent(e);
    await r.finish(sampleSummary());
    expect(out.text()).toBe('');
    const parsed = err.text().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed).toHaveLength(events.length + 1);
    // Each event as it is (plus the legacy fields of a failure, tested below).
    expect(parsed.slice(0, -1)).toMatchObject(events);
    for (const p of parsed.slice(0, -1)) expect(['app', 'web']).toContain(p.target);
    const log = parsed.find((p) => p.type === 'log');
    expect(typeof log?.data).toBe('string');
    expect(new Set(parsed.map((p) => p.type))).toEqual(
      new Set(['target-queued', 'target-started', 'step', 'log', 'warning', 'info', 'target-failed', 'target-finished', 'run-summary']),
    );
    expect(parsed.at(-1)).toMatchObject({ type: 'run-summary', durationMs: 650, results: [{ target: 'app' }, { target: 'web' }] });
  });

  it('keeps the fields consumers read before `failure`: error and location beside it, reason on target-skipped', () => {
    const failure = { reason: 'build-failed' as const, message: 'exit code: 3', location: 'Dockerfile:3' };
    const failed = JSON.parse(jsonLine({ type: 'target-failed', target: 'web', failure, logTail: [], durationMs: 1, time: at(0) }));
    expect(failed).toMatchObject({ failure, error: 'exit code: 3', location: 'Dockerfile:3' });
    const skip = { reason: 'dependency-failed' as const, message: 'dependency web failed' };
    const skipped = JSON.parse(jsonLine({ type: 'target-skipped', target: 'docs', failure: skip, time: at(0) }));
    expect(skipped).toMatchObject({ failure: skip, reason: 'dependency web failed', error: 'dependency web failed' });
    const result = { target: 'web', state: 'failed' as const, exporterResponse: {}, durationMs: 1, failure, steps: { total: 1, cached: 0 } };
    const finished = JSON.parse(jsonLine({ type: 'watch-build-finished', target: 'web', result, time: at(0) }));
    expect(finished.result).toMatchObject({ failure, error: 'exit code: 3', location: 'Dockerfile:3' });
    const summary = JSON.parse(jsonLine({ type: 'run-summary', time: at(0), durationMs: 1, results: [result] }));
    expect(summary.results[0]).toMatchObject({ failure, error: 'exit code: 3' });
    // The watch-planned line leaves the plan out, as it always has.
    expect(JSON.parse(jsonLine({ type: 'watch-planned', plan: {} as never, reason: 'initial', time: at(0) }))).toEqual({ type: 'watch-planned', reason: 'initial', time: at(0) });
  });

  it('can write to stdout instead', async () => {
    const out = collector();
    const err = collector();
    const r = createRenderer('json', { stdout: out.stream, stderr: err.stream, targets: ['app'], jsonStream: 'stdout' });
    r.onEvent({ type: 'info', message: 'hi', time: at(0) });
    await r.finish({ durationMs: 0, results: [] });
    expect(err.text()).toBe('');
    expect(linesOf(out.text()).map((l) => JSON.parse(l).type)).toEqual(['info', 'run-summary']);
  });
});

describe('quiet renderer', () => {
  it('prints only errors on stderr and the image IDs on stdout', async () => {
    const out = collector();
    const err = collector();
    const r = createRenderer('quiet', { stdout: out.stream, stderr: err.stream, targets: ['web', 'app', 'lib'] });
    for (const e of sampleEvents()) r.onEvent(e);
    const summary = sampleSummary();
    summary.results.push({
      target: 'lib',
      state: 'cached',
      exporterResponse: { 'containerimage.digest': 'sha256:libmanifest' },
      durationMs: 10,
      steps: { total: 1, cached: 1 },
    });
    await r.finish(summary);
    expect(out.text()).toBe('sha256:imageid\nsha256:libmanifest\n');
    expect(err.text()).toBe(
      'ERROR: target "web": failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3 (Dockerfile:3)\n' +
        '------\n > compiling\n > fatal: no such file\n------\n',
    );
  });

  it('reports a failure that only the summary knows of', async () => {
    const out = collector();
    const err = collector();
    const r = createRenderer('quiet', { stdout: out.stream, stderr: err.stream, targets: ['web'] });
    await r.finish({ durationMs: 1, results: [{ ...sampleSummary().results[1]! }] });
    expect(out.text()).toBe('');
    expect(err.text()).toContain('ERROR: target "web": failed to solve');
  });
});

describe('tty renderer', () => {
  async function run(tty: boolean, events = sampleEvents(), targets = ['app', 'web']) {
    const out = collector();
    const err = collector(tty ? { columns: 120, rows: 40 } : undefined);
    const r = createRenderer('tty', { stdout: out.stream, stderr: err.stream, targets, color: false });
    for (const e of events) r.onEvent(e);
    await r.finish(sampleSummary());
    return { stdout: out.text(), stderr: err.text() };
  }

  it('draws one row per target on a terminal and ends with the summary', async () => {
    const { stdout, stderr } = await run(true);
    expect(stdout).toBe('');
    const text = stripAnsi(stderr);
    // the last frame listr2 leaves on screen, then our summary
    expect(text).toMatch(/app\s+built 0\.6s\s+3\/3 steps, 1 cached/);
    expect(text).toMatch(/web\s+failed 0\.4s\s+ERROR: failed to solve: process "\/bin\/sh -c exit 3"/);
    expect(text).toContain('at Dockerfile:3');
    expect(text).toContain('> fatal: no such file');
    expect(text).toContain('1 warning found:\n[app] WARNING: FromAsCasing');
    expect(text.trimEnd().endsWith('    at Dockerfile:3')).toBe(true);
    expect(text.indexOf('Summary: 2 targets')).toBeGreaterThan(text.lastIndexOf('> fatal: no such file'));
  });

  it('shows queued rows, the running step with its progress and cached steps while building', async () => {
    const out = collector();
    const err = collector({ columns: 120, rows: 40 });
    const r = createRenderer('tty', { stdout: out.stream, stderr: err.stream, targets: ['app', 'web'], color: false });
    const events = sampleEvents();
    // app is mid-build (RUN make at 1.2MB / 3.4MB, FROM cached), web has not started yet
    const upTo = events.findIndex((e) => e.type === 'log');
    for (const e of events.slice(0, upTo + 1)) if (e.target !== 'web') r.onEvent(e);
    // listr2 redraws on a timer: wait for a frame that shows the running step
    const frame = await waitFor(() => stripAnsi(err.text()), (t) => t.includes('1.2MB / 3.4MB'));
    expect(frame).toMatch(/web\s+queued/);
    expect(frame).toMatch(/app\s+running/);
    expect(frame).toContain('#2 CACHED [1/3] FROM local/busybox:1');
    expect(frame).toMatch(/→ #3 \[2\/3\] RUN make {2}1\.2MB \/ 3\.4MB/);
    expect(frame).toContain('hello');
    for (const e of events.slice(upTo + 1)) r.onEvent(e);
    r.onEvent({ type: 'target-failed', target: 'web', failure: { reason: 'build-failed', message: 'boom' }, logTail: [], durationMs: 1, time: at(700) });
    await r.finish(sampleSummary());
    expect(stripAnsi(err.text())).toContain('Summary: 2 targets');
  });

  it('falls back to line output on a stream that is not a terminal', async () => {
    const { stderr } = await run(false);
    const text = stripAnsi(stderr);
    expect(text).not.toContain('\u001b[');
    expect(text).toMatch(/app\s+built 0\.6s/);
    expect(text).toMatch(/web\s+failed 0\.4s \[FAILED: failed to solve: process/);
    // the failure's log tail comes after the rows, before the summary
    expect(text).toContain('ERROR: target "web": failed to solve: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3 (Dockerfile:3)\n------\n > compiling\n > fatal: no such file\n------\n');
    expect(text).toContain('Summary: 2 targets in 0.7s (1 built, 1 failed)');
    expect(text).toContain('    at Dockerfile:3');
  });

  it('closes rows the events left open (cancelled, skipped, never started) and does not hang', async () => {
    const { stderr } = await run(
      true,
      [
        { type: 'target-started', target: 'app', builder: 'default', time: at(0) },
        { type: 'target-skipped', target: 'docs', failure: { reason: 'dependency-failed', message: 'dependency web failed' }, time: at(1) },
      ],
      ['app', 'web', 'docs', 'late'],
    );
    const text = stripAnsi(stderr);
    expect(text).toMatch(/docs\s+skipped: dependency web failed/);
    expect(text).toMatch(/late\s+cancelled/);
    expect(text).toContain('Summary: 2 targets');
  });

  it('does not redraw once per log line under a flood of logs', async () => {
    const err = collector({ columns: 120, rows: 40 });
    const r = createRenderer('tty', { stdout: collector().stream, stderr: err.stream, targets: ['app'], color: false });
    r.onEvent({ type: 'target-started', target: 'app', builder: 'default', time: Date.now() });
    r.onEvent({ type: 'step', target: 'app', step: { id: 's', name: 'RUN seq 5000', cached: false, started: Date.now() }, time: Date.now() });
    // once listr2 draws, every change would redraw: flood it then
    await waitFor(() => stripAnsi(err.text()), (t) => t.includes('RUN seq 5000'));
    for (let i = 1; i <= 5000; i++) r.onEvent({ type: 'log', target: 'app', stepId: 's', stream: 'stdout', data: `line ${i}\n`, time: Date.now() });
    await waitFor(() => stripAnsi(err.text()), (t) => t.includes('line 5000'));
    await r.finish({ durationMs: 1, results: [] });
    const frames = stripAnsi(err.text()).split('\n').filter((l) => /app\s+running/.test(l)).length;
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(50);
    expect(stripAnsi(err.text())).toMatch(/app\s+cancelled/);
  });

  it('renders a run with no targets', async () => {
    const { stderr } = await run(true, [], []);
    expect(stripAnsi(stderr)).toContain('Summary:');
  });
});

async function waitFor(read: () => string, ok: (text: string) => boolean, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = read();
    if (ok(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('watch renderer', () => {
  const failure = { reason: 'build-failed' as const, message: 'exit code: 3', location: 'Dockerfile:2' };
  const result = (target: string, state: TargetResult['state'], f?: TargetResult['failure']): TargetResult => ({
    target,
    state,
    exporterResponse: {},
    durationMs: 1200,
    ...(f ? { failure: f } : {}),
    steps: { total: 0, cached: 0 },
  });

  it('plain: a failure its build showed is not repeated; one no build event carried is printed with its reason', () => {
    const err = collector();
    const r = createWatchRenderer('plain', { stdout: collector().stream, stderr: err.stream });
    r.onEvent({ type: 'watch-ready', time: at(0) });
    const web = r.build('web');
    web.onEvent({ type: 'target-failed', target: 'web', failure, logTail: [], durationMs: 1200, time: at(1) });
    r.onEvent({ type: 'watch-build-finished', target: 'web', result: result('web', 'failed', failure), time: at(2) });
    // The builder could not be opened: runPlan threw before any event of the target.
    r.build('api');
    const unreachable = { reason: 'daemon-unreachable' as const, message: 'cannot connect to unix:///nowhere.sock' };
    r.onEvent({ type: 'watch-build-finished', target: 'api', result: result('api', 'failed', unreachable), time: at(3) });
    const skip = { reason: 'dependency-failed' as const, message: 'dependency web did not build' };
    r.onEvent({ type: 'watch-build-finished', target: 'app', result: result('app', 'skipped', skip), time: at(4) });
    // A missing context was announced by a warning when found: no second line.
    r.onEvent({ type: 'watch-warning', message: 'target "doc": context directory /x does not exist; waiting for it to come back', time: at(5) });
    const missing = { reason: 'missing-input' as const, message: 'target "doc": context directory /x does not exist; waiting for it to come back' };
    r.onEvent({ type: 'watch-build-finished', target: 'doc', result: result('doc', 'skipped', missing), time: at(5) });
    r.onEvent({
      type: 'watch-rebuild-summary',
      trigger: [],
      count: 0,
      targets: ['web', 'api', 'app', 'doc'],
      results: [result('web', 'failed', failure), result('api', 'failed', unreachable), result('app', 'skipped', skip), result('doc', 'skipped', missing)],
      durationMs: 1500,
      initial: true,
      time: at(6),
    });
    const lines = linesOf(err.text());
    expect(lines.filter((l) => l.includes('exit code: 3'))).toEqual(['[web] FAILED 1.2s: exit code: 3']);
    expect(lines).toContain('[api] ERROR: cannot connect to unix:///nowhere.sock');
    expect(lines).toContain('[app] SKIPPED: dependency web did not build');
    expect(lines.filter((l) => l.includes('/x does not exist'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('watch: start → web failed 1.2s, api failed 1.2s, app skipped 1.2s, doc skipped 1.2s in 1.5s');
  });

  it('quiet: only failures, each once, as docker build prints them', () => {
    const err = collector();
    const out = collector();
    const r = createWatchRenderer('quiet', { stdout: out.stream, stderr: err.stream });
    r.onEvent({ type: 'watch-ready', time: at(0) });
    r.build('api');
    r.onEvent({ type: 'watch-build-finished', target: 'api', result: result('api', 'failed', failure), time: at(1) });
    const web = r.build('web');
    web.onEvent({ type: 'target-failed', target: 'web', failure, logTail: [], durationMs: 1, time: at(2) });
    r.onEvent({ type: 'watch-build-finished', target: 'web', result: result('web', 'failed', failure), time: at(3) });
    expect(linesOf(err.text())).toEqual(['ERROR: target "api": exit code: 3 (Dockerfile:2)', 'ERROR: target "web": exit code: 3 (Dockerfile:2)']);
    expect(out.text()).toBe('');
  });

  it('json: watch events and build events as lines, the plan left out; config errors also as text', () => {
    const err = collector();
    const r = createWatchRenderer('json', { stdout: collector().stream, stderr: err.stream });
    r.onEvent({ type: 'watch-planned', plan: {} as never, reason: 'initial', time: at(0) });
    r.build('web').onEvent({ type: 'target-failed', target: 'web', failure, logTail: [], durationMs: 1, time: at(1) });
    r.onEvent({ type: 'watch-build-finished', target: 'web', result: result('web', 'failed', failure), time: at(2) });
    r.onEvent({ type: 'watch-config-error', diagnostics: [{ file: 'tsbake.yaml', line: 3, column: 5, message: 'unknown key "contxt"', severity: 'error' }], time: at(3) });
    const lines = linesOf(err.text());
    expect(lines.filter((l) => !l.startsWith('{'))).toEqual(['tsbake.yaml:3:5: unknown key "contxt"']);
    const events = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; result?: { error?: string } });
    expect(events.map((e) => e.type)).toEqual(['watch-planned', 'target-failed', 'watch-build-finished', 'watch-config-error']);
    expect(events[0]).toEqual({ type: 'watch-planned', reason: 'initial', time: at(0) });
    expect(events[2]?.result?.error).toBe('exit code: 3');
  });
});
