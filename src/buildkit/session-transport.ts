/**
 * The Control.Session stream as a byte stream: the daemon's HTTP/2 connection into the session, carried
 * in BytesMessage{1 data} messages (remote, docker-container and kubernetes builders). The session's
 * HTTP/2 server reads and writes it through Node's JS stream wrapper.
 */
import { Duplex } from 'node:stream';
import type { ClientCall } from './grpc-client.js';
import { decodeBytesMessage, frameBytesMessages } from './grpc-wire.js';

/**
 * Below grpc-go's default 4 MiB receive limit (BuildKit's Control server keeps it); HTTP/2 writes
 * from the session server are rarely larger than its 16 KiB frames times the batch of one tick.
 */
const MAX_CHUNK = 1024 * 1024;

export function bytesStream(call: ClientCall): Duplex {
  const h2 = call.stream;
  const send = (parts: Buffer[], cb: (err?: Error | null) => void): void => {
    if (h2.destroyed || h2.writableEnded) return cb();
    if (h2.write(frameBytesMessages(parts, MAX_CHUNK))) return cb();
    const done = (): void => {
      h2.off('drain', done);
      h2.off('close', done);
      cb();
    };
    h2.on('drain', done);
    h2.on('close', done);
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
