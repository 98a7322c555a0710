/**
 * Turn a docker-container builder's driver options (strings, as bake writes them) into the container
 * it should run, and the hash that tells whether a running container still matches them.
 * Option names follow buildx's docker-container driver.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ResolvedBuilder } from '../types.js';
import { TsbakeError } from '../../errors.js';

export const DEFAULT_IMAGE = 'moby/buildkit:buildx-stable-1';
export const CONFIG_PATH = '/etc/buildkit/buildkitd.toml';
export const STATE_DIR = '/var/lib/buildkit';
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Every capability but CAP_SYS_RESOURCE, for `privileged: false`: hosts whose bounding set lacks
 * SYS_RESOURCE refuse `--privileged` ("unable to apply caps"), yet BuildKit runs with the rest.
 */
export const UNPRIVILEGED_CAPS = [
  'CAP_AUDIT_CONTROL', 'CAP_AUDIT_READ', 'CAP_AUDIT_WRITE', 'CAP_BLOCK_SUSPEND', 'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE', 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER',
  'CAP_FSETID', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_KILL', 'CAP_LEASE', 'CAP_LINUX_IMMUTABLE',
  'CAP_MAC_ADMIN', 'CAP_MAC_OVERRIDE', 'CAP_MKNOD', 'CAP_NET_ADMIN', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_RAW', 'CAP_PERFMON', 'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP',
  'CAP_SETUID', 'CAP_SYSLOG', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_CHROOT', 'CAP_SYS_MODULE',
  'CAP_SYS_NICE', 'CAP_SYS_PACCT', 'CAP_SYS_PTRACE', 'CAP_SYS_RAWIO', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_WAKE_ALARM',
] as const;

const KNOWN = [
  'image', 'network', 'memory', 'memory-swap', 'cpu-period', 'cpu-quota', 'cpu-shares', 'cpuset-cpus',
  'cpuset-mems', 'cgroup-parent', 'restart-policy', 'privileged', 'timeout', 'default-load',
] as const;

export interface ContainerSpec {
  containerName: string;
  volumeName: string;
  image: string;
  privileged: boolean;
  /** Daemon arguments (the image's entrypoint is buildkitd). */
  cmd: string[];
  env: string[];
  /** BuildKit configuration text to copy to CONFIG_PATH, if any. */
  config?: string;
  hostConfig: Record<string, unknown>;
  labels: Record<string, string>;
  configHash: string;
  readyTimeoutMs: number;
}

/** Docker container names allow [a-zA-Z0-9][a-zA-Z0-9_.-]*; anything else in a builder name becomes `_`. */
export function containerNameFor(builder: string): string {
  return `tsbake_buildkit_${builder.replace(/[^a-zA-Z0-9_.-]/g, '_')}`;
}

function invalid(builder: string, message: string): TsbakeError {
  return new TsbakeError('invalid-config', `builder "${builder}" (docker-container): ${message}`);
}

/** `512m`, `1g`, `1048576`, `-1` (memory-swap: unlimited) → bytes, like docker's RAMInBytes. */
export function parseBytes(value: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (n === -1 && !m[2]) return -1;
  const unit = (m[2] ?? '').toLowerCase();
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[unit] ?? 1;
  return Math.round(n * mult);
}

