/**
 * `tsbake watch` when a save lands while the first build is still connecting to its builder: the
 * endpoint holds every connection until the test has saved a file and seen the first build cancelled,
 * then lets them through. The rebuild must succeed — the builder connection belongs to the watch, not
 * to the cancelled build. Remote driver through the test relay (Docker 20.10's BuildKit), and the
 * docker driver through a unix-socket proxy in front of Docker 26.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ResultPromise } from 'execa';
import { engines, requireEngine } from '../helpers/env.js';
import { project, spawnCli } from '../helpers/cli.js';
import { socketPathOf, startGrpcRelay } from '../helpers/relay.js';

const uniq = (): string => Math.random().toString(36).slice(2, 10);
/** A safety net only: every wait ends on an event long before this. */
const WAIT_MS = 60_000;

interface WatchEvent {
  type: string;
  target?: string;
  trigger?: string[];
  initial?: boolean;
  results?: { target: string; state: string; error?: string }[];
}

/** A running `tsbake watch --progress json`: its stderr as events, and waits on them. */
function watch(
  dir: string,
  env: Record<string, string>,
  progress = 'json',
): {
  child: ResultPromise;
  lines: string[];
  wait: (pred: (e: WatchEvent) => boolean, what: string) => Promise<WatchEvent>;
  waitLine: (pred: (line: string) => boolean, what: string) => Promise<string>;
} {
  const child = spawnCli(['watch', 'app', '--progress', progress, '--debounce', '50'], { cwd: dir, env });
  const events: WatchEvent[] = [];
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stderr! }).on('line', (line) => {
    lines.push(line);
    if (line.startsWith('{')) {
      try {
        events.push(JSON.parse(line) as WatchEvent);
      } catch {
        // a partial line of another kind
      }
    }
    for (const w of [...waiters]) w();
  });
  void child.then(() => {
    for (const w of [...waiters]) w();
  });
  const until = <T>(find: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`no ${what} within ${WAIT_MS} ms\n${lines.slice(-20).join('\n')}`)), WAIT_MS);
      const check = (): void => {
        const found = find();
        if (found !== undefined) finish(undefined, found);
        else if (child.exitCode !== null) finish(new Error(`tsbake exited (${child.exitCode}) before ${what}\n${lines.slice(-20).join('\n')}`));
      };
      const finish = (err?: Error, found?: T): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (err) reject(err);
        else resolve(found!);
      };
      waiters.add(check);
      check();
    });
  children.push(child);
  return {
    child,
    lines,
    wait: (pred, what) => until(() => events.find(pred), what),
    waitLine: (pred, what) => until(() => lines.find(pred), what),
  };
}

const children: ResultPromise[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null) c.kill('SIGINT');
    await c;
  }
  await Promise.all(closers.splice(0).map((c) => c()));
});

/** A gate: `opened` resolves once `open()` is called. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

/** A unix socket that pipes each connection to `target` once `hold` resolves; `onAccept` on each accept. */
async function holdingProxy(socketPath: string, target: string, hold: Promise<void>, onAccept: () => void): Promise<() => Promise<void>> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    open.add(client);
    client.once('close', () => open.delete(client));
    client.pause();
    client.on('error', () => client.destroy());
    onAccept();
    void hold.then(() => {
      if (client.destroyed) return;
      const upstream = net.connect(target);
      open.add(upstream);
      upstream.once('close', () => {
        open.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => upstream.destroy());
      client.once('close', () => upstream.destroy());
      upstream.pipe(client);
      client.pipe(upstream);
      client.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

describe('watch: a save while the first build is connecting', () => {
  beforeAll(async () => {
    await requireEngine(engines.docker20);
    await requireEngine(engines.docker26);
  });

  async function saveDuringConnect(dir: string, env: Record<string, string>, connecting: Promise<void>, release: () => void): Promise<void> {
    const w = watch(dir, env);
    await w.wait((e) => e.type === 'watch-ready', 'ready');
    // The first build is waiting for its builder.
    await connecting;
    const file = path.join(dir, 'f.txt');
    await fs.writeFile(file, `changed ${uniq()}\n`);
    await w.wait((e) => e.type === 'watch-build-cancelled' && e.target === 'app', 'the first build cancelled');
    release();
    const summary = await w.wait((e) => e.type === 'watch-rebuild-summary' && (e.trigger ?? []).includes(file), 'the rebuild for the save');
    expect(summary.results, w.lines.slice(-30).join('\n')).toEqual([expect.objectContaining({ target: 'app', state: expect.stringMatching(/^(built|cached)$/) })]);
    // One more save, a plain rebuild on the open connection.
    await fs.writeFile(file, `again ${uniq()}\n`);
    const next = await w.wait((e) => e.type === 'watch-rebuild-summary' && (e.trigger ?? []).includes(file) && e !== summary, 'the second rebuild');
    expect(next.results?.[0]?.state, w.lines.slice(-30).join('\n')).toMatch(/^(built|cached)$/);
  }

  it('remote builder: the rebuild succeeds', async () => {
    const dir = await project({
      'tsbake.yaml': '', // written below, with the relay's address
      Dockerfile: `FROM scratch\nCOPY f.txt /f-${uniq()}.txt\n`,
      'f.txt': 'one\n',
    });
    const g = gate();
    const first = gate();
    const relay = await startGrpcRelay({
      engineSocket: engines.docker20.host,
      listen: { unix: path.join(dir, '.relay/bk.sock') },
      hold: g.opened,
      onAccept: () => first.open(),
    });
    closers.push(() => relay.close());
    await fs.writeFile(
      path.join(dir, 'tsbake.yaml'),
      ['default-builder: rb', 'builder:', '  rb:', '    driver: remote', `    endpoint: ${relay.address}`, 'target:', '  app: {}', ''].join('\n'),
    );
    await fs.writeFile(path.join(dir, '.dockerignore'), '.relay\n');
    await saveDuringConnect(dir, {}, first.opened, g.open);
  });

  it('docker builder: the rebuild succeeds', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app: {}\n',
      Dockerfile: `FROM scratch\nCOPY f.txt /f-${uniq()}.txt\n`,
      '.dockerignore': '.proxy\n',
      'f.txt': 'one\n',
    });
    const g = gate();
    const first = gate();
    await fs.mkdir(path.join(dir, '.proxy'));
    const sock = path.join(dir, '.proxy/docker.sock');
    closers.push(await holdingProxy(sock, socketPathOf(engines.docker26.host), g.opened, () => first.open()));
    await saveDuringConnect(dir, { DOCKER_HOST: `unix://${sock}` }, first.opened, g.open);
  });

  it('plain mode: a builder that cannot be reached is named with the reason', async () => {
    const dir = await project({
      'tsbake.yaml': 'target:\n  app: {}\n',
      Dockerfile: 'FROM scratch\nCOPY f.txt /\n',
      'f.txt': 'one\n',
    });
    const missing = path.join(dir, 'no-such-docker.sock');
    const w = watch(dir, { DOCKER_HOST: `unix://${missing}` }, 'plain');
    await w.waitLine((l) => /app failed/.test(l), 'the failed initial build');
    const error = w.lines.find((l) => l.startsWith('[app] ERROR: '));
    expect(error, w.lines.join('\n')).toContain(missing);
  });
});
