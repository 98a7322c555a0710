/**
 * One open connection per builder for a run: the driver, a BuildkitClient, the Session every solve of
 * the run on that builder derives its own from, and the capabilities detected from the daemon.
 */
import { BuildkitClient, Session } from '../buildkit/index.js';
import type { WorkerInfo } from '../buildkit/index.js';
import { createDriver, refineCapabilities } from '../drivers/index.js';
import type { Driver, DriverCapabilities, ResolvedBuilder } from '../drivers/types.js';
import { dockerConfigAuth } from '../buildkit/auth.js';
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
  const client = await BuildkitClient.connect((s) => driver.dial(s), {
    signal: options.signal,
    endpointName: driver.endpoint(),
    ...(driver.dialSession ? { dialSession: driver.dialSession.bind(driver) } : {}),
  });
  try {
    // One round trip for all three: each is asked on every run.
    const [workers, info, details] = await Promise.all([
      client.listWorkers(options.signal),
      client.info(options.signal),
      driver.describeDaemon ? driver.describeDaemon(options.signal) : Promise.resolve({} as { engineVersion?: string }),
    ]);
    trace('workers', builder.name);
    const caps = detectCapabilities(builder, workers, info?.version, details.engineVersion);
    const auth = dockerConfigAuth(options.env);
    const session = new Session({
      name: `tsbake-${builder.name}`,
      sharedKey: `tsbake-${builder.name}`,
      // No secrets or SSH agents here: each solve's session serves its own target's (solve-target.ts).
      auth,
    });
    await session.start(client, options.signal);
    trace('session', builder.name);
    return {
      builder,
      driver,
      client,
      session,
      caps,
      workers,
      ...(info?.version ? { buildkitVersion: info.version } : {}),
      async close() {
        await session.close().catch(() => undefined);
        await client.close().catch(() => undefined);
      },
    };
  } catch (err) {
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
