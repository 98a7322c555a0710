// `tsbake watch` on a real engine, through the real CLI process (`--progress json`, TSBAKE_TRACE=1 so the
// executor prints `tsbake-trace solve-sent <ms since start>ms <target>` just before it sends the solve,
// and `tsbake-trace origin 0ms epoch=<ms>` first, which turns those times into epoch ms):
//  - a 20,000-file context: process start → watching (ready), and file write → solve sent (p50/p95 over
//    50 edits, default debounce), each edit waiting for the previous rebuild to finish;
//  - CPU used by the watcher while idle for 60 s (utime+stime from /proc/<pid>/stat; goal < 1% of a core),
//    once the builder sessions are released, and the latency of the first edit after that;
//  - live heap (after a full GC) and RSS after 10 and after BENCH_WATCH_CYCLES (default 500) write→rebuild
//    cycles of a tiny target.
// Needs `npm run build` and the test environment. BENCH_DOCKER_HOST picks the engine (default Docker 20.10).
import fs from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { median, percentile, table, fmtMs, report, tmpdir, tsbake } from './lib.js';

const ENGINE = process.env.BENCH_DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const FILES = Number(process.env.BENCH_WATCH_FILES ?? 20_000);
const EDITS = Number(process.env.BENCH_WATCH_EDITS ?? 50);
const IDLE_S = Number(process.env.BENCH_WATCH_IDLE_S ?? 60);
const CYCLES = Number(process.env.BENCH_WATCH_CYCLES ?? 500);
const STARTS = Number(process.env.BENCH_WATCH_STARTS ?? 3);
const CLK_TCK = 100; // `getconf CLK_TCK` on Linux

/** One `tsbake watch` process; `next(pred)` resolves with the first later line (parsed JSON or trace) matching. */
function startWatch(dir, args = [], nodeFlags = []) {
  const t0 = Date.now();
  const child = execa('node', [...nodeFlags, tsbake, 'watch', '--progress', 'json', ...args], {
    cwd: dir,
    env: { ...process.env, CI: 'true', DOCKER_HOST: ENGINE, TSBAKE_TRACE: '1' },
    stdin: 'ignore',
    reject: false,
    buffer: false,
  });
  const lines = [];
  const waiters = new Set();
  let epoch = 0;
  createInterface({ input: child.stderr }).on('line', (line) => {
    let item;
    const origin = /^tsbake-trace origin 0ms epoch=(\d+)$/.exec(line);
    if (origin) {
      epoch = Number(origin[1]);
      return;
    }
    const mem = /^tsbake-trace watch-memory \S+ rss=(\d+) heapUsed=(\d+)/.exec(line);
    const m = /^tsbake-trace (\S+) (\d+)ms (\S*)/.exec(line);
    if (mem) item = { type: 'trace-memory', rss: Number(mem[1]), heapUsed: Number(mem[2]) };
    else if (m) item = { type: `trace-${m[1]}`, target: m[3], time: epoch + Number(m[2]) };
    else if (line.startsWith('{')) {
      try {
        item = JSON.parse(line);
      } catch {
        return;
      }
    } else return;
    // Step and log events are not needed here; keeping them would grow this process, not tsbake.
    if (item.type === 'step' || item.type === 'log') return;
    lines.push(item);
    for (const w of [...waiters]) w();
  });
  child.stdout?.resume();
  const exited = child.then((r) => r.exitCode);
  let cursor = 0;
  return {
    child,
    t0,
    exited,
    /** Skips everything seen so far. */
    mark() {
      cursor = lines.length;
    },
    next(pred, what, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (let i = cursor; i < lines.length; i++) {
            if (pred(lines[i])) {
              cursor = i + 1;
              waiters.delete(check);
              clearTimeout(timer);
              resolve(lines[i]);
              return;
            }
          }
          if (child.exitCode !== null) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`tsbake exited (${child.exitCode}) before ${what}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      child.kill('SIGINT');
      const code = await exited;
      lines.length = 0;
      return code;
    },
  };
}

async function cpuTicks(pid) {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]);
}

async function rssKb(pid) {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function bigContext(dir) {
  const perDir = 100;
  for (let d = 0; d < FILES / perDir; d++) {
    await fs.mkdir(path.join(dir, 'src', `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: perDir }, (_, f) => fs.writeFile(path.join(dir, 'src', `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`)));
  }
  // The rebuild copies one file: the figure is the watcher's latency over a big context, not BuildKit's.
  await fs.writeFile(path.join(dir, 'Dockerfile'), 'FROM local/busybox:1\nCOPY src/d0/f0.txt /f\n');
  await fs.writeFile(path.join(dir, 'tsbake.yaml'), 'target:\n  app:\n    context: .\n');
}

const summaryOf = (e) => e.type === 'watch-rebuild-summary';

