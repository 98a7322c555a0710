/**
 * `buildctl dial-stdio` inside the builder container through the Docker exec API, as a Duplex: writes
 * go to the exec's stdin, its stdout (demultiplexed from Docker's 8-byte framing) is the readable side,
 * stderr is kept for error messages. Each call is a new exec (buildx does the same).
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type Docker from 'dockerode';
import { demuxDockerStream, dockerCall } from '../docker-api.js';

const STDERR_LIMIT = 8 * 1024;

export class ExecStream extends Duplex {
  private readonly socket: Socket;
  private readonly demux: { resume(): void };
  private stderr = '';
  private gotStdout = false;
  private readonly what: string;

  constructor(socket: Socket, what: string) {
    super({ allowHalfOpen: true });
    this.socket = socket;
    this.what = what;
    this.demux = demuxDockerStream(socket, {
      stdout: (chunk) => {
        this.gotStdout = true;
        return this.push(chunk);
      },
      stderr: (chunk) => {
        if (this.stderr.length < STDERR_LIMIT) this.stderr += chunk.toString('utf8');
      },
      end: () => {
        const text = this.stderr.trim();
        // A dial-stdio that dies before saying anything (no buildkitd yet, buildctl missing) is an error
        // worth its stderr; a normal end after traffic is just the end.
        if (!this.gotStdout && text) this.destroy(new Error(`${this.what}: ${text}`));
        else this.push(null);
      },
    });
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => {
      if (!this.destroyed && !this.readableEnded) this.push(null);
    });
  }

  /** What the process wrote on stderr so far. */
  stderrText(): string {
    return this.stderr;
  }

  override _read(): void {
    this.demux.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    // Half-close: Docker closes the process's stdin (dial-stdio then ends the connection).
    this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }
}

/** Start `cmd` in `container` with stdin attached and hijack the connection. */
export async function execStream(docker: Docker, containerName: string, cmd: string[], signal: AbortSignal): Promise<ExecStream> {
  signal.throwIfAborted();
  const container = docker.getContainer(containerName);
  const exec = await dockerCall(signal, (abortSignal) =>
    container.exec({ Cmd: cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, abortSignal }),
  );
  // Only the upgrade is bounded: the hijacked connection then lives as long as the session.
  const socket = (await dockerCall(signal, () => exec.start({ hijack: true, stdin: true }))) as unknown as Socket;
  if (signal.aborted) {
    socket.destroy();
    signal.throwIfAborted();
  }
  return new ExecStream(socket, `${cmd.join(' ')} in container ${containerName}`);
}
