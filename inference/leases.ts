import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from '../core/log.js';
import type { LeaseRepository } from './lease-repository.js';

/**
 * Which zones this inference worker judges: those whose lease it holds in the database. A zone's
 * devices, windows, episodes and loudspeaker ladder live on one worker at a time.
 *
 * Every `leaseS / 3` the worker announces itself, renews its leases and takes its fair share —
 * ceil(zones / live workers) — of the zones nobody holds (a dead worker's leases expire after
 * `leaseS`, so they are re-owned within `leaseS + leaseS / 3`, under two lease periods), and gives
 * back what it holds beyond that share so a worker that joined gets work. A zone seen for the first
 * time (no lease at all) is taken at once by the first worker that gets one of its readings.
 */
export interface LeaseEvents {
  /** Zones this worker now holds: their state is rebuilt before their readings are judged. */
  acquired(zones: readonly string[]): void;
  /** Zones this worker no longer holds: their state is dropped. */
  lost(zones: readonly string[]): void;
}

export class ZoneLeases {
  readonly worker = `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly owned = new Set<string>();
  /** Zones with a live lease (anyone's) at the last tick: not free for the taking on demand. */
  private heldByAnyone = new Set<string>();
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly repo: LeaseRepository,
    private readonly leaseS: number,
    private readonly events: LeaseEvents,
    private readonly log: Logger,
  ) {}

  owns(zone: string): boolean {
    return this.owned.has(zone);
  }

  get zones(): string[] {
    return [...this.owned];
  }

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), (this.leaseS * 1000) / 3);
    this.timer.unref();
  }

  /**
   * A reading for a zone this worker does not hold: a zone nobody has a lease on yet (new) is taken
   * now; otherwise false (another worker judges it, or the next tick shares it out).
   */
  async claim(zone: string): Promise<boolean> {
    if (this.owned.has(zone)) return true;
    if (this.stopped || this.heldByAnyone.has(zone)) return false;
    this.heldByAnyone.add(zone); // one attempt per tick
    if (!(await this.repo.acquire(this.worker, zone, this.leaseS))) return false;
    if (this.stopped) {
      // Stopped while the lease was being taken: it is given back like the others.
      await this.repo.release(this.worker, [zone]);
      return false;
    }
    this.take([zone]);
    return true;
  }

  private take(taken: string[]): void {
    // A zone claimed on demand while a tick acquired it too is taken once.
    const zones = taken.filter((z) => !this.owned.has(z));
    for (const z of zones) this.owned.add(z);
    if (zones.length > 0) {
      this.log.info({ worker: this.worker, zones }, 'zones taken');
      this.events.acquired(zones);
    }
  }

  private drop(zones: string[]): void {
    for (const z of zones) this.owned.delete(z);
    if (zones.length > 0) {
      this.log.info({ worker: this.worker, zones }, 'zones given up');
      this.events.lost(zones);
    }
  }

  tick(): Promise<void> {
    this.ticking ??= this.balance()
      .catch((err: unknown) => this.log.warn({ err }, 'zone leases could not be renewed; retrying'))
      .finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async balance(): Promise<void> {
    if (this.stopped) return;
    const workers = await this.repo.heartbeat(this.worker, this.leaseS);
    // Only the zones asked to be renewed can have been lost: one claimed while the renewal was on its
    // way has a fresh lease of its own.
    const renewing = [...this.owned];
    const mine = new Set(await this.repo.renew(this.worker, renewing, this.leaseS));
    this.drop(renewing.filter((z) => !mine.has(z)));
    const zones = await this.repo.zones();
    const held = await this.repo.held();
    this.heldByAnyone = new Set(held.keys());
    const share = Math.ceil(zones.length / Math.max(1, workers));
    if (this.owned.size > share) {
      // Given up here before the lease is given back, so no reading is judged here once another
      // worker may have taken the zone.
      const extra = [...this.owned].sort().slice(share);
      this.drop(extra);
      await this.repo.release(this.worker, extra);
    }
    const taken: string[] = [];
    for (const z of zones) {
      if (this.owned.size + taken.length >= share) break;
      if (held.has(z)) continue;
      if (await this.repo.acquire(this.worker, z, this.leaseS)) taken.push(z);
    }
    for (const z of taken) this.heldByAnyone.add(z);
    this.take(taken);
  }

  /** Gives every lease back at once (a graceful stop), so another worker need not wait for expiry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    this.drop([...this.owned]);
    await this.repo.leave(this.worker).catch((err: unknown) => this.log.warn({ err }, 'zone leases not given back; they expire by themselves'));
  }
}
