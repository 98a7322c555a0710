/** The agent-protocol framing the read-only SSH relay relies on. */
import { describe, expect, it } from 'vitest';
import { takeMessage } from '../../src/buildkit/sshforward.js';

const frame = (type: number, body: number[] = []): Buffer => {
  const b = Buffer.alloc(5 + body.length);
  b.writeUInt32BE(1 + body.length, 0);
  b[4] = type;
  Buffer.from(body).copy(b, 5);
  return b;
};

describe('takeMessage', () => {
  it('splits complete frames and keeps the rest for later', () => {
    const two = Buffer.concat([frame(11), frame(13, [1, 2, 3])]);
    const [first, rest] = takeMessage(two);
    expect(first).toEqual(frame(11));
    const [second, end] = takeMessage(rest);
    expect(second).toEqual(frame(13, [1, 2, 3]));
    expect(end.length).toBe(0);
  });

  it('waits for a frame that has not fully arrived', () => {
    const f = frame(13, [9, 9, 9, 9]);
    for (const cut of [0, 2, 4, 6]) {
      const [msg, rest] = takeMessage(f.subarray(0, cut));
      expect(msg).toBeUndefined();
      expect(rest.length).toBe(cut);
    }
  });

  it('refuses a frame over 256 KiB instead of buffering it', () => {
    const huge = Buffer.alloc(4);
    huge.writeUInt32BE(256 * 1024 + 1, 0);
    expect(() => takeMessage(huge)).toThrow(/over the 262144-byte limit/);
  });
});
