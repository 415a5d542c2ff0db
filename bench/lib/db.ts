import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { readingFields, type NoiseFields } from './workload.js';
export { scratchDatabase, type Scratch } from '../../core/db/scratch.js';

/**
 * The raw baseline of bench:ingest — the fastest bulk write each engine takes, of the same rows ingest
 * writes, straight into `noise_readings` with nothing else around it (no broker, no decoding, no
 * duplicate handling): binary COPY through pg-copy-streams on a server, batched `unnest` INSERTs on
 * the embedded engine (COPY through its socket is not supported).
 */
export interface NoiseRow extends NoiseFields {
  tsMs: number;
  deviceId: string;
  seq: number;
}

/** `count` rows shaped exactly like the readings the devices publish (same spectra, same devices). */
export function noiseRows(deviceIds: readonly string[], count: number, seqStart: number, tsMs: number): NoiseRow[] {
  const rows: NoiseRow[] = [];
  for (let i = 0; i < count; i++) {
    const d = i % deviceIds.length;
    const seq = seqStart + Math.floor(i / deviceIds.length);
    rows.push({ ...readingFields(d, seq), tsMs: tsMs + i, deviceId: deviceIds[d] as string, seq });
  }
  return rows;
}

const COLUMNS = '(ts, device_id, seq, laeq, lamax, interval_s, bands)';
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const FLOAT4_OID = 700;

/** One COPY ... (FORMAT binary) payload: header, tuples, trailer. */
function encodeBinary(rows: readonly NoiseRow[]): Buffer {
  const bands = rows[0]?.bands.length ?? 0;
  // per tuple: field count, ts, device id, seq, 3 reals, array header + elements
  const size = 19 + rows.reduce((n, r) => n + 2 + 12 + 4 + Buffer.byteLength(r.deviceId) + 12 + 24 + 24 + bands * 8, 0) + 2;
  const b = Buffer.allocUnsafe(size);
  let p = b.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
  p = b.writeInt32BE(0, p); // flags
  p = b.writeInt32BE(0, p); // header extension
  for (const r of rows) {
    p = b.writeInt16BE(7, p);
    const us = (r.tsMs - PG_EPOCH_MS) * 1000; // timestamptz: µs since 2000-01-01, int64
    const hi = Math.floor(us / 2 ** 32);
    p = b.writeInt32BE(8, p);
    p = b.writeInt32BE(hi, p);
    p = b.writeUInt32BE(us - hi * 2 ** 32, p);
    p = b.writeInt32BE(Buffer.byteLength(r.deviceId), p);
    p += b.write(r.deviceId, p, 'utf8');
    p = b.writeInt32BE(8, p);
    p = b.writeInt32BE(Math.floor(r.seq / 2 ** 32), p);
    p = b.writeUInt32BE(r.seq % 2 ** 32, p);
    for (const v of [r.laeq, r.lamax, 1]) {
      p = b.writeInt32BE(4, p);
      p = b.writeFloatBE(v, p);
    }
    // real[]: ndim, has-nulls, element type, then (length, lower bound) per dimension, then elements
    p = b.writeInt32BE(20 + r.bands.length * 8, p);
    p = b.writeInt32BE(1, p);
    p = b.writeInt32BE(0, p);
    p = b.writeInt32BE(FLOAT4_OID, p);
    p = b.writeInt32BE(r.bands.length, p);
    p = b.writeInt32BE(1, p);
    for (const v of r.bands) {
      p = b.writeInt32BE(4, p);
      p = b.writeFloatBE(v, p);
    }
  }
  p = b.writeInt16BE(-1, p);
  return b.subarray(0, p);
}

async function copyBatch(client: pg.PoolClient, rows: readonly NoiseRow[]): Promise<void> {
  const stream = client.query(copyFrom(`COPY noise_readings ${COLUMNS} FROM STDIN (FORMAT binary)`));
  await new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(encodeBinary(rows));
  });
}

const UNNEST = `INSERT INTO noise_readings ${COLUMNS}
  SELECT u.ts, u.d, u.s, u.a, u.m, u.i, u.b::real[]
  FROM unnest($1::timestamptz[], $2::text[], $3::bigint[], $4::real[], $5::real[], $6::real[], $7::text[]) AS u(ts, d, s, a, m, i, b)`;

async function unnestBatch(client: pg.PoolClient, rows: readonly NoiseRow[]): Promise<void> {
  await client.query({
    name: 'bench-raw-unnest',
    text: UNNEST,
    values: [
      rows.map((r) => new Date(r.tsMs).toISOString()),
      rows.map((r) => r.deviceId),
      rows.map((r) => r.seq),
      rows.map((r) => r.laeq),
      rows.map((r) => r.lamax),
      rows.map(() => 1),
      rows.map((r) => `{${r.bands.join(',')}}`),
    ],
  });
}

export interface RawResult {
  method: string;
  rows: number;
  seconds: number;
  rate: number;
}

/**
 * Writes `rows` with the engine's fastest raw method on one connection, one transaction per batch.
 * On the embedded engine pass the platform's own pool: it is a single backend, and a second
 * connection interleaving its protocol messages with ingest's corrupts both.
 */
export async function rawWrite(pool: pg.Pool, engine: 'embedded' | 'server', rows: readonly NoiseRow[]): Promise<RawResult> {
  const client = await pool.connect();
  try {
    const [method, batch, write] = engine === 'server'
      ? ['binary COPY, 20,000 rows per COPY', 20_000, copyBatch] as const
      : ['unnest INSERT, 5,000 rows per statement', 5_000, unnestBatch] as const;
    const started = performance.now();
    for (let i = 0; i < rows.length; i += batch) await write(client, rows.slice(i, i + batch));
    const seconds = (performance.now() - started) / 1000;
    return { method, rows: rows.length, seconds, rate: rows.length / seconds };
  } finally {
    client.release();
  }
}
