/**
 * Buffers of one size, handed back once nothing holds a view of them any more (a write completed):
 * the transfer paths (filesync.ts's batches and chunks, session-transport.ts's framing) reuse a few
 * instead of allocating one per batch or chunk. Each fresh buffer is external memory that V8 frees
 * lazily (a dead Buffer's bytes stay until a GC finds its object), so allocating one per batch kept
 * 30–35 MB of dead batches alive at the peak of a 10,000-file transfer.
 *
 * A buffer that is never handed back (a write that failed, a call torn down) is only not reused: the
 * GC takes it as before.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  /** `keep`: at most this many idle buffers are held for reuse; one handed back beyond that is dropped. */
  constructor(
    readonly size: number,
    private readonly keep = 4,
  ) {}

  get(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Hands `buf` back: nothing may use it afterwards. A buffer of another size is ignored. */
  put(buf: Buffer): void {
    if (buf.length !== this.size || this.free.length >= this.keep) return;
    if (!this.free.some((b) => b.buffer === buf.buffer)) this.free.push(buf);
  }
}
