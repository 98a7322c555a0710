/**
 * One image index from the per-node results of a multi-node build, as buildx makes it (its
 * `imagetools` step after building each platform on its node): every node wrote its part as an OCI
 * layout (a manifest, or an index of its platforms); the merged layout holds every part's blobs and a
 * new index listing each platform manifest (with its platform) and any attestation manifests the
 * parts carried. The merged layout is then pushed (registry.ts), written as an OCI tarball, loaded,
 * or handed to `target:` dependents like any other (oci-context.ts).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pack } from 'tar-stream';
import type { Readable } from 'node:stream';
import { TsbakeError } from '../errors.js';
import { blobPath, type Descriptor } from './registry.js';

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

/** The platform manifests (and attestation manifests) a part's layout holds. */
async function manifestsOf(dir: string, node: string): Promise<Descriptor[]> {
  const top = await readJson<{ manifests?: Descriptor[] }>(path.join(dir, 'index.json')).catch(() => ({ manifests: [] as Descriptor[] }));
  const root = top.manifests?.[0];
  if (!root) throw new TsbakeError('daemon-error', `node "${node}" wrote no image into its OCI layout`);
  if (INDEX_TYPES.has(root.mediaType)) {
    const index = await readJson<{ manifests?: Descriptor[] }>(blobPath(dir, root.digest));
    return index.manifests ?? [];
  }
  // A single manifest: its platform is in its config.
  const manifest = await readJson<{ config: Descriptor }>(blobPath(dir, root.digest));
  const config = await readJson<{ os?: string; architecture?: string; variant?: string }>(blobPath(dir, manifest.config.digest));
  const { annotations: _ref, ...desc } = root;
  return [
    {
      ...desc,
      platform: { os: config.os ?? 'linux', architecture: config.architecture ?? 'amd64', ...(config.variant ? { variant: config.variant } : {}) },
    },
  ];
}

/** Hard-link (or copy across devices) every blob of `from` into `to`. */
async function copyBlobs(from: string, to: string): Promise<void> {
  for (const alg of await fs.readdir(path.join(from, 'blobs')).catch(() => [] as string[])) {
    await fs.mkdir(path.join(to, 'blobs', alg), { recursive: true });
    for (const name of await fs.readdir(path.join(from, 'blobs', alg))) {
      const dst = path.join(to, 'blobs', alg, name);
      if (await fs.stat(dst).then(() => true, () => false)) continue;
      await fs.link(path.join(from, 'blobs', alg, name), dst).catch(() => fs.copyFile(path.join(from, 'blobs', alg, name), dst));
    }
  }
}

export interface MergedLayout {
  dir: string;
  index: Descriptor;
}

/**
 * Merge the parts' layouts into `dest` (created). `names` become the index.json entry's ref names
 * (bake's tags), or `latest`.
 */
export async function mergeLayouts(parts: { node: string; dir: string }[], dest: string, names: string[]): Promise<MergedLayout> {
  await fs.mkdir(path.join(dest, 'blobs', 'sha256'), { recursive: true });
  const manifests: Descriptor[] = [];
  for (const p of parts) {
    manifests.push(...(await manifestsOf(p.dir, p.node)));
    await copyBlobs(p.dir, dest);
  }
  const body = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }));
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  await fs.writeFile(blobPath(dest, digest), body);
  const index: Descriptor = { mediaType: OCI_INDEX, digest, size: body.length };
  const refs = names.length > 0 ? names : ['latest'];
  const entries = refs.map((n) => ({ ...index, annotations: { 'io.containerd.image.name': n, 'org.opencontainers.image.ref.name': n.includes(':') ? n.slice(n.lastIndexOf(':') + 1) : n } }));
  await fs.writeFile(path.join(dest, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries }));
  await fs.writeFile(path.join(dest, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return { dir: dest, index };
}

/** The layout as an OCI image tarball (what `type=oci,dest=file.tar` writes), streamed. */
export function layoutTarball(dir: string): Readable {
  const tar = pack();
  void (async () => {
    const add = async (rel: string): Promise<void> => {
      const full = path.join(dir, rel);
      const st = await fs.stat(full);
      if (st.isDirectory()) {
        tar.entry({ name: `${rel}/`, type: 'directory', mode: 0o755, mtime: new Date(0) });
        for (const n of (await fs.readdir(full)).sort()) await add(path.posix.join(rel, n));
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const entry = tar.entry({ name: rel, size: st.size, mode: 0o644, mtime: new Date(0) }, (err) => (err ? reject(err) : resolve()));
        const src = createReadStream(full);
        src.on('error', reject);
        src.pipe(entry);
      });
    };
    for (const n of ['oci-layout', 'index.json']) await add(n);
    await add('blobs');
    tar.finalize();
  })().catch((err: unknown) => tar.destroy(err as Error));
  return tar;
}
