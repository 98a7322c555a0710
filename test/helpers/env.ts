/**
 * Where the test environment's real systems are (see scripts/test-env.sh, which starts them and writes
 * /var/lib/tsbake-test/env.sh with these variables), and checks that a test's needs are met.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export interface EngineRef {
  name: EngineName;
  /** `unix:///var/run/docker.sock` */
  host: string;
  /** `/var/run/docker.sock` */
  socketPath: string;
}

export type EngineName = 'docker20' | 'docker26' | 'docker26b';

function engineRef(name: EngineName, value: string | undefined, fallback: string): EngineRef {
  const host = value !== undefined && value !== '' ? value : fallback;
  if (!host.startsWith('unix://')) {
    throw new Error(`test environment: ${name} must be a unix:// address, got ${JSON.stringify(host)}`);
  }
  return { name, host, socketPath: host.slice('unix://'.length) };
}

export const engines: { docker20: EngineRef; docker26: EngineRef; docker26b: EngineRef; registry: string } = {
  /** Docker 20.10, BuildKit v0.8, classic image store. */
  docker20: engineRef('docker20', process.env.TSBAKE_TEST_DOCKER20, 'unix:///var/run/docker.sock'),
  /** Docker 26, BuildKit v0.13, containerd image store. */
  docker26: engineRef('docker26', process.env.TSBAKE_TEST_DOCKER26, 'unix:///var/run/tsbake-docker26.sock'),
  /** A second Docker 26 (engine B's binaries, its own containerd and BuildKit): multi-node tests' second daemon. */
  docker26b: engineRef('docker26b', process.env.TSBAKE_TEST_DOCKER26B, 'unix:///var/run/tsbake-docker26b.sock'),
  /** Plain-HTTP registry; `127.0.0.1:5000/busybox:1` is pushed there. */
  registry: process.env.TSBAKE_TEST_REGISTRY || '127.0.0.1:5000',
};

/** The base image present in both engines' stores. */
export const BASE_IMAGE = 'local/busybox:1';
/** The same image in the registry, for BuildKit daemons that do not see an engine's store. */
export const REGISTRY_BASE_IMAGE = `${engines.registry}/busybox:1`;

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ApiResponse {
  status: number;
  body: string;
}

/** A plain HTTP request to an engine's API socket (no client library, so tests see what the engine says). */
export function engineApi(
  engine: EngineRef,
  apiPath: string,
  options: { method?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = http.request(
      {
        socketPath: engine.socketPath,
        path: apiPath,
        method: options.method ?? 'GET',
        headers: {
          Host: 'docker',
          ...(payload !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
        timeout: options.timeoutMs ?? 5_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 5_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

export interface EngineVersion {
  Version: string;
  ApiVersion: string;
  Components?: { Name: string; Version: string }[];
}

function resolveEngine(engine: EngineName | EngineRef): EngineRef {
  return typeof engine === 'string' ? engines[engine] : engine;
}

/**
 * Fail (throw) with a clear message unless the engine answers `GET /version`.
 * Call it in `beforeAll` of tests that need the engine.
 */
export async function requireEngine(engine: EngineName | EngineRef): Promise<EngineVersion> {
  const ref = resolveEngine(engine);
  let response: ApiResponse;
  try {
    response = await engineApi(ref, '/version');
  } catch (err) {
    throw new Error(
      `test engine ${ref.name} at ${ref.host} does not answer (${(err as Error).message}); ` +
        'start the test environment with `bash scripts/test-env.sh` (as root)',
    );
  }
  if (response.status !== 200) {
    throw new Error(`test engine ${ref.name} at ${ref.host} answered GET /version with ${response.status}: ${response.body}`);
  }
  return JSON.parse(response.body) as EngineVersion;
}

/** Fail unless the test registry answers `GET /v2/` with 200. */
export async function requireRegistry(): Promise<void> {
  let status = 0;
  try {
    const res = await fetch(`http://${engines.registry}/v2/`, { signal: AbortSignal.timeout(5_000) });
    status = res.status;
  } catch (err) {
    throw new Error(
      `test registry at ${engines.registry} does not answer (${(err as Error).message}); ` +
        'start the test environment with `bash scripts/test-env.sh` (as root)',
    );
  }
  if (status !== 200) throw new Error(`test registry at ${engines.registry} answered GET /v2/ with ${status}`);
}

/** Run the docker CLI against one engine. */
export function docker(engine: EngineName | EngineRef, args: string[], options: { input?: string; signal?: AbortSignal } = {}) {
  const ref = resolveEngine(engine);
  return execa('docker', ['-H', ref.host, ...args], {
    ...(options.input !== undefined ? { input: options.input } : {}),
    ...(options.signal !== undefined ? { cancelSignal: options.signal } : {}),
  });
}

export function standInImageName(relayPort: number): string {
  return `tsbake-test/buildkit-standin:${relayPort}`;
}

/**
 * Make sure the engine has `tsbake-test/buildkit-standin:<relayPort>`: a busybox image whose
 * `/usr/bin/buildctl` pipes stdio to 127.0.0.1:<relayPort> (run it with `--network host`), standing in
 * for a BuildKit container (`buildctl dial-stdio`) in docker-container driver tests. Returns its name.
 */
export async function ensureStandInImage(engine: EngineName | EngineRef, relayPort: number): Promise<string> {
  const ref = resolveEngine(engine);
  const script = fileURLToPath(new URL('../../scripts/stand-in-image.sh', import.meta.url));
  await execa('bash', [script, ref.host, String(relayPort)]);
  return standInImageName(relayPort);
}
