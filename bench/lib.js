// Shared helpers for the benchmark scripts: run a command, measure wall time and peak RSS (GNU time),
// medians, and a markdown table. Benchmarks are scripts, never timed assertions in tests.
import { execa } from 'execa';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const tsbake = path.join(repoRoot, 'bin/tsbake.js');

/** Runs cmd with args; returns {ms, maxRssKb, code, stdout, stderr}. Uses /usr/bin/time -f for peak RSS. */
export async function measure(cmd, args, options = {}) {
  const t0 = process.hrtime.bigint();
  const r = await execa('/usr/bin/time', ['-f', 'TSBAKE_BENCH_RSS=%M', cmd, ...args], {
    reject: false,
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdin: 'ignore',
    maxBuffer: 512 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /TSBAKE_BENCH_RSS=(\d+)/.exec(r.stderr);
  const stderr = r.stderr.replace(/TSBAKE_BENCH_RSS=\d+\n?/, '');
  if (r.exitCode !== 0 && !options.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.exitCode}:\n${stderr.slice(-3000)}`);
  }
  return { ms, maxRssKb: m ? Number(m[1]) : NaN, code: r.exitCode, stdout: r.stdout, stderr };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export async function tmpdir(prefix) {
  return fs.mkdtemp(path.join(os.tmpdir(), `tsbake-bench-${prefix}-`));
}

export function table(headers, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
export const fmtMb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

export async function haveBuildx() {
  const r = await execa('docker', ['buildx', 'version'], { reject: false });
  return r.exitCode === 0;
}

/** Appends a section to bench/out/results.md and prints it. */
export async function report(title, body) {
  const dir = path.join(repoRoot, 'bench/out');
  await fs.mkdir(dir, { recursive: true });
  const text = `\n## ${title}\n\n${body}\n`;
  await fs.appendFile(path.join(dir, 'results.md'), text);
  process.stdout.write(text);
}

/**
 * A relay that makes the engine's embedded BuildKit a standalone-looking endpoint: per connection,
 * `POST /grpc` with `Upgrade: h2c` on the engine socket, drop the 101 response headers, pipe both ways.
 */
export async function startRelay(engineSocket, listen) {
  const open = new Set();
  const server = net.createServer((client) => {
    client.pause();
    open.add(client);
    const up = net.connect(engineSocket);
    open.add(up);
    let head = Buffer.alloc(0);
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      up.off('data', onData);
      if (!/^HTTP\/1\.[01] 101 /.test(head.toString('latin1'))) return client.destroy();
      const rest = head.subarray(end + 4);
      if (rest.length) client.write(rest);
      up.pipe(client);
      client.pipe(up);
      client.resume();
    };
    up.on('connect', () => up.write('POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n'));
    up.on('data', onData);
    for (const [a, b] of [[client, up], [up, client]]) {
      a.on('error', () => a.destroy());
      a.on('close', () => {
        open.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(listen, resolve));
  const port = typeof server.address() === 'object' ? server.address().port : 0;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
