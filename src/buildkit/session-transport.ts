/**
 * The Control.Session stream as a byte stream: the daemon's HTTP/2 connection into the session, carried
 * in BytesMessage{1 data} messages (remote, docker-container and kubernetes builders). The session's
 * HTTP/2 server reads and writes it through Node's JS stream wrapper.
 */
import { Duplex } from 'node:stream';
import type { ClientCall } from './grpc-client.js';
import { BufferPool } from './buffer-pool.js';
import { decodeBytesMessage, frameBytesMessages, onDrainOrClose } from './grpc-wire.js';

/**
 * Below grpc-go's default 4 MiB receive limit (BuildKit's Control server keeps it); HTTP/2 writes
 * from the session server are rarely larger than its 16 KiB frames times the batch of one tick.
 */
const MAX_CHUNK = 1024 * 1024;

/**
 * The framed writes' buffers, reused once the HTTP/2 stream has sent them: one write carries what the
 * session's HTTP/2 server sent in one go, 87 KB on average and up to ~256 KB during a 10,000-file
 * context transfer; a bigger one gets a buffer of its own.
 */
const framePool = new BufferPool(512 * 1024, 4);

export function bytesStream(call: ClientCall): Duplex {
  const h2 = call.stream;
  const send = (parts: Buffer[], cb: (err?: Error | null) => void): void => {
    if (h2.destroyed || h2.writableEnded) return cb();
    let pooled: Buffer | undefined;
    const frames = frameBytesMessages(parts, MAX_CHUNK, (n) => (n <= framePool.size ? (pooled = framePool.get()) : Buffer.allocUnsafe(n)));
    const written = pooled && ((err?: Error | null): void => void (err || framePool.put(pooled!)));
    if (written ? h2.write(frames, written) : h2.write(frames)) return cb();
    onDrainOrClose(h2, () => cb());
  };
  const duplex = new Duplex({
    // Node's JS stream wrapper corks around the buffers of one HTTP/2 write: they arrive here together.
    writev(chunks, cb): void {
      send(
        chunks.map((c) => c.chunk as Buffer),
        cb,
      );
    },
    write(chunk: Buffer, _enc, cb): void {
      send([chunk], cb);
    },
    final(cb): void {
      call.end();
      cb();
    },
    read(): void {
      if (!h2.destroyed) h2.resume();
    },
    destroy(err, cb): void {
      call.cancel();
      cb(err);
    },
  });
  call.onMessage = (m) => {
    const data = decodeBytesMessage(m);
    if (data.length > 0 && !duplex.push(data)) h2.pause();
  };
  call.done.then(
    () => duplex.push(null),
    // The session's HTTP/2 server sees the connection close; the caller reads the reason from `call.done`.
    () => duplex.destroy(),
  );
  return duplex;
}
