/**
 * Pure parts of the docker-container driver: option parsing, the config hash that decides recreation,
 * and Docker's stream demultiplexing (fed frames split at awkward places). No engine needed.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demuxDockerStream } from '../../src/drivers/docker-api.js';
import {
  containerNameFor,
  parseBytes,
  resolveContainerSpec,
  splitFlags,
  UNPRIVILEGED_CAPS,
} from '../../src/drivers/docker-container/options.js';
import type { ResolvedBuilder } from '../../src/plan/types.js';

function builder(driverOpts: Record<string, string>, extra: Partial<ResolvedBuilder> = {}): ResolvedBuilder {
  return { name: 'b', driver: 'docker-container', driverOpts, platforms: [], defaultLoad: false, implicit: false, ...extra };
}

describe('docker-container options', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['1048576', 1048576],
    ['64k', 65536],
    ['-1', -1],
    ['lots', undefined],
  ])('parseBytes(%s)', (text, bytes) => {
    expect(parseBytes(text)).toBe(bytes);
  });

  it.each([
    ['', []],
    ['--debug', ['--debug']],
    ['--debug  --allow-insecure-entitlement network.host', ['--debug', '--allow-insecure-entitlement', 'network.host']],
    [`--oci-worker-gc-keepstorage "10 GB" --x='a b'`, ['--oci-worker-gc-keepstorage', '10 GB', '--x=a b']],
    ['--a "" b', ['--a', '', 'b']],
    ['a\\ b', ['a b']],
  ])('splitFlags(%s)', (text, args) => {
    expect(splitFlags(text)).toEqual(args);
  });

  it('refuses an unterminated quote', () => {
    expect(() => splitFlags('--x "a')).toThrow(/unterminated/);
  });

  it('defaults: buildx image, privileged, unless-stopped, state volume, no config', () => {
    const spec = resolveContainerSpec(builder({}));
    expect(spec.image).toBe('moby/buildkit:buildx-stable-1');
    expect(spec.privileged).toBe(true);
    expect(spec.hostConfig).toMatchObject({ Privileged: true, Init: true, RestartPolicy: { Name: 'unless-stopped' } });
    expect(spec.hostConfig.Binds).toEqual(['tsbake_buildkit_b_state:/var/lib/buildkit']);
    expect(spec.cmd).toEqual([]);
    expect(spec.config).toBeUndefined();
    expect(spec.readyTimeoutMs).toBe(60_000);
  });

  it('privileged: false lists every capability but SYS_RESOURCE and opens the cgroup tree', () => {
    const spec = resolveContainerSpec(builder({ privileged: 'false' }));
    expect(spec.hostConfig.Privileged).toBeUndefined();
    expect(spec.hostConfig.CapAdd).toEqual([...UNPRIVILEGED_CAPS]);
    expect(UNPRIVILEGED_CAPS).not.toContain('CAP_SYS_RESOURCE');
    expect(UNPRIVILEGED_CAPS).toHaveLength(40);
    expect(spec.hostConfig).toMatchObject({ CgroupnsMode: 'host', MaskedPaths: [], ReadonlyPaths: [] });
    expect(spec.hostConfig.Binds).toContain('/sys/fs/cgroup:/sys/fs/cgroup:rw');
  });

  it('maps resource options and config', () => {
    const spec = resolveContainerSpec(
      builder(
        {
          memory: '1g', 'memory-swap': '-1', 'cpu-period': '100000', 'cpu-quota': '50000', 'cpu-shares': '512',
          'cpuset-cpus': '0-1', 'cpuset-mems': '0', 'cgroup-parent': 'tsbake', 'restart-policy': 'on-failure:3',
          network: 'host', 'env.B': '2', 'env.A': '1', timeout: '90s',
        },
        { buildkitdFlags: '--debug', buildkitdConfigInline: 'debug = true\n' },
      ),
    );
    expect(spec.hostConfig).toMatchObject({
      Memory: 1024 ** 3, MemorySwap: -1, CpuPeriod: 100000, CpuQuota: 50000, CpuShares: 512, CpusetCpus: '0-1',
      CpusetMems: '0', CgroupParent: 'tsbake', RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 }, NetworkMode: 'host',
    });
    expect(spec.env).toEqual(['A=1', 'B=2']);
    expect(spec.cmd).toEqual(['--debug', '--config', '/etc/buildkit/buildkitd.toml']);
    expect(spec.config).toBe('debug = true\n');
    expect(spec.readyTimeoutMs).toBe(90_000);
  });

  it('refuses unknown and malformed options with the builder named', () => {
    expect(() => resolveContainerSpec(builder({ replicas: '2' }))).toThrow(/builder "b" \(docker-container\): unknown driver option "replicas"/);
    expect(() => resolveContainerSpec(builder({ memory: 'lots' }))).toThrow(/memory must be a size/);
    expect(() => resolveContainerSpec(builder({ 'cpu-shares': '1.5' }))).toThrow(/cpu-shares must be an integer/);
    expect(() => resolveContainerSpec(builder({ 'restart-policy': 'sometimes' }))).toThrow(/restart-policy/);
    expect(() => resolveContainerSpec(builder({ privileged: 'maybe' }))).toThrow(/privileged must be true or false/);
    expect(() => resolveContainerSpec(builder({}, { buildkitdConfig: '/nonexistent/buildkitd.toml' }))).toThrow(
      /cannot read buildkitd-config \/nonexistent\/buildkitd.toml/,
    );
  });

  it('the config hash changes with what makes the container, not with timeout', () => {
    const hash = (opts: Record<string, string>, extra: Partial<ResolvedBuilder> = {}): string =>
      resolveContainerSpec(builder(opts, extra)).configHash;
    const base = hash({ memory: '1g' });
    expect(hash({ memory: '1g' })).toBe(base);
    expect(hash({ memory: '1g', timeout: '5s' })).toBe(base);
    expect(hash({ memory: '2g' })).not.toBe(base);
    expect(hash({ memory: '1g', 'env.X': '1' })).not.toBe(base);
    expect(hash({ memory: '1g' }, { buildkitdFlags: '--debug' })).not.toBe(base);
    expect(hash({ memory: '1g' }, { buildkitdConfigInline: 'debug = true' })).not.toBe(base);
    expect(hash({ memory: '1g', image: 'moby/buildkit:v0.13.2' })).not.toBe(base);
  });

  it('container names keep only what Docker allows', () => {
    expect(containerNameFor('my builder/1')).toBe('tsbake_buildkit_my_builder_1');
  });
});

describe('demuxDockerStream', () => {
  const frame = (kind: number, text: string): Buffer => {
    const payload = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = kind;
    head.writeUInt32BE(payload.length, 4);
    return Buffer.concat([head, payload]);
  };

  it('splits stdout from stderr across arbitrary chunk boundaries', async () => {
    const source = new PassThrough();
    const out: string[] = [];
    const err: string[] = [];
    const ended = new Promise<void>((resolve) =>
      demuxDockerStream(source, { stdout: (c) => void out.push(c.toString()), stderr: (c) => void err.push(c.toString()), end: resolve }),
    );
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world'), frame(1, '')]);
    // One byte at a time: headers and payloads split everywhere.
    for (const byte of all) source.write(Buffer.from([byte]));
    source.end();
    await ended;
    expect(out.join('')).toBe('hello world');
    expect(err.join('')).toBe('oops');
  });

  it('pauses the source when stdout asks for back-pressure and resumes on demand', () => {
    const source = new PassThrough();
    let accept = false;
    const got: string[] = [];
    const demux = demuxDockerStream(source, {
      stdout: (c) => {
        got.push(c.toString());
        return accept;
      },
      stderr: () => undefined,
    });
    source.write(Buffer.concat([frame(1, 'a'), frame(1, 'b')]));
    expect(source.isPaused()).toBe(true);
    accept = true;
    demux.resume();
    expect(source.isPaused()).toBe(false);
    expect(got).toEqual(['a', 'b']);
  });
});
