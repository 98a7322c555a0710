/**
 * The session's content store: OCI image layout directories as containerd content stores, served to
 * the daemon as containerd's `containerd.services.content.v1.Content` (content-service.ts) so it can
 * read and write blobs on this machine; index.json helpers are in oci-index.ts. BuildKit uses
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
import { GrpcError, Status } from './grpc-wire.js';
import type { PbContentInfo, PbContentStatus, PbTimestamp } from './proto.js';

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

/** A store failure with the gRPC code containerd's proxy maps back to its errdefs. */
export class StoreError extends GrpcError {
  constructor(code: number, message: string) {
    super(code, message);
    this.name = 'StoreError';
  }
}

export function toTimestamp(ms: number): PbTimestamp {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

export interface Ingest {
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
    if (!m) throw new StoreError(Status.INVALID_ARGUMENT, `invalid digest ${JSON.stringify(digest)}`);
    return path.join(this.dir, 'blobs', m[1]!, m[2]!);
  }

  async info(digest: string): Promise<PbContentInfo> {
    const file = this.blobPath(digest);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) throw new StoreError(Status.NOT_FOUND, `content ${digest}: not found`);
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
      throw new StoreError(Status.NOT_FOUND, `content ${digest}: not found`);
    }
  }

  /** Chunks of the blob from `offset`, `size` bytes (0: to the end). */
  async *read(digest: string, offset: number, size: number): AsyncGenerator<{ offset: number; data: Buffer }> {
    const file = this.blobPath(digest);
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(file, 'r');
    } catch {
      throw new StoreError(Status.NOT_FOUND, `content ${digest}: not found`);
    }
    try {
      const total = (await fh.stat()).size;
      let pos = Math.max(0, offset);
      if (pos > total) throw new StoreError(Status.OUT_OF_RANGE, `read of ${digest} at ${pos} beyond its size ${total}`);
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
    if (!ing) throw new StoreError(Status.NOT_FOUND, `ingest ${ref}: not found`);
    return statusOf(ing);
  }

  listStatuses(filters: string[]): PbContentStatus[] {
    // containerd filters (`ref==x`, `ref~=re`); BuildKit passes none or simple ref filters.
    return [...this.ingests.values()].filter((i) => filters.length === 0 || filters.some((f) => matchesFilter(i.ref, f))).map(statusOf);
  }

  async abort(ref: string): Promise<void> {
    const ing = this.ingests.get(ref);
    if (!ing) throw new StoreError(Status.NOT_FOUND, `ingest ${ref}: not found`);
    this.ingests.delete(ref);
    await fs.rm(ing.tmp, { force: true });
  }

  /** Open (or resume) the ingest for `ref`, locked for one Write stream. */
  async openIngest(ref: string, total: number, expected: string): Promise<Ingest> {
    this.requireWritable();
    if (!ref) throw new StoreError(Status.INVALID_ARGUMENT, 'first message of a write must carry a ref');
    if (expected) {
      this.blobPath(expected);
      if (await exists(this.blobPath(expected))) throw new StoreError(Status.ALREADY_EXISTS, `content ${expected}: already exists`);
    }
    let ing = this.ingests.get(ref);
    if (ing?.locked) throw new StoreError(Status.UNAVAILABLE, `ref ${ref} locked: unavailable`);
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
      throw new StoreError(Status.OUT_OF_RANGE, `write @${offset} must occur at current offset ${ing.offset}`);
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
      throw new StoreError(Status.FAILED_PRECONDITION, `unexpected commit size ${ing.offset}, expected ${size}`);
    }
    const want = expected || ing.expected;
    const algorithm = want.startsWith('sha512:') ? 'sha512' : ing.algorithm;
    const actual = `${algorithm}:${ing.hash.copy().digest('hex')}`;
    if (want && want !== actual) {
      throw new StoreError(Status.FAILED_PRECONDITION, `unexpected commit digest ${actual}, expected ${want}`);
    }
    const target = this.blobPath(actual);
    this.ingests.delete(ing.ref);
    if (await exists(target)) {
      await fs.rm(ing.tmp, { force: true });
      throw new StoreError(Status.ALREADY_EXISTS, `content ${actual}: already exists`);
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
    if (!this.writable) throw new StoreError(Status.PERMISSION_DENIED, `the content store at ${this.dir} is read-only`);
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