export async function main() {
  const rows = [];
  // One level down: watch also watches the context's parent (so a deleted context can come back), and a
  // busy parent such as /tmp itself makes chokidar re-read it on every sibling change.
  const top = await tmpdir('watch');
  const dir = path.join(top, 'project');
  await fs.mkdir(dir);
  await bigContext(dir);

  // Process start → ready, on the 20,000-file context (the initial build runs after ready).
  const starts = [];
  let w;
  for (let i = 0; i < STARTS; i++) {
    w = startWatch(dir, ['app']);
    const ready = await w.next((e) => e.type === 'watch-ready', 'ready');
    starts.push(ready.time - w.t0);
    await w.next(summaryOf, 'initial build');
    if (i < STARTS - 1) await w.stop();
  }
  rows.push([`process start → watching (${FILES.toLocaleString('en')} files, median of ${STARTS})`, fmtMs(median(starts)), `min ${fmtMs(Math.min(...starts))}, max ${fmtMs(Math.max(...starts))}`]);

  // File write → solve sent, one edit at a time.
  const lat = [];
  for (let i = 0; i < EDITS; i++) {
    const d = (i * 37) % (FILES / 100);
    const file = path.join(dir, 'src', `d${d}`, `f${(i * 13) % 100}.txt`);
    w.mark();
    const tw = Date.now();
    await fs.writeFile(file, `edit ${i} ${tw}\n`);
    const sent = await w.next((e) => e.type === 'trace-solve-sent' && e.target === 'app', `solve for edit ${i}`);
    lat.push(sent.time - tw);
    await w.next(summaryOf, `rebuild ${i}`);
  }
  rows.push([`file write → solve sent (${EDITS} edits, debounce 50 ms)`, `p50 ${fmtMs(percentile(lat, 50))}`, `p95 ${fmtMs(percentile(lat, 95))}, max ${fmtMs(Math.max(...lat))}`]);

  // Idle CPU: nothing changes for IDLE_S seconds, measured once watch has released its builder
  // sessions (10 s after the last build; an open session is health-checked by BuildKit every second).
  const pid = w.child.pid;
  await new Promise((r) => setTimeout(r, 11_000));
  const before = await cpuTicks(pid);
  const tIdle = Date.now();
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const used = (await cpuTicks(pid)) - before;
  const seconds = (Date.now() - tIdle) / 1000;
  const pct = (used / CLK_TCK / seconds) * 100;
  rows.push([`CPU while idle, ${IDLE_S} s, ${FILES.toLocaleString('en')} files watched (native events)`, `${pct.toFixed(2)}% of one core`, `${used} ticks (${(used / CLK_TCK).toFixed(2)} s CPU); goal < 1%`]);
  rows.push([`RSS watching ${FILES.toLocaleString('en')} files, after ${EDITS} rebuilds`, `${((await rssKb(pid)) / 1024).toFixed(0)} MB`, '']);
  {
    // The first edit after the idle spell reopens the builder (session, connection).
    w.mark();
    const tw = Date.now();
    await fs.writeFile(path.join(dir, 'src', 'd1', 'f1.txt'), `after idle ${tw}\n`);
    const sent = await w.next((e) => e.type === 'trace-solve-sent' && e.target === 'app', 'solve after idle');
    await w.next(summaryOf, 'rebuild after idle');
    rows.push(['file write → solve sent, first edit after the idle spell (builder reopened)', fmtMs(sent.time - tw), '']);
  }
  await w.stop();
  await fs.rm(top, { recursive: true, force: true });

  // RSS over many rebuild cycles of a tiny target.
  const smallTop = await tmpdir('watch-rss');
  const small = path.join(smallTop, 'project');
  await fs.mkdir(small);
  await fs.writeFile(path.join(small, 'Dockerfile'), 'FROM local/busybox:1\nCOPY f.txt /f\n');
  await fs.writeFile(path.join(small, 'f.txt'), 'start\n');
  await fs.writeFile(path.join(small, 'tsbake.yaml'), 'target:\n  tiny:\n    context: .\n');
  // `--expose-gc`: with TSBAKE_TRACE, watch runs a full GC after each rebuild and prints the live heap,
  // which is what a leak grows; RSS also holds heap the collector keeps reserved.
  const s = startWatch(small, ['tiny'], ['--expose-gc']);
  await s.next(summaryOf, 'initial build');
  const samples = [];
  const tCycles = Date.now();
  for (let i = 1; i <= CYCLES; i++) {
    s.mark();
    await fs.writeFile(path.join(small, 'f.txt'), `cycle ${i}\n`);
    const mem = await s.next((e) => e.type === 'trace-memory', `memory after cycle ${i}`);
    await s.next((e) => summaryOf(e) && e.initial === false, `cycle ${i}`);
    if (i === 10 || i % 100 === 0 || i === CYCLES) samples.push({ i, rss: (await rssKb(s.child.pid)) * 1024, heap: mem.heapUsed });
  }
  const perCycle = (Date.now() - tCycles) / CYCLES;
  await s.stop();
  await fs.rm(smallTop, { recursive: true, force: true });
  const mb = (b) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  const first = samples[0];
  const last = samples[samples.length - 1];
  rows.push([`live heap after a full GC, after 10 → ${CYCLES} rebuild cycles`, `${mb(first.heap)} → ${mb(last.heap)}`, samples.map((x) => `${x.i}: ${mb(x.heap)}`).join(', ')]);
  rows.push([`RSS after 10 → ${CYCLES} rebuild cycles`, `${mb(first.rss)} → ${mb(last.rss)}`, `${samples.map((x) => `${x.i}: ${mb(x.rss)}`).join(', ')}; ${fmtMs(perCycle)} per write→rebuilt cycle`]);

  const { stdout: load } = await execa('cat', ['/proc/loadavg']);
  await report(
    `watch: tsbake watch on ${ENGINE} (real CLI, --progress json)`,
    table(['measure', 'value', 'detail'], rows) + `\n\nLoad average at the end: ${load.split(' ').slice(0, 3).join(' ')} (${(await import('node:os')).cpus().length} CPUs).`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
