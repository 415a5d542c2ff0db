/**
 * Measures ingest's two write paths on a PostgreSQL server, so repository.ts can pick the faster:
 * the same readings written through ReadingRepository.write (one transaction per batch, with the
 * devices' last_seen_at update) by `unnest` and by `copy`, plus a raw binary COPY straight into the
 * table (no duplicate handling) as the ceiling. Runs alternate; medians are printed.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/writers.ts [readings] [batch]
 *
 * It works in a scratch database it creates and drops.
 */
import { MIGRATIONS } from '../migrations.js';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openDatabase } from '../core/db/database.js';
import { createLogger } from '../core/log.js';
import { decodeTelemetry } from '../core/telemetry-decode.js';
import type { Reading, Stream } from '../contract/mqtt/telemetry.js';
import { noiseRun } from '../simulator/scenarios.js';
import { copyBinary } from '../ingest/copy-binary.js';
import { ReadingRepository } from '../ingest/repository.js';
import { columnNames, TABLES } from '../ingest/tables.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('set DATABASE_URL to a PostgreSQL server');
const total = Number(process.argv[2] ?? 200_000);
const batchSize = Number(process.argv[3] ?? 2000);
const ROUNDS = 5;
const DEVICES = 100;

const scratch = `rp_bench_writers_${process.pid}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`CREATE DATABASE ${scratch}`);
const u = new URL(url);
u.pathname = `/${scratch}`;
const db = await openDatabase({ url: u.toString(), dataDir: '/tmp' }, createLogger('silent'), MIGRATIONS);

function makeReadings(stream: Stream): Reading[] {
  const now = new Date();
  const out: Reading[] = [];
  const per = total / DEVICES;
  for (let d = 0; d < DEVICES; d++) {
    const start = new Date(now.getTime() - 3_600_000);
    for (const m of noiseRun({ deviceId: `dev-${d}`, start, seconds: per, source: 'background', laeq: 50, seed: d, seqStart: 0 })) {
      const payload = stream === 'noise' ? m.payload : JSON.stringify({ ...JSON.parse(m.payload), count: d });
      const r = decodeTelemetry(m.topic.replace(/noise$/, stream), Buffer.from(payload), now, { maxClockSkewS: 300, maxAgeH: 720 });
      if (r.ok) out.push(r.reading);
    }
  }
  return out;
}

/** Writes one batch; `previous` is the reading just before it (already stored). */
type Run = (batch: Reading[], previous: Reading | undefined) => Promise<void>;
const viaRepository = (method: 'unnest' | 'copy'): Run => {
  const repo = new ReadingRepository(db.pool, 'server', method);
  return async (batch) => void (await repo.write({ readings: batch, presence: [] }));
};
const rawCopy = (stream: Stream): Run => async (batch) => {
  const client = await db.pool.connect();
  try {
    const copy = client.query(copyFrom(`COPY ${TABLES[stream].table} (${columnNames(stream).join(', ')}) FROM STDIN (FORMAT binary)`));
    await new Promise<void>((resolve, reject) => {
      copy.once('finish', resolve);
      copy.once('error', reject);
      copy.end(copyBinary(stream, batch));
    });
  } finally {
    client.release();
  }
};

async function timed(stream: Stream, readings: Reading[], run: Run): Promise<number> {
  await db.pool.query(`TRUNCATE ${TABLES[stream].table}`);
  const started = performance.now();
  for (let i = 0; i < readings.length; i += batchSize) await run(readings.slice(i, i + batchSize), readings[i - 1]);
  return readings.length / ((performance.now() - started) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;
try {
  const version = (await db.pool.query<{ v: string }>('SELECT current_setting($1) AS v', ['server_version'])).rows[0]?.v;
  console.log(`PostgreSQL ${version}, timescale=${db.timescale}; ${total} readings per run, batches of ${batchSize}, median of ${ROUNDS}`);
  for (const stream of ['noise', 'people'] as const) {
    const readings = makeReadings(stream);
    const copy = viaRepository('copy');
    // Every batch repeats one reading of the batch before (re-deliveries): COPY falls back to staging.
    const copyWithDuplicates: Run = (batch, previous) => copy(previous ? [previous, ...batch] : batch, undefined);
    const runs: Record<string, Run> = {
      unnest: viaRepository('unnest'),
      copy,
      'copy, 1 dup/batch': copyWithDuplicates,
      'raw COPY (ceiling)': rawCopy(stream),
    };
    const rates: Record<string, number[]> = {};
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, run] of Object.entries(runs)) (rates[name] ??= []).push(await timed(stream, readings, run));
    }
    for (const [name, xs] of Object.entries(rates)) console.log(`${stream.padEnd(6)} ${name.padEnd(20)} ${Math.round(median(xs)).toLocaleString('en')} readings/s`);
  }
} finally {
  await db.close();
  await admin.query(`DROP DATABASE ${scratch} WITH (FORCE)`);
  await admin.end();
}
