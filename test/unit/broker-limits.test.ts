import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { addressKey, FrameSizeGuard, PendingLogins, TokenBucket } from '../../broker/limits.js';

/** One MQTT PUBLISH frame with a `length`-byte payload (mqtt-packet encodes the header). */
const frame = (length: number): Buffer => mqttPacket.generate({ cmd: 'publish', topic: 't', payload: Buffer.alloc(length, 0x61), qos: 0, dup: false, retain: false });

/** Feeds `bytes` cut at the given points; false as soon as the guard refuses. */
function feed(guard: FrameSizeGuard, bytes: Buffer, cuts: number[]): boolean {
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length]) {
    if (!guard.feed(bytes.subarray(at, cut))) return false;
    at = cut;
  }
  return true;
}

describe('FrameSizeGuard', () => {
  it('accepts frames up to the limit and refuses the first larger one, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(30_000), { maxLength: 10 }), (sizes, cuts) => {
        const limit = 2000;
        const bytes = Buffer.concat(sizes.map(frame));
        const fits = sizes.every((s) => frame(s).length <= limit);
        expect(feed(new FrameSizeGuard(limit), bytes, cuts)).toBe(fits);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a malformed five-byte remaining length', () => {
    expect(new FrameSizeGuard(1 << 30).feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toBe(false);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through, then spaces the rest at the rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(0)).toBe(200);
    expect(bucket.take(1000)).toBe(0);
  });
});

describe('connections not logged in yet, per address', () => {
  it('counts IPv4 by address, IPv4-mapped IPv6 as IPv4, and IPv6 by its /64', () => {
    const keys = {
      '203.0.113.7': '203.0.113.7', '::ffff:203.0.113.7': '203.0.113.7', '2001:db8:1:2:aaaa::1': '2001:db8:1:2::/64',
      '2001:db8:1:2:bbbb:cccc:dddd:eeee': '2001:db8:1:2::/64', '2001:db8::1': '2001:db8:0:0::/64', 'fe80::1%eth0': 'fe80:0:0:0::/64',
    };
    expect(Object.fromEntries(Object.keys(keys).map((a) => [a, addressKey(a)]))).toEqual(keys);
    expect(addressKey(undefined)).toBe('unknown');
  });

  it('admits up to the limit per address, again once one settles; 0 admits all', () => {
    const p = new PendingLogins(2);
    expect([p.admit('a'), p.admit('a'), p.admit('a'), p.admit('b')]).toEqual([true, true, false, true]);
    p.settle('a');
    expect(p.admit('a')).toBe(true);
    const open = new PendingLogins(0);
    expect(Array.from({ length: 100 }, () => open.admit('a')).every(Boolean)).toBe(true);
  });
});
