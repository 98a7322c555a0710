/**
 * Where a Docker engine's API is, from a DOCKER_HOST-style address, as Node's http/https request options.
 * Kept apart from docker-api.ts so that callers needing one plain request (`POST /images/load`,
 * `GET /info`) do not load dockerode and the ssh2 stack it brings (~30 MB of RSS, ~0.5 s).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

export type EngineAddress =
  | { kind: 'socket'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number; tls?: { ca: Buffer; cert: Buffer; key: Buffer } };

/**
 * `host` (`unix:///path`, `tcp://host:port`, `npipe://…`), else DOCKER_HOST, else the default socket.
 * `tcp://` uses TLS when DOCKER_TLS_VERIFY is set (certificates from DOCKER_CERT_PATH, default
 * ~/.docker), like the docker CLI.
 */
export function engineAddress(host: string | undefined, env: Record<string, string | undefined>): EngineAddress {
  const address = host ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (address.startsWith('/')) return { kind: 'socket', socketPath: address };
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`invalid Docker host "${address}": expected unix:///path or tcp://host:port`);
  }
  switch (url.protocol) {
    case 'unix:':
      return { kind: 'socket', socketPath: decodeURIComponent(url.pathname) };
    case 'npipe:':
      return { kind: 'socket', socketPath: address.slice('npipe:'.length).replace(/\//g, '\\') };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const verify = url.protocol === 'https:' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '');
      const port = Number(url.port || (verify ? 2376 : 2375));
      if (!verify) return { kind: 'tcp', host: url.hostname, port };
      const certDir = env.DOCKER_CERT_PATH ?? path.join(env.HOME ?? '', '.docker');
      const read = (name: string): Buffer => {
        const file = path.join(certDir, name);
        try {
          return fs.readFileSync(file);
        } catch (err) {
          throw new Error(`Docker host ${address} needs TLS, but ${file} cannot be read: ${(err as Error).message}`, { cause: err });
        }
      };
      return { kind: 'tcp', host: url.hostname, port, tls: { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') } };
    }
    default:
      throw new Error(`unsupported Docker host "${address}": expected unix:///path or tcp://host:port`);
  }
}

/**
 * One HTTP request to the engine on a connection of its own (no agent: nothing stays open after it).
 * The caller writes the body and ends or destroys the request.
 */
export function engineRequest(address: EngineAddress, options: { method: string; path: string; headers?: Record<string, string>; signal?: AbortSignal }): http.ClientRequest {
  const common = { method: options.method, path: options.path, headers: { Host: 'docker', ...options.headers }, agent: false as const, signal: options.signal };
  if (address.kind === 'socket') return http.request({ ...common, socketPath: address.socketPath });
  if (!address.tls) return http.request({ ...common, host: address.host, port: address.port });
  return https.request({ ...common, host: address.host, port: address.port, ...address.tls });
}

/** `GET <path>` as parsed JSON; rejects on a status other than 200, with the engine's message. */
export function engineGetJson<T>(address: EngineAddress, apiPath: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = engineRequest(address, { method: 'GET', path: apiPath, ...(signal ? { signal } : {}) });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('error', reject);
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${apiPath} answered ${res.statusCode}: ${engineMessage(body)}`));
          return;
        }
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `message` of an engine's JSON error body, else the body's text. */
export function engineMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return m.trim();
  } catch {
    // not JSON
  }
  return body.trim();
}
