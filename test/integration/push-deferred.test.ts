/**
 * All-or-nothing push through the real CLI into the test registry (127.0.0.1:5000), read back over the
 * registry HTTP API: a failing target leaves none of the run's tags, a successful run leaves every tag
 * with the digest of the metadata file, Ctrl-C between "all built" and the push leaves nothing, and
 * `--push-each` keeps bake's push-as-built behaviour. On the docker driver on Docker 20.10 (classic
 * store: the engine pushes), Docker 26 (containerd store: the exporter pushes) and a remote builder
 * (relay to Docker 26's BuildKit).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines, requireEngine, requireRegistry, REGISTRY_BASE_IMAGE } from '../helpers/env.js';
import { project, runCli, spawnCli } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';

const REG = engines.registry;
const uniq = (): string => randomBytes(4).toString('hex');
const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** The tags the registry holds for a repository (none when it does not know the repository). */
async function tagsOf(repo: string): Promise<string[]> {
  const res = await fetch(`http://${REG}/v2/${repo}/tags/list`, { signal: AbortSignal.timeout(10_000) });
  if (res.status === 404) return [];
  const body = (await res.json()) as { tags?: string[] | null };
  return [...(body.tags ?? [])].sort();
}

/** The manifest digest the registry serves for repo:tag. */
async function digestOf(repo: string, tag: string): Promise<string | undefined> {
  const res = await fetch(`http://${REG}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { Accept: ACCEPT }, signal: AbortSignal.timeout(10_000) });
  return res.ok ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

type Setup = { name: string; env: () => Record<string, string>; builder: () => string; base: string };

let relay: GrpcRelay | undefined;
let sockDir = '';
const setups: Setup[] = [
  { name: 'docker driver on Docker 20.10 (engine push)', env: () => ({ DOCKER_HOST: engines.docker20.host }), builder: () => '', base: 'local/busybox:1' },
  { name: 'docker driver on Docker 26 (exporter push)', env: () => ({ DOCKER_HOST: engines.docker26.host }), builder: () => '', base: 'local/busybox:1' },
  {
    name: 'remote builder (BuildKit v0.13)',
    env: () => ({ DOCKER_HOST: engines.docker26.host }),
    builder: () => `default-builder: rb\nbuilder:\n  rb:\n    driver: remote\n    endpoint: ${relay!.address}\n`,
    base: REGISTRY_BASE_IMAGE,
  },
];

beforeAll(async () => {
  await Promise.all([requireEngine(engines.docker20), requireEngine(engines.docker26), requireRegistry()]);
  sockDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-pushdef-'));
  relay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { unix: path.join(sockDir, 'bk.sock') } });
});

afterAll(async () => {
  await relay?.close();
  if (sockDir) await fs.rm(sockDir, { recursive: true, force: true });
});

/**
 * A project whose targets `good1`, `good2` push to `<repo>/good1` … and `bad` (when failing) fails
 * only after both good ones are built (it depends on them), so a push-as-built would have pushed them.
 */
async function pushProject(s: Setup, id: string, options: { failing: boolean }): Promise<{ dir: string; repo: string }> {
  const repo = `tsbake-it/pushdef-${id}`;
  const target = (name: string, extra = ''): string =>
    `  ${name}:\n    dockerfile: ${name}.Dockerfile\n    tags: ["${REG}/${repo}/${name}:${id}", "${REG}/${repo}/${name}:also-${id}"]\n${extra}`;
  const dir = await project({
    'tsbake.yaml': `${s.builder()}target:\n${target('good1')}${target('good2')}${target('bad', '    depends-on: [good1, good2]\n')}`,
    'good1.Dockerfile': `FROM ${s.base}\nRUN echo good1-${id} > /g\n`,
    'good2.Dockerfile': `FROM ${s.base}\nRUN echo good2-${id} > /g\n`,
    'bad.Dockerfile': `FROM ${s.base}\nRUN echo bad-${id} ${options.failing ? '&& exit 7' : '> /b'}\n`,
  });
  return { dir, repo };
}

const TARGETS = ['good1', 'good2', 'bad'];

describe.each(setups)('all-or-nothing push: $name', (s) => {
  it('one target failing: nothing is pushed, exit 1, the summary says so', async () => {
    const id = uniq();
    const { dir, repo } = await pushProject(s, id, { failing: true });
    const r = await runCli(['run', ...TARGETS, '--push', '--progress', 'plain'], { cwd: dir, env: s.env() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/\[good1\] (DONE|CACHED)/);
    expect(r.stderr).toMatch(/\[good2\] (DONE|CACHED)/);
    expect(r.stderr).toMatch(/Push: nothing pushed \(3 images held back\): bad failed/);
    for (const t of TARGETS) expect(await tagsOf(`${repo}/${t}`), t).toEqual([]);
  });

  it('all succeeding: every tag is in the registry with the metadata file\'s digest', async () => {
    const id = uniq();
    const { dir, repo } = await pushProject(s, id, { failing: false });
    const md = path.join(dir, 'md.json');
    const r = await runCli(['run', ...TARGETS, '--push', '--progress', 'plain', '--metadata-file', md], { cwd: dir, env: s.env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Push: 3 images pushed after every target built');
    expect(r.stderr).not.toContain('is not the one the build made');
    const meta = JSON.parse(await fs.readFile(md, 'utf8')) as Record<string, Record<string, string>>;
    for (const t of TARGETS) {
      expect(await tagsOf(`${repo}/${t}`)).toEqual([id, `also-${id}`].sort());
      const digest = meta[t]?.['containerimage.digest'];
      expect(digest, t).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(await digestOf(`${repo}/${t}`, id)).toBe(digest);
      expect(await digestOf(`${repo}/${t}`, `also-${id}`)).toBe(digest);
    }
  });

  it('Ctrl-C after every target built, before the push: nothing is pushed, exit 130', async () => {
    const id = uniq();
    const { dir, repo } = await pushProject(s, id, { failing: false });
    // The hook holds the run at "all built, about to push" until this file exists (it never will).
    const child = spawnCli(['run', ...TARGETS, '--push', '--progress', 'json'], {
      cwd: dir,
      env: { ...s.env(), TSBAKE_HOLD_PUSH: path.join(dir, 'never') },
    });
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      child.stderr?.on('data', (b: Buffer) => {
        seen += b.toString();
        if (seen.split('\n').some((l) => l.startsWith('{"type":"push-ready"'))) resolve();
      });
      void child.then(() => reject(new Error(`the run ended before push-ready:\n${seen.slice(-3000)}`)));
    });
    child.kill('SIGINT');
    const res = await child;
    expect(res.exitCode).toBe(130);
    const summary = String(res.stderr)
      .split('\n')
      .filter((l) => l.startsWith('{"type":"push-done"'))
      .map((l) => JSON.parse(l) as { push: { state: string; reason: string } });
    expect(summary[0]?.push.state).toBe('withheld');
    expect(summary[0]?.push.reason).toMatch(/interrupted/);
    for (const t of TARGETS) expect(await tagsOf(`${repo}/${t}`), t).toEqual([]);
  });
});

describe.each(setups)('--push-each: $name', (s) => {
  it('the targets built before the failure are pushed, the failing one is not', async () => {
    const id = uniq();
    const { dir, repo } = await pushProject(s, id, { failing: true });
    const r = await runCli(['run', ...TARGETS, '--push', '--push-each', '--progress', 'plain'], { cwd: dir, env: s.env() });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toContain('Push:');
    expect(await tagsOf(`${repo}/good1`)).toEqual([id, `also-${id}`].sort());
    expect(await tagsOf(`${repo}/good2`)).toEqual([id, `also-${id}`].sort());
    expect(await tagsOf(`${repo}/bad`)).toEqual([]);
  });
});

describe('push: each on a builder', () => {
  it("keeps push-as-built for that builder's targets", async () => {
    const id = uniq();
    const s = setups[1]!;
    const { dir, repo } = await pushProject(s, id, { failing: true });
    await fs.writeFile(
      path.join(dir, 'tsbake.yaml'),
      (await fs.readFile(path.join(dir, 'tsbake.yaml'), 'utf8')).replace('target:\n', 'builder:\n  d26:\n    driver: docker\n    push: each\ntarget:\n'),
    );
    const r = await runCli(['run', ...TARGETS, '--push', '--progress', 'plain'], { cwd: dir, env: s.env() });
    expect(r.code, r.stderr).toBe(1);
    expect(await tagsOf(`${repo}/good1`)).toEqual([id, `also-${id}`].sort());
    expect(await tagsOf(`${repo}/bad`)).toEqual([]);
  });
});
