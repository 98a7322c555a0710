/**
 * `tsbake watch` end to end: the real CLI process with `--progress json`, real builds on Docker 20.10
 * (BuildKit v0.8: dependencies through `depends-on`) and Docker 26 (BuildKit v0.13: `target:` contexts),
 * native file events and polling. Every step waits on the events the CLI prints; where a test must show
 * that something did NOT happen, it makes a later change elsewhere (a barrier) and checks what was
 * reported before that change's rebuild finished: file events arrive in order, so anything the first
 * write caused would show up first.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import { engines, requireEngine, type EngineRef } from '../helpers/env.js';
import { project, runCli, spawnCli } from '../helpers/cli.js';

const uniq = (): string => Math.random().toString(36).slice(2, 10);
const DEBOUNCE = 50;
/** A safety net only: every wait ends on an event long before this. */
const WAIT_MS = 60_000;

interface WatchEvent {
  type: string;
  time: number;
  target?: string;
  trigger?: string[];
  targets?: string[];
  paths?: string[];
  count?: number;
  initial?: boolean;
  reason?: string;
  message?: string;
  data?: string;
  result?: { state: string; error?: string; failure?: { reason: string; message: string } };
  diagnostics?: { file: string; line: number; column: number; message: string }[];
}

/** One running `tsbake watch`: its stderr parsed into events, with waits on them. */
class Session {
  readonly events: WatchEvent[] = [];
  readonly text: string[] = [];
  readonly #waiters = new Set<() => void>();
  readonly exited: Promise<number>;

