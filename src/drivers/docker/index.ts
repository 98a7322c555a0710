/**
 * The docker driver: the BuildKit inside a Docker engine, reached through the engine API's `/grpc`
 * upgrade. No lifecycle: the engine is managed by whoever runs it. Results go to the engine's own
 * image store (the `moby` exporter).
 */
import { dialDockerGrpc } from '../../buildkit/docker-upgrade.js';
import { dockerFromHost } from '../docker-api.js';
import type { BuilderStatus, Driver, DriverFactory } from '../types.js';
import { staticCapabilities } from '../../plan/index.js';
import { TsbakeError } from '../../errors.js';

export const createDockerDriver: DriverFactory = (ctx) => {
  const host = ctx.builder.endpoint ?? ctx.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  let engineVersion: Promise<string | undefined> | undefined;

  const version = (): Promise<string | undefined> => {
    engineVersion ??= dockerFromHost(host, ctx.env)
      .version()
      .then((v) => v.Version)
      .catch((err: unknown) => {
        engineVersion = undefined;
        throw new TsbakeError(
          'daemon-unreachable',
          `builder "${ctx.builder.name}": cannot reach the Docker engine at ${host}: ${(err as Error).message}. Is the Docker daemon running?`,
          { cause: err },
        );
      });
    return engineVersion;
  };

  const driver: Driver = {
    builder: ctx.builder,
    loadsViaTarball: false,
    endpoint: () => host,
    staticCapabilities: () => staticCapabilities('docker'),
    async bootstrap() {
      await version();
    },
    async dial(signal) {
      return dialDockerGrpc(host, signal);
    },
    async describeDaemon() {
      const v = await version();
      return v ? { engineVersion: v } : {};
    },
    async inspect(): Promise<BuilderStatus> {
      try {
        const v = await version();
        return {
          name: ctx.builder.name,
          driver: 'docker',
          endpoint: host,
          status: 'running',
          platforms: ctx.builder.platforms,
          details: { engineVersion: v },
        };
      } catch (err) {
        return {
          name: ctx.builder.name,
          driver: 'docker',
          endpoint: host,
          status: 'error',
          platforms: [],
          error: (err as Error).message,
        };
      }
    },
    async stop() {
      throw new TsbakeError('usage', `builder "${ctx.builder.name}" uses the docker driver: the Docker engine is not managed by tsbake`);
    },
    async remove() {
      throw new TsbakeError('usage', `builder "${ctx.builder.name}" uses the docker driver: the Docker engine is not managed by tsbake`);
    },
  };
  return driver;
};
