import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Reading, Stream } from '../contract/mqtt/telemetry.js';
import { STREAMS } from '../contract/mqtt/telemetry.js';
import { TABLES, columnNames } from './tables.js';
import { copyBinary } from './copy-binary.js';

/**
 * The two ways a batch of one stream reaches its table, both duplicate-safe (the (device_id, seq, ts)
 * unique key skips re-delivered readings) and both one round trip per stream per batch:
 *
 * - `unnest`: one prepared INSERT … SELECT FROM unnest($1::timestamptz[], …) with every column bound as
 *   an array. Works on every engine, including the embedded one (COPY over pglite-socket kills the
 *   connection, see STACK-NOTES).
 * - `copy`: COPY FROM STDIN (binary format, copy-binary.ts) straight into the table under a savepoint;
 *   when the batch holds a duplicate (the unique key refuses the COPY), rolled back and COPied into a
 *   per-connection temporary staging table instead, then one prepared INSERT … SELECT … ON CONFLICT
 *   DO NOTHING. PostgreSQL servers only.
 *
 * Which is used where is decided in repository.ts from measured figures.
 */
export type WriteMethod = 'unnest' | 'copy';

export interface StreamWriter {
  /** Inserts readings of one stream inside the caller's transaction; returns how many rows were new. */
  insert(client: pg.ClientBase, stream: Stream, readings: readonly Reading[]): Promise<number>;
  /** Per-connection preparation, run once per connection outside any transaction. */
  prepare(client: pg.ClientBase): Promise<void>;
}

function unnestSql(stream: Stream): string {
  const { table, columns } = TABLES[stream];
  const names = columnNames(stream);
  // Array columns travel as text[] of literals (a 2-D array cannot be unnested row by row).
  const types = ['timestamptz', 'text', 'bigint', ...columns.map((c) => (c.type.endsWith('[]') ? 'text' : c.type))];
  const params = types.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  const select = names.map((n, i) => (columns[i - 3]?.type.endsWith('[]') ? `u.${n}::${columns[i - 3]?.type}` : `u.${n}`));
  return `INSERT INTO ${table} (${names.join(', ')})
    SELECT ${select.join(', ')} FROM unnest(${params}) AS u(${names.join(', ')})
    ON CONFLICT (device_id, seq, ts) DO NOTHING`;
}

const UNNEST_SQL = Object.fromEntries(STREAMS.map((s) => [s, unnestSql(s)])) as Record<Stream, string>;

export const unnestWriter: StreamWriter = {
  async prepare() {},
  async insert(client, stream, readings) {
    if (readings.length === 0) return 0;
    const { columns } = TABLES[stream];
    const params: unknown[][] = [[], [], [], ...columns.map(() => [])];
    for (const r of readings) {
      params[0]?.push(r.ts.toISOString());
      params[1]?.push(r.deviceId);
      params[2]?.push(r.seq);
      columns.forEach((c, i) => params[i + 3]?.push(c.value(r)));
    }
    const result = await client.query({ name: `ingest-unnest-${stream}`, text: UNNEST_SQL[stream], values: params });
    return result.rowCount ?? 0;
  },
};

const stage = (stream: Stream) => `ingest_stage_${stream}`;

const prepared = new WeakSet<pg.ClientBase>();

/** One COPY FROM STDIN (binary) of these readings into a table; resolves once the server took it. */
async function copyInto(client: pg.ClientBase, table: string, stream: Stream, readings: readonly Reading[]): Promise<void> {
  const copy = client.query(copyFrom(`COPY ${table} (${columnNames(stream).join(', ')}) FROM STDIN (FORMAT binary)`));
  await new Promise<void>((resolve, reject) => {
    copy.once('finish', resolve);
    copy.once('error', reject);
    copy.end(copyBinary(stream, readings));
  });
}

const UNIQUE_VIOLATION = '23505';

export const copyWriter: StreamWriter = {
  async prepare(client) {
    if (prepared.has(client)) return;
    for (const s of STREAMS) {
      // Same columns as the table, no constraints; emptied by every COMMIT of this session.
      await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${stage(s)} ON COMMIT DELETE ROWS AS
        SELECT ${columnNames(s).join(', ')} FROM ${TABLES[s].table} WITH NO DATA`);
    }
    prepared.add(client);
  },
  /**
   * Optimistic: COPY straight into the table, which is as fast as it gets. A batch holding a reading
   * already stored (a re-delivery) fails that COPY on the unique key; it is then rolled back to the
   * savepoint and written through the staging table with ON CONFLICT DO NOTHING.
   */
  async insert(client, stream, readings) {
    if (readings.length === 0) return 0;
    const { table } = TABLES[stream];
    await client.query('SAVEPOINT ingest_copy');
    try {
      await copyInto(client, table, stream, readings);
      return readings.length;
    } catch (err) {
      if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) throw err;
      await client.query('ROLLBACK TO SAVEPOINT ingest_copy');
    }
    await copyInto(client, stage(stream), stream, readings);
    const names = columnNames(stream).join(', ');
    const result = await client.query({
      name: `ingest-copy-${stream}`,
      text: `INSERT INTO ${table} (${names}) SELECT ${names} FROM ${stage(stream)}
        ON CONFLICT (device_id, seq, ts) DO NOTHING`,
    });
    return result.rowCount ?? 0;
  },
};