  constructor(readonly child: ResultPromise) {
    const rl = createInterface({ input: child.stderr! });
    rl.on('line', (line) => {
      if (line.startsWith('{')) {
        try {
          this.events.push(JSON.parse(line) as WatchEvent);
        } catch {
          this.text.push(line);
        }
      } else this.text.push(line);
      for (const w of [...this.#waiters]) w();
    });
    this.exited = child.then((r) => {
      for (const w of [...this.#waiters]) w();
      return r.exitCode ?? -1;
    });
  }

  /** Index to search from for events caused by what happens next. */
  mark(): number {
    return this.events.length;
  }

  /** The first event at or after `from` that satisfies `pred`; fails if the CLI exits first. */
  wait(pred: (e: WatchEvent) => boolean, from = 0, what = 'event'): Promise<{ event: WatchEvent; index: number }> {
    return new Promise((resolve, reject) => {
      let done = false;
      const check = (): void => {
        if (done) return;
        for (let i = from; i < this.events.length; i++) {
          const e = this.events[i]!;
          if (pred(e)) {
            finish();
            resolve({ event: e, index: i });
            return;
          }
        }
        if (this.child.exitCode !== null) {
          finish();
          reject(new Error(`tsbake exited (${this.child.exitCode}) before ${what}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${what} within ${WAIT_MS} ms\n${this.tail()}`));
      }, WAIT_MS);
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The next rebuild summary at or after `from` whose trigger includes `file` (or the initial one). */
  summary(from: number, file?: string): Promise<{ event: WatchEvent; index: number }> {
    return this.wait(
      (e) => e.type === 'watch-rebuild-summary' && (file === undefined ? e.initial === true : (e.trigger ?? []).includes(file)),
      from,
      file === undefined ? 'initial rebuild summary' : `rebuild summary for ${file}`,
    );
  }

  watchEvents(from: number, to = this.events.length): WatchEvent[] {
    return this.events.slice(from, to).filter((e) => e.type.startsWith('watch-'));
  }

  started(from: number, to = this.events.length): string[] {
    return this.watchEvents(from, to)
      .filter((e) => e.type === 'watch-build-started')
      .map((e) => e.target ?? '');
  }

  changedPaths(from: number, to = this.events.length): string[] {
    return this.watchEvents(from, to).flatMap((e) => (e.type === 'watch-changed' ? (e.paths ?? []) : []));
  }

  tail(): string {
    const ev = this.watchEvents(0)
      .slice(-25)
      .map((e) => JSON.stringify(e).slice(0, 300));
    return [...ev, ...this.text.slice(-15)].join('\n');
  }

  async stop(): Promise<number> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    return this.exited;
  }
}

const sessions: Session[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.stop()));
});

/** Processes on this machine (BuildKit's RUN containers included) whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Polls a condition (not a fixed sleep): resolves once `ok()` holds, fails after `ms`. */
async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('tsbake watch on %s', (engineName, engine) => {
  const named = engineName === 'docker26';
  beforeAll(async () => {
    await requireEngine(engine);
  });

  describe.each([
    ['native events', false],
    ['polling', 100],
  ] as [string, number | false][])('%s', (_mode, poll) => {
    const env = { DOCKER_HOST: engine.host };
    /** How long a change may take to be noticed, on top of the debounce: polling sees it within one interval and waits one more before acting. */
    const notice = poll === false ? 0 : 2 * poll;

    function start(dir: string, args: string[] = []): Session {
      const pollArgs = poll === false ? [] : ['--poll', String(poll)];
      const s = new Session(spawnCli(['watch', '--progress', 'json', '--debounce', String(DEBOUNCE), ...pollArgs, ...args], { cwd: dir, env }));
      sessions.push(s);
      return s;
    }

    /**
     * base ← app (depends-on on 20.10, a `target:` context on 26), other independent. Each has a
     * context of its own; `other` has a .dockerignore.
     */
    async function monorepo(extra: Record<string, string> = {}): Promise<string> {
      const id = uniq();
      const app = named
        ? '  app:\n    context: app\n    contexts: {base: "target:base"}\n'
        : '  app:\n    context: app\n    depends-on: [base]\n';
      return project({
        'tsbake.yaml': `target:\n  base:\n    context: base\n${app}  other:\n    context: other\ngroup:\n  default:\n    targets: [app, other]\n`,
        'base/Dockerfile': `FROM local/busybox:1\nCOPY . /base\nRUN echo base-${id} > /base.txt\n`,
        'base/f.txt': 'base\n',
        'app/Dockerfile': named ? 'FROM base\nCOPY . /app\n' : 'FROM local/busybox:1\nCOPY . /app\n',
        'app/f.txt': 'app\n',
        'other/Dockerfile': 'FROM local/busybox:1\nCOPY . /other\n',
        'other/f.txt': 'other\n',
        'other/.dockerignore': 'ignored.txt\nskip/\n*.log\n',
        'other/skip/deep/x.txt': 'x\n',
        ...extra,
      });
    }

    async function ready(s: Session): Promise<void> {
      await s.wait((e) => e.type === 'watch-ready', 0, 'ready');
      const { event } = await s.summary(0);
      for (const r of (event as unknown as { results: { target: string; state: string; error?: string }[] }).results) {
        expect(r.state, `${r.target}: ${r.error ?? ''}\n${s.tail()}`).toMatch(/^(built|cached)$/);
      }
    }

    it('a change rebuilds its target and the targets depending on it, and nothing else', async () => {
      const dir = await monorepo();
      const s = start(dir);
      await ready(s);
      expect(s.started(0).sort()).toEqual(['app', 'base', 'other']);

      const cases: [string, string[]][] = [
        ['base/f.txt', ['app', 'base']],
        ['app/f.txt', ['app']],
        ['other/f.txt', ['other']],
      ];
      for (const [rel, expected] of cases) {
        const file = path.join(dir, rel);
        const from = s.mark();
        await fs.writeFile(file, `changed ${uniq()}\n`);
        const { event, index } = await s.summary(from, file);
        expect([...(event.targets ?? [])].sort(), s.tail()).toEqual(expected);
        expect(s.started(from, index).sort()).toEqual(expected);
        expect(s.changedPaths(from, index)).toEqual([file]);
        // Dependencies build first.
        if (expected.includes('base')) expect(event.targets).toEqual(['base', 'app']);
      }
    });

    it('.dockerignore-excluded files and editor noise trigger nothing', async () => {
      const dir = await monorepo();
      const s = start(dir);
      await ready(s);
      const from = s.mark();
      const ignored = ['other/ignored.txt', 'other/skip/deep/x.txt', 'other/skip/new.txt', 'other/build.log', 'other/.f.txt.swp', 'other/f.txt~'];
      for (const rel of ignored) await fs.writeFile(path.join(dir, rel), uniq());
      // Barrier: a relevant change after the ignored ones.
      const sentinel = path.join(dir, 'app/f.txt');
      await fs.writeFile(sentinel, uniq());
      const { event, index } = await s.summary(from, sentinel);
      expect(s.changedPaths(from, index)).toEqual([sentinel]);
      expect(event.targets).toEqual(['app']);
      expect(s.started(from, index)).toEqual(['app']);
    });

    it('writing the target’s own type=local output inside its context triggers nothing (no loop)', async () => {
      const id = uniq();
      const dir = await project({
        'tsbake.yaml': 'target:\n  gen:\n    context: gen\n    output: ["type=local,dest=gen/out"]\n  app:\n    context: app\ngroup:\n  default:\n    targets: [gen, app]\n',
        'gen/Dockerfile': `FROM local/busybox:1 AS b\nCOPY src.txt /src.txt\nRUN mkdir /o && cp /src.txt /o/result.txt && echo ${id} > /o/id.txt\nFROM scratch\nCOPY --from=b /o /\n`,
        'gen/src.txt': 'one\n',
        'app/Dockerfile': 'FROM local/busybox:1\nCOPY . /app\n',
        'app/f.txt': 'app\n',
      });
      const s = start(dir);
      await ready(s);
      expect(await fs.readFile(path.join(dir, 'gen/out/result.txt'), 'utf8')).toBe('one\n');

      // A real change to gen: it rebuilds once and writes its output again.
      const src = path.join(dir, 'gen/src.txt');
      const from = s.mark();
      await fs.writeFile(src, 'two\n');
      await s.summary(from, src);
      expect(await fs.readFile(path.join(dir, 'gen/out/result.txt'), 'utf8')).toBe('two\n');

      // Barrier: nothing the export wrote may have been reported or caused a build.
      const sentinel = path.join(dir, 'app/f.txt');
      await fs.writeFile(sentinel, uniq());
      const { index } = await s.summary(from, sentinel);
      const all = s.changedPaths(0, index);
      // Neither gen/out nor the exporter's staging dir next to it (gen/.out.tmp-…).
      expect(all.filter((p) => /^gen\/\.?out/.test(path.relative(dir, p))), s.tail()).toEqual([]);
      expect(s.started(0, index).filter((t) => t === 'gen')).toHaveLength(2);
    });

    it('2,000 files touched in one burst produce one rebuild', async () => {
      const files: Record<string, string> = {};
      for (let i = 0; i < 2000; i++) files[`other/many/d${i % 20}/f${i}.txt`] = 'v1\n';
      const dir = await monorepo(files);
      const s = start(dir);
      await ready(s);
      const from = s.mark();
      // Synchronous writes, one after the other, as a checkout does them.
      for (const rel of Object.keys(files)) writeFileSync(path.join(dir, rel), 'v2\n');
      const first = path.join(dir, Object.keys(files)[0]!);
      const { index: built } = await s.wait((e) => e.type === 'watch-build-finished' && e.target === 'other', from, 'rebuild of other');
      // Barrier after the burst's rebuild.
      const sentinel = path.join(dir, 'app/f.txt');
      await fs.writeFile(sentinel, uniq());
      const { index } = await s.summary(built, sentinel);
      const changed = s.watchEvents(from, index).filter((e) => e.type === 'watch-changed');
      expect(changed.map((e) => `${e.count} paths at ${e.time}`).join(', ')).toMatch(/^\d+ paths at \d+, 1 paths at \d+$/);
      expect(changed[0]!.count).toBe(2000);
      expect(changed[0]!.paths).toContain(first);
      expect(s.started(from, index)).toEqual(['other', 'app']);
    });

    it('a change during a long RUN cancels and restarts that target within debounce + 200 ms; Ctrl-C then exits 130 and leaves nothing running', async () => {
      const marker = `tsbake-watch-${uniq()}`;
      const dir = await project({
        'tsbake.yaml': 'target:\n  slow:\n    context: .\n',
        Dockerfile: `FROM local/busybox:1\nCOPY trigger.txt /t\nRUN echo "started-$(cat /t)" && sleep 30 && echo ${marker}\n`,
        'trigger.txt': 'one',
      });
      const s = start(dir, ['slow']);
      await s.wait((e) => e.type === 'log' && (e.data ?? '').includes('started-one'), 0, 'the first RUN to start');
      await until(() => processesWith(marker).length > 0, 10_000, 'the RUN process to appear');

      const from = s.mark();
      const t0 = Date.now();
      await fs.writeFile(path.join(dir, 'trigger.txt'), 'two');
      const { event: restarted } = await s.wait((e) => e.type === 'watch-build-started' && e.target === 'slow', from, 'restart of slow');
      const latency = restarted.time - t0;
      const cancelled = s.watchEvents(from).findIndex((e) => e.type === 'watch-build-cancelled' && e.target === 'slow');
      const restartAt = s.watchEvents(from).indexOf(restarted);
      expect(cancelled, s.tail()).toBeGreaterThanOrEqual(0);
      expect(cancelled).toBeLessThan(restartAt);
      expect(latency, `write → restart took ${latency} ms`).toBeLessThanOrEqual(DEBOUNCE + notice + 200);
      await s.wait((e) => e.type === 'log' && (e.data ?? '').includes('started-two'), from, 'the restarted RUN');

      s.child.kill('SIGINT');
      expect(await s.exited).toBe(130);
      // BuildKit kills the RUN container once the solve is cancelled: nothing with the marker survives.
      await until(() => processesWith(marker).length === 0, 15_000, 'the RUN process to go away');
      // And the engine is free: a quick build runs at once.
      await fs.writeFile(path.join(dir, 'Dockerfile'), `FROM local/busybox:1\nRUN echo quick-${marker}\n`);
      const t1 = Date.now();
      const again = await runCli(['run', 'slow', '--progress', 'plain'], { cwd: dir, env });
      expect(again.code, again.stderr).toBe(0);
      expect(Date.now() - t1).toBeLessThan(20_000);
    });

    it('a failing build keeps watching; the fix rebuilds successfully', async () => {
      const dir = await project({
        'tsbake.yaml': 'target:\n  app:\n    context: .\n',
        Dockerfile: 'FROM local/busybox:1\nRUN echo about-to-fail && exit 3\n',
      });
      const s = start(dir, ['app']);
      const { event: failed } = await s.wait((e) => e.type === 'watch-build-finished' && e.target === 'app', 0, 'first build');
      expect(failed.result?.state).toBe('failed');
      expect(failed.result?.failure).toMatchObject({ reason: 'build-failed', message: expect.stringMatching(/exit code: 3/) });
      // The field the json lines had before `failure`, kept for the tools that read it.
      expect(failed.result?.error).toBe(failed.result?.failure?.message);
      await s.summary(0);
      const dockerfile = path.join(dir, 'Dockerfile');
      const from = s.mark();
      await fs.writeFile(dockerfile, `FROM local/busybox:1\nRUN echo fixed-${uniq()}\n`);
      const { event } = await s.summary(from, dockerfile);
      expect((event as unknown as { results: { state: string }[] }).results.map((r) => r.state)).toEqual(['built']);
      expect(s.child.exitCode).toBeNull();
    });

    it('an invalid config edit keeps the old plan and reports file:line:col; fixing it re-plans', async () => {
      const dir = await monorepo();
      const s = start(dir);
      await ready(s);
      const config = path.join(dir, 'tsbake.yaml');
      const good = await fs.readFile(config, 'utf8');

      let from = s.mark();
      await fs.writeFile(config, good.replace('  other:\n    context: other\n', '  other:\n    contxt: other\n'));
      const { event: err } = await s.wait((e) => e.type === 'watch-config-error', from, 'config error');
      const d = err.diagnostics?.[0];
      expect(d?.file).toBe(config);
      const line = good.split('\n').findIndex((l) => l === '  other:') + 2;
      expect([d?.line, d?.column]).toEqual([line, 5]);
      expect(d?.message).toMatch(/contxt/);
      expect(s.text.join('\n')).toContain(`${config}:${line}:5:`);
      expect(s.started(from)).toEqual([]);

      // The old plan is still in force: a change to other rebuilds it with its old definition.
      const f = path.join(dir, 'other/f.txt');
      await fs.writeFile(f, uniq());
      const { event: kept } = await s.summary(from, f);
      expect(kept.targets).toEqual(['other']);

      // The fix re-plans; the target whose definition changed (an arg added) rebuilds, nothing else.
      from = s.mark();
      await fs.writeFile(config, good.replace('  other:\n    context: other\n', '  other:\n    context: other\n    args: {X: "1"}\n'));
      const { index: planned } = await s.wait((e) => e.type === 'watch-planned' && e.reason === 'config-changed', from, 're-plan');
      const { event } = await s.summary(from, config);
      expect(event.targets).toEqual(['other']);
      expect(s.started(planned)).toEqual(['other']);
    });

    it('deleting the Dockerfile waits for it; restoring it rebuilds', async () => {
      const dir = await monorepo();
      const s = start(dir);
      await ready(s);
      const dockerfile = path.join(dir, 'other/Dockerfile');
      const content = await fs.readFile(dockerfile, 'utf8');
      let from = s.mark();
      await fs.rm(dockerfile);
      const { event: skipped } = await s.summary(from, dockerfile);
      expect((skipped as unknown as { results: { target: string; state: string }[] }).results).toEqual([
        expect.objectContaining({ target: 'other', state: 'skipped' }),
      ]);
      expect(s.watchEvents(from).some((e) => e.type === 'watch-warning' && (e.message ?? '').includes('does not exist'))).toBe(true);
      expect(s.child.exitCode).toBeNull();

      from = s.mark();
      await fs.writeFile(dockerfile, content);
      const { event: back } = await s.summary(from, dockerfile);
      expect((back as unknown as { results: { target: string; state: string }[] }).results).toEqual([
        expect.objectContaining({ target: 'other', state: expect.stringMatching(/^(built|cached)$/) }),
      ]);
    });

    it('`tsbake run --watch` is the same loop, and Ctrl-C when idle exits 130', async () => {
      const dir = await monorepo();
      const pollArgs = poll === false ? [] : ['--poll', String(poll)];
      const s = new Session(spawnCli(['run', 'other', '--watch', '--progress', 'json', ...pollArgs], { cwd: dir, env }));
      sessions.push(s);
      await ready(s);
      expect(s.started(0)).toEqual(['other']);
      const f = path.join(dir, 'other/f.txt');
      const from = s.mark();
      await fs.writeFile(f, uniq());
      await s.summary(from, f);
      s.child.kill('SIGINT');
      expect(await s.exited).toBe(130);
    });
  });
});

describe('tsbake watch refuses what run refuses, before building anything', () => {
  beforeAll(async () => {
    await requireEngine(engines.docker20);
  });

  /** examples/monorepo (named contexts) on Docker 20.10, whose BuildKit v0.8 has none. */
  async function monorepoExample(): Promise<string> {
    const root = path.join(path.dirname(new URL(import.meta.url).pathname), '../../examples/monorepo');
    const files: Record<string, string> = {};
    for (const rel of ['tsbake.yaml', 'base/Dockerfile', 'app/Dockerfile', 'app/main.sh', 'api/Dockerfile', 'api/main.sh']) {
      files[rel] = readFileSync(path.join(root, rel), 'utf8').replace('$schema: ../../schema/tsbake.schema.json\n', '');
    }
    return project(files);
  }

  const messages = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'));

  it.each(['json', 'plain'])('--progress %s: exit 2 with the message of run, and no solve', async (progress) => {
    const dir = await monorepoExample();
    const env = { DOCKER_HOST: engines.docker20.host };
    const run = await runCli(['run', '--progress', progress], { cwd: dir, env });
    expect(run.code, run.stderr).toBe(2);
    const refusal = messages(run.stderr).filter((l) => l.includes('named contexts'));
    expect(refusal, run.stderr).toHaveLength(2);
    // Ends by itself (an old watch kept watching: the timeout fails the test instead of hanging it).
    const watch = await runCli(['watch', '--progress', progress, '--debounce', String(DEBOUNCE)], { cwd: dir, env, timeoutMs: 60_000 });
    expect(watch.code, watch.stderr).toBe(2);
    const shown = messages(watch.stderr).filter((l) => !l.startsWith('watch: '));
    expect(shown, watch.stderr).toEqual(messages(run.stderr).filter((l) => !l.startsWith('[')));
    expect(shown).toEqual(expect.arrayContaining(refusal));
    // Nothing was built: no solve started (json: no target-started; plain: no "[base] building" line).
    expect(watch.stderr).not.toMatch(/"type":"target-started"|\] building with/);
  });

  it('a config edit the builders refuse is a config error: the previous plan stays, nothing rebuilds', async () => {
    const dir = await monorepoExample();
    const config = path.join(dir, 'tsbake.yaml');
    const named = readFileSync(config, 'utf8');
    // Start without named contexts (v0.8 builds that), then put them back.
    writeFileSync(config, 'group:\n  default:\n    targets: [base]\ntarget:\n  base:\n    context: base\n');
    const s = new Session(spawnCli(['watch', '--progress', 'json', '--debounce', String(DEBOUNCE)], { cwd: dir, env: { DOCKER_HOST: engines.docker20.host } }));
    sessions.push(s);
    const { event: first } = await s.summary(0);
    expect((first as unknown as { results: { state: string }[] }).results.map((r) => r.state), s.tail()).toEqual([expect.stringMatching(/^(built|cached)$/)]);
    const from = s.mark();
    await fs.writeFile(config, named);
    const { event } = await s.wait((e) => e.type === 'watch-config-error', from, 'the refusal as a config error');
    expect(event.diagnostics?.map((d) => d.message).join('\n'), s.tail()).toMatch(/target "app".*named contexts \(base\) are not supported by BuildKit v0\.8/);
    expect(s.text.join('\n')).toMatch(/named contexts \(base\) are not supported/);
    expect(s.started(from)).toEqual([]);
    expect(s.watchEvents(from).some((e) => e.type === 'watch-planned')).toBe(false);
    expect(s.child.exitCode).toBeNull();
    s.child.kill('SIGINT');
    expect(await s.exited).toBe(130);
  });
});
