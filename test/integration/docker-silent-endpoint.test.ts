/**
 * A Docker endpoint that accepts TCP connections and never answers (a net.Server on 127.0.0.1 that
 * stays silent: the stand-in for a hung engine or a wrong port). `run`, `builder ls` and `builder
 * inspect` must end with a clear message at the Docker API deadline, and at once on Ctrl-C.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { project, runCli, spawnCli } from '../helpers/cli.js';

describe('a silent Docker endpoint', () => {
  let server: net.Server;
  const sockets = new Set<net.Socket>();
  const connected: (() => void)[] = [];
  let endpoint = '';
  let dir = '';
  const env = { TSBAKE_DOCKER_API_TIMEOUT_MS: '2000' };

  beforeAll(async () => {
    server = net.createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      for (const f of connected.splice(0)) f();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    dir = await project({
      'tsbake.yaml': [
        'builder:',
        '  silent:',
        '    driver: docker-container',
        `    endpoint: ${endpoint}`,
        '  silentdk:',
        '    driver: docker',
        `    endpoint: ${endpoint}`,
        'target:',
        '  app: {}',
        '',
      ].join('\n'),
      Dockerfile: 'FROM scratch\n',
    });
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const noAnswer = (): string =>
    `builder "silent": Docker at ${endpoint} accepted the connection but gave no answer within 2 s to inspect container tsbake_buildkit_silent`;

  it('run with a docker-container builder: exit 1 naming the endpoint and the wait', async () => {
    const r = await runCli(['run', 'app', '--builder', 'silent', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(noAnswer());
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });

  it('builder ls: the builder shows as an error with the reason', async () => {
    const r = await runCli(['builder', 'ls', '--format', 'json'], { cwd: dir, env });
    const rows = JSON.parse(r.stdout) as { name: string; status: string; error?: string }[];
    const row = rows.find((x) => x.name === 'silent');
    expect(row?.status).toBe('error');
    expect(row?.error).toContain(noAnswer());
  });

  it('builder inspect: the reason, in bounded time', async () => {
    const r = await runCli(['builder', 'inspect', 'silent', '--format', 'json'], { cwd: dir, env });
    const status = JSON.parse(r.stdout) as { status: string; error?: string };
    expect(status.status).toBe('error');
    expect(status.error).toContain(noAnswer());
  });

  it('run with a docker builder on the same endpoint: exit 1 naming it', async () => {
    const r = await runCli(['run', 'app', '--builder', 'silentdk', '--progress', 'plain'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(endpoint.replace('tcp://', ''));
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });

  it.each([['run', 'app', '--builder', 'silent'], ['builder', 'inspect', 'silent'], ['builder', 'ls']])(
    'Ctrl-C while %s %s waits on the endpoint: exit 130',
    async (...args) => {
      // The default deadline (15 s): only the signal can end it this early.
      const seen = new Promise<void>((resolve) => connected.push(resolve));
      const child = spawnCli(args, { cwd: dir });
      await seen;
      child.kill('SIGINT');
      const res = await child;
      expect(res.exitCode, String(res.stderr)).toBe(130);
    },
  );
});
