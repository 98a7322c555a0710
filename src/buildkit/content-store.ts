/**
 * The session's content store: containerd's `containerd.services.content.v1.Content` service, served
 * by tsbake so the daemon can read and write blobs of OCI image layouts on this machine. BuildKit uses
 * it for local caches (store id `local:<dest|src>`), OCI/Docker exports with `tar=false` (store id
 * `export`) and `oci-layout://` named contexts (store id `oci:<name>`). Each request names its store in
 * the `buildkit-attachable-store-id` metadata (moby/buildkit session/content).
 *
 * The daemon's side is containerd's proxy store (content/proxy): Writer = Write stream opened with a
 * STAT {ref, total, expected} (ALREADY_EXISTS there means "have it", not a failure), then WRITE
 * {offset, data} answered with the new offset, then COMMIT {total, expected}; ReaderAt = Info, then Read
 * {offset, size} per read. gRPC codes map to containerd's errdefs (NOT_FOUND, ALREADY_EXISTS,
 * FAILED_PRECONDITION, UNAVAILABLE for a locked ref), so they must be exact.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  codec,
  WriteAction,
  type PbContentInfo,
  type PbContentStatus,
  type PbTimestamp,
  type PbWriteContentRequest,
  type PbWriteContentResponse,
} from './proto.js';

export const STORE_ID_HEADER = 'buildkit-attachable-store-id';
const SERVICE = '/containerd.services.content.v1.Content/';
export const CONTENT_METHODS = ['Info', 'Update', 'List', 'Delete', 'Read', 'Status', 'ListStatuses', 'Write', 'Abort'].map((m) => SERVICE + m);

/** What a store id maps to: an OCI image layout directory (`blobs/<alg>/<hex>`, `index.json`, `oci-layout`). */
export interface ContentStoreDir {
  dir: string;
  /** Writes, deletes and label updates are refused on a read-only store (cache-from, oci-layout contexts). */
  writable: boolean;
}

/** Counters for tests and `--debug`. */
export interface ContentStoreStats {
  reads: number;
  bytesRead: number;
  commits: number;
  bytesWritten: number;
  alreadyExists: number;
}

const READ_CHUNK = 1024 * 1024;
const DIGEST_RE = /^(sha256|sha512):([a-f0-9]{64}|[a-f0-9]{128})$/;

class StoreError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function toTimestamp(ms: number): PbTimestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

interface Ingest {
  ref: string;
  tmp: string;
  offset: number;
  total: number;
  expected: string;
  hash: Hash;
  algorithm: 'sha256' | 'sha512';
  startedAt: number;
  updatedAt: number;
  locked: boolean;
}

/**
 * One OCI layout directory as a containerd content store. Ingests (writes in progress) live in a hidden
 * directory inside the layout, so a commit is a rename within one filesystem: a blob is never seen half
 * written.
 */
export class LayoutContentStore {
  readonly dir: string;
  readonly writable: boolean;
  private readonly ingests = new Map<string, Ingest>();
  private readonly labels = new Map<string, Record<string, string>>();
  private readonly ingestDir: string;

  constructor(spec: ContentStoreDir) {
    this.dir = spec.dir;
    this.writable = spec.writable;
    this.ingestDir = path.join(spec.dir, '.tsbake-ingest');
  }

  blobPath(digest: string): string {
    const m = DIGEST_RE.exec(digest);
    if (!m) throw new StoreError(grpc.status.INVALID_ARGUMENT, `invalid digest ${JSON.stringify(digest)}`);
    return path.join(this.dir, 'blobs', m[1]!, m[2]!);
  }

  async info(digest: string): Promise<PbContentInfo> {
    const file = this.blobPath(digest);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new StoreError(grpc.status.NOT_FOUND, `content ${digest}: not found`);
    return {
      digest,
      size: st.size,
      created_at: toTimestamp(Math.floor(st.birthtimeMs || st.mtimeMs)),
      updated_at: toTimestamp(Math.floor(st.mtimeMs)),
      labels: { ...(this.labels.get(digest) ?? {}) },
    };
  }

