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
import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import tarStream from 'tar-stream';
import { createReadStream } from 'node:fs';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BuildkitClient,
  BuildkitSolveError,
  Session,
  defaultSharedKey,
  dialDockerGrpc,
  dialDockerSession,
  localName,
  type ExporterSpec,
  type SolveParams,
  type StatusUpdate,
} from '../../src/buildkit/index.js';

const ENGINES = [
  { name: 'engine A (Docker 20.10)', socket: '/var/run/docker.sock', present: true, modern: false },
  { name: 'engine B (Docker 26)', socket: '/var/run/tsbake-docker26.sock', present: existsSync('/var/run/tsbake-docker26.sock'), modern: true },
];

async function makeContext(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-test-ctx-'));
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
    /** Every connection the client dialled: close() must leave none open. */
    const dialled: Duplex[] = [];

    beforeAll(async () => {
      const signal = AbortSignal.timeout(30_000);
      const dial = async (s: AbortSignal): Promise<Duplex> => {
        const d = await dialDockerGrpc(host, s);
        dialled.push(d);
        return d;
      };
      client = await BuildkitClient.connect(dial, { endpointName: host, signal });
      session = new Session({
        sharedKey: defaultSharedKey(),
        secrets: async (id) => (secrets.has(id) ? Buffer.from(secrets.get(id) ?? '') : undefined),
      });
      await session.start(client, signal);
    });
    afterAll(async () => {
      await session?.close();
      await client?.close();
      // The Control connection is the dialled stream itself (no private bridge socket): close() ends it.
      expect(dialled.length).toBeGreaterThan(0);
      for (const d of dialled) expect(d.destroyed).toBe(true);
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

    test('repeated metadata values arrive separately (a COPY source whose name contains ", ")', async () => {
      const ctx = await makeContext({
        Dockerfile: 'FROM local/busybox:1\nCOPY ["a, b.txt", "c.txt", "/in/"]\nRUN test -e "/in/a, b.txt" && test -e /in/c.txt\n',
        'a, b.txt': 'ab',
        'c.txt': 'c',
      });
      cleanup.push(ctx);
      await client.solve(solveParams(session, ctx), AbortSignal.timeout(60_000), () => undefined);
    });

    test('.dockerignore: excluded files are absent, excluded dirs are never walked, big files never read', async () => {
      const files: Record<string, string> = {
        Dockerfile:
          'FROM local/busybox:1\nCOPY . /ctx\n' +
          'RUN test ! -e /ctx/ignored.txt && test -e /ctx/kept.txt && test ! -e /ctx/node_modules && test ! -e /ctx/huge.bin ' +
          '&& test ! -e /ctx/logs/a.log && test -e /ctx/logs/keep.log && test ! -e /ctx/pipe.fifo\n',
        '.dockerignore': 'ignored.txt\nnode_modules\nhuge.bin\npipe.fifo\nlogs/*\n!logs/keep.log\n',
        'ignored.txt': 'no',
        'kept.txt': 'yes',
        'logs/a.log': 'a',
        'logs/keep.log': 'keep',
      };
      for (let i = 0; i < 200; i++) files[`node_modules/pkg${i}/index.js`] = `${i}`;
      const ctx = await makeContext(files);
      cleanup.push(ctx);
      // 100 MB (sparse) and a FIFO: reading either would cost time or hang forever.
      await fs.writeFile(path.join(ctx, 'huge.bin'), '');
      await fs.truncate(path.join(ctx, 'huge.bin'), 100 * 1024 * 1024);
      execFileSync('mkfifo', [path.join(ctx, 'pipe.fifo')]);
      const before = { ...session.stats };
      await client.solve(solveParams(session, ctx), AbortSignal.timeout(60_000), () => undefined);
      // node_modules' 400 entries were never listed; only the top level and logs/ were.
      expect(session.stats.entriesVisited - before.entriesVisited).toBeLessThan(40);
      expect(session.stats.bytesSent - before.bytesSent).toBeLessThan(64 * 1024);
    });

    test('secrets reach RUN --mount=type=secret and never appear in the logs', async () => {
      const ctx = await makeContext({
        Dockerfile: `FROM local/busybox:1\nRUN --mount=type=secret,id=tok test "$(cat /run/secrets/tok)" = s3cr3t-value && echo secret-ok-${randomBytes(4).toString('hex')}\n`,
      });
      cleanup.push(ctx);
      const logs: string[] = [];
      await client.solve(solveParams(session, ctx), AbortSignal.timeout(60_000), (u) => logs.push(...u.logs.map((l) => Buffer.from(l.data).toString())));
      expect(logs.join('')).toContain('secret-ok-');
      expect(logs.join('')).not.toContain('s3cr3t-value');

      const missing = await makeContext({ Dockerfile: 'FROM local/busybox:1\nRUN --mount=type=secret,id=nope,required=true true\n' });
      cleanup.push(missing);
      await expect(client.solve(solveParams(session, missing), AbortSignal.timeout(60_000), () => undefined)).rejects.toThrow(/nope|secret/);
    });

    test('a failing RUN is a BuildkitSolveError with the exit code', async () => {
      const ctx = await makeContext({ Dockerfile: `FROM local/busybox:1\nRUN echo ${randomBytes(4).toString('hex')} && exit 3\n` });
      cleanup.push(ctx);
      const err = await client.solve(solveParams(session, ctx), AbortSignal.timeout(60_000), () => undefined).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BuildkitSolveError);
      const e = err as BuildkitSolveError;
      expect(e.message).toMatch(/exit code: 3/);
      expect(e.reason).toBe('build-failed');
      expect(e.vertexErrors.some((v) => v.name.includes('exit 3'))).toBe(true);
      // BuildKit v0.8 attaches no source location; v0.13 does (as a JSON error detail).
      if (engine.modern) expect(e.locationText()).toBe('Dockerfile:2');
    });

    test('aborting the signal cancels a running solve quickly; the next solve works', async () => {
      const ctx = await makeContext({ Dockerfile: `FROM local/busybox:1\nRUN echo ${randomBytes(4).toString('hex')} && sleep 30\n` });
      cleanup.push(ctx);
      const ac = new AbortController();
      let abortedAt = 0;
      const p = client.solve(solveParams(session, ctx), ac.signal, (u) => {
        if (!abortedAt && u.vertexes.some((v) => v.name.includes('sleep 30') && v.started !== undefined && v.completed === undefined)) {
          abortedAt = Date.now();
          ac.abort();
        }
      });
      const err = await p.catch((e: unknown) => e);
      expect(abortedAt).toBeGreaterThan(0);
      expect((err as Error).name).toBe('AbortError');
      expect(Date.now() - abortedAt).toBeLessThan(2_000);

      const again = await makeContext({ Dockerfile: `FROM local/busybox:1\nRUN echo ${randomBytes(4).toString('hex')}\n` });
      cleanup.push(again);
      const res = await client.solve(solveParams(session, again), AbortSignal.timeout(60_000), () => undefined);
      expect(res.exporterResponse).toBeDefined();
    });

    test('local and tar exporters write complete outputs', async () => {
      const ctx = await makeContext({
        Dockerfile:
          'FROM local/busybox:1 AS b\n' +
          `RUN mkdir -p /out/sub && echo hi-${randomBytes(3).toString('hex')} > /out/sub/a.txt && ln -s a.txt /out/sub/link && chmod 0750 /out/sub/a.txt\n` +
          'FROM scratch\nCOPY --from=b /out /\n',
      });
      cleanup.push(ctx);
      const outRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-test-out-'));
      cleanup.push(outRoot);
      const dest = path.join(outRoot, 'dir');
      await client.solve(
        solveParams(session, ctx, { exporters: [{ type: 'local', attrs: {}, output: { kind: 'dir', path: dest } }] }),
        AbortSignal.timeout(60_000),
        () => undefined,
      );
      expect(await fs.readFile(path.join(dest, 'sub/a.txt'), 'utf8')).toMatch(/^hi-/);
      expect(await fs.readlink(path.join(dest, 'sub/link'))).toBe('a.txt');
      expect((await fs.stat(path.join(dest, 'sub/a.txt'))).mode & 0o777).toBe(0o750);
      expect(await fs.readdir(outRoot)).toEqual(['dir']);

      const tarFile = path.join(outRoot, 'out.tar');
      await client.solve(
        solveParams(session, ctx, { exporters: [{ type: 'tar', attrs: {}, output: { kind: 'file', path: tarFile } }] }),
        AbortSignal.timeout(60_000),
        () => undefined,
      );
      const names: string[] = [];
      const extract = tarStream.extract();
      extract.on('entry', (h, stream, next) => {
        names.push(h.name);
        stream.resume();
        stream.on('end', next);
      });
      await new Promise<void>((resolve, reject) => {
        extract.on('finish', resolve);
        extract.on('error', reject);
        createReadStream(tarFile).pipe(extract);
      });
      expect(names.map((n) => n.replace(/^\.\//, '').replace(/\/$/, ''))).toEqual(expect.arrayContaining(['sub', 'sub/a.txt', 'sub/link']));
      expect((await fs.readdir(outRoot)).sort()).toEqual(['dir', 'out.tar']);
    });

    test('a tar export can be consumed as a stream while it arrives', async () => {
      const ctx = await makeContext({ Dockerfile: 'FROM scratch\nCOPY f.txt /\n', 'f.txt': randomBytes(200_000).toString('hex') });
      cleanup.push(ctx);
      const names: string[] = [];
      let size = 0;
      await client.solve(
        solveParams(session, ctx, {
          exporters: [
            {
              type: 'tar',
              attrs: {},
              output: {
                kind: 'stream',
                onTarStream: (stream) =>
                  new Promise<void>((resolve, reject) => {
                    const extract = tarStream.extract();
                    extract.on('entry', (h, s, next) => {
                      names.push(h.name);
                      s.on('data', (b: Buffer) => (size += b.length));
                      s.on('end', next);
                    });
                    extract.on('finish', resolve);
                    extract.on('error', reject);
                    stream.pipe(extract);
                  }),
              },
            },
          ],
        }),
        AbortSignal.timeout(60_000),
        () => undefined,
      );
      expect(names.map((n) => n.replace(/^\.?\//, ''))).toContain('f.txt');
      expect(size).toBe(400_000);
    });

    test.skipIf(!engine.modern)('several exporters in one solve (v0.13+): image and local dir', async () => {
      const ctx = await makeContext({ Dockerfile: 'FROM local/busybox:1\nRUN echo multi > /m.txt\n' });
      cleanup.push(ctx);
      const outRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-test-out-'));
      cleanup.push(outRoot);
      const tag = `tsbake-test/multi:${randomBytes(3).toString('hex')}`;
      await client.solve(
        solveParams(session, ctx, {
          exporters: [
            { type: 'moby', attrs: { name: tag } },
            { type: 'local', attrs: {}, output: { kind: 'dir', path: path.join(outRoot, 'o') } },
          ],
        }),
        AbortSignal.timeout(60_000),
        () => undefined,
      );
      expect(await fs.readFile(path.join(outRoot, 'o/m.txt'), 'utf8')).toBe('multi\n');
      await docker.getImage(tag).remove({ force: true });
    });

    test("the engine's POST /session: the session runs on a socket of its own, files and a FileSend export flow", async () => {
      const sessions: Duplex[] = [];
      const viaEndpoint = await BuildkitClient.connect((s) => dialDockerGrpc(host, s), {
        endpointName: host,
        signal: AbortSignal.timeout(30_000),
        dialSession: async (headers, s) => {
          const sock = await dialDockerSession(host, headers, s);
          sessions.push(sock);
          return sock;
        },
      });
      const ctx = await makeContext({ Dockerfile: 'FROM scratch\nCOPY a.txt b.txt /\n', 'a.txt': 'aaa', 'b.txt': randomBytes(200_000).toString('hex') });
      const out = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-test-out-'));
      cleanup.push(ctx, out);
      const run = new Session({ sharedKey: defaultSharedKey() });
      try {
        const exporters: ExporterSpec[] = [{ type: 'local', attrs: {}, output: { kind: 'dir', path: path.join(out, 'dest') } }];
        await viaEndpoint.solve(solveParams(run, ctx, { exporters }), AbortSignal.timeout(60_000), () => undefined);
        expect(await fs.readFile(path.join(out, 'dest', 'a.txt'), 'utf8')).toBe('aaa');
        expect((await fs.stat(path.join(out, 'dest', 'b.txt'))).size).toBe(400_000);
        expect(run.stats.requestsByDirName['context']).toBeGreaterThan(0);
        // One /session connection for the solve's own session, closed with it.
        expect(sessions.length).toBe(1);
        expect(sessions[0]!.destroyed).toBe(true);
      } finally {
        await viaEndpoint.close();
      }
    });

    test('concurrent solves with different contexts on one client and one run session', async () => {
      const ctxs = await Promise.all(
        [0, 1, 2, 3].map((i) => makeContext({ Dockerfile: 'FROM local/busybox:1\nCOPY which.txt /\nRUN cat /which.txt\n', 'which.txt': `ctx-${i}-${randomBytes(3).toString('hex')}` })),
      );
      cleanup.push(...ctxs);
      const results = await Promise.all(
        ctxs.map(async (ctx) => {
          const logs: string[] = [];
          await client.solve(solveParams(session, ctx), AbortSignal.timeout(60_000), (u) => logs.push(...u.logs.map((l) => Buffer.from(l.data).toString())));
          return { expected: await fs.readFile(path.join(ctx, 'which.txt'), 'utf8'), logs: logs.join('') };
        }),
      );
      // Each solve saw its own context.
      for (const r of results) expect(r.logs).toContain(r.expected);
    });
  });
}
