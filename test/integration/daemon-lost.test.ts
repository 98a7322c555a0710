/**
 * The daemon's connection lost in the middle of a build, through the real CLI: a remote builder
 * reached through the test relay (TCP, Docker 20.10's and Docker 26's BuildKit), and the relay killed
 * while a RUN sleeps. The run ends with exit 1 and a message naming the builder and its endpoint.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine, type EngineRef } from '../helpers/env.js';
import { project, spawnCli, waitForStepOutput } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const uniq = (): string => Math.random().toString(36).slice(2, 10);

const relays: GrpcRelay[] = [];
afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

describe.each([
  ['docker20', engines.docker20],
  ['docker26', engines.docker26],
] as [string, EngineRef][])('connection to the daemon lost mid-build on %s', (_name, engine) => {
  beforeAll(async () => {
    await requireEngine(engine);
  });

  it('exit 1, naming the builder and its endpoint', async () => {
    const marker = `started-${uniq()}`;
    const relay = await startGrpcRelay({ engineSocket: engine.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
    relays.push(relay);
    const dir = await project({
      'tsbake.yaml': ['default-builder: far', 'builder:', '  far:', '    driver: remote', `    endpoint: ${relay.address}`, 'target:', '  app:', '    output: ["type=cacheonly"]', ''].join('\n'),
      Dockerfile: `FROM local/busybox:1\nRUN echo ${marker} && sleep 60\n`,
    });
    const child = spawnCli(['run', 'app', '--progress', 'plain'], { cwd: dir });
    // The step's output, not its name (`RUN echo started-… && sleep 60`).
    await waitForStepOutput(child, [marker]);
    // The RUN is under way: the daemon goes away.
    await relay.close();
    const r = await child;
    const stderr = String(r.stderr);
    expect(r.exitCode, stderr).toBe(1);
    expect(stderr).toContain(`builder "far" (${relay.address}): connection dropped during the build`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