/** `60s`, `2m`, `1500ms`, `30` (seconds) → milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(Number(m[1]) * mult);
}

export function parseBool(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return undefined;
}

/** Split buildkitd-flags like a shell would (quotes and backslashes), without expansion. */
export function splitFlags(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in buildkitd-flags: ${text}`);
  if (has) out.push(cur);
  return out;
}

function integer(builder: string, key: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw invalid(builder, `driver option ${key} must be an integer, got "${value}"`);
  return Number(value);
}

function restartPolicy(builder: string, value: string): { Name: string; MaximumRetryCount?: number } {
  const [name, count] = value.split(':');
  if (name === 'no' || name === 'always' || name === 'unless-stopped') {
    if (count !== undefined) throw invalid(builder, `restart-policy ${name} takes no retry count`);
    return { Name: name };
  }
  if (name === 'on-failure') {
    return count === undefined ? { Name: name } : { Name: name, MaximumRetryCount: integer(builder, 'restart-policy', count) };
  }
  throw invalid(builder, `restart-policy must be no, always, unless-stopped or on-failure[:N], got "${value}"`);
}

function readConfig(builder: ResolvedBuilder): string | undefined {
  if (builder.buildkitdConfigInline !== undefined) return builder.buildkitdConfigInline;
  if (builder.buildkitdConfig === undefined) return undefined;
  try {
    return readFileSync(builder.buildkitdConfig, 'utf8');
  } catch (err) {
    throw new TsbakeError(
      'invalid-config',
      `builder "${builder.name}": cannot read buildkitd-config ${builder.buildkitdConfig}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Everything the container should be, decided from the builder's declaration. */
export function resolveContainerSpec(builder: ResolvedBuilder): ContainerSpec {
  const opts = builder.driverOpts;
  const name = builder.name;
  for (const key of Object.keys(opts)) {
    if (key.startsWith('env.')) continue;
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw invalid(name, `unknown driver option "${key}" (known: ${[...KNOWN, 'env.NAME'].join(', ')})`);
    }
  }
  const image = opts.image?.trim() || DEFAULT_IMAGE;
  let privileged = true;
  if (opts.privileged !== undefined) {
    const b = parseBool(opts.privileged);
    if (b === undefined) throw invalid(name, `driver option privileged must be true or false, got "${opts.privileged}"`);
    privileged = b;
  }
  let readyTimeoutMs = DEFAULT_TIMEOUT_MS;
  if (opts.timeout !== undefined) {
    const ms = parseDuration(opts.timeout);
    if (ms === undefined || ms <= 0) throw invalid(name, `driver option timeout must be a duration like 60s, got "${opts.timeout}"`);
    readyTimeoutMs = ms;
  }

  const env = Object.keys(opts)
    .filter((k) => k.startsWith('env.'))
    .sort()
    .map((k) => `${k.slice(4)}=${opts[k]}`);

  const config = readConfig(builder);
  let cmd: string[];
  try {
    cmd = splitFlags(builder.buildkitdFlags ?? '');
  } catch (err) {
    throw invalid(name, (err as Error).message);
  }
  if (config !== undefined) cmd.push('--config', CONFIG_PATH);

  const containerName = containerNameFor(name);
  const volumeName = `${containerName}_state`;
  const hostConfig: Record<string, unknown> = {
    Binds: [`${volumeName}:${STATE_DIR}`],
    Init: true,
    RestartPolicy: restartPolicy(name, opts['restart-policy'] ?? 'unless-stopped'),
  };
  if (privileged) {
    hostConfig.Privileged = true;
  } else {
    hostConfig.CapAdd = [...UNPRIVILEGED_CAPS];
    hostConfig.SecurityOpt = ['seccomp=unconfined', 'apparmor=unconfined'];
    // `--security-opt systempaths=unconfined` is a docker CLI spelling: the CLI turns it into empty
    // MaskedPaths/ReadonlyPaths, and the engine API refuses it as a SecurityOpt.
    hostConfig.MaskedPaths = [];
    hostConfig.ReadonlyPaths = [];
    hostConfig.CgroupnsMode = 'host';
    (hostConfig.Binds as string[]).push('/sys/fs/cgroup:/sys/fs/cgroup:rw');
  }
  if (opts.network !== undefined) hostConfig.NetworkMode = opts.network;
  const bytes = (key: string, field: string): void => {
    const v = opts[key];
    if (v === undefined) return;
    const n = parseBytes(v);
    if (n === undefined) throw invalid(name, `driver option ${key} must be a size like 512m or 2g, got "${v}"`);
    hostConfig[field] = n;
  };
  bytes('memory', 'Memory');
  bytes('memory-swap', 'MemorySwap');
  const ints: [string, string][] = [
    ['cpu-period', 'CpuPeriod'],
    ['cpu-quota', 'CpuQuota'],
    ['cpu-shares', 'CpuShares'],
  ];
  for (const [key, field] of ints) {
    const v = opts[key];
    if (v !== undefined) hostConfig[field] = integer(name, key, v);
  }
  if (opts['cpuset-cpus'] !== undefined) hostConfig.CpusetCpus = opts['cpuset-cpus'];
  if (opts['cpuset-mems'] !== undefined) hostConfig.CpusetMems = opts['cpuset-mems'];
  if (opts['cgroup-parent'] !== undefined) hostConfig.CgroupParent = opts['cgroup-parent'];

  // The hash covers what the container is made from; `timeout` and `default-load` do not change it.
  const hashed = Object.fromEntries(
    Object.keys(opts)
      .filter((k) => k !== 'timeout' && k !== 'default-load')
      .sort()
      .map((k) => [k, opts[k]]),
  );
  const configHash = createHash('sha256')
    .update(JSON.stringify({ image, flags: builder.buildkitdFlags ?? '', config: config ?? null, opts: hashed }))
    .digest('hex');

  return {
    containerName,
    volumeName,
    image,
    privileged,
    cmd,
    env,
    ...(config !== undefined ? { config } : {}),
    hostConfig,
    labels: { 'tsbake.builder': name, 'tsbake.config-hash': configHash },
    configHash,
    readyTimeoutMs,
  };
}
