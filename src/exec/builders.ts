/**
 * One open connection per builder for a run: the driver, a BuildkitClient, the Session every solve of
 * the run on that builder derives its own from (never opened itself), and the capabilities detected
 * from the daemon.
 */
import type { BuildkitClient, Session, WorkerInfo } from '../buildkit/index.js';
import { createDriver, refineCapabilities } from '../drivers/index.js';
import type { Driver, DriverCapabilities, ResolvedBuilder } from '../drivers/types.js';
import { effectiveBuildkitVersion } from './versions.js';
import { trace } from '../trace.js';

export interface BuilderHandle {
  builder: ResolvedBuilder;
  driver: Driver;
  client: BuildkitClient;
  session: Session;
  caps: DriverCapabilities;
  workers: WorkerInfo[];
  /** `v0.13.2`, or undefined for daemons older than v0.11 that do not say. */
  buildkitVersion?: string;
  close(): Promise<void>;
}

export interface OpenBuilderOptions {
  env: Record<string, string | undefined>;
  signal: AbortSignal;
  log?: (message: string) => void;
}

export async function openBuilder(builder: ResolvedBuilder, options: OpenBuilderOptions): Promise<BuilderHandle> {
  const driver = await createDriver({ builder, env: options.env, ...(options.log ? { log: options.log } : {}) });
  trace('driver-loaded', builder.name);
  // A driver whose check connected to the daemon hands that connection over, with the answers to
  // ListWorkers and Info (the remote driver): one connection, each question asked once.
  const ready = (await driver.bootstrap(options.signal, { keep: true })) ?? undefined;
  trace('bootstrapped', builder.name);
  let client = ready?.client;
  try {
    // The gRPC client is loaded only now, so that the CLI can load it (and the rest of the executor) while
    // the driver's first request is on its way (cli/run.ts opens the builders before loading the executor).
    const [{ BuildkitClient, Session }, { dockerConfigAuth }] = await Promise.all([import('../buildkit/index.js'), import('../buildkit/auth.js')]);
    client ??= await BuildkitClient.connect((s) => driver.dial(s), {
      signal: options.signal,
      endpointName: driver.endpoint(),
      ...(driver.dialSession ? { dialSession: driver.dialSession.bind(driver) } : {}),
    });
    const connected = client;
    // Asked together: one round trip. The session here is never started: every solve derives and opens
    // a session of its own (buildkit/client.ts); this one only holds the providers they share.
    const [workers, buildkitVersion, details] = await Promise.all([
      ready ? ready.workers : connected.listWorkers(options.signal),
      ready ? ready.buildkitVersion : connected.info(options.signal).then((info) => info?.version),
      driver.describeDaemon ? driver.describeDaemon(options.signal) : Promise.resolve({} as { engineVersion?: string }),
    ]);
    trace('workers', builder.name);
    const session = new Session({
      name: `tsbake-${builder.name}`,
      sharedKey: `tsbake-${builder.name}`,
      // No secrets or SSH agents here: each solve's session serves its own target's (solve-target.ts).
      auth: dockerConfigAuth(options.env),
    });
    const caps = detectCapabilities(builder, workers, buildkitVersion, details.engineVersion);
    return {
      builder,
      driver,
      client: connected,
      session,
      caps,
      workers,
      ...(buildkitVersion ? { buildkitVersion } : {}),
      async close() {
        await session.close().catch(() => undefined);
        await connected.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await client?.close().catch(() => undefined);
    throw err;
  }
}

function detectCapabilities(
  builder: ResolvedBuilder,
  workers: WorkerInfo[],
  infoVersion: string | undefined,
  engineVersion: string | undefined,
): DriverCapabilities {
  const buildkitVersion = effectiveBuildkitVersion(infoVersion, engineVersion);
  return refineCapabilities(builder, {
    ...(buildkitVersion ? { buildkitVersion } : {}),
    ...(engineVersion ? { engineVersion } : {}),
    workerLabels: workers.map((w) => w.labels),
  });
}
