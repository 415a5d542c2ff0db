import type pg from 'pg';
import type { Reading, Stream } from '../contract/mqtt/telemetry.js';
import { STREAMS } from '../contract/mqtt/telemetry.js';
import { byStream } from './tables.js';
import { copyWriter, unnestWriter, type StreamWriter, type WriteMethod } from './writers.js';

/**
 * All SQL of ingest: one transaction per batch (the readings of every stream and the devices'
 * presence changes), the devices' last-seen times, dead letters and their trimming.
 *
 * Write method per engine. On a PostgreSQL server `copy` (writers.ts), measured with
 * `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/writers.ts`
 * (200k readings from 100 devices, batches of 2,000, one transaction each with the last_seen_at
 * update, median of 5; local PostgreSQL 15.20, no TimescaleDB, 2 cores shared with other work):
 *
 *   readings/s          unnest    copy    copy, 1 duplicate per batch   raw COPY, no dedup (ceiling)
 *   noise (31 bands)    36,623   85,609   42,532                        88,012
 *   people               74,898  135,226   64,170                        133,703
 *
 * so copy is 2.3× (noise) and 1.8× (people) unnest, within 3% of a bare COPY; a batch with a
 * re-delivered reading costs a failed COPY plus the staging path (about unnest's speed).
 * The embedded engine always uses unnest: COPY through pglite-socket kills the connection.
 */
export const SERVER_METHOD: WriteMethod = 'copy';

export interface PresenceChange {
  deviceId: string;
  online: boolean;
  at: Date;
}

export interface WriteBatch {
  readings: readonly Reading[];
  presence: readonly PresenceChange[];
}

export interface DeadLetter {
  deviceId: string | null;
  topic: string;
  reason: string;
  detail: string;
  payload: Buffer;
}

// PostgreSQL text cannot hold NUL; everything else a JS string holds is encodable.
const pgText = (s: string, max: number) => s.replaceAll('\u0000', '').slice(0, max);

export class ReadingRepository {
  readonly method: WriteMethod;
  private readonly writer: StreamWriter;

  constructor(
    private readonly pool: pg.Pool,
    engine: 'embedded' | 'server' = 'embedded',
    method: WriteMethod = engine === 'server' ? SERVER_METHOD : 'unnest',
  ) {
    if (engine === 'embedded' && method === 'copy') throw new Error('COPY is not available on the embedded engine');
    this.method = method;
    this.writer = method === 'copy' ? copyWriter : unnestWriter;
  }

  /**
   * Writes one batch in one transaction; returns the new rows per stream (duplicates are skipped).
   * Throws on any failure, leaving nothing written.
   */
  async write(batch: WriteBatch): Promise<Map<Stream, number>> {
    const client = await this.pool.connect();
    let broken: Error | boolean = false;
    // A connection that dies between two statements reports it as an event: the next query then fails.
    const lost = (err: Error) => (broken = err);
    client.on('error', lost);
    try {
      await this.writer.prepare(client);
      await client.query('BEGIN');
      const inserted = new Map<Stream, number>();
      const groups = byStream(batch.readings);
      for (const stream of STREAMS) {
        const rows = groups.get(stream);
        if (rows) inserted.set(stream, await this.writer.insert(client, stream, rows));
      }
      await this.writePresence(client, batch.presence);
      await client.query('COMMIT');
      return inserted;
    } catch (err) {
      // A connection that failed for any other reason than the rows is not trusted again.
      broken = !isDataError(err);
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.off('error', lost);
      client.release(broken);
    }
  }

  /** Inserts readings of one stream in their own transaction; returns how many rows were new. */
  async insert(stream: Stream, readings: readonly Reading[]): Promise<number> {
    const inserted = await this.write({ readings: readings.filter((r) => r.stream === stream), presence: [] });
    return inserted.get(stream) ?? 0;
  }

  /** Presence changes, in the batch's transaction: online/presence_changed_at on a real change only. */
  private async writePresence(client: pg.ClientBase, presence: readonly PresenceChange[]): Promise<void> {
    if (presence.length === 0) return;
    const last = new Map<string, PresenceChange>();
    for (const p of presence) last.set(p.deviceId, p);
    const changes = [...last.values()].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1));
    await client.query({
      name: 'ingest-presence',
      text: `UPDATE devices d SET online = u.online, presence_changed_at = u.at
        FROM unnest($1::text[], $2::boolean[], $3::timestamptz[]) AS u(id, online, at)
        WHERE d.id = u.id AND d.online IS DISTINCT FROM u.online`,
      values: [changes.map((c) => c.deviceId), changes.map((c) => c.online), changes.map((c) => c.at.toISOString())],
    });
  }

  /**
   * last_seen_at = the newest of these reading times per device (never moved back). Its own statement,
   * outside the readings' transactions: written in the batch's transaction it held 1,000 device rows'
   * locks through every commit and cost as much as the COPY itself (see last-seen.ts).
   */
  async touchLastSeen(newest: ReadonlyMap<string, number>): Promise<void> {
    if (newest.size === 0) return;
    // Sorted ids: concurrent ingest processes lock device rows in the same order.
    const ids = [...newest.keys()].sort();
    await this.pool.query({
      name: 'ingest-last-seen',
      text: `UPDATE devices d SET last_seen_at = u.ts
        FROM unnest($1::text[], $2::timestamptz[]) AS u(id, ts)
        WHERE d.id = u.id AND (d.last_seen_at IS NULL OR d.last_seen_at < u.ts)`,
      values: [ids, ids.map((id) => new Date(newest.get(id) ?? 0).toISOString())],
    });
  }

  async insertDeadLetters(rows: readonly DeadLetter[], maxPayload: number): Promise<void> {
    if (rows.length === 0) return;
    await this.pool.query({
      name: 'ingest-dead-letters',
      text: `INSERT INTO dead_letters (device_id, topic, reason, detail, payload)
        SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])`,
      values: [
        rows.map((r) => (r.deviceId === null ? null : pgText(r.deviceId, 256))),
        rows.map((r) => pgText(r.topic, 1024)),
        rows.map((r) => r.reason),
        rows.map((r) => pgText(r.detail, 1024)),
        rows.map((r) => r.payload.subarray(0, maxPayload)),
      ],
    });
  }

  /** Keeps the newest `keep` dead letters; returns how many were deleted. */
  async trimDeadLetters(keep: number): Promise<number> {
    const r = await this.pool.query({
      name: 'ingest-dead-letters-trim',
      text: `DELETE FROM dead_letters WHERE id <= (SELECT id FROM dead_letters ORDER BY id DESC OFFSET $1 LIMIT 1)`,
      values: [keep],
    });
    return r.rowCount ?? 0;
  }
}

/**
 * Errors caused by the rows themselves (a value the column type refuses, e.g. a real that underflows,
 * text with a NUL): retrying the same batch can never succeed, so the batch is split to find the row.
 * Everything else (connection lost, server shutting down, injected outage) means "database unavailable".
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}
