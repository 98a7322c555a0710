/**
 * grpc-js cannot be handed a ready connection, so each BuildkitClient runs a private bridge: a unix
 * socket in a fresh 0700 temp dir; every connection grpc-js opens to it is piped to a fresh `dial()`.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';

export type Dial = (signal: AbortSignal) => Promise<Duplex>;

export class DialBridge {
  readonly socketPath: string;
  private readonly server: net.Server;
  private readonly dir: string;
  private readonly streams = new Set<Duplex>();
  private readonly abort = new AbortController();
  private closed = false;
  /** The last dial failure, so the client can explain why the channel never became ready. */
  lastDialError: Error | undefined;

  private constructor(dir: string, server: net.Server) {
    this.dir = dir;
    this.server = server;
    this.socketPath = path.join(dir, 'bk.sock');
  }

  static async start(dial: Dial): Promise<DialBridge> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-bk-'));
    await fs.chmod(dir, 0o700);
    const server = net.createServer();
    const bridge = new DialBridge(dir, server);
    server.on('connection', (local) => bridge.onConnection(local, dial));
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(bridge.socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      await fs.rm(dir, { recursive: true, force: true });
      throw err;
    }
    return bridge;
  }

  private onConnection(local: net.Socket, dial: Dial): void {
    if (this.closed) {
      local.destroy();
      return;
    }
    this.streams.add(local);
    local.pause();
    local.on('close', () => this.streams.delete(local));
    local.on('error', () => undefined);
    dial(this.abort.signal).then(
      (remote) => {
        if (this.closed || local.destroyed) {
          remote.destroy();
          return;
        }
        this.lastDialError = undefined;
        this.streams.add(remote);
        remote.on('error', () => local.destroy());
        remote.on('close', () => {
          this.streams.delete(remote);
          local.destroy();
        });
        local.on('close', () => remote.destroy());
        local.pipe(remote);
        remote.pipe(local);
        local.resume();
      },
      (err: unknown) => {
        this.lastDialError = err instanceof Error ? err : new Error(String(err));
        local.destroy();
      },
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await fs.rm(this.dir, { recursive: true, force: true });
  }
}
