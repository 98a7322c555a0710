/**
 * Export receivers end when the session closes, whatever point they had reached. The race this pins
 * (a hang seen once in test/integration/secrets-isolation.test.ts on BuildKit v0.8): fail-fast cancels
 * a solve while the daemon has just opened its FileSend call; Session.close() aborts the receivers and
 * shuts the server down, which cancels and destroys the call, while the receiver is still in its first
 * file-system awaits. Its abort and stream listeners, attached after those awaits, then never fire, and
 * close() (which waits for the receivers) never returned.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { receiveDir, receiveTar } from '../../src/buildkit/filesend.js';

let root: string;

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'tsbake-filesend-'));
});

afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

/** A call the server already cancelled and destroyed: it will never emit anything again. */
function destroyedCall(): Duplex {
  const d = new Duplex({ objectMode: true, read: () => undefined, write: (_c, _e, cb) => cb() });
  d.on('error', () => undefined);
  d.destroy();
  return d;
}

/** Settles with the receiver's outcome, or 'still waiting' if it has not settled after a few event-loop turns. */
async function outcome(p: Promise<void>): Promise<string> {
  const settled = p.then(
    () => 'resolved',
    (err: unknown) => `rejected: ${err instanceof Error ? err.message : String(err)}`,
  );
  const later = new Promise<string>((r) => setTimeout(() => r('still waiting'), 2000));
  return Promise.race([settled, later]);
}

describe('export receivers on a cancelled call', () => {
  test('receiveDir: aborted and destroyed before its listeners are attached, it rejects and leaves no temp dir', async () => {
    const ac = new AbortController();
    const dest = path.join(root, 'dir-out');
    const p = receiveDir(dest, destroyedCall(), ac.signal);
    ac.abort();
    expect(await outcome(p)).toMatch(/^rejected: /);
    expect(await fs.readdir(root)).not.toContainEqual(expect.stringMatching(/^\.dir-out\./));
  });

  test('receiveDir: a call destroyed before its listeners are attached rejects without an abort', async () => {
    const dest = path.join(root, 'dir-out2');
    const p = receiveDir(dest, destroyedCall(), new AbortController().signal);
    expect(await outcome(p)).toMatch(/^rejected: /);
    expect(await fs.readdir(root)).not.toContainEqual(expect.stringMatching(/^\.dir-out2\./));
  });

  test('receiveTar: a call destroyed before its listeners are attached rejects and leaves no temp file', async () => {
    const dest = path.join(root, 'out.tar');
    const p = receiveTar({ kind: 'file', path: dest }, destroyedCall(), new AbortController().signal);
    expect(await outcome(p)).toMatch(/^rejected: /);
    expect((await fs.readdir(root)).filter((n) => n.startsWith('out.tar'))).toEqual([]);
  });
});
