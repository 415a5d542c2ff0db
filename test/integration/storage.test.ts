import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW_TABLES } from '../../ingest/maintenance.js';
import { count, startTestPlatform, type TestPlatform } from '../support/platform.js';

/** Compression and retention act on old data, with TimescaleDB policies or with partitions. */
let t: TestPlatform;
const DAY = 86_400_000;
const bands = `'{${Array(31).fill(30).join(',')}}'`;

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'maintenance,api', RAW_RETENTION_D: '90', COMPRESS_AFTER_D: '7' });
});
afterAll(async () => {
  await t?.stop();
});

async function insertNoise(deviceId: string, at: number, seq: number) {
  await t.platform.db.pool.query(
    `INSERT INTO noise_readings (ts, device_id, seq, laeq, lamax, interval_s, bands) VALUES ($1, $2, $3, 50, 55, 1, ${bands}) ON CONFLICT DO NOTHING`,
    [new Date(at), deviceId, seq],
  );
}

describe('storage lifecycle', () => {
  it('compresses old chunks and drops expired ones through the TimescaleDB jobs', async (ctx) => {
    if (!t.platform.db.timescale) ctx.skip(); // this engine takes the partition path below
    const pool = t.platform.db.pool;
    const jobs = await pool.query<{ proc: string; table: string; config: Record<string, string> }>(
      `SELECT proc_name AS proc, hypertable_name AS table, config FROM timescaledb_information.jobs WHERE job_id >= 1000`,
    );
    const of = (proc: string, table: string) => jobs.rows.find((j) => j.proc === proc && j.table === table);
    expect(of('policy_retention', 'noise_readings')?.config.drop_after).toBe('90 days');
    expect(of('policy_compression', 'noise_readings')?.config.compress_after).toBe('7 days');
    expect(of('policy_refresh_continuous_aggregate', 'noise_1m')).toBeDefined();

    const now = Date.now();
    await insertNoise('slm-park-1', now - 10 * DAY, 1); // to be compressed
    await insertNoise('slm-park-1', now - 120 * DAY, 2); // to be dropped
    await insertNoise('slm-park-1', now - 60_000, 3); // stays as it is
    expect(await t.platform.maintenance!.runDueJobs(now)).toBeGreaterThanOrEqual(jobs.rowCount ?? 0);
    expect(await t.platform.maintenance!.runDueJobs(now + 1000)).toBe(0); // nothing due a second later

    const compressed = await pool.query(`SELECT 1 FROM timescaledb_information.chunks WHERE hypertable_name = 'noise_readings' AND is_compressed`);
    expect(compressed.rowCount).toBe(1);
    expect((await pool.query('SELECT seq FROM noise_readings ORDER BY ts')).rows.map((r) => Number(r.seq))).toEqual([1, 3]);
    // A re-delivered reading that falls in a compressed chunk is still recognised as a duplicate.
    await insertNoise('slm-park-1', now - 10 * DAY, 1);
    expect(await count(t, 'SELECT 1 FROM noise_readings')).toBe(2);
  });

  it('drops whole partitions past retention on plain PostgreSQL', async (ctx) => {
    if (t.platform.db.timescale) ctx.skip(); // this engine takes the TimescaleDB path above
    const now = Date.now();
    const m = t.platform.maintenance!;
    await m.ensurePartitions(now - 100 * DAY); // partitions of an old day (as if made then)
    await insertNoise('slm-park-1', now - 100 * DAY, 1); // in an old daily partition
    await insertNoise('slm-park-1', now - 200 * DAY, 2); // in the default partition
    await insertNoise('slm-park-1', now - 60_000, 3);
    const oldPartition = `noise_readings_p${new Date(now - 100 * DAY).toISOString().slice(0, 10).replaceAll('-', '')}`;
    expect(await count(t, 'SELECT 1 FROM pg_class WHERE relname = $1', [oldPartition])).toBe(1);
    await m.applyRetention(now);
    expect(await count(t, 'SELECT 1 FROM pg_class WHERE relname = $1', [oldPartition])).toBe(0);
    expect((await t.platform.db.pool.query('SELECT seq FROM noise_readings')).rows.map((r) => Number(r.seq))).toEqual([3]);
  });

  it('keeps one index per device on every time-series table: unique (device_id, ts, seq)', async () => {
    const pool = t.platform.db.pool;
    for (const table of RAW_TABLES) {
      const r = await pool.query<{ def: string; unique: boolean }>(
        `SELECT pg_get_indexdef(indexrelid) AS def, indisunique AS unique FROM pg_index WHERE indrelid = $1::regclass`,
        [table],
      );
      // TimescaleDB adds its own index on ts alone; nothing else may lead with the device.
      const byDevice = r.rows.filter((i) => /\(device_id\b/.test(i.def));
      expect(byDevice, table).toHaveLength(1);
      expect(byDevice[0]?.unique, table).toBe(true);
      expect(byDevice[0]?.def, table).toMatch(/\(device_id, ts, seq\)$/);
    }
    // The readings query of one device over time walks that index, and a re-delivery is still refused.
    const now = Date.now();
    for (let seq = 10; seq < 13; seq++) await insertNoise('slm-park-2', now - (13 - seq) * 1000, seq);
    await insertNoise('slm-park-2', now - 3000, 10);
    // A table this small would be scanned whole; with that ruled out the index must give the order.
    const client = await pool.connect();
    try {
      await client.query('SET enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT ts, seq FROM noise_readings WHERE device_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts LIMIT 100`,
        ['slm-park-2', new Date(now - 60_000), new Date(now + 1)],
      );
      const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index (Only )?Scan/);
      expect(text).not.toMatch(/Sort/);
    } finally {
      await client.query('RESET enable_seqscan').catch(() => undefined);
      client.release();
    }
    expect(await count(t, `SELECT 1 FROM noise_readings WHERE device_id = 'slm-park-2'`)).toBe(3);
  });
});
