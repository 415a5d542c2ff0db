import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../enforcement-api/login-throttle.js';

describe('login throttle', () => {
  const make = () => {
    let now = 0;
    const throttle = new LoginThrottle({ freeAttempts: 3, addressFactor: 4, maxBackoffS: 60, clock: () => now });
    return { throttle, at: (ms: number) => (now = ms) };
  };

  it('doubles the lock with every failure past the free attempts, up to the maximum', () => {
    const { throttle, at } = make();
    const locks: number[] = [];
    let t = 0;
    for (let i = 0; i < 12; i++) {
      at(t);
      throttle.failed('east.li', '10.0.0.1');
      const wait = throttle.retryAfterS('east.li', '10.0.0.2');
      locks.push(wait);
      t += wait * 1000; // the next attempt comes as soon as the lock allows
    }
    expect(locks).toEqual([0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
  });

  it('locks an address only after four times as many failures, over any accounts', () => {
    const { throttle } = make();
    for (let i = 0; i < 11; i++) throttle.failed(`user-${i}`, '10.0.0.9');
    expect(throttle.retryAfterS('someone-else', '10.0.0.9')).toBe(0);
    throttle.failed('user-11', '10.0.0.9');
    expect(throttle.retryAfterS('someone-else', '10.0.0.9')).toBe(1);
    expect(throttle.retryAfterS('someone-else', '10.0.0.10')).toBe(0);
  });

  it('clears an account and its address on success; usernames are matched without case', () => {
    const { throttle } = make();
    for (let i = 0; i < 5; i++) throttle.failed('East.Li', '10.0.0.1');
    expect(throttle.retryAfterS('east.li', '10.0.0.3')).toBeGreaterThan(0);
    throttle.succeeded('east.li', '10.0.0.1');
    expect(throttle.retryAfterS('east.li', '10.0.0.1')).toBe(0);
  });
});
