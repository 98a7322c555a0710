/**
 * The docker driver's kept bootstrap starts the `/grpc` upgrade beside `GET /version` (src/drivers/docker):
 * the first dial() takes that connection, and one no dial takes is closed when the attempt's signal ends
 * (an open socket would keep the CLI's process alive). The engine here is a stand-in written for the test
 * (a unix-socket server that answers `/version` and the upgrade as the Docker engine does, and records
 * the order), since the order and the leftovers cannot be seen from a real engine.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDockerDriver } from '../../src/drivers/docker/index.js';
import type { ResolvedBuilder } from '../../src/drivers/types.js';

interface StandIn {
  host: string;
  /** What arrived, in order: `version`, `grpc`, `closed grpc`. */
  events: string[];
  close(): Promise<void>;
}

/** `holdVersion`: `/version` is answered only once the upgrade has arrived. */
async function standInEngine(options: { versionStatus?: number; holdVersion?: boolean } = {}): Promise<StandIn> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-predial-'));
  const sockPath = path.join(dir, 'docker.sock');
  const events: string[] = [];
  const sockets = new Set<net.Socket>();
  let heldVersion: (() => void) | undefined;
  let sawGrpc = false;
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    let buf = '';
    let kind: string | undefined;
    s.on('close', () => {
      sockets.delete(s);
      if (kind === 'grpc') events.push('closed grpc');
    });
    s.on('data', (chunk) => {
      if (kind !== undefined) return;
      buf += chunk.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      if (buf.startsWith('GET /version ')) {
        kind = 'version';
        events.push('version');
        const status = options.versionStatus ?? 200;
        const body = status === 200 ? '{"Version":"26.1.0"}' : '{"message":"stand-in failure"}';
        const answer = (): void => {
          s.end(`HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Internal Server Error'}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        };
        if (options.holdVersion && !sawGrpc) heldVersion = answer;
        else answer();
      } else if (buf.startsWith('POST /grpc ')) {
        kind = 'grpc';
        sawGrpc = true;
        events.push('grpc');
        s.write('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
        heldVersion?.();
        heldVersion = undefined;
      } else {
        s.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(sockPath, resolve));
  return {
    host: `unix://${sockPath}`,
    events,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

const builder = (host: string): ResolvedBuilder => ({
  name: 'dk',
  driver: 'docker',
  driverOpts: {},
  endpoint: host,
  platforms: [],
  defaultLoad: true,
  implicit: false,
});

/** Resolves once `events` holds `event` (polled on each turn of the event loop: a socket's close comes in its own turn). */
async function until(events: string[], event: string): Promise<void> {
  for (let i = 0; i < 2000 && !events.includes(event); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(events).toContain(event);
}

describe('docker driver: the /grpc upgrade started with the bootstrap', () => {
  let standIn: StandIn | undefined;
  afterEach(async () => {
    await standIn?.close();
    standIn = undefined;
  });

  it('is on its way before /version is answered, and the first dial takes it (no second upgrade)', async () => {
    standIn = await standInEngine({ holdVersion: true });
    const driver = createDockerDriver({ builder: builder(standIn.host), env: {} });
    const signal = new AbortController().signal;
    // The stand-in answers /version only once the upgrade has arrived: without the early upgrade this would hang.
    await driver.bootstrap(signal, { keep: true });
    const sock = await driver.dial(signal);
    expect(standIn.events.filter((e) => e === 'grpc')).toEqual(['grpc']);
    expect(sock.destroyed).toBe(false);
    sock.destroy();
    // A second dial is a connection of its own.
    const again = await driver.dial(signal);
    expect(standIn.events.filter((e) => e === 'grpc')).toEqual(['grpc', 'grpc']);
    again.destroy();
  });

  it('without keep, no upgrade is started', async () => {
    standIn = await standInEngine();
    const driver = createDockerDriver({ builder: builder(standIn.host), env: {} });
    await driver.bootstrap(new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(standIn.events).toEqual(['version']);
  });

  it('an upgrade no dial takes is closed when the attempt ends', async () => {
    standIn = await standInEngine();
    const driver = createDockerDriver({ builder: builder(standIn.host), env: {} });
    const attempt = new AbortController();
    await driver.bootstrap(attempt.signal, { keep: true });
    await until(standIn.events, 'grpc');
    expect(standIn.events).not.toContain('closed grpc');
    attempt.abort(new Error('the builder pool was closed'));
    await until(standIn.events, 'closed grpc');
  });

  it('a failed /version is the error, and the upgrade is closed', async () => {
    standIn = await standInEngine({ versionStatus: 500, holdVersion: true });
    const driver = createDockerDriver({ builder: builder(standIn.host), env: {} });
    await expect(driver.bootstrap(new AbortController().signal, { keep: true })).rejects.toThrow(
      /builder "dk": cannot reach the Docker engine at unix:\/\/.*: GET \/version answered 500/,
    );
    await until(standIn.events, 'closed grpc');
  });
});
