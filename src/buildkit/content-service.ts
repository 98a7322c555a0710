/**
 * containerd's `containerd.services.content.v1.Content` served in every session, on the stores of
 * content-store.ts. Each request names its store in the `buildkit-attachable-store-id` metadata
 * (moby/buildkit session/content).
 *
 * The daemon's side is containerd's proxy store (content/proxy): Writer = Write stream opened with a
 * STAT {ref, total, expected} (ALREADY_EXISTS there means "have it", not a failure), then WRITE
 * {offset, data} answered with the new offset, then COMMIT {total, expected}; ReaderAt = Info, then Read
 * {offset, size} per read. gRPC codes map to containerd's errdefs (NOT_FOUND, ALREADY_EXISTS,
 * FAILED_PRECONDITION, UNAVAILABLE for a locked ref), so they must be exact.
 */
import { StoreError, toTimestamp, type ContentStoreStats, type Ingest, type LayoutContentStore } from './content-store.js';
import { serverStreamMethod, statusOf, streamMethod, unaryMethod, type MethodHandler, type ServerCall } from './grpc-server.js';
import { onDrainOrClose, Status, type Metadata } from './grpc-wire.js';
import { codec, WriteAction, type PbContentInfo, type PbWriteContentRequest, type PbWriteContentResponse } from './proto.js';

export const STORE_ID_HEADER = 'buildkit-attachable-store-id';
const SERVICE = '/containerd.services.content.v1.Content/';
export const CONTENT_METHODS = ['Info', 'Update', 'List', 'Delete', 'Read', 'Status', 'ListStatuses', 'Write', 'Abort'].map((m) => SERVICE + m);

function types<Req, Res>(req: string, res: string): { decode: (b: Buffer) => Req; encode: (v: Res) => Buffer } {
  const reqC = codec<Req>(`containerd.services.content.v1.${req}`);
  const resC = codec<Res>(`containerd.services.content.v1.${res}`);
  return { decode: (b) => reqC.deserialize(b), encode: (v) => resC.serialize(v) };
}

/**
 * The Content methods by path. `lookup` maps a store id to its store (undefined: unknown, answered
 * NOT_FOUND as BuildKit's own attachable does).
 */
export function contentMethods(lookup: (storeId: string) => LayoutContentStore | undefined, stats?: ContentStoreStats): [string, MethodHandler][] {
  const choose = (md: Metadata): LayoutContentStore => {
    const id = md.get(STORE_ID_HEADER)?.[0];
    if (id === undefined) throw new StoreError(Status.INVALID_ARGUMENT, `request lacks metadata "${STORE_ID_HEADER}"`);
    const store = lookup(id);
    if (!store) throw new StoreError(Status.NOT_FOUND, `unknown store ${id}`);
    return store;
  };
  const unary = <Req, Res>(req: string, res: string, fn: (store: LayoutContentStore, req: Req) => Promise<Res> | Res): MethodHandler => {
    const t = types<Req, Res>(req, res);
    return unaryMethod(t.decode, t.encode, (r: Req, call) => fn(choose(call.metadata), r));
  };
  const list = types<{ filters: string[] }, { info: PbContentInfo[] }>('ListContentRequest', 'ListContentResponse');
  const read = types<{ digest: string; offset: number; size: number }, { offset: number; data: Buffer }>('ReadContentRequest', 'ReadContentResponse');
  const write = types<PbWriteContentRequest, PbWriteContentResponse>('WriteContentRequest', 'WriteContentResponse');

  return [
    [SERVICE + 'Info', unary('InfoRequest', 'InfoResponse', async (s, req: { digest: string }) => ({ info: await s.info(req.digest) }))],
    [
      SERVICE + 'Update',
      unary('UpdateRequest', 'UpdateResponse', async (s, req: { info?: PbContentInfo | null; update_mask?: { paths: string[] } | null }) => {
        if (!req.info) throw new StoreError(Status.INVALID_ARGUMENT, 'update without info');
        return { info: await s.update(req.info, req.update_mask?.paths ?? []) };
      }),
    ],
    [
      SERVICE + 'List',
      serverStreamMethod(list.decode, list.encode, async (_req, call) => {
        const all = await choose(call.metadata).list();
        for (let i = 0; i < all.length; i += 100) call.write({ info: all.slice(i, i + 100) });
      }),
    ],
    [
      SERVICE + 'Delete',
      unary('DeleteContentRequest', 'Empty', async (s, req: { digest: string }) => {
        await s.delete(req.digest);
        return {};
      }),
    ],
    [
      SERVICE + 'Read',
      serverStreamMethod(read.decode, read.encode, async (req, call) => {
        const store = choose(call.metadata);
        if (stats) stats.reads++;
        for await (const chunk of store.read(req.digest, req.offset, req.size)) {
          if (call.cancelled || call.destroyed) return;
          if (stats) stats.bytesRead += chunk.data.length;
          if (!call.write(chunk)) await drained(call);
        }
      }),
    ],
    [SERVICE + 'Status', unary('StatusRequest', 'StatusResponse', (s, req: { ref: string }) => ({ status: s.status(req.ref) }))],
    [SERVICE + 'ListStatuses', unary('ListStatusesRequest', 'ListStatusesResponse', (s, req: { filters: string[] }) => ({ statuses: s.listStatuses(req.filters) }))],
    [SERVICE + 'Write', streamMethod(write.decode, write.encode, (call) => serveWrite(call, choose, stats))],
    [
      SERVICE + 'Abort',
      unary('AbortRequest', 'Empty', async (s, req: { ref: string }) => {
        await s.abort(req.ref);
        return {};
      }),
    ],
  ];
}

function drained<Req, Res>(call: ServerCall<Req, Res>): Promise<void> {
  return new Promise<void>((resolve) => onDrainOrClose(call, resolve));
}

/** One Write stream: strictly request → response, as containerd's proxy writer sends them. */
function serveWrite(
  call: ServerCall<PbWriteContentRequest, PbWriteContentResponse>,
  choose: (md: Metadata) => LayoutContentStore,
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
    if (err instanceof StoreError && err.code === Status.ALREADY_EXISTS && stats) stats.alreadyExists++;
    if (!call.cancelled) call.sendStatus(...statusOf(err));
  };
  call.on('data', (req: PbWriteContentRequest) => {
    chain = chain.then(async () => {
      if (failed) return;
      try {
        if (!store) store = choose(call.metadata);
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
          throw new StoreError(Status.INVALID_ARGUMENT, `unknown write action ${req.action}`);
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
  call.on('end', () => {
    void chain.then(() => {
      release();
      if (!failed && !call.cancelled && !call.writableEnded) call.end();
    });
  });
  call.on('cancelled', () => {
    failed = true;
    void chain.then(release);
  });
  call.on('error', () => {
    failed = true;
    void chain.then(release);
  });
}
