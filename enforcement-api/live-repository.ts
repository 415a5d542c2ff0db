import type pg from 'pg';
import { inTransaction } from '../core/db/transaction.js';
import type { LiveEvent } from '../contract/http/live.js';

/** A live event as stored: `id` is its SSE event id, increasing, shared by every process on the database. */
export interface StoredLiveEvent {
  id: number;
  event: LiveEvent;
}

/** Where the stream stands: `head` the newest id, `horizon` the highest id removed by retention. */
export interface LivePosition {
  head: number;
  horizon: number;
}

/** Serialises live-event writers (see appendLiveEvent). */
const LIVE_LOCK = 7_320_115;

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
export async function appendLiveEvent(client: pg.PoolClient, given: LiveEvent): Promise<number> {
  // The team supporting the case (jurisdiction.ts) gets its events too: read in the same transaction,
  // so whoever writes an event need not know about it.
  const event = given.type === 'case.updated' && given.supportTeamId === undefined ? { ...given, supportTeamId: await supportTeamOf(client, given.caseId) } : given;
  await client.query('SELECT pg_advisory_xact_lock($1)', [LIVE_LOCK]);
  const updated = event.type === 'case.updated' ? event : undefined;
  const r = await client.query<{ id: number }>(
    `INSERT INTO live_events (type, team_id, review_post_id, previous_team_id, payload) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [event.type, event.teamId, updated?.review ? (updated.reviewPostId ?? null) : null, updated?.previousTeamId ?? null, JSON.stringify(event)],
  );
  return r.rows[0]!.id;
}

async function supportTeamOf(client: pg.PoolClient, caseId: string): Promise<string | null> {
  const r = await client.query<{ id: string | null }>('SELECT support_team_id AS id FROM cases WHERE id = $1', [caseId]);
  return r.rows[0]?.id ?? null;
}

/** The live stream's table (`live_events`): what LiveBus reads, tails and prunes. */
export class LiveEventRepository {
  constructor(private readonly pool: pg.Pool) {}

  async position(): Promise<LivePosition> {
    const r = await this.pool.query<{ head: number; horizon: number }>(
      `SELECT greatest((SELECT coalesce(max(id), 0) FROM live_events), h.pruned_through) AS head, h.pruned_through AS horizon
       FROM live_events_horizon h`,
    );
    return r.rows[0] ?? { head: 0, horizon: 0 };
  }

  /** Events after `after`, in id order. */
  async read(after: number, limit: number): Promise<StoredLiveEvent[]> {
    const r = await this.pool.query<{ id: number; payload: LiveEvent }>(
      'SELECT id, payload FROM live_events WHERE id > $1 ORDER BY id LIMIT $2',
      [after, limit],
    );
    return r.rows.map((row) => ({ id: row.id, event: row.payload }));
  }

  /** Removes the events created before `before` (a prefix of ids) and records the highest id removed. */
  async prune(before: Date): Promise<{ removed: number; through: number | null }> {
    return inTransaction(this.pool, async (client) => {
      const cut = await client.query<{ id: number | null }>('SELECT max(id) AS id FROM live_events WHERE created_at < $1', [before]);
      const through = cut.rows[0]?.id ?? null;
      if (through === null) return { removed: 0, through };
      const removed = await client.query('DELETE FROM live_events WHERE id <= $1', [through]);
      await client.query('UPDATE live_events_horizon SET pruned_through = greatest(pruned_through, $1)', [through]);
      return { removed: removed.rowCount ?? 0, through };
    });
  }
}