  async update(info: PbContentInfo, paths: string[]): Promise<PbContentInfo> {
    this.requireWritable();
    const current = await this.info(info.digest);
    // Labels are kept for the session only: an OCI layout has no place for them, and BuildKit uses them
    // as hints (distribution source), never as data it must read back later.
    const labels = { ...current.labels };
    if (paths.length === 0) Object.assign(labels, info.labels);
    for (const p of paths) {
      if (p === 'labels') Object.assign(labels, info.labels);
      else if (p.startsWith('labels.')) {
        const k = p.slice('labels.'.length);
        const v = info.labels[k];
        if (v === undefined || v === '') delete labels[k];
        else labels[k] = v;
      }
    }
    this.labels.set(info.digest, labels);
    return { ...current, labels };
  }

  async list(): Promise<PbContentInfo[]> {
    const out: PbContentInfo[] = [];
    for (const alg of ['sha256', 'sha512']) {
      const names = await fs.readdir(path.join(this.dir, 'blobs', alg)).catch(() => [] as string[]);
      for (const n of names.sort()) {
        const digest = `${alg}:${n}`;
        if (!DIGEST_RE.test(digest)) continue;
        out.push(await this.info(digest).catch(() => undefined as unknown as PbContentInfo));
      }
    }
    return out.filter(Boolean);
  }

  async delete(digest: string): Promise<void> {
    this.requireWritable();
    const file = this.blobPath(digest);
    try {
      await fs.unlink(file);
    } catch {
      throw new StoreError(grpc.status.NOT_FOUND, `content ${digest}: not found`);
    }
  }

