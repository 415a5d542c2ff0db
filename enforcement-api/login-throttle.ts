import type { Counter } from 'prom-client';

/**
 * Login throttling, per account and per client address. After `freeAttempts` consecutive failures
 * (an address gets `addressFactor` times as many, since many people can share one), every further
 * failure locks the key for twice as long as the one before — 1 s, 2 s, 4 s … up to `maxBackoffS`.
 * While locked, attempts are refused without checking the password, so guessing stays slow however
 * fast the requests come. A successful login clears its account and address.
 */
export interface ThrottleOptions {
  freeAttempts: number;
  addressFactor: number;
  maxBackoffS: number;
  clock?: () => number;
}

interface Entry {
  failures: number;
  lockedUntil: number;
  lastAt: number;
}

/** Keys forgotten when the table is this big: the ones neither locked nor failed lately. */
const MAX_KEYS = 50_000;

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(
    private readonly opts: ThrottleOptions,
    private readonly throttled?: Counter<'scope'>,
  ) {
    this.now = opts.clock ?? Date.now;
  }

  private keys(username: string, address: string): [string, 'account' | 'address', number][] {
    return [
      [`u:${username.toLowerCase()}`, 'account', this.opts.freeAttempts],
      [`a:${address}`, 'address', this.opts.freeAttempts * this.opts.addressFactor],
    ];
  }

  /** Seconds the caller must wait before trying again, or 0 when the attempt may go ahead. */
  retryAfterS(username: string, address: string): number {
    const now = this.now();
    let wait = 0;
    for (const [key, scope] of this.keys(username, address)) {
      const e = this.entries.get(key);
      if (e && e.lockedUntil > now) {
        this.throttled?.inc({ scope });
        wait = Math.max(wait, Math.ceil((e.lockedUntil - now) / 1000));
      }
    }
    return wait;
  }

  failed(username: string, address: string): void {
    const now = this.now();
    if (this.entries.size > MAX_KEYS) this.prune(now);
    for (const [key, , free] of this.keys(username, address)) {
      const e = this.entries.get(key) ?? { failures: 0, lockedUntil: 0, lastAt: now };
      e.failures += 1;
      e.lastAt = now;
      if (e.failures >= free) {
        const backoffS = Math.min(this.opts.maxBackoffS, 2 ** Math.min(30, e.failures - free));
        e.lockedUntil = now + backoffS * 1000;
      }
      this.entries.set(key, e);
    }
  }

  succeeded(username: string, address: string): void {
    for (const [key] of this.keys(username, address)) this.entries.delete(key);
  }

  private prune(now: number): void {
    for (const [key, e] of this.entries) {
      if (e.lockedUntil < now && now - e.lastAt > this.opts.maxBackoffS * 1000) this.entries.delete(key);
    }
  }
}
