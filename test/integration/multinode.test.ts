/**
 * Multi-node builders against two real, distinct BuildKit daemons: Docker 26 (engine B) and a second
 * Docker 26 with its own containerd and BuildKit (engine C, TSBAKE_TEST_DOCKER26B), each made to look
 * standalone by a test relay and declared as a `remote` node, one with `linux/amd64`, the other with
 * `linux/arm64`. A `FROM scratch` target needs no emulation on either. Checked: the pushed index has
 * both platforms; each platform was solved on the node that declared it (each daemon's build cache
 * holds only its platform's COPY); an OCI tarball holds both; with one node's relay closed, a target
 * needing only the other builds, and one needing both is refused before any solve (exit 2).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildkitClient } from '../../src/buildkit/index.js';
import { docker, engines, requireEngine, requireRegistry } from '../helpers/env.js';
import { project, runCli, spawnCli, waitForStepOutput } from '../helpers/cli.js';
import { startGrpcRelay, type GrpcRelay } from '../helpers/relay.js';
import { tarEntries } from '../helpers/tar.js';

const REG = engines.registry;
const uniq = (): string => randomBytes(4).toString('hex');
const ACCEPT = ['application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

interface Index {
  mediaType?: string;
  manifests?: { digest: string; platform?: { os: string; architecture: string } }[];
}

function platformsOf(m: Index): string[] {
  return (m.manifests ?? [])
    .filter((d) => d.platform && d.platform.os !== 'unknown')
    .map((d) => `${d.platform!.os}/${d.platform!.architecture}`)
    .sort();
}

/** The build cache records of the BuildKit behind a relay (DiskUsage), straight from the daemon. */
async function cacheDescriptions(relay: GrpcRelay): Promise<string[]> {
  const signal = AbortSignal.timeout(20_000);
  const client = await BuildkitClient.connect(
    async () =>
      new Promise<net.Socket>((resolve, reject) => {
        const s = net.connect(relay.port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      }),
    { signal, endpointName: relay.address },
  );
  try {
    return (await client.diskUsage(signal)).map((r) => r.description);
  } finally {
    await client.close();
  }
}

describe('a builder of two nodes (Docker 26 and a second Docker 26, through relays)', () => {
  let amdRelay: GrpcRelay;
  let armRelay: GrpcRelay;

  beforeAll(async () => {
    await Promise.all([requireEngine('docker26'), requireEngine('docker26b'), requireRegistry()]);
    amdRelay = await startGrpcRelay({ engineSocket: engines.docker26.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
    armRelay = await startGrpcRelay({ engineSocket: engines.docker26b.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
  });
  afterAll(async () => {
    await Promise.all([amdRelay?.close(), armRelay?.close()]);
  });

  const config = (targets: string, arm = armRelay.address): string =>
    [
      'builder:',
      '  fleet:',
      '    nodes:',
      '      - name: amd',
      '        driver: remote',
      `        endpoint: ${amdRelay.address}`,
      '        platforms: [linux/amd64]',
      '      - name: arm',
      '        driver: remote',
      `        endpoint: ${arm}`,
      '        platforms: [linux/arm64]',
      // A closed endpoint is given up on after this (the remote driver waits 20 s by default).
      '        driver-opts: { timeout: 5s }',
      'target:',
      targets,
      '',
    ].join('\n');

  // Each platform copies its own file, named after a fresh id: the COPY can only be in the cache of
  // the daemon that solved that platform.
  const files = (id: string): Record<string, string> => ({
    Dockerfile: `FROM scratch\nARG TARGETARCH\nCOPY \${TARGETARCH}-${id}.txt /arch.txt\n`,
    [`amd64-${id}.txt`]: `amd64 ${id}\n`,
    [`arm64-${id}.txt`]: `arm64 ${id}\n`,
  });

  it('plan shows where each platform goes, and single-platform targets spread over the nodes that build them', async () => {
    const dir = await project({
      'tsbake.yaml': config(
        [
          '  app:\n    platforms: [linux/amd64, linux/arm64]',
          '  one:\n    platforms: [linux/amd64]',
          '  any-a:\n    output: [type=cacheonly]',
          '  any-b:\n    output: [type=cacheonly]',
          '  emu:\n    platforms: [linux/s390x]',
        ].join('\n'),
      ),
      ...files(uniq()),
    });
    const r = await runCli(['plan', 'app', 'one', 'any-a', 'any-b', 'emu'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const line = (t: string): string => r.stdout.split('\n').find((l) => l.trim().startsWith(`${t} `)) ?? '';
    expect(line('app')).toContain('nodes: linux/amd64 on amd; linux/arm64 on arm');
    expect(line('one')).toContain('nodes: linux/amd64 on amd');
    expect(line('emu')).toContain('nodes: linux/s390x on amd (emulated)');
    // Two targets without platforms, after the others in the order: one on each node, by load.
    const spread = [line('any-a'), line('any-b')].map((l) => /nodes: default platform on (\w+)/.exec(l)?.[1]).sort();
    expect(spread).toEqual(['amd', 'arm']);
  });

  it('pushes one index with both platforms, each solved on the node that declared it', async () => {
    const id = uniq();
    const repo = `tsbake-test/multinode-${id}`;
    const dir = await project({
      'tsbake.yaml': config(`  app:\n    platforms: [linux/amd64, linux/arm64]\n    tags: ["${REG}/${repo}:1"]\n    output: ["type=image,push=true"]`),
      ...files(id),
    });
    const r = await runCli(['run', 'app', '--progress=plain'], { cwd: dir });
    expect(r.stderr).toContain('split across nodes: linux/amd64 on amd; linux/arm64 on arm');
    expect(r.code, r.stderr).toBe(0);

    const res = await fetch(`http://${REG}/v2/${repo}/manifests/1`, { headers: { Accept: ACCEPT } });
    expect(res.status).toBe(200);
    const index = (await res.json()) as Index;
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(platformsOf(index)).toEqual(['linux/amd64', 'linux/arm64']);
    // Every manifest the index names is in the registry.
    for (const m of index.manifests ?? []) {
      const got = await fetch(`http://${REG}/v2/${repo}/manifests/${m.digest}`, { method: 'HEAD', headers: { Accept: ACCEPT } });
      expect(got.status, m.digest).toBe(200);
    }

    // The build cache: engine B copied amd64.txt only, engine C arm64.txt only.
    const [onAmd, onArm] = await Promise.all([cacheDescriptions(amdRelay), cacheDescriptions(armRelay)]);
    const copies = (list: string[], arch: string): boolean => list.some((d) => d.includes(`${arch}-${id}.txt`));
    expect(copies(onAmd, 'amd64'), onAmd.join('\n')).toBe(true);
    expect(copies(onAmd, 'arm64')).toBe(false);
    expect(copies(onArm, 'arm64'), onArm.join('\n')).toBe(true);
    expect(copies(onArm, 'amd64')).toBe(false);
  });

  it('writes an OCI tarball holding both platforms, each with its own file', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': config(`  app:\n    platforms: [linux/amd64, linux/arm64]\n    output: ["type=oci,dest=out/app.tar"]`),
      ...files(id),
    });
    const out = path.join(dir, 'out/app.tar');
    const r = await runCli(['run', 'app', '--progress=plain'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const entries = await tarEntries(createReadStream(out));
    const blob = (digest: string): Buffer => entries.get(`blobs/${digest.replace(':', '/')}`)!;
    const top = JSON.parse(entries.get('index.json')!.toString()) as Index;
    const index = JSON.parse(blob(top.manifests![0]!.digest).toString()) as Index;
    expect(platformsOf(index)).toEqual(['linux/amd64', 'linux/arm64']);
    // Each platform's one layer holds its own arch.txt.
    for (const m of index.manifests!.filter((d) => d.platform?.os === 'linux')) {
      const manifest = JSON.parse(blob(m.digest).toString()) as { layers: { digest: string }[] };
      const layer = blob(manifest.layers[0]!.digest);
      const { gunzipSync } = await import('node:zlib');
      const { Readable } = await import('node:stream');
      const files = await tarEntries(Readable.from(gunzipSync(layer)));
      expect(files.get('arch.txt')?.toString()).toBe(`${m.platform!.architecture} ${id}\n`);
    }
  });

  it('builder ls and inspect show every node with its status, BuildKit version and platforms', async () => {
    const dir = await project({ 'tsbake.yaml': config('  app: {}') });
    const ls = await runCli(['builder', 'ls', '--format', 'json'], { cwd: dir });
    expect(ls.code, ls.stderr).toBe(0);
    const rows = JSON.parse(ls.stdout) as { name: string; node?: string; status: string; buildkitVersion?: string; platforms: string[] }[];
    expect(rows.map((r) => [r.name, r.node, r.status])).toEqual([
      ['fleet', 'amd', 'running'],
      ['fleet', 'arm', 'running'],
    ]);
    for (const r of rows) expect(r.buildkitVersion).toMatch(/^v0\.\d+/);
    expect(rows[0]!.platforms[0]).toBe('linux/amd64*');
    expect(rows[1]!.platforms[0]).toBe('linux/arm64*');
    const text = await runCli(['builder', 'ls'], { cwd: dir });
    expect(text.stdout).toMatch(/^fleet\/amd\tremote\t.*\trunning\t/m);
    expect(text.stdout).toMatch(/^fleet\/arm\tremote\t.*\trunning\t/m);
    const inspect = await runCli(['builder', 'inspect', 'fleet'], { cwd: dir });
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(inspect.stdout).toContain('Nodes:');
    expect(inspect.stdout).toMatch(/Node: +amd\n.*\n +Endpoint: +tcp:\/\/127\.0\.0\.1:\d+\n +Status: +running/);
    expect(inspect.stdout).toMatch(/Node: +arm\n/);
    const du = await runCli(['builder', 'du', 'fleet', '--format', 'json'], { cwd: dir });
    expect(du.code, du.stderr).toBe(0);
  });

  it('a target: context built on one node reaches a dependent on the other (OCI-layout hand-over)', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': config(
        [
          '  base:\n    dockerfile: base.Dockerfile\n    platforms: [linux/arm64]',
          '  app:\n    dockerfile: app.Dockerfile\n    platforms: [linux/amd64]\n    contexts: { base: "target:base" }\n    output: ["type=oci,dest=out/app.tar"]',
        ].join('\n'),
      ),
      'base.Dockerfile': 'FROM scratch\nCOPY base.txt /base.txt\n',
      'app.Dockerfile': 'FROM --platform=linux/arm64 base AS b\nFROM scratch\nCOPY --from=b /base.txt /from-base.txt\n',
      'base.txt': `base ${id}\n`,
    });
    const r = await runCli(['run', 'app', '--progress=json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const entries = await tarEntries(createReadStream(path.join(dir, 'out/app.tar')));
    const blob = (digest: string): Buffer => entries.get(`blobs/${digest.replace(':', '/')}`)!;
    const top = JSON.parse(entries.get('index.json')!.toString()) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(blob(top.manifests[0]!.digest).toString()) as { layers: { digest: string }[] };
    const { gunzipSync } = await import('node:zlib');
    const { Readable } = await import('node:stream');
    const layer = await tarEntries(Readable.from(gunzipSync(blob(manifest.layers[0]!.digest))));
    expect(layer.get('from-base.txt')?.toString()).toBe(`base ${id}\n`);
    // base was solved on arm's daemon, app on amd's.
    const [onAmd, onArm] = await Promise.all([cacheDescriptions(amdRelay), cacheDescriptions(armRelay)]);
    expect(onArm.some((d) => d.includes('COPY base.txt'))).toBe(true);
    expect(onAmd.some((d) => d.includes('from-base.txt'))).toBe(true);
    expect(onArm.some((d) => d.includes('from-base.txt'))).toBe(false);
  });

  it('with one node down: a target it is not needed for builds on the other, one needing it is refused before any solve', async () => {
    const id = uniq();
    const down = await startGrpcRelay({ engineSocket: engines.docker26b.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
    const address = down.address;
    await down.close();
    const dir = await project({
      'tsbake.yaml': config(
        [
          `  amd-only:\n    platforms: [linux/amd64]\n    output: ["type=oci,dest=out/amd.tar"]`,
          `  both:\n    platforms: [linux/amd64, linux/arm64]\n    output: ["type=oci,dest=out/both.tar"]`,
        ].join('\n'),
        address,
      ),
      ...files(id),
    });
    const one = await runCli(['run', 'amd-only', '--progress=plain'], { cwd: dir });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/WARNING: node "arm" of builder "fleet" is unreachable/);
    expect((await fs.stat(path.join(dir, 'out/amd.tar'))).size).toBeGreaterThan(0);

    const both = await runCli(['run', 'amd-only', 'both', '--progress=json'], { cwd: dir });
    expect(both.code, both.stderr).toBe(2);
    expect(both.stderr).toContain('no reachable node of builder "fleet" builds linux/arm64');
    // Refused before any solve: no target started.
    expect(both.stdout).not.toContain('"target-started"');
  });

  it('a node dying mid-run fails only its solves, naming the node; the other node\'s target builds (--keep-going)', async () => {
    const marker = `started-${uniq()}`;
    const dying = await startGrpcRelay({ engineSocket: engines.docker26b.host, listen: { tcp: { host: '127.0.0.1', port: 0 } } });
    try {
      const dir = await project({
        'tsbake.yaml': config(
          [
            `  slow:\n    dockerfile: slow.Dockerfile\n    platforms: [linux/arm64]\n    output: [type=cacheonly]`,
            `  fine:\n    dockerfile: fine.Dockerfile\n    platforms: [linux/amd64]\n    output: ["type=oci,dest=out/fine.tar"]`,
          ].join('\n'),
          dying.address,
        ),
        // An arm64 busybox is not at hand: the RUN runs on the amd64 image under the arm64 node's own platform.
        'slow.Dockerfile': `FROM --platform=linux/amd64 ${REG}/busybox:1\nRUN echo ${marker} && sleep 60\n`,
        'fine.Dockerfile': 'FROM scratch\nCOPY fine.txt /\n',
        'fine.txt': 'fine\n',
      });
      const child = spawnCli(['run', 'slow', 'fine', '--keep-going', '--progress', 'plain'], { cwd: dir });
      await waitForStepOutput(child, [marker]);
      await dying.close();
      const r = await child;
      const stderr = String(r.stderr);
      expect(r.exitCode, stderr).toBe(1);
      expect(stderr).toContain(`node "arm" of builder "fleet" (${dying.address}): connection dropped during the build`);
      expect(stderr).toMatch(/\[fine\] DONE/);
      expect((await fs.stat(path.join(dir, 'out/fine.tar'))).size).toBeGreaterThan(0);
    } finally {
      await dying.close();
    }
  });

  /** A docker-driver node on Docker 26 beside a remote node on engine C (through the arm relay). */
  const mixedBuilder = (): string[] => [
    'builder:',
    '  mixed:',
    '    nodes:',
    '      - name: engine',
    '        driver: docker',
    `        endpoint: ${engines.docker26.host}`,
    '        platforms: [linux/amd64]',
    '      - name: far',
    '        driver: remote',
    `        endpoint: ${armRelay.address}`,
    '        platforms: [linux/arm64]',
    'default-builder: mixed',
  ];

  it('nodes of different drivers: --load from a docker node (its engine store) and a remote node (a tarball), both in Docker 26', async () => {
    const id = uniq();
    const dir = await project({
      'tsbake.yaml': [
        ...mixedBuilder(),
        'target:',
        `  on-engine:\n    platforms: [linux/amd64]\n    tags: ["tsbake-it/mixed-engine:${id}"]`,
        `  on-far:\n    platforms: [linux/arm64]\n    tags: ["tsbake-it/mixed-far:${id}"]`,
        '',
      ].join('\n'),
      ...files(id),
    });
    const r = await runCli(['run', 'on-engine', 'on-far', '--load', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(r.code, r.stderr).toBe(0);
    for (const [tag, arch] of [[`tsbake-it/mixed-engine:${id}`, 'amd64'], [`tsbake-it/mixed-far:${id}`, 'arm64']] as const) {
      const inspected = await docker(engines.docker26, ['image', 'inspect', '-f', '{{.Architecture}}', tag]);
      expect(inspected.stdout.trim()).toBe(arch);
    }
  });

  it('nodes of different drivers: a target: dependency in the docker node\'s engine store reaches a dependent on the remote node', async () => {
    const dir = await project({
      'tsbake.yaml': [
        ...mixedBuilder(),
        'target:',
        '  base:\n    dockerfile: base.Dockerfile\n    platforms: [linux/amd64]',
        '  app:\n    platforms: [linux/arm64]\n    contexts: { base: "target:base" }\n    output: ["type=oci,dest=out/app.tar"]',
        '',
      ].join('\n'),
      'base.Dockerfile': `FROM scratch\nCOPY f.txt /f-${uniq()}.txt\n`,
      Dockerfile: 'FROM --platform=linux/amd64 base\n',
      'f.txt': 'from base\n',
    });
    const r = await runCli(['run', 'app', '--progress', 'plain'], { cwd: dir, env: { DOCKER_HOST: engines.docker26.host } });
    expect(r.code, r.stderr).toBe(0);
    // base went to the engine node (its store, by name) and to app on the far node as an OCI layout.
    expect(r.stderr).toContain('[app] #');
    expect(r.stderr).toContain('OCI load from client');
    expect((await fs.stat(path.join(dir, 'out/app.tar'))).size).toBeGreaterThan(0);
  });

  it('Ctrl-C cancels the solves on every node: exit 130, both targets cancelled', async () => {
    const markers = { amd: `started-${uniq()}`, arm: `started-${uniq()}` };
    const dir = await project({
      'tsbake.yaml': config(
        [
          `  on-amd:\n    dockerfile: amd.Dockerfile\n    platforms: [linux/amd64]\n    output: [type=cacheonly]`,
          `  on-arm:\n    dockerfile: arm.Dockerfile\n    platforms: [linux/arm64]\n    output: [type=cacheonly]`,
        ].join('\n'),
      ),
      'amd.Dockerfile': `FROM ${REG}/busybox:1\nRUN echo ${markers.amd} && sleep 60\n`,
      'arm.Dockerfile': `FROM --platform=linux/amd64 ${REG}/busybox:1\nRUN echo ${markers.arm} && sleep 60\n`,
    });
    const child = spawnCli(['run', 'on-amd', 'on-arm', '--progress', 'plain'], { cwd: dir });
    await waitForStepOutput(child, Object.values(markers));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    const stderr = String(r.stderr);
    expect(stderr).toContain('[on-amd] CANCELED');
    expect(stderr).toContain('[on-arm] CANCELED');
  });
});