  /** Chunks of the blob from `offset`, `size` bytes (0: to the end). */
  async *read(digest: string, offset: number, size: number): AsyncGenerator<{ offset: number; data: Buffer }> {
    const file = this.blobPath(digest);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, 'r');
    } catch {
      throw new StoreError(grpc.status.NOT_FOUND, `content ${digest}: not found`);
    }
    try {
      const total = (await fh.stat()).size;
      let pos = Math.max(0, offset);
      if (pos > total) throw new StoreError(grpc.status.OUT_OF_RANGE, `read of ${digest} at ${pos} beyond its size ${total}`);
      const end = size > 0 ? Math.min(total, pos + size) : total;
      while (pos < end) {
        const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        yield { offset: pos, data: buf.subarray(0, bytesRead) };
        pos += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }

  status(ref: string): PbContentStatus {
    const ing = this.ingests.get(ref);
    if (!ing) throw new StoreError(grpc.status.NOT_FOUND, `ingest ${ref}: not found`);
    return statusOf(ing);
  }

  listStatuses(filters: string[]): PbContentStatus[] {
    // containerd filters (`ref==x`, `ref~=re`); BuildKit passes none or simple ref filters.
    return [...this.ingests.values()].filter((i) => filters.length === 0 || filters.some((f) => matchesFilter(i.ref, f))).map(statusOf);
  }

  async abort(ref: string): Promise<void> {
    const ing = this.ingests.get(ref);
    if (!ing) throw new StoreError(grpc.status.NOT_FOUND, `ingest ${ref}: not found`);
    this.ingests.delete(ref);
    await fs.rm(ing.tmp, { force: true });
  }

  /** Open (or resume) the ingest for `ref`, locked for one Write stream. */
  async openIngest(ref: string, total: number, expected: string): Promise<Ingest> {
    this.requireWritable();
    if (!ref) throw new StoreError(grpc.status.INVALID_ARGUMENT, 'first message of a write must carry a ref');
    if (expected) {
      this.blobPath(expected);
      if (await exists(this.blobPath(expected))) throw new StoreError(grpc.status.ALREADY_EXISTS, `content ${expected}: already exists`);
    }
    let ing = this.ingests.get(ref);
    if (ing?.locked) throw new StoreError(grpc.status.UNAVAILABLE, `ref ${ref} locked: unavailable`);
    if (!ing) {
      await fs.mkdir(this.ingestDir, { recursive: true });
      const tmp = path.join(this.ingestDir, `${createHash('sha256').update(ref).digest('hex').slice(0, 32)}-${randomBytes(4).toString('hex')}`);
      await fs.writeFile(tmp, '');
      const now = Date.now();
      const algorithm = expected.startsWith('sha512:') ? 'sha512' : 'sha256';
      ing = { ref, tmp, offset: 0, total: 0, expected: '', hash: createHash(algorithm), algorithm, startedAt: now, updatedAt: now, locked: false };
      this.ingests.set(ref, ing);
    }
    ing.locked = true;
    if (total > 0) ing.total = total;
    if (expected) ing.expected = expected;
    return ing;
  }

  releaseIngest(ing: Ingest): void {
    ing.locked = false;
  }

  /** Write `data` at `offset` (the current offset, or 0 to restart); returns the new offset. */
  async write(ing: Ingest, offset: number, data: Buffer): Promise<number> {
    if (offset > 0 && offset !== ing.offset) {
      throw new StoreError(grpc.status.OUT_OF_RANGE, `write @${offset} must occur at current offset ${ing.offset}`);
    }
    if (offset === 0 && ing.offset > 0) {
      await fs.truncate(ing.tmp, 0);
      ing.offset = 0;
      ing.hash = createHash(ing.algorithm);
    }
    if (data.length > 0) {
      await fs.appendFile(ing.tmp, data);
      ing.hash.update(data);
      ing.offset += data.length;
      ing.updatedAt = Date.now();
    }
    return ing.offset;
  }

  /** Verify size and digest, then rename the ingest into `blobs/`. Returns the digest. */
  async commit(ing: Ingest, total: number, expected: string): Promise<string> {
    const size = total > 0 ? total : ing.total;
    if (size > 0 && size !== ing.offset) {
      throw new StoreError(grpc.status.FAILED_PRECONDITION, `unexpected commit size ${ing.offset}, expected ${size}`);
    }
    const want = expected || ing.expected;
    const algorithm = want.startsWith('sha512:') ? 'sha512' : ing.algorithm;
    const actual = `${algorithm}:${ing.hash.copy().digest('hex')}`;
    if (want && want !== actual) {
      throw new StoreError(grpc.status.FAILED_PRECONDITION, `unexpected commit digest ${actual}, expected ${want}`);
    }
    const target = this.blobPath(actual);
    this.ingests.delete(ing.ref);
    if (await exists(target)) {
      await fs.rm(ing.tmp, { force: true });
      throw new StoreError(grpc.status.ALREADY_EXISTS, `content ${actual}: already exists`);
    }
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.chmod(ing.tmp, 0o444).catch(() => undefined);
    await fs.rename(ing.tmp, target);
    return actual;
  }

  /** Remove unfinished ingests (end of the session). */
  async cleanup(): Promise<void> {
    this.ingests.clear();
    await fs.rm(this.ingestDir, { recursive: true, force: true });
  }

  private requireWritable(): void {
    if (!this.writable) throw new StoreError(grpc.status.PERMISSION_DENIED, `the content store at ${this.dir} is read-only`);
  }
}

function statusOf(i: Ingest): PbContentStatus {
  return { started_at: toTimestamp(i.startedAt), updated_at: toTimestamp(i.updatedAt), ref: i.ref, offset: i.offset, total: i.total, expected: i.expected };
}

function matchesFilter(ref: string, filter: string): boolean {
  const eq = /^ref\s*==\s*"?([^"]*)"?$/.exec(filter);
  if (eq) return ref === eq[1];
  const re = /^ref\s*~=\s*"?([^"]*)"?$/.exec(filter);
  if (re) {
    try {
      return new RegExp(re[1]!).test(ref);
    } catch {
      return false;
    }
  }
  return true;
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(
    () => true,
    () => false,
  );
}

