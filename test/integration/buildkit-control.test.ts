/**
 * The Control API through the Docker engine's /grpc upgrade: needs engine A (Docker 20.10, BuildKit
 * v0.8) at /var/run/docker.sock; engine B (Docker 26, BuildKit v0.13) at
 * /var/run/tsbake-docker26.sock is tested when its socket exists.
 */
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { BuildkitClient, BuildkitConnectError, dialDockerGrpc } from '../../src/buildkit/index.js';

const ENGINES = [
  { name: 'engine A (Docker 20.10)', host: 'unix:///var/run/docker.sock', modern: false, present: true },
  {
    name: 'engine B (Docker 26)',
    host: 'unix:///var/run/tsbake-docker26.sock',
    modern: true,
    present: existsSync('/var/run/tsbake-docker26.sock'),
  },
];

for (const engine of ENGINES) {
  describe.skipIf(!engine.present)(`Control API on ${engine.name}`, () => {
    test('ListWorkers, Info, DiskUsage', async () => {
      const signal = AbortSignal.timeout(30_000);
      await using client = await BuildkitClient.connect((s) => dialDockerGrpc(engine.host, s), { endpointName: engine.host, signal });
      const workers = await client.listWorkers(signal);
      expect(workers.length).toBeGreaterThan(0);
      expect(workers[0]?.platforms).toContain('linux/amd64');
      if (!engine.modern) expect(workers[0]?.id).toBe('moby');
      const info = await client.info(signal);
      // Debian's Docker 26 reports its vendored BuildKit as v0.0.0+unknown: only presence is checked.
      if (engine.modern) expect(typeof info?.version).toBe('string');
      else expect(info).toBeUndefined();
      const du = await client.diskUsage(signal);
      expect(du.length).toBeGreaterThan(0);
      expect(du[0]?.id).toBeTruthy();
      // A filter matching nothing prunes nothing (the engine is shared with other tests).
      const seen: string[] = [];
      const pruned = await client.prune(signal, { filters: ['id==tsbake-no-such-record'] }, (r) => seen.push(r.id));
      expect(pruned).toEqual([]);
      expect(seen).toEqual([]);
    });
  });
}

test('an unreachable daemon is a BuildkitConnectError naming the endpoint', async () => {
  const host = 'unix:///tmp/tsbake-no-such-daemon.sock';
  const started = Date.now();
  const err = await BuildkitClient.connect((s) => dialDockerGrpc(host, s), { endpointName: host, timeoutMs: 10_000 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BuildkitConnectError);
  expect((err as Error).message).toContain(host);
  expect((err as Error).message).toMatch(/ENOENT|cannot reach/);
  expect(Date.now() - started).toBeLessThan(5_000);
});
