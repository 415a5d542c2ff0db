import type { Logger } from '../core/log.js';
import type { Reading } from '../contract/mqtt/telemetry.js';

/**
 * Each device's `last_seen_at` (the newest reading stored), written apart from the readings: the
 * newest time per device of what was committed is kept in memory and written in one statement at
 * most every `everyMs`, and once more when ingest stops, so the column trails the readings by about
 * that much (it is shown to people and dashboards, nothing decides on it).
 *
 * Written inside every batch's transaction it was as slow as the COPY of the readings themselves: a
 * 10,000-reading batch from 1,000 devices spent 0.5–1.2 s in its COPY and 20 ms–2.2 s updating its
 * devices' rows (`bench:ingest` on the PostgreSQL server, README "Benchmarks"). A failed write is kept
 * and merged into the next; a crash loses at most the last interval, which the device's next stored
 * reading puts right.
 */
export interface LastSeenStore {
  touchLastSeen(newest: ReadonlyMap<string, number>): Promise<void>;
}

export class LastSeen {
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private closed = false;

  constructor(
    private readonly store: LastSeenStore,
    private readonly log: Logger,
    private readonly everyMs = 1000,
  ) {}

  /** These readings are committed. */
  note(readings: readonly Reading[]): void {
    if (this.closed) return;
    for (const r of readings) {
      const ts = r.ts.getTime();
      if (ts > (this.pending.get(r.deviceId) ?? -Infinity)) this.pending.set(r.deviceId, ts);
    }
    this.schedule();
  }

  /** Writes what is pending (one attempt) and stops. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.closed || this.pending.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flush().finally(() => {
        this.flushing = undefined;
        this.schedule();
      });
    }, this.everyMs);
    this.timer.unref();
  }

  private async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    try {
      await this.store.touchLastSeen(batch);
    } catch (err) {
      // Kept for the next attempt (the database is down; the writer logs that), newer times winning.
      this.log.debug({ err, devices: batch.size }, 'last_seen_at not written; retrying');
      for (const [id, ts] of batch) if (ts > (this.pending.get(id) ?? -Infinity)) this.pending.set(id, ts);
    }
  }
}
