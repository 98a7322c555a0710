/**
 * Headless Chromium (Debian's `chromium`, installed by scripts/test-env.sh) driven over the DevTools
 * protocol on `--remote-debugging-pipe` (fd 3 in, fd 4 out, NUL-separated JSON): real DOM queries and
 * screenshots with no browser download and no port. The background-networking flags keep Chromium
 * from dialling out, which this machine's closed network would refuse.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

export const CHROMIUM = process.env.TSBAKE_TEST_CHROMIUM || '/usr/bin/chromium';

export async function requireChromium(): Promise<void> {
  try {
    await fs.access(CHROMIUM);
  } catch {
    throw new Error(`test environment: ${CHROMIUM} is missing; run scripts/test-env.sh (it installs Debian's chromium package)`);
  }
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

export interface Page {
  /** Navigate and wait for the load event; resolves with the ms from navigation to load. */
  goto(url: string): Promise<number>;
  /** Evaluate an expression in the page; returns its value (JSON-serialisable). */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the whole page at the given width. */
  screenshot(file: string, width: number): Promise<void>;
}

export interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  await requireChromium();
  const userDataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
      `--user-data-dir=${userDataDir}`,
      '--remote-debugging-pipe',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  const listeners: ((msg: { method: string; params: Record<string, unknown>; sessionId?: string }) => void)[] = [];
  let buffer = Buffer.alloc(0);
  fromBrowser.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    let i: number;
    while ((i = buffer.indexOf(0)) >= 0) {
      const msg = JSON.parse(buffer.subarray(0, i).toString('utf8')) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
        sessionId?: string;
      };
      buffer = buffer.subarray(i + 1);
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`chromium: ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        for (const l of listeners) l({ method: msg.method, params: msg.params ?? {}, ...(msg.sessionId ? { sessionId: msg.sessionId } : {}) });
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited: ${stderr}`));
    pending.clear();
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  const waitFor = (method: string, sessionId: string, timeoutMs = 30_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`chromium: no ${method} within ${timeoutMs} ms`)), timeoutMs);
      const l = (m: { method: string; sessionId?: string }): void => {
        if (m.method === method && m.sessionId === sessionId) {
          clearTimeout(timer);
          listeners.splice(listeners.indexOf(l), 1);
          resolve();
        }
      };
      listeners.push(l);
    });

  return {
    async newPage(): Promise<Page> {
      const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
      const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
      await send('Page.enable', {}, sessionId);
      await send('Runtime.enable', {}, sessionId);
      return {
        async goto(url: string): Promise<number> {
          const loaded = waitFor('Page.loadEventFired', sessionId);
          const t0 = performance.now();
          await send('Page.navigate', { url }, sessionId);
          await loaded;
          return performance.now() - t0;
        },
        async evaluate<T>(expression: string): Promise<T> {
          const r = (await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)) as {
            result: { value?: unknown };
            exceptionDetails?: { text: string; exception?: { description?: string } };
          };
          if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
          return r.result.value as T;
        },
        async screenshot(file: string, width: number): Promise<void> {
          const height = Math.ceil(
            ((await send('Runtime.evaluate', { expression: 'document.documentElement.scrollHeight', returnByValue: true }, sessionId)) as { result: { value: number } })
              .result.value,
          );
          await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
          const { data } = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string };
          await fs.writeFile(file, Buffer.from(data, 'base64'));
        },
      };
    },
    async close(): Promise<void> {
      try {
        await Promise.race([send('Browser.close'), exited]);
      } catch {
        // already gone
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await fs.rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
