/**
 * A whole build through the docker-container driver's exec transport on Docker 26 (the target engine):
 * the session (file sync of the context), a RUN step and an OCI tarball streamed back, all over
 * `buildctl dial-stdio` execs in the builder container. The container is the BuildKit stand-in (its
 * `buildctl` relays to the engine's own BuildKit), run with `privileged: false` and `network: host`.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildkitClient, Session, defaultSharedKey, localName, type StatusUpdate } from '../../src/buildkit/index.js';
import { createDockerContainerDriver } from '../../src/drivers/docker-container/index.js';
import type { Driver } from '../../src/drivers/types.js';
import { docker, engines, ensureStandInImage, requireEngine } from '../helpers/env.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const ENGINE = engines.docker26;
const RUN = randomBytes(3).toString('hex');
const NAME = `dcb-${RUN}`;

describe('docker-container driver: a build through dial-stdio execs (Docker 26)', () => {
  let relay: GrpcRelay;
  let standIn: string;
  let driver: Driver;
  let dir: string;

  beforeAll(async () => {
    await requireEngine(ENGINE);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-dcb-'));
    relay = await startGrpcRelay({ engineSocket: ENGINE.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
    standIn = await ensureStandInImage(ENGINE, relay.port);
    driver = createDockerContainerDriver({
      builder: {
        name: NAME,
        driver: 'docker-container',
        driverOpts: { image: standIn, privileged: 'false', network: 'host' },
        platforms: [],
        defaultLoad: false,
        implicit: false,
      },
      env: { DOCKER_HOST: ENGINE.host },
    });
  });

  afterAll(async () => {
    await driver?.remove(AbortSignal.timeout(30_000), { keepState: false }).catch(() => undefined);
    if (standIn) await docker(ENGINE, ['rmi', '-f', standIn]).catch(() => undefined);
    await relay?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('syncs the context, runs a step and streams an OCI tarball back', async () => {
    const signal = AbortSignal.timeout(120_000);
    await driver.bootstrap(signal);
    const ctx = path.join(dir, 'ctx');
    await fs.mkdir(ctx);
    const marker = `hello ${randomBytes(4).toString('hex')}`;
    // 2 MiB of data checks flow control through the exec framing, not just a few small frames.
    await fs.writeFile(path.join(ctx, 'big.bin'), randomBytes(2 * 1024 * 1024));
    await fs.writeFile(path.join(ctx, 'hello.txt'), `${marker}\n`);
    await fs.writeFile(path.join(ctx, 'Dockerfile'), 'FROM local/busybox:1\nCOPY . /src\nRUN sha256sum /src/big.bin > /sum && cat /src/hello.txt\n');

    const before = relay.acceptedConnections();
    const client = await BuildkitClient.connect((s) => driver.dial(s), { signal, endpointName: driver.endpoint() });
    const session = new Session({ sharedKey: defaultSharedKey() });
    try {
      await session.start(client, signal);
      const contextKey = localName('context', ctx);
      const dockerfileKey = localName('dockerfile', ctx);
      const tarball = path.join(dir, 'out.tar');
      const logs: string[] = [];
      const res = await client.solve(
        {
          ref: `tsbake-test-${randomBytes(8).toString('hex')}`,
          frontend: 'dockerfile.v0',
          frontendAttrs: { filename: 'Dockerfile', contextkey: contextKey, dockerfilekey: dockerfileKey },
          exporters: [{ type: 'oci', attrs: {}, output: { kind: 'file', path: tarball } }],
          cacheImports: [],
          cacheExports: [],
          entitlements: [],
          session,
          localDirs: { [contextKey]: ctx, [dockerfileKey]: ctx },
        },
        signal,
        (u: StatusUpdate) => {
          for (const l of u.logs) logs.push(Buffer.from(l.data).toString('utf8'));
        },
      );
      expect(res.exporterResponse['containerimage.digest']).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(logs.join('')).toContain(marker);
      const stat = await fs.stat(tarball);
      // The image carries the 2 MiB of random (incompressible) data.
      expect(stat.size).toBeGreaterThan(2 * 1024 * 1024);
      expect(relay.acceptedConnections()).toBeGreaterThan(before);
    } finally {
      await session.close();
      await client.close();
    }
  });
});
