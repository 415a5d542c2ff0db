import type pg from 'pg';
import type { Logger } from '../core/log.js';
import { inTransaction } from '../core/db/transaction.js';

import type { LiveEvent } from '../contract/http/live.js';
import { appendLiveEvent, LiveEventRepository, type LivePosition, type StoredLiveEvent } from './live-repository.js';

export type { LiveEvent, LivePosition, StoredLiveEvent };
export { appendLiveEvent };

const PAGE = 500;

export interface LiveBusOptions {
  /** LIVE_POLL_MS: how often subscribers' tail looks for events written by other processes. */
  pollMs: number;
  /** LIVE_EVENTS_RETENTION_H: events older than this are pruned. */
  retentionH: number;
  /** How often the prune runs (default: every 10 minutes). */
  pruneIntervalMs?: number;
}

interface Subscriber {
  cursor: number;
  /** Events the tail read while this subscriber was still catching up from the table. */
  pending: StoredLiveEvent[] | null;
  deliver: (e: StoredLiveEvent) => void;
}

/**
 * The live stream, durable in `live_events`. Publishers write events (in their transaction with
 * `appendLiveEvent` then `notify()`, or on their own with `publish`); streams `subscribe` from an id and
 * get every later event exactly once, in id order: first from the table (catch-up), then from one
 * shared tail that reads new rows when this process published (`notify`) and every `pollMs` (events
 * written by other processes). The tail runs only while someone subscribes, and never holds a
 * connection between reads.
 */
export class LiveBus {
  private readonly subscribers = new Set<Subscriber>();
  private chain: Promise<unknown> = Promise.resolve();
  private tail?: Promise<void>;
  private tailReady?: Promise<void>;
  private wake?: () => void;
  private dirty = false;
  private stopped = true;
  private pruneTimer?: NodeJS.Timeout;

  private readonly events: LiveEventRepository;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: LiveBusOptions,
    private readonly log: Logger,
  ) {
    this.events = new LiveEventRepository(pool);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.prune();
    this.pruneTimer = setInterval(() => {
      this.prune().catch((err: unknown) => this.log.error({ err }, 'live event prune failed'));
    }, this.options.pruneIntervalMs ?? 600_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pruneTimer);
    this.wake?.();
    await this.flush();
    await this.tail;
  }

  /**
   * For publishers without a transaction: writes the event in one of its own, in call order, then
   * wakes the tail. Failures are logged (the change itself is already committed); `flush()` waits.
   */
  publish(event: LiveEvent): void {
    this.chain = this.chain
      .then(() => inTransaction(this.pool, (client) => appendLiveEvent(client, event)))
      .then(() => this.notify())
      .catch((err: unknown) => this.log.error({ err, type: event.type }, 'live event not written'));
  }

  /** Resolves when every `publish` so far is written. */
  async flush(): Promise<void> {
    await this.chain;
  }

  /** Tells this process's tail that an event was committed (it reads at once instead of at the next poll). */
  notify(): void {
    this.dirty = true;
    this.wake?.();
  }

  async position(): Promise<LivePosition> {
    return this.events.position();
  }

  /** Events after `after`, in id order. */
  async read(after: number, limit = PAGE): Promise<StoredLiveEvent[]> {
    return this.events.read(after, limit);
  }

  /**
   * Delivers every event with an id above `after`, each once and in order, until the returned
   * function is called. `ready` resolves once the backlog has been delivered.
   */
  subscribe(after: number, deliver: (e: StoredLiveEvent) => void): { ready: Promise<void>; close: () => void } {
    const sub: Subscriber = { cursor: after, pending: [], deliver };
    this.subscribers.add(sub);
    const ready = this.catchUp(sub);
    return { ready, close: () => this.subscribers.delete(sub) };
  }

  private async catchUp(sub: Subscriber): Promise<void> {
    // Registered first, then the tail's position fixed: every event above the tail's head reaches
    // `pending`; every event at or below it was committed before this read and so is in the table.
    // On a failure the subscriber gets nothing more (a gap would follow): the stream ends and the
    // client resumes from its last id.
    try {
      await this.startTail();
      for (;;) {
        const rows = await this.read(sub.cursor);
        for (const row of rows) this.hand(sub, row);
        if (rows.length < PAGE || !this.subscribers.has(sub)) break;
      }
    } catch (err) {
      this.subscribers.delete(sub);
      throw err;
    }
    const pending = sub.pending ?? [];
    sub.pending = null;
    for (const row of pending) this.hand(sub, row);
  }

  private hand(sub: Subscriber, row: StoredLiveEvent): void {
    if (row.id <= sub.cursor || !this.subscribers.has(sub)) return;
    sub.cursor = row.id;
    sub.deliver(row);
  }

  private startTail(): Promise<void> {
    if (this.tail && this.tailReady) return this.tailReady;
    let ready!: () => void;
    let failed!: (err: unknown) => void;
    this.tailReady = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.tail = (async () => {
      let head: number;
      try {
        head = (await this.position()).head;
        ready();
      } catch (err) {
        failed(err);
        this.tail = undefined;
        return;
      }
      while (!this.stopped && this.subscribers.size > 0) {
        this.dirty = false;
        let full = false;
        try {
          const rows = await this.read(head);
          full = rows.length === PAGE;
          for (const row of rows) {
            head = row.id;
            for (const sub of this.subscribers) {
              if (sub.pending) sub.pending.push(row);
              else this.hand(sub, row);
            }
          }
        } catch (err) {
          this.log.warn({ err }, 'live tail read failed; retrying');
        }
        if (!full) await this.nap();
      }
      // Synchronously with the loop's last check: a new subscriber starts a new tail.
      this.tail = undefined;
      this.tailReady = undefined;
    })();
    return this.tailReady;
  }

  /** Waits for the next poll, or less when this process publishes. */
  private nap(): Promise<void> {
    if (this.dirty || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, this.options.pollMs);
      this.wake = done;
    });
  }

  /**
   * Removes events older than the retention (or than `before`) and records the highest id removed, so
   * a client resuming from below it is told to reload (`reset`). Removes a prefix of ids only.
   */
  async prune(before = new Date(Date.now() - this.options.retentionH * 3_600_000)): Promise<number> {
    const { removed, through } = await this.events.prune(before);
    if (removed) this.log.info({ removed, through }, 'live events pruned');
    return removed;
  }
}
