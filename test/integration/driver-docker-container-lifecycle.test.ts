/**
 * The docker-container driver's real container lifecycle on Docker 20.10, with the BuildKit stand-in
 * image: a busybox image whose `buildctl` pipes stdio to a test relay in front of the engine's own
 * BuildKit (privileged containers, and so a real BuildKit container, cannot run on these machines).
 * So container creation, options, the state volume and the exec transport are all real.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerContainerDriver, UNPRIVILEGED_CAPS } from '../../src/drivers/docker-container/index.js';
import { probeBuildkit } from '../../src/drivers/remote/readiness.js';
import type { Driver } from '../../src/drivers/types.js';
import { TsbakeError } from '../../src/errors.js';
import type { ResolvedBuilder } from '../../src/plan/types.js';
import { docker, engines, ensureStandInImage, requireEngine, type EngineRef } from '../helpers/env.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const RUN = randomBytes(3).toString('hex');
const CONFIG = '# tsbake test\ndebug = true\n';

interface ContainerJson {
  Id: string;
  Args: string[];
  Config: { Cmd: string[] | null; Env: string[]; Labels: Record<string, string>; Image: string };
  HostConfig: {
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    MaskedPaths: string[] | null;
    ReadonlyPaths: string[] | null;
    CgroupnsMode: string;
    Binds: string[] | null;
    Memory: number;
    CpuShares: number;
    NetworkMode: string;
    Privileged: boolean;
    Init: boolean | null;
    RestartPolicy: { Name: string };
  };
  State: { Running: boolean };
}

async function failure(p: Promise<unknown>): Promise<TsbakeError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(TsbakeError);
    return err as TsbakeError;
  }
  throw new Error('expected a failure');
}

// Docker 20.10 (classic store) and Docker 26 (containerd store, the target engine for these drivers).
describe.each([engines.docker20, engines.docker26])('docker-container driver on $name (stand-in image)', (ENGINE: EngineRef) => {
  async function inspectContainer(name: string): Promise<ContainerJson | undefined> {
    const res = await docker(ENGINE, ['container', 'inspect', name]).catch(() => undefined);
    if (!res) return undefined;
    return (JSON.parse(res.stdout) as ContainerJson[])[0];
  }

  async function volumeExists(name: string): Promise<boolean> {
    const res = await docker(ENGINE, ['volume', 'inspect', name]).catch(() => undefined);
    return res !== undefined;
  }

  describe('lifecycle', () => {
    let relay: GrpcRelay;
    let standIn: string;
    /** The stand-in with an entrypoint that takes (and ignores) buildkitd's arguments and stops on TERM. */
    let image: string;
    const names: string[] = [];
    const logs: string[] = [];
    const pulled: string[] = [];

    const builderName = (suffix: string): string => {
      const name = `dct-${RUN}-${ENGINE.name}-${suffix}`;
      names.push(name);
      return name;
    };

    const makeDriver = (name: string, driverOpts: Record<string, string>, extra: Partial<ResolvedBuilder> = {}): Driver =>
      createDockerContainerDriver({
        builder: { name, driver: 'docker-container', driverOpts, platforms: [], defaultLoad: false, implicit: false, ...extra },
        env: { DOCKER_HOST: ENGINE.host },
        log: (m) => logs.push(m),
      });

    beforeAll(async () => {
      await requireEngine(ENGINE);
      relay = await startGrpcRelay({ engineSocket: ENGINE.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
      standIn = await ensureStandInImage(ENGINE, relay.port);
      image = `tsbake-test/buildkit-standin-args:${RUN}`;
      const tmp = `dct-${RUN}-${ENGINE.name}-img`;
      await docker(ENGINE, ['create', '--name', tmp, standIn]);
      try {
        await docker(ENGINE, [
          'commit',
          '--change',
          'ENTRYPOINT ["/bin/sh", "-c", "echo stand-in buildkitd started; trap \\"exit 0\\" TERM; while :; do sleep 1 & wait $!; done", "buildkitd"]',
          tmp,
          image,
        ]);
      } finally {
        await docker(ENGINE, ['rm', '-f', tmp]);
      }
    });

    afterAll(async () => {
      for (const name of names) {
        await docker(ENGINE, ['rm', '-f', `tsbake_buildkit_${name}`]).catch(() => undefined);
        await docker(ENGINE, ['volume', 'rm', '-f', `tsbake_buildkit_${name}_state`]).catch(() => undefined);
      }
      for (const ref of pulled) await docker(ENGINE, ['rmi', '-f', ref]).catch(() => undefined);
      if (image) await docker(ENGINE, ['rmi', '-f', image]).catch(() => undefined);
      if (standIn) await docker(ENGINE, ['rmi', '-f', standIn]).catch(() => undefined);
      await relay?.close();
    });

    it('creates the container and volume with the declared options and reaches BuildKit through exec', async () => {
      const name = builderName('opts');
      const container = `tsbake_buildkit_${name}`;
      const driver = makeDriver(
        name,
        { image, privileged: 'false', network: 'host', memory: '256m', 'cpu-shares': '512', 'env.FOO': 'bar baz' },
        { buildkitdFlags: '--debug --allow-insecure-entitlement "network.host"', buildkitdConfigInline: CONFIG },
      );
      expect(driver.endpoint()).toBe(`docker-container://${container}`);
      expect((await driver.inspect(AbortSignal.timeout(10_000))).status).toBe('inactive');

      const before = relay.acceptedConnections();
      await driver.bootstrap(AbortSignal.timeout(60_000));
      expect(relay.acceptedConnections()).toBeGreaterThan(before);

      const c = await inspectContainer(container);
      expect(c).toBeDefined();
      if (!c) return;
      expect(c.State.Running).toBe(true);
      expect(c.HostConfig.Privileged).toBe(false);
      expect(c.HostConfig.CapAdd).toEqual(expect.arrayContaining(['CAP_SYS_ADMIN', 'CAP_NET_ADMIN', 'CAP_MKNOD']));
      // Docker 20.10 does not know CAP_BPF, CAP_PERFMON, CAP_CHECKPOINT_RESTORE; the driver leaves out what the engine refuses.
      expect(UNPRIVILEGED_CAPS).toEqual(expect.arrayContaining(c.HostConfig.CapAdd ?? []));
      expect(c.HostConfig.CapAdd?.length).toBeGreaterThanOrEqual(UNPRIVILEGED_CAPS.length - 3);
      expect(c.HostConfig.CapAdd?.some((cap) => cap.endsWith('SYS_RESOURCE'))).toBe(false);
      expect(c.HostConfig.SecurityOpt).toEqual(['seccomp=unconfined', 'apparmor=unconfined']);
      // systempaths=unconfined, as the engine API spells it.
      expect(c.HostConfig.MaskedPaths).toEqual([]);
      expect(c.HostConfig.ReadonlyPaths).toEqual([]);
      expect(c.HostConfig.CgroupnsMode).toBe('host');
      expect(c.HostConfig.Binds).toEqual([`${container}_state:/var/lib/buildkit`, '/sys/fs/cgroup:/sys/fs/cgroup:rw']);
      expect(c.HostConfig.Memory).toBe(256 * 1024 * 1024);
      expect(c.HostConfig.CpuShares).toBe(512);
      expect(c.HostConfig.NetworkMode).toBe('host');
      expect(c.HostConfig.Init).toBe(true);
      expect(c.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
      expect(c.Config.Env).toContain('FOO=bar baz');
      expect(c.Config.Labels['tsbake.builder']).toBe(name);
      expect(c.Config.Labels['tsbake.config-hash']).toMatch(/^[0-9a-f]{64}$/);
      expect(c.Config.Cmd).toEqual(['--debug', '--allow-insecure-entitlement', 'network.host', '--config', '/etc/buildkit/buildkitd.toml']);
      expect(await volumeExists(`${container}_state`)).toBe(true);
      const config = await docker(ENGINE, ['exec', container, 'cat', '/etc/buildkit/buildkitd.toml']);
      expect(config.stdout).toBe(CONFIG.trimEnd());

      // dial → exec `buildctl dial-stdio` → relay → the engine's BuildKit.
      const signal = AbortSignal.timeout(30_000);
      const facts = await probeBuildkit((s) => driver.dial(s), { signal, timeoutMs: 10_000, endpointName: driver.endpoint() });
      expect(facts.workers.length).toBeGreaterThan(0);
      expect(facts.platforms).toContain('linux/amd64');
      const status = await driver.inspect(signal);
      expect(status.status).toBe('running');
      expect(status.details?.containerId).toBe(c.Id);
      expect(status.details?.image).toBe(image);
      // Info answers from BuildKit v0.11 on: Docker 26 (v0.13) tells its version, Docker 20.10 (v0.8) cannot.
      if (ENGINE.name === 'docker26') expect(status.buildkitVersion).toMatch(/^v0\.\d+/);
      else expect(status.buildkitVersion).toBeUndefined();
      expect(status.platforms).toContain('linux/amd64');

      // Every dial was its own exec; closing the streams ends them (no `buildctl`→`nc` left running).
      const deadline = Date.now() + 10_000;
      let ps = '';
      do {
        ps = (await docker(ENGINE, ['exec', container, 'ps'])).stdout;
        if (!/\bnc 127\.0\.0\.1\b/.test(ps)) break;
        await new Promise((r) => setTimeout(r, 200));
      } while (Date.now() < deadline);
      expect(ps).not.toMatch(/\bnc 127\.0\.0\.1\b/);
    });

    it('recreates the container when an option changes, keeping the state volume', async () => {
      const name = builderName('recreate');
      const container = `tsbake_buildkit_${name}`;
      const opts = { image, privileged: 'false', network: 'host', memory: '256m' };
      await makeDriver(name, opts).bootstrap(AbortSignal.timeout(60_000));
      const first = await inspectContainer(container);
      await docker(ENGINE, ['exec', container, 'touch', '/var/lib/buildkit/marker']);

      // Same options: the container is kept as it is.
      await makeDriver(name, opts).bootstrap(AbortSignal.timeout(60_000));
      expect((await inspectContainer(container))?.Id).toBe(first?.Id);

      logs.length = 0;
      await makeDriver(name, { ...opts, memory: '128m' }).bootstrap(AbortSignal.timeout(60_000));
      const second = await inspectContainer(container);
      expect(second?.Id).not.toBe(first?.Id);
      expect(second?.HostConfig.Memory).toBe(128 * 1024 * 1024);
      expect(second?.Config.Labels['tsbake.config-hash']).not.toBe(first?.Config.Labels['tsbake.config-hash']);
      expect(logs.join('\n')).toContain(`recreating container ${container}`);
      const marker = await docker(ENGINE, ['exec', container, 'ls', '/var/lib/buildkit/marker']);
      expect(marker.stdout).toBe('/var/lib/buildkit/marker');
    });

    it('stops, restarts on bootstrap, and removes with or without its state', async () => {
      const name = builderName('rm');
      const container = `tsbake_buildkit_${name}`;
      const driver = makeDriver(name, { image, privileged: 'false', network: 'host' });
      const signal = AbortSignal.timeout(90_000);
      await driver.bootstrap(signal);

      await driver.stop(signal);
      expect((await inspectContainer(container))?.State.Running).toBe(false);
      expect((await driver.inspect(signal)).status).toBe('stopped');
      await driver.bootstrap(signal);
      expect((await inspectContainer(container))?.State.Running).toBe(true);

      await driver.remove(signal, { keepState: true });
      expect(await inspectContainer(container)).toBeUndefined();
      expect(await volumeExists(`${container}_state`)).toBe(true);

      await driver.bootstrap(signal);
      expect(await inspectContainer(container)).toBeDefined();
      await driver.remove(signal, { keepState: false });
      expect(await inspectContainer(container)).toBeUndefined();
      expect(await volumeExists(`${container}_state`)).toBe(false);
      // Removing what is already gone is not an error.
      await driver.remove(signal, { keepState: false });
      await driver.stop(signal);
    });

    it('runs privileged by default, or names privileged: false where the engine refuses it', async () => {
      const name = builderName('priv');
      const container = `tsbake_buildkit_${name}`;
      // Ask the engine itself, with the docker CLI: Docker 20.10 here refuses privileged containers
      // ("unable to apply caps"), Docker 26 runs them.
      const probe = await docker(ENGINE, ['run', '--rm', '--privileged', 'local/busybox:1', 'true']).then(
        () => undefined,
        (err: { stderr?: string }) => err.stderr ?? String(err),
      );
      const driver = makeDriver(name, { image, network: 'host' });
      if (probe === undefined) {
        await driver.bootstrap(AbortSignal.timeout(60_000));
        const c = await inspectContainer(container);
        expect(c?.HostConfig.Privileged).toBe(true);
        expect(c?.HostConfig.CapAdd ?? []).toEqual([]);
        expect((await driver.inspect(AbortSignal.timeout(20_000))).status).toBe('running');
        return;
      }
      expect(probe).toContain('unable to apply caps');
      const err = await failure(driver.bootstrap(AbortSignal.timeout(60_000)));
      expect(err.reason).toBe('daemon-error');
      expect(err.message).toMatch(
        new RegExp(`^builder "${name}": the container could not start privileged \\(.*unable to apply caps: operation not permitted.*\\)\\. `),
      );
      expect(err.message).toContain('set driver-opts privileged: false');
      // The container that could not start is not left behind.
      expect(await inspectContainer(container)).toBeUndefined();
    });

    it('pulls a missing image, telling its progress', async () => {
      const name = builderName('pulled');
      // The stand-in, pushed to the test registry under a fresh name and removed from the engine.
      const remote = `${engines.registry}/tsbake-test-standin-${RUN}-${ENGINE.name}:1`;
      await docker(ENGINE, ['tag', image, remote]);
      await docker(ENGINE, ['push', remote]);
      await docker(ENGINE, ['rmi', remote]);
      pulled.push(remote);
      logs.length = 0;
      await makeDriver(name, { image: remote, privileged: 'false', network: 'host' }).bootstrap(AbortSignal.timeout(90_000));
      expect(logs[0]).toBe(`builder "${name}": pulling image ${remote}`);
      expect(logs.some((l) => l.startsWith(`builder "${name}": pull ${remote}: `) && /Pull complete|Download complete|Status: Downloaded/.test(l))).toBe(true);
      expect((await inspectContainer(`tsbake_buildkit_${name}`))?.Config.Image).toBe(remote);
    });

    it('names the image when it is missing and cannot be pulled', async () => {
      const name = builderName('pull');
      const missing = `tsbake-test/no-such-image:${RUN}`;
      const err = await failure(makeDriver(name, { image: missing, privileged: 'false' }).bootstrap(AbortSignal.timeout(60_000)));
      expect(err.reason).toBe('daemon-error');
      expect(err.message).toContain(`image ${missing} is not in the Docker engine at ${ENGINE.host} and pulling it failed`);
      expect(logs).toContain(`builder "${name}": pulling image ${missing}`);
      expect(await inspectContainer(`tsbake_buildkit_${name}`)).toBeUndefined();
    });

    it('gives up after the timeout with the container state and log tail when BuildKit never answers', async () => {
      const name = builderName('dead');
      // Without `network: host` the stand-in's relay address (127.0.0.1) is the container's own: nothing answers.
      const err = await failure(makeDriver(name, { image, privileged: 'false', timeout: '3s' }).bootstrap(AbortSignal.timeout(60_000)));
      expect(err.reason).toBe('daemon-unreachable');
      expect(err.message).toContain(`BuildKit at docker-container://tsbake_buildkit_${name} did not answer within 3s`);
      expect(err.message).toContain("buildctl dial-stdio in the container said: nc: can't connect to remote host");
      expect(err.message).toContain(`container tsbake_buildkit_${name} is running`);
      expect(err.message).toContain('last lines of its log:\nstand-in buildkitd started');
    });
  });
});
