/**
 * Registry credentials from the Docker CLI configuration, answered to the daemon's Auth/Credentials:
 * `$DOCKER_CONFIG/config.json` (or `~/.docker/config.json`): `credHelpers[host]`, then `credsStore`
 * (both run `docker-credential-<name> get`, host on stdin, JSON out), then `auths[host]`
 * (`auth` = base64 user:pass, or `identitytoken`). Docker Hub is stored as `https://index.docker.io/v1/`.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AuthProvider } from './types.js';

const HUB_KEY = 'https://index.docker.io/v1/';
const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export function dockerConfigPath(env: Record<string, string | undefined>): string {
  const dir = env['DOCKER_CONFIG'] || path.join(env['HOME'] || os.homedir(), '.docker');
  return path.join(dir, 'config.json');
}

/** The keys a host may be stored under in config.json, most specific first. */
function hostKeys(host: string): string[] {
  if (HUB_HOSTS.has(host)) return [HUB_KEY, 'docker.io', 'index.docker.io', 'registry-1.docker.io'];
  return [host, `https://${host}`, `http://${host}`, `https://${host}/v1/`, `https://${host}/v2/`];
}

async function readConfig(file: string): Promise<DockerConfigFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as DockerConfigFile;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

async function fromHelper(helper: string, key: string, env: Record<string, string | undefined>): Promise<{ username: string; secret: string } | undefined> {
  const bin = `docker-credential-${helper}`;
  // execa (~160 kB bundled) is loaded by the few runs that have a credential helper to call.
  const { execa } = await import('execa');
  const res = await execa(bin, ['get'], { input: key, env, extendEnv: false, reject: false, timeout: 30_000 });
  if (res.exitCode !== 0) {
    // Helpers say "credentials not found in native keychain" for an unknown host: anonymous.
    if (/not found/i.test(`${res.stdout} ${res.stderr}`)) return undefined;
    if ((res as { code?: string }).code === 'ENOENT') throw new Error(`credential helper ${bin} is not installed`);
    throw new Error(`credential helper ${bin} failed: ${(res.stderr || res.stdout || String(res.exitCode)).trim()}`);
  }
  const out = JSON.parse(res.stdout) as { Username?: string; Secret?: string };
  if (!out.Secret) return undefined;
  // "<token>" as user name means the secret is an identity token.
  return { username: out.Username === '<token>' ? '' : (out.Username ?? ''), secret: out.Secret };
}

/** An AuthProvider reading the Docker CLI's config. Never logs secrets. */
export function dockerConfigAuth(env: Record<string, string | undefined> = process.env): AuthProvider {
  const file = dockerConfigPath(env);
  let cached: Promise<DockerConfigFile | undefined> | undefined;
  return async (host: string) => {
    cached ??= readConfig(file);
    const cfg = await cached;
    if (!cfg) return undefined;
    const keys = hostKeys(host);
    for (const key of keys) {
      const helper = cfg.credHelpers?.[key];
      if (helper) return fromHelper(helper, key, env);
    }
    if (cfg.credsStore) {
      const got = await fromHelper(cfg.credsStore, keys[0] ?? host, env);
      if (got) return got;
    }
    for (const key of keys) {
      const a = cfg.auths?.[key];
      if (!a) continue;
      if (a.identitytoken) return { username: '', secret: a.identitytoken };
      if (a.auth) {
        const decoded = Buffer.from(a.auth, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i > 0) return { username: decoded.slice(0, i), secret: decoded.slice(i + 1) };
      }
      if (a.username && a.password) return { username: a.username, secret: a.password };
    }
    return undefined;
  };
}
