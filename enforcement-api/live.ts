import type pg from 'pg';
import type { Logger } from '../core/log.js';
import { inTransaction } from '../core/db/transaction.js';

import type { LiveEvent } from '../contract/http/live.js';

export type { LiveEvent };

/** A live event as stored: `id` is its SSE event id, increasing, shared by every process on the database. */
export interface StoredLiveEvent {
  id: number;
  event: LiveEvent;
}

/** Serialises live-event writers (see appendLiveEvent). */
const LIVE_LOCK = 7_320_115;
const PAGE = 500;

/**
 * Appends a live event inside the caller's transaction (the outbox: it exists iff the case change
 * committed). Call it last, just before COMMIT.
 *
 * Ordering: a bigserial id is taken when the row is inserted, not when it commits, so with concurrent
 * transactions a later id could become visible before an earlier one; a reader that had moved its
 * cursor past the later id would then never deliver the earlier one. The transaction-scoped advisory
 * lock taken first makes writers take their id one after another and hold it until they commit or
 * roll back: an id becomes visible only after every smaller id has committed or been abandoned, so
 * "deliver everything above my cursor" never skips. The lock is held only from this insert to the
 * commit (hence: call it last). Rolled-back ids leave harmless gaps.
 */
export async function appendLiveEvent(client: pg.PoolClient, event: LiveEvent): Promise<number> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [LIVE_LOCK]);
  const updated = event.type === 'case.updated' ? event : undefined;
  const r = await client.query<{ id: number }>(
    `INSERT INTO live_events (type, team_id, review_post_id, previous_team_id, payload) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [event.type, event.teamId, updated?.review ? (updated.reviewPostId ?? null) : null, updated?.previousTeamId ?? null, JSON.stringify(event)],
  );
  return r.rows[0]!.id;
}

export interface LiveBusOptions {
  /** LIVE_POLL_MS: how often subscribers' tail looks for events written by other processes. */
  pollMs: number;
  /** LIVE_EVENTS_RETENTION_H: events older than this are pruned. */
  retentionH: number;
  /** How often the prune runs (default: every 10 minutes). */
  pruneIntervalMs?: number;
}

/** Where the stream stands: `head` the newest id, `horizon` the highest id removed by retention. */
export interface LivePosition {
  head: number;
  horizon: number;
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

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: LiveBusOptions,
    private readonly log: Logger,
  ) {}

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
    const r = await this.pool.query<{ head: number; horizon: number }>(
      `SELECT greatest((SELECT coalesce(max(id), 0) FROM live_events), h.pruned_through) AS head, h.pruned_through AS horizon
       FROM live_events_horizon h`,
    );
    return r.rows[0] ?? { head: 0, horizon: 0 };
  }

  /** Events after `after`, in id order. */
  async read(after: number, limit = PAGE): Promise<StoredLiveEvent[]> {
    const r = await this.pool.query<{ id: number; payload: LiveEvent }>(
      'SELECT id, payload FROM live_events WHERE id > $1 ORDER BY id LIMIT $2',
      [after, limit],
    );
    return r.rows.map((row) => ({ id: row.id, event: row.payload }));
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
    return inTransaction(this.pool, async (client) => {
      const cut = await client.query<{ id: number | null }>('SELECT max(id) AS id FROM live_events WHERE created_at < $1', [before]);
      const through = cut.rows[0]?.id ?? null;
      if (through === null) return 0;
      const removed = await client.query('DELETE FROM live_events WHERE id <= $1', [through]);
      await client.query('UPDATE live_events_horizon SET pruned_through = greatest(pruned_through, $1)', [through]);
      if (removed.rowCount) this.log.info({ removed: removed.rowCount, through }, 'live events pruned');
      return removed.rowCount ?? 0;
    });
  }
}
