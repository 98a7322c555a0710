/**
 * The docker-container driver: BuildKit in a container `tsbake_buildkit_<builder>` that tsbake creates
 * on first use through the Docker API, with a named state volume so the cache survives restarts, and
 * reached by `buildctl dial-stdio` through docker exec (what buildx's docker-container driver does).
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { TsbakeError } from '../../errors.js';
import { dockerCall, DockerTimeoutError, dockerErrorMessage, dockerFromHost, dockerStatusCode } from '../docker-api.js';
import { probeBuildkit, waitForBuildkit } from '../remote/readiness.js';
import type { BuilderStatus, Driver, DriverContext, DriverFactory } from '../types.js';
import { execStream, type ExecStream } from './exec-stream.js';
import { CONFIG_PATH, resolveContainerSpec, type ContainerSpec } from './options.js';

export { containerNameFor, resolveContainerSpec, UNPRIVILEGED_CAPS } from './options.js';

const LOG_TAIL_LINES = 30;

function isConnectionError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'EACCES' || code === 'ECONNRESET';
}

/** Collect a tar archive holding the BuildKit configuration at CONFIG_PATH. */
async function configArchive(text: string): Promise<Buffer> {
  const tar = pack();
  const dir = CONFIG_PATH.slice(1, CONFIG_PATH.lastIndexOf('/') + 1);
  tar.entry({ name: dir, type: 'directory', mode: 0o755 });
  tar.entry({ name: CONFIG_PATH.slice(1), mode: 0o644 }, text);
  tar.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of tar as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

class DockerContainerDriver implements Driver {
  readonly builder: DriverContext['builder'];
  private readonly ctx: DriverContext;
  private readonly spec: ContainerSpec;
  private readonly dockerHost: string;
  private dockerClient: Docker | undefined;
  private bootstrapping: Promise<void> | undefined;
  private lastExec: ExecStream | undefined;

  constructor(ctx: DriverContext) {
    this.ctx = ctx;
    this.builder = ctx.builder;
    this.spec = resolveContainerSpec(ctx.builder);
    this.dockerHost = ctx.builder.endpoint ?? ctx.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  }

  private get docker(): Docker {
    if (!this.dockerClient) {
      try {
        this.dockerClient = dockerFromHost(this.dockerHost, this.ctx.env);
      } catch (err) {
        throw new TsbakeError('invalid-config', `${this.prefix}${(err as Error).message}`, { cause: err });
      }
    }
    return this.dockerClient;
  }

  private get prefix(): string {
    return `builder "${this.builder.name}": `;
  }

  private log(message: string): void {
    this.ctx.log?.(`${this.prefix}${message}`);
  }

  /** A failure of a Docker API call, told apart: engine unreachable vs the engine refused. */
  private dockerFailure(what: string, err: unknown): TsbakeError {
    if (err instanceof TsbakeError) return err;
    if (err instanceof DockerTimeoutError) {
      return new TsbakeError(
        'daemon-unreachable',
        `${this.prefix}Docker at ${this.dockerHost} accepted the connection but gave no answer within ` +
          `${err.message.replace(/^no answer within /, '')} to ${what}: check that this address is a running Docker engine ` +
          `(TSBAKE_DOCKER_API_TIMEOUT_MS sets the wait)`,
        { cause: err },
      );
    }
    if (isConnectionError(err)) {
      return new TsbakeError(
        'daemon-unreachable',
        `${this.prefix}cannot reach Docker at ${this.dockerHost} to ${what}: ${dockerErrorMessage(err)}`,
        { cause: err },
      );
    }
    return new TsbakeError('daemon-error', `${this.prefix}Docker at ${this.dockerHost} failed to ${what}: ${dockerErrorMessage(err)}`, {
      cause: err,
    });
  }

  endpoint(): string {
    return `docker-container://${this.spec.containerName}`;
  }

  nodes(): number {
    return 1;
  }

  private async inspectContainer(signal?: AbortSignal): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      const container = this.docker.getContainer(this.spec.containerName);
      return await dockerCall(signal, (abortSignal) => container.inspect({ abortSignal }));
    } catch (err) {
      if (dockerStatusCode(err) === 404) return undefined;
      throw this.dockerFailure(`inspect container ${this.spec.containerName}`, err);
    }
  }

  async bootstrap(signal: AbortSignal): Promise<void> {
    // Targets of one run share the builder: one bootstrap at a time, the others wait for it.
    this.bootstrapping ??= this.doBootstrap(signal).finally(() => {
      this.bootstrapping = undefined;
    });
    await this.bootstrapping;
  }

  private async doBootstrap(signal: AbortSignal): Promise<void> {
    const { containerName } = this.spec;
    let info = await this.inspectContainer(signal);
    if (info && info.Config.Labels?.['tsbake.config-hash'] !== this.spec.configHash) {
      this.log(`its options changed: recreating container ${containerName} (the state volume ${this.spec.volumeName} is kept)`);
      await this.removeContainer();
      info = undefined;
    }
    signal.throwIfAborted();
    if (!info) {
      await this.ensureImage(signal);
      signal.throwIfAborted();
      await this.createContainer();
    }
    if (!info?.State.Running) await this.startContainer();
    await waitForBuildkit({
      dial: (s) => this.dial(s),
      endpointName: this.endpoint(),
      timeoutMs: this.spec.readyTimeoutMs,
      signal,
      prefix: this.prefix,
      describeLastError: () => {
        const stderr = this.lastExec?.stderrText().trim();
        return stderr ? `buildctl dial-stdio in the container said: ${stderr}` : undefined;
      },
      explainTimeout: () => this.explainNotReady(),
      log: (m) => this.log(m),
    });
  }

  private async ensureImage(signal: AbortSignal): Promise<void> {
    const { image } = this.spec;
    try {
      const img = this.docker.getImage(image);
      await dockerCall(signal, () => img.inspect());
      return;
    } catch (err) {
      if (dockerStatusCode(err) !== 404) throw this.dockerFailure(`inspect image ${image}`, err);
    }
    this.log(`pulling image ${image}`);
    const pullFailed = (why: string, cause?: unknown): TsbakeError =>
      new TsbakeError(
        'daemon-error',
        `${this.prefix}image ${image} is not in the Docker engine at ${this.dockerHost} and pulling it failed: ${why}. ` +
          `Load or pull it into that engine, or set driver-opts image to an image it has.`,
        { cause },
      );
    let stream: Readable;
    try {
      stream = (await dockerCall(signal, (abortSignal) => this.docker.pull(image, { abortSignal }))) as Readable;
    } catch (err) {
      if (err instanceof DockerTimeoutError || err instanceof TsbakeError || isConnectionError(err)) throw this.dockerFailure(`pull ${image}`, err);
      throw pullFailed(dockerErrorMessage(err), err);
    }
    const onAbort = (): void => {
      stream.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const seen = new Map<string, string>();
        this.docker.modem.followProgress(
          stream,
          (err: Error | null) => (err ? reject(err) : resolve()),
          (event: { id?: string; status?: string; error?: string; errorDetail?: { message?: string } }) => {
            if (event.error || event.errorDetail) {
              reject(new Error(event.errorDetail?.message ?? event.error));
              return;
            }
            // Layer statuses change many times a second while downloading; report each change of phase.
            const status = event.status ?? '';
            const key = event.id ?? '';
            if (!status || status === 'Downloading' || status === 'Extracting' || seen.get(key) === status) return;
            seen.set(key, status);
            this.log(`pull ${image}: ${key ? `${key}: ` : ''}${status}`);
          },
        );
      });
    } catch (err) {
      signal.throwIfAborted();
      throw pullFailed(err instanceof Error ? err.message : String(err), err);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async createContainer(): Promise<void> {
    const { containerName, volumeName, image } = this.spec;
    try {
      await dockerCall(undefined, (abortSignal) =>
        this.docker.createVolume({ Name: volumeName, Labels: { 'tsbake.builder': this.builder.name }, abortSignal }),
      );
    } catch (err) {
      throw this.dockerFailure(`create volume ${volumeName}`, err);
    }
    this.log(`creating container ${containerName} from ${image}`);
    const hostConfig = { ...this.spec.hostConfig };
    let container: Docker.Container | undefined;
    while (!container) {
      try {
        container = await dockerCall(undefined, (abortSignal) =>
          this.docker.createContainer({
            name: containerName,
            Image: image,
            Cmd: this.spec.cmd,
            Env: this.spec.env,
            Labels: this.spec.labels,
            HostConfig: hostConfig as Docker.HostConfig,
            abortSignal,
          }),
        );
      } catch (err) {
        if (dockerStatusCode(err) === 409) return; // another tsbake created it a moment ago
        // Engines older than the capability (Docker 20.10 knows no CAP_BPF, CAP_PERFMON,
        // CAP_CHECKPOINT_RESTORE) refuse it by name: leave it out, as the engine cannot grant it anyway.
        const unknown = /unknown capability: "?([A-Z_]+)"?/.exec(dockerErrorMessage(err))?.[1];
        const caps = hostConfig.CapAdd as string[] | undefined;
        if (dockerStatusCode(err) === 400 && unknown && caps?.includes(unknown)) {
          hostConfig.CapAdd = caps.filter((c) => c !== unknown);
          continue;
        }
        throw this.dockerFailure(`create container ${containerName}`, err);
      }
    }
    if (this.spec.config !== undefined) {
      try {
        const archive = await configArchive(this.spec.config);
        const target = container;
        await dockerCall(undefined, (abortSignal) => target.putArchive(archive, { path: '/', abortSignal }));
      } catch (err) {
        await this.removeContainer().catch(() => undefined);
        throw this.dockerFailure(`copy the BuildKit configuration to ${CONFIG_PATH} in ${containerName}`, err);
      }
    }
  }

  private async startContainer(): Promise<void> {
    const { containerName } = this.spec;
    try {
      const container = this.docker.getContainer(containerName);
      await dockerCall(undefined, (abortSignal) => container.start({ abortSignal }));
    } catch (err) {
      const code = dockerStatusCode(err);
      if (code === 304) return; // already started
      // A container that cannot start is removed: a later bootstrap creates it again from the options.
      await this.removeContainer().catch(() => undefined);
      const msg = dockerErrorMessage(err);
      if (this.spec.privileged && /caps|operation not permitted|privileged/i.test(msg)) {
        throw new TsbakeError(
          'daemon-error',
          `${this.prefix}the container could not start privileged (${msg}). ` +
            `This host refuses privileged containers; set driver-opts privileged: false`,
          { cause: err },
        );
      }
      throw this.dockerFailure(`start container ${containerName}`, err);
    }
  }

  private async removeContainer(): Promise<void> {
    try {
      const container = this.docker.getContainer(this.spec.containerName);
      await dockerCall(undefined, (abortSignal) => container.remove({ force: true, abortSignal }));
    } catch (err) {
      if (dockerStatusCode(err) === 404) return;
      throw this.dockerFailure(`remove container ${this.spec.containerName}`, err);
    }
  }

  /** The container's state and last log lines, for a daemon that never answered. */
  private async explainNotReady(): Promise<string> {
    const parts: string[] = [];
    const info = await this.inspectContainer().catch(() => undefined);
    if (info) parts.push(`container ${this.spec.containerName} is ${info.State.Status}${info.State.Error ? ` (${info.State.Error})` : ''}`);
    try {
      const container = this.docker.getContainer(this.spec.containerName);
      const raw = (await dockerCall(undefined, (abortSignal) =>
        container.logs({ stdout: true, stderr: true, tail: LOG_TAIL_LINES, follow: false, abortSignal }),
      )) as unknown as Buffer;
      const lines = demuxBuffer(raw).trim();
      if (lines) parts.push(`last lines of its log:\n${lines}`);
    } catch {
      // The log is a nicety on top of the error.
    }
    return parts.join('\n');
  }

  async dial(signal: AbortSignal): Promise<ExecStream> {
    const { containerName } = this.spec;
    try {
      const stream = await execStream(this.docker, containerName, ['buildctl', 'dial-stdio'], signal);
      this.lastExec = stream;
      return stream;
    } catch (err) {
      if (signal.aborted) throw err;
      const code = dockerStatusCode(err);
      if (code === 404) {
        throw new TsbakeError(
          'daemon-unreachable',
          `${this.prefix}container ${containerName} does not exist (it is created when the builder is bootstrapped)`,
          { cause: err },
        );
      }
      if (code === 409) {
        throw new TsbakeError('daemon-unreachable', `${this.prefix}container ${containerName} is not running: ${dockerErrorMessage(err)}`, {
          cause: err,
        });
      }
      throw this.dockerFailure(`exec buildctl dial-stdio in ${containerName}`, err);
    }
  }

  async inspect(signal: AbortSignal): Promise<BuilderStatus> {
    const base = { name: this.builder.name, driver: 'docker-container', endpoint: this.endpoint() };
    let info: Docker.ContainerInspectInfo | undefined;
    try {
      info = await this.inspectContainer(signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return { ...base, status: 'error', platforms: this.builder.platforms, error: (err as Error).message };
    }
    if (!info) return { ...base, status: 'inactive', platforms: this.builder.platforms };
    const details: Record<string, unknown> = {
      containerId: info.Id,
      containerName: this.spec.containerName,
      image: info.Config.Image,
      volume: this.spec.volumeName,
      dockerHost: this.dockerHost,
      upToDate: info.Config.Labels?.['tsbake.config-hash'] === this.spec.configHash,
    };
    if (!info.State.Running) return { ...base, status: 'stopped', platforms: this.builder.platforms, details };
    try {
      const facts = await probeBuildkit((s) => this.dial(s), { signal, timeoutMs: 10_000, endpointName: this.endpoint() });
      return {
        ...base,
        status: 'running',
        platforms: facts.platforms,
        ...(facts.version ? { buildkitVersion: facts.version } : {}),
        details: { ...details, workers: facts.workers.map((w) => w.id) },
      };
    } catch (err) {
      if (signal.aborted) throw err;
      return { ...base, status: 'error', platforms: this.builder.platforms, details, error: (err as Error).message };
    }
  }

  async stop(_signal: AbortSignal): Promise<void> {
    try {
      const container = this.docker.getContainer(this.spec.containerName);
      await dockerCall(undefined, (abortSignal) => container.stop({ abortSignal }));
    } catch (err) {
      const code = dockerStatusCode(err);
      if (code === 304 || code === 404) return;
      throw this.dockerFailure(`stop container ${this.spec.containerName}`, err);
    }
  }

  async remove(_signal: AbortSignal, options: { keepState: boolean }): Promise<void> {
    await this.removeContainer();
    if (options.keepState) return;
    try {
      const volume = this.docker.getVolume(this.spec.volumeName);
      await dockerCall(undefined, (abortSignal) => volume.remove({ abortSignal }));
    } catch (err) {
      if (dockerStatusCode(err) === 404) return;
      throw this.dockerFailure(`remove volume ${this.spec.volumeName}`, err);
    }
  }
}

/** Docker's multiplexed log buffer (non-TTY) as text. */
function demuxBuffer(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  let out = '';
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    out += raw.subarray(offset + 8, offset + 8 + size).toString('utf8');
    offset += 8 + size;
  }
  return offset === 0 ? raw.toString('utf8') : out;
}

export const createDockerContainerDriver: DriverFactory = (ctx) => new DockerContainerDriver(ctx);
