/**
 * Solves through the Docker engine's BuildKit with one tsbake session: file sync, exporters, secrets,
 * errors, cancellation. Needs engine A (Docker 20.10 at /var/run/docker.sock) with image
 * local/busybox:1; repeats on engine B (Docker 26) when /var/run/tsbake-docker26.sock exists.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BuildkitClient,
  BuildkitSolveError,
  Session,
  defaultSharedKey,
  dialDockerGrpc,
  localName,
  type ExporterSpec,
  type SolveParams,
  type StatusUpdate,
} from '../../src/buildkit/index.js';

const ENGINES = [
  { name: 'engine A (Docker 20.10)', socket: '/var/run/docker.sock', present: true },
  { name: 'engine B (Docker 26)', socket: '/var/run/tsbake-docker26.sock', present: existsSync('/var/run/tsbake-docker26.sock') },
];

async function makeContext(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-bk-ctx-'));
  for (const [rel, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await fs.writeFile(path.join(dir, rel), content);
  }
  return dir;
}

function solveParams(session: Session, ctx: string, extra: Partial<SolveParams> = {}): SolveParams {
  const contextKey = localName('context', ctx);
  const dockerfileKey = localName('dockerfile', ctx);
  return {
    ref: `tsbake-test-${randomBytes(8).toString('hex')}`,
    frontend: 'dockerfile.v0',
    frontendAttrs: { filename: 'Dockerfile', contextkey: contextKey, dockerfilekey: dockerfileKey },
    exporters: [],
    cacheImports: [],
    cacheExports: [],
    entitlements: [],
    session,
    localDirs: { [contextKey]: ctx, [dockerfileKey]: ctx },
    ...extra,
  };
}

for (const engine of ENGINES) {
  describe.skipIf(!engine.present)(`solve on ${engine.name}`, () => {
    const host = `unix://${engine.socket}`;
    const docker = new Docker({ socketPath: engine.socket });
    let client: BuildkitClient;
    let session: Session;
    const secrets = new Map<string, string>([['tok', 's3cr3t-value']]);
    const cleanup: string[] = [];

    beforeAll(async () => {
      const signal = AbortSignal.timeout(30_000);
      client = await BuildkitClient.connect((s) => dialDockerGrpc(host, s), { endpointName: host, signal });
      session = new Session({
        sharedKey: defaultSharedKey(),
        secrets: async (id) => (secrets.has(id) ? Buffer.from(secrets.get(id) ?? '') : undefined),
      });
      await session.start(client, signal);
    });
    afterAll(async () => {
      await session?.close();
      await client?.close();
      for (const d of cleanup) await fs.rm(d, { recursive: true, force: true });
    });

    test('Dockerfile → moby image, status updates, then an unchanged context requests no files', async () => {
      const ctx = await makeContext({
        Dockerfile: 'FROM local/busybox:1\nCOPY hello.txt /\nRUN cat /hello.txt\n',
        'hello.txt': `hello ${randomBytes(4).toString('hex')}\n`,
      });
      cleanup.push(ctx);
      const tag = `tsbake-test/hello:${randomBytes(3).toString('hex')}`;
      const updates: StatusUpdate[] = [];
      const exporters: ExporterSpec[] = [{ type: 'moby', attrs: { name: tag } }];
      const res = await client.solve(solveParams(session, ctx, { exporters }), AbortSignal.timeout(60_000), (u) => updates.push(u));
      expect(res.exporterResponse['containerimage.digest']).toMatch(/^sha256:/);
      const names = updates.flatMap((u) => u.vertexes.map((v) => v.name));
      expect(names.some((n) => n.includes('RUN cat /hello.txt'))).toBe(true);
      const img = await docker.getImage(tag).inspect();
      expect(img.Id).toMatch(/^sha256:/);
      await docker.getImage(tag).remove({ force: true });

      // The context's files are unchanged: BuildKit asks for none of them again. (BuildKit v0.13's
      // frontend re-fetches the Dockerfile local every time by design: DiffNone.)
      const before = { ...session.stats.requestsByDirName };
      await client.solve(solveParams(session, ctx), AbortSignal.timeout(60_000), () => undefined);
      expect(session.stats.requestsByDirName['context']).toBeGreaterThan(0);
      expect(session.stats.requestsByDirName['context']).toBe(before['context']);
    });
  });
}
