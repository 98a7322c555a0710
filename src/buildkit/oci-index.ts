/**
 * OCI layout index.json helpers: what BuildKit's own client writes after an export (client/ociindex),
 * and the lookup of a tagged descriptor for `oci-layout://` contexts and local cache imports.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Add `desc` to `<dir>/index.json` under each name (replacing entries with the same name), and write
 * `oci-layout`, as BuildKit's client does after an export (client/ociindex). `names` are tags
 * (`latest`) or image names (`docker.io/library/app:dev`). The file is replaced atomically.
 */
export async function putIndexEntry(
  dir: string,
  desc: { mediaType: string; digest: string; size: number; annotations?: Record<string, string>; platform?: unknown },
  names: { tag?: string; name?: string }[],
): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await writeAtomic(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const indexFile = path.join(dir, 'index.json');
  let index: { schemaVersion?: number; mediaType?: string; manifests?: { annotations?: Record<string, string> }[] } = {};
  try {
    index = JSON.parse(await fs.readFile(indexFile, 'utf8')) as typeof index;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${indexFile}: ${(err as Error).message}`);
  }
  index.schemaVersion ??= 2;
  index.mediaType ??= 'application/vnd.oci.image.index.v1+json';
  let manifests = index.manifests ?? [];
  const list = names.length > 0 ? names : [{}];
  for (const n of list) {
    const entry = { ...desc, annotations: { ...(desc.annotations ?? {}) } };
    if (n.tag !== undefined || n.name !== undefined) {
      const imageName = n.name ?? '';
      const refName = n.name !== undefined ? refNameOf(n.name) : n.tag!;
      if (imageName) entry.annotations['io.containerd.image.name'] = imageName;
      entry.annotations['org.opencontainers.image.ref.name'] = refName;
      manifests = manifests.filter(
        (m) => (m.annotations?.['org.opencontainers.image.ref.name'] ?? '') !== refName || (m.annotations?.['io.containerd.image.name'] ?? '') !== imageName,
      );
    }
    manifests.push(entry);
  }
  index.manifests = manifests;
  await writeAtomic(indexFile, JSON.stringify(index));
}

/** The descriptor `index.json` gives for `tag` (image name annotation first, then ref name), if any. */
export async function indexEntryFor(dir: string, tag: string): Promise<{ digest: string; size: number; mediaType: string } | undefined> {
  let index: { manifests?: { digest: string; size: number; mediaType: string; annotations?: Record<string, string> }[] };
  try {
    index = JSON.parse(await fs.readFile(path.join(dir, 'index.json'), 'utf8')) as typeof index;
  } catch {
    return undefined;
  }
  const ms = index.manifests ?? [];
  return ms.find((m) => m.annotations?.['io.containerd.image.name'] === tag) ?? ms.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
}

/** The tag part of an image reference (`repo:tag` → `tag`; no tag → `latest`), as containerd names OCI refs. */
function refNameOf(name: string): string {
  const noDigest = name.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
  await fs.writeFile(tmp, text, { mode: 0o644 });
  await fs.rename(tmp, file);
}
