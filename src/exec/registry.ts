/**
 * Just enough of the registry API (distribution spec v2) to push an OCI layout that tsbake assembled
 * itself: a multi-node build's merged index (src/exec/oci-merge.ts). Blobs go up with a monolithic
 * POST + PUT unless the registry has them already (HEAD), then the platform manifests by digest, then
 * the index under each tag — the order `docker buildx imagetools create` keeps, so a tag never points
 * at something missing. Auth: anonymous, then the Bearer or Basic challenge of a 401 answered with the
 * Docker CLI's credentials (src/buildkit/auth.ts).
 *
 * Plain HTTP is used for loopback registries only (127.0.0.1, localhost, [::1]), as Docker treats them
 * as insecure by default; every other registry is reached over HTTPS.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { AuthProvider } from '../buildkit/index.js';
import { TsbakeError } from '../errors.js';

type RequestBody = NonNullable<RequestInit['body']>;

export interface ImageRef {
  /** Registry host as written (`127.0.0.1:5000`, `docker.io`). */
  host: string;
  /** Repository path (`library/busybox`). */
  repo: string;
  tag: string;
}

/** `127.0.0.1:5000/app:1`, `app` (Docker Hub `library/app:latest`). Digests in refs are not taken here. */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  const at = rest.indexOf('@');
  if (at >= 0) rest = rest.slice(0, at);
  const slash = rest.indexOf('/');
  let host = 'docker.io';
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      host = first;
      rest = rest.slice(slash + 1);
    }
  }
  const colon = rest.lastIndexOf(':');
  let tag = 'latest';
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (host === 'docker.io' && !rest.includes('/')) rest = `library/${rest}`;
  return { host, repo: rest, tag };
}

function baseUrl(host: string): string {
  if (host === 'docker.io') return 'https://registry-1.docker.io';
  const name = host.replace(/:\d+$/, '');
  const loopback = name === 'localhost' || name === '127.0.0.1' || name === '[::1]' || /^127\./.test(name);
  return `${loopback ? 'http' : 'https'}://${host}`;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { os: string; architecture: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface RegistryPushOptions {
  auth: AuthProvider;
  signal: AbortSignal;
  onProgress?: (message: string) => void;
}

/** A client for one repository, remembering the token its challenge gave. */
class RepoClient {
  private authorization: string | undefined;
  private readonly base: string;
  constructor(
    private readonly ref: ImageRef,
    private readonly options: RegistryPushOptions,
  ) {
    this.base = baseUrl(ref.host);
  }

  async request(method: string, url: string, init: { headers?: Record<string, string>; body?: () => RequestBody | undefined; expect: number[] }): Promise<Response> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const body = init.body?.();
      let res: Response;
      try {
        res = await fetch(url.startsWith('http') ? url : `${this.base}${url}`, {
          method,
          headers: { ...init.headers, ...(this.authorization ? { Authorization: this.authorization } : {}) },
          ...(body !== undefined ? { body, duplex: 'half' } : {}),
          signal: this.options.signal,
          redirect: 'follow',
        } as RequestInit);
      } catch (err) {
        if (this.options.signal.aborted) throw err;
        throw new TsbakeError('daemon-error', `registry ${this.ref.host}: ${method} failed: ${(err as Error).message}`, { cause: err });
      }
      if (res.status === 401 && attempt === 0) {
        await res.arrayBuffer().catch(() => undefined);
        this.authorization = await this.answerChallenge(res.headers.get('www-authenticate') ?? '');
        continue;
      }
      if (!init.expect.includes(res.status)) {
        const text = await res.text().catch(() => '');
        throw new TsbakeError('daemon-error', `registry ${this.ref.host}/${this.ref.repo}: ${method} ${new URL(res.url || this.base).pathname} answered ${res.status}${text ? `: ${text.trim().slice(0, 300)}` : ''}`);
      }
      return res;
    }
    throw new TsbakeError('daemon-error', `registry ${this.ref.host}/${this.ref.repo}: access denied (check docker login ${this.ref.host})`);
  }

  private async answerChallenge(header: string): Promise<string | undefined> {
    const creds = await this.options.auth(this.ref.host);
    const scheme = header.split(' ', 1)[0]?.toLowerCase();
    if (scheme === 'basic') return creds ? `Basic ${Buffer.from(`${creds.username}:${creds.secret}`).toString('base64')}` : undefined;
    if (scheme !== 'bearer') return undefined;
    const params: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/(\w+)="([^"]*)"/g)) params[m[1]!] = m[2]!;
    if (!params['realm']) return undefined;
    const url = new URL(params['realm']);
    if (params['service']) url.searchParams.set('service', params['service']);
    url.searchParams.set('scope', `repository:${this.ref.repo}:pull,push`);
    const res = await fetch(url, {
      headers: creds ? { Authorization: `Basic ${Buffer.from(`${creds.username}:${creds.secret}`).toString('base64')}` } : {},
      signal: this.options.signal,
    });
    if (!res.ok) throw new TsbakeError('daemon-error', `registry ${this.ref.host}: token request answered ${res.status}`);
    const j = (await res.json()) as { token?: string; access_token?: string };
    const token = j.token ?? j.access_token;
    return token ? `Bearer ${token}` : undefined;
  }

  async pushBlob(layout: string, d: Descriptor): Promise<void> {
    const head = await this.request('HEAD', `/v2/${this.ref.repo}/blobs/${d.digest}`, { expect: [200, 404] });
    if (head.status === 200) return;
    const start = await this.request('POST', `/v2/${this.ref.repo}/blobs/uploads/`, { expect: [202] });
    const location = start.headers.get('location');
    if (!location) throw new TsbakeError('daemon-error', `registry ${this.ref.host}: no upload location for ${d.digest}`);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', d.digest);
    const file = blobPath(layout, d.digest);
    await this.request('PUT', url.toString(), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(d.size) },
      body: () => Readable.toWeb(fs.createReadStream(file)) as unknown as RequestBody,
      expect: [201],
    });
  }

  async putManifest(layout: string, d: Descriptor, reference: string): Promise<void> {
    const body = await fsp.readFile(blobPath(layout, d.digest));
    await this.request('PUT', `/v2/${this.ref.repo}/manifests/${reference}`, {
      headers: { 'Content-Type': d.mediaType },
      body: () => body,
      expect: [201],
    });
  }
}

export function blobPath(layout: string, digest: string): string {
  const [alg, hex] = digest.split(':');
  return path.join(layout, 'blobs', alg ?? 'sha256', hex ?? '');
}

/**
 * Push an index of `layout` (its blob, its manifests and their blobs) to every name in `names`.
 * Returns the index digest (the same for every name).
 */
export async function pushIndex(layout: string, index: Descriptor, names: string[], options: RegistryPushOptions): Promise<string> {
  const indexJson = JSON.parse(await fsp.readFile(blobPath(layout, index.digest), 'utf8')) as { manifests: Descriptor[] };
  for (const name of names) {
    const ref = parseImageRef(name);
    const client = new RepoClient(ref, options);
    options.onProgress?.(`pushing ${name}: ${indexJson.manifests.length} manifests`);
    for (const m of indexJson.manifests) {
      const manifest = JSON.parse(await fsp.readFile(blobPath(layout, m.digest), 'utf8')) as { config?: Descriptor; layers?: Descriptor[] };
      const blobs = [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])];
      await Promise.all(blobs.map((b) => client.pushBlob(layout, b)));
      await client.putManifest(layout, m, m.digest);
    }
    await client.putManifest(layout, index, ref.tag);
  }
  return index.digest;
}
