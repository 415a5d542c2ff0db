import { describe, expect, it } from 'vitest';
import { AckTracker, type Ack } from '../../ingest/acks.js';
import { pubacks } from '../../core/puback.js';

const conn = {};

function tracker(maxReadings = 100, maxBytes = 1 << 20) {
  const sent: number[] = [];
  const acks = new AckTracker({ maxReadings, maxBytes }, (released: readonly Ack[]) => sent.push(...released.map((a) => a.messageId ?? -1)));
  return { acks, sent };
}

describe('ingest acknowledgements', () => {
  it('acknowledges in arrival order: a message done early waits for the ones before it', () => {
    const { acks, sent } = tracker();
    const [a, b, c] = [1, 2, 3].map((id) => acks.track(id, conn, 10, 1));
    acks.complete(c!);
    acks.complete(b!);
    expect(sent).toEqual([]);
    acks.complete(a!);
    expect(sent).toEqual([1, 2, 3]);
    expect(acks.inflight).toBe(0);
    expect(acks.bytes).toBe(0);
  });

  it('holds the reader at the limit and lets it go on once in-flight messages are down to 3/4 of it', () => {
    const { acks } = tracker(8);
    const tracked: Ack[] = [];
    let resumed = 0;
    for (let i = 1; i <= 8; i++) {
      tracked.push(acks.track(i, conn, 1, 1));
      acks.whenRoom(() => resumed++);
    }
    expect(resumed).toBe(7); // the 8th message filled it: the reader waits
    expect(acks.holding).toBe(true);
    acks.complete(tracked[0]!);
    expect(resumed).toBe(7); // 7 in flight > 6
    acks.complete(tracked[1]!);
    expect(resumed).toBe(8);
    expect(acks.holding).toBe(false);
  });

  it('is bounded by bytes as well as by messages', () => {
    const { acks } = tracker(1000, 100);
    let resumed = 0;
    acks.track(1, conn, 60, 1);
    acks.whenRoom(() => resumed++);
    acks.track(2, conn, 60, 1);
    acks.whenRoom(() => resumed++);
    expect(resumed).toBe(1);
    expect(acks.full).toBe(true);
  });

  it('weighs a batch message by its readings: one batch can fill the limit, and its ack waits for all of it', () => {
    const { acks, sent } = tracker(500);
    let resumed = 0;
    const single = acks.track(1, conn, 200, 1);
    acks.whenRoom(() => resumed++);
    const batch = acks.track(2, conn, 60_000, 499);
    acks.whenRoom(() => resumed++);
    expect(acks.inflight).toBe(2);
    expect(acks.readings).toBe(500);
    expect(resumed).toBe(1); // 500 readings in flight: the reader waits
    acks.complete(single);
    expect(sent).toEqual([1]);
    expect(resumed).toBe(1); // 499 > 3/4 of 500
    acks.complete(batch);
    expect(sent).toEqual([1, 2]);
    expect(resumed).toBe(2);
    // A rejected message (no readings) still weighs one.
    acks.track(3, conn, 10, 0);
    expect(acks.readings).toBe(1);
  });

  it('encodes MQTT 3.1.1 PUBACK packets', () => {
    expect([...pubacks([1, 0x1234, 65535])]).toEqual([0x40, 2, 0, 1, 0x40, 2, 0x12, 0x34, 0x40, 2, 0xff, 0xff]);
  });
});
