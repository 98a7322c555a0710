/**
 * Session.close() waits for the export receivers still running (so their temp files are gone when it
 * returns), but not forever: a receiver that missed the close's abort fails close() after 10 s, naming
 * what it was writing. No real receiver can be made to miss the abort, so these tests put a receiver's
 * promise into the session's private `receiving` map; fake timers stand for the 10 s.
 */
import { afterEach, describe, expect, test, vi } from 'vitest';
import { Session } from '../../src/buildkit/index.js';

function receiving(session: Session): Map<Promise<void>, string> {
  return (session as unknown as { receiving: Map<Promise<void>, string> }).receiving;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Session.close() and the export receivers', () => {
  test('returns at once when no receiver is running', async () => {
    await expect(new Session({ sharedKey: 'k' }).close()).resolves.toBeUndefined();
  });

  test('waits for a receiver that ends after the abort', async () => {
    const session = new Session({ sharedKey: 'k' });
    let ended = false;
    const done = new Promise<void>((resolve) => setTimeout(() => ((ended = true), resolve()), 50));
    receiving(session).set(done, '/work/out.tar');
    await session.close();
    expect(ended).toBe(true);
  });

  test('a receiver that never ends fails close() after 10 s, naming its destination', async () => {
    vi.useFakeTimers();
    const session = new Session({ sharedKey: 'k' });
    // Two receivers writing the same destination: the message names it once.
    receiving(session).set(new Promise<void>(() => {}), '/work/out.tar');
    receiving(session).set(new Promise<void>(() => {}), '/work/out.tar');
    let settled: string | undefined;
    const outcome = session.close().then(
      () => (settled = 'resolved'),
      (err: Error) => (settled = err.message),
    );
    await vi.advanceTimersByTimeAsync(9_999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe(
      'the export to /work/out.tar did not stop within 10 s of the session closing; its temp files may remain beside it',
    );
  });
});