function asServiceError(err: unknown): grpc.ServiceError {
  if (err instanceof StoreError) return { code: err.code, details: err.message } as grpc.ServiceError;
  return { code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) } as grpc.ServiceError;
}

function md(call: { metadata: grpc.Metadata }): string | undefined {
  const v = call.metadata.get(STORE_ID_HEADER)[0];
  return v === undefined ? undefined : v.toString();
}

function method<Req, Res>(name: string, req: string, res: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Req, Res> {
  const reqC = codec<Req>(`containerd.services.content.v1.${req}`);
  const resC = codec<Res>(`containerd.services.content.v1.${res}`);
  return {
    path: SERVICE + name,
    requestStream,
    responseStream,
    requestSerialize: (v: Req) => reqC.serialize(v),
    requestDeserialize: (b: Buffer) => reqC.deserialize(b),
    responseSerialize: (v: Res) => resC.serialize(v),
    responseDeserialize: (b: Buffer) => resC.deserialize(b),
  };
}

/**
 * Register the Content service on `server`. `lookup` maps a store id to its store (undefined: unknown,
 * answered NOT_FOUND as BuildKit's own attachable does).
 */
export function addContentService(server: grpc.Server, lookup: (storeId: string) => LayoutContentStore | undefined, stats?: ContentStoreStats): void {
  const choose = (call: { metadata: grpc.Metadata }): LayoutContentStore => {
    const id = md(call);
    if (id === undefined) throw new StoreError(grpc.status.INVALID_ARGUMENT, `request lacks metadata "${STORE_ID_HEADER}"`);
    const store = lookup(id);
    if (!store) throw new StoreError(grpc.status.NOT_FOUND, `unknown store ${id}`);
    return store;
  };
  const unary =
    <Req, Res>(fn: (store: LayoutContentStore, req: Req) => Promise<Res> | Res) =>
    (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>): void => {
      Promise.resolve()
        .then(() => fn(choose(call), call.request))
        .then(
          (res) => cb(null, res),
          (err: unknown) => cb(asServiceError(err), null),
        );
    };

  server.addService(
    {
      Info: method('Info', 'InfoRequest', 'InfoResponse', false, false),
      Update: method('Update', 'UpdateRequest', 'UpdateResponse', false, false),
      List: method('List', 'ListContentRequest', 'ListContentResponse', false, true),
      Delete: method('Delete', 'DeleteContentRequest', 'Empty', false, false),
      Read: method('Read', 'ReadContentRequest', 'ReadContentResponse', false, true),
      Status: method('Status', 'StatusRequest', 'StatusResponse', false, false),
      ListStatuses: method('ListStatuses', 'ListStatusesRequest', 'ListStatusesResponse', false, false),
      Write: method('Write', 'WriteContentRequest', 'WriteContentResponse', true, true),
      Abort: method('Abort', 'AbortRequest', 'Empty', false, false),
    },
    {
      Info: unary(async (s, req: { digest: string }) => ({ info: await s.info(req.digest) })),
      Update: unary(async (s, req: { info?: PbContentInfo | null; update_mask?: { paths: string[] } | null }) => {
        if (!req.info) throw new StoreError(grpc.status.INVALID_ARGUMENT, 'update without info');
        return { info: await s.update(req.info, req.update_mask?.paths ?? []) };
      }),
      List: (call: grpc.ServerWritableStream<{ filters: string[] }, { info: PbContentInfo[] }>) => {
        Promise.resolve()
          .then(async () => {
            const all = await choose(call).list();
            for (let i = 0; i < all.length; i += 100) call.write({ info: all.slice(i, i + 100) });
            call.end();
          })
          .catch((err: unknown) => call.emit('error', asServiceError(err)));
      },
      Delete: unary(async (s, req: { digest: string }) => {
        await s.delete(req.digest);
        return {};
      }),
      Read: (call: grpc.ServerWritableStream<{ digest: string; offset: number; size: number }, { offset: number; data: Buffer }>) => {
        Promise.resolve()
          .then(async () => {
            const store = choose(call);
            if (stats) stats.reads++;
            for await (const chunk of store.read(call.request.digest, call.request.offset, call.request.size)) {
              if (call.cancelled) return;
              if (stats) stats.bytesRead += chunk.data.length;
              if (!call.write(chunk)) await new Promise<void>((r) => call.once('drain', () => r()));
            }
            call.end();
          })
          .catch((err: unknown) => {
            if (!call.cancelled) call.emit('error', asServiceError(err));
          });
      },
      Status: unary((s, req: { ref: string }) => ({ status: s.status(req.ref) })),
      ListStatuses: unary((s, req: { filters: string[] }) => ({ statuses: s.listStatuses(req.filters) })),
      Write: (call: grpc.ServerDuplexStream<PbWriteContentRequest, PbWriteContentResponse>) => {
        serveWrite(call, choose, stats);
      },
      Abort: unary(async (s, req: { ref: string }) => {
        await s.abort(req.ref);
        return {};
      }),
    },
  );
}

/** One Write stream: strictly request → response, as containerd's proxy writer sends them. */
function serveWrite(
  call: grpc.ServerDuplexStream<PbWriteContentRequest, PbWriteContentResponse>,
  choose: (call: { metadata: grpc.Metadata }) => LayoutContentStore,
  stats: ContentStoreStats | undefined,
): void {
  let store: LayoutContentStore | undefined;
  let ing: Ingest | undefined;
  let failed = false;
  let chain: Promise<void> = Promise.resolve();
  const release = (): void => {
    if (store && ing) store.releaseIngest(ing);
  };
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    release();
    if (err instanceof StoreError && err.code === grpc.status.ALREADY_EXISTS && stats) stats.alreadyExists++;
    if (!call.cancelled) call.emit('error', asServiceError(err));
  };
  call.on('data', (req: PbWriteContentRequest) => {
    chain = chain.then(async () => {
      if (failed) return;
      try {
        if (!store) store = choose(call);
        if (!ing) ing = await store.openIngest(req.ref, req.total, req.expected);
        else {
          if (req.total > 0) ing.total = req.total;
          if (req.expected) ing.expected = req.expected;
        }
        const res: PbWriteContentResponse = { action: req.action, offset: ing.offset, total: ing.total, digest: '' };
        if (req.action === WriteAction.WRITE || req.action === WriteAction.COMMIT) {
          const before = ing.offset;
          res.offset = await store.write(ing, req.offset, req.data ?? Buffer.alloc(0));
          if (stats) stats.bytesWritten += res.offset - Math.min(before, res.offset);
        } else if (req.action !== WriteAction.STAT) {
          throw new StoreError(grpc.status.INVALID_ARGUMENT, `unknown write action ${req.action}`);
        }
        res.started_at = toTimestamp(ing.startedAt);
        res.updated_at = toTimestamp(ing.updatedAt);
        res.total = ing.total;
        if (req.action === WriteAction.COMMIT) {
          const committed = ing;
          ing = undefined;
          res.digest = await store.commit(committed, req.total, req.expected);
          if (stats) stats.commits++;
        } else {
          res.digest = `${ing.algorithm}:${ing.hash.copy().digest('hex')}`;
        }
        call.write(res);
      } catch (err) {
        fail(err);
      }
    });
  });
  const finish = (): void => {
    void chain.then(() => {
      release();
      if (!failed && !call.cancelled && !call.writableEnded) call.end();
    });
  };
  call.on('end', finish);
  call.on('cancelled', () => {
    failed = true;
    void chain.then(release);
  });
  call.on('error', () => {
    failed = true;
    void chain.then(release);
  });
}

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
