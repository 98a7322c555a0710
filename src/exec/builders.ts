/**
 * One open connection per builder for a run: the driver, a BuildkitClient, the Session every solve of
 * the run on that builder derives its own from, and the capabilities detected from the daemon.
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
  await driver.bootstrap(options.signal);
  trace('bootstrapped', builder.name);
  // The gRPC client is loaded only now, so that the CLI can load it (and the rest of the executor) while
  // the driver's first request is on its way (cli/run.ts opens the builders before loading the executor).
  const [{ BuildkitClient, Session }, { dockerConfigAuth }] = await Promise.all([import('../buildkit/index.js'), import('../buildkit/auth.js')]);
  const client = await BuildkitClient.connect((s) => driver.dial(s), {
    signal: options.signal,
    endpointName: driver.endpoint(),
    ...(driver.dialSession ? { dialSession: driver.dialSession.bind(driver) } : {}),
  });
  let session: Session | undefined;
  try {
    session = new Session({
      name: `tsbake-${builder.name}`,
      sharedKey: `tsbake-${builder.name}`,
      // No secrets or SSH agents here: each solve's session serves its own target's (solve-target.ts).
      auth: dockerConfigAuth(options.env),
    });
    // One round trip for all four: the session waits for the daemon's first bytes, as the three
    // questions asked on every run wait for their answers.
    const [workers, info, details] = await Promise.all([
      client.listWorkers(options.signal),
      client.info(options.signal),
      driver.describeDaemon ? driver.describeDaemon(options.signal) : Promise.resolve({} as { engineVersion?: string }),
      session.start(client, options.signal).then(() => trace('session', builder.name)),
    ]);
    trace('workers', builder.name);
    const caps = detectCapabilities(builder, workers, info?.version, details.engineVersion);
    const opened = session;
    return {
      builder,
      driver,
      client,
      session: opened,
      caps,
      workers,
      ...(info?.version ? { buildkitVersion: info.version } : {}),
      async close() {
        await opened.close().catch(() => undefined);
        await client.close().catch(() => undefined);
      },
    };
  } catch (err) {
    await session?.close().catch(() => undefined);
    await client.close().catch(() => undefined);
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
