/**
 * A byte stream to a command in a pod, over the API server's exec WebSocket (client-node's `Exec`).
 * Channel bytes (https://github.com/kubernetes/kubernetes/blob/master/staging/src/k8s.io/apimachinery/pkg/util/remotecommand/constants.go):
 * 0 stdin, 1 stdout, 2 stderr, 3 the final Status JSON, 255 close-a-channel (v5.channel.k8s.io only).
 */
import { Duplex, Readable, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import WebSocket from 'ws';

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];
const STDIN = 0;
const CLOSE = 255;
const MAX_STDERR = 8 * 1024;

export interface ExecTarget {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
}

/**
 * Writes become stdin frames, stdout is the readable side. stderr is kept (the last 8 KiB) for the error
 * raised when the command fails or the socket drops without a Status.
 */
export class PodExecStream extends Duplex {
  private ws: WebSocket | undefined;
  private stderrText = '';
  private gotStatus = false;
  private readonly target: ExecTarget;

  constructor(target: ExecTarget) {
    super({ allowHalfOpen: true });
    this.target = target;
    // The command can fail (Status frame) before dial() has handed the stream to anyone: keep that from
    // becoming an uncaught 'error'. The failure stays readable as `stream.errored`, and listeners added
    // later still see every later error.
    this.on('error', () => {});
  }

  /** Open the WebSocket; rejects when the upgrade fails (pod not running, 4xx/5xx, refused). */
  async open(kc: KubeConfig): Promise<void> {
    const stdout = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        // Pause the socket when our reader is slow; _read resumes it.
        if (!this.push(chunk)) this.ws?.pause();
        cb();
      },
    });
    const stderr = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.stderrText = (this.stderrText + chunk.toString('utf8')).slice(-MAX_STDERR);
        cb();
      },
    });
    // A stdin that never emits: client-node only asks for stdin=true when given one; we send frames ourselves
    // so that writes get the WebSocket's completion callback (backpressure).
    const stdinPlaceholder = new Readable({ read() {} });
    const exec = new Exec(kc, { connect: (path, _text, binary) => connectExecSocket(kc, path, binary) });
    const t = this.target;
    const ws = (await exec.exec(t.namespace, t.pod, t.container, t.command, stdout, stderr, stdinPlaceholder, false, (status) =>
      this.onStatus(status),
    )) as unknown as WebSocket;
    this.ws = ws;
    ws.on('close', () => {
      stdinPlaceholder.destroy();
      if (this.gotStatus || this.destroyed) return;
      this.destroy(this.failure('the exec connection closed without a status'));
    });
    ws.on('error', (err: Error) => {
      if (!this.destroyed) this.destroy(this.failure(`the exec connection failed: ${err.message}`));
    });
  }

  get podName(): string {
    return this.target.pod;
  }

  private onStatus(status: V1Status): void {
    this.gotStatus = true;
    if (status.status === 'Success') {
      this.push(null);
      return;
    }
    this.destroy(this.failure(`${status.reason ? `${status.reason}: ` : ''}${status.message ?? 'command failed'}`));
  }

  private failure(what: string): Error {
    const t = this.target;
    const err = this.stderrText.trim();
    return new Error(
      `${t.command.join(' ')} in pod ${t.namespace}/${t.pod}: ${what}${err ? ` (stderr: ${err.split('\n').slice(-5).join(' | ')})` : ''}`,
    );
  }

  override _read(): void {
    this.ws?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) {
      cb(this.failure('write after the exec connection closed'));
      return;
    }
    const frame = Buffer.allocUnsafe(chunk.length + 1);
    frame[0] = STDIN;
    chunk.copy(frame, 1);
    ws.send(frame, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    const ws = this.ws;
    // Only v5 can half-close stdin; older protocols have no way to say "end of input" short of closing.
    if (ws && ws.readyState === ws.OPEN && ws.protocol === 'v5.channel.k8s.io') {
      ws.send(Buffer.from([CLOSE, STDIN]), () => cb());
      return;
    }
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const ws = this.ws;
    if (ws && ws.readyState !== ws.CLOSED) {
      if (ws.readyState === ws.OPEN) ws.close();
      else ws.terminate();
    }
    cb(err);
  }
}

/** The exec upgrade was answered with an HTTP status instead of 101 (pod not running, forbidden …). */
export class ExecUpgradeError extends Error {
  readonly statusCode: number;
  constructor(statusCode: number, message: string) {
    super(message);
    this.name = 'ExecUpgradeError';
    this.statusCode = statusCode;
  }
}

/**
 * The WebSocket half of client-node's `Exec`, our own so that (a) a refused upgrade reports the API server's
 * status and message, and (b) close-channel frames (255) are not handed to client-node's stream handler,
 * which throws on them and, by default, ends process.stdout.
 */
async function connectExecSocket(
  kc: KubeConfig,
  path: string,
  binary: ((stream: number, buff: Buffer) => boolean) | null,
): Promise<WebSocket> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('the kubeconfig context names no cluster');
  const uri = `${server.replace(/^http/, 'ws').replace(/\/+$/, '')}${path}`;
  const opts: WebSocket.ClientOptions = {};
  await kc.applyToHTTPSOptions(opts);
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(uri, PROTOCOLS, opts);
    let opened = false;
    ws.once('open', () => {
      opened = true;
      resolve(ws);
    });
    ws.on('error', (err) => {
      if (!opened) reject(err);
    });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c.slice(0, 4096 - body.length)));
      res.on('end', () => {
        let message = body.trim();
        try {
          const parsed = JSON.parse(body) as { message?: string };
          if (parsed.message) message = parsed.message;
        } catch {
          // not a Status object: keep the text
        }
        reject(new ExecUpgradeError(res.statusCode ?? 0, `exec refused (${res.statusCode}): ${message || res.statusMessage}`));
        req.destroy();
      });
      res.on('error', () => reject(new ExecUpgradeError(res.statusCode ?? 0, `exec refused (${res.statusCode}): ${res.statusMessage}`)));
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
      if (buf.length < 1 || buf[0] === CLOSE) return;
      try {
        if (binary && !binary(buf[0]!, buf.subarray(1))) ws.close();
      } catch (err) {
        ws.emit('error', err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

export async function openPodExec(kc: KubeConfig, target: ExecTarget): Promise<PodExecStream> {
  const s = new PodExecStream(target);
  await s.open(kc);
  return s;
}
