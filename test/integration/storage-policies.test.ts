import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { openDatabase, type Database } from '../../core/db/database.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { MaintenanceService, RAW_TABLES, type MaintenanceOptions } from '../../ingest/maintenance.js';
import { MIGRATIONS } from '../../migrations.js';

/**
 * Every start reconciles TimescaleDB's compression and retention policies with the configuration:
 * unchanged settings leave the jobs as they are (same ids, run history kept), a changed setting alters
 * its job in place, and compression orders rows by (ts, seq) as the unique key does.
 */
const log = createLogger('silent');
let db: Database;
let dataDir: string;
let scratch: Scratch | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-policies-'));
  scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, 'rp_policies') : undefined;
  db = await openDatabase({ url: scratch?.url, dataDir }, log, MIGRATIONS);
});
afterAll(async () => {
  await db?.close();
  await scratch?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const OPTS: MaintenanceOptions = { compressAfterDays: 7, rawRetentionDays: 90, aggregateRetentionDays: 730, intervalS: 3600 };

async function start(opts: MaintenanceOptions): Promise<void> {
  const m = new MaintenanceService(db, opts, log);
  await m.start();
  await m.stop();
}

interface Job {
  id: number;
  proc: string;
  relation: string;
  config: Record<string, unknown>;
  schedule: string;
}

async function jobs(): Promise<Job[]> {
  const r = await db.pool.query<Job>(
    `SELECT job_id AS id, proc_name AS proc, hypertable_name AS relation, config, schedule_interval::text AS schedule
     FROM timescaledb_information.jobs WHERE job_id >= 1000 ORDER BY job_id`,
  );
  return r.rows;
}

describe('TimescaleDB policies across starts', () => {
  it('keeps every job (id, settings, schedule) when a start finds nothing to change', async (ctx) => {
    if (!db.timescale) ctx.skip(); // native partitions: no jobs
    await start(OPTS);
    const first = await jobs();
    expect(first).toHaveLength(3 + RAW_TABLES.length * 2 + 3);
    // The job ids are what the scheduler's run history (job_stats, job_history) is kept under.
    await start(OPTS);
    expect(await jobs()).toEqual(first);
  });

  it('alters only the job whose setting changed, in place', async (ctx) => {
    if (!db.timescale) ctx.skip();
    const before = await jobs();
    await start({ ...OPTS, rawRetentionDays: 120 });
    const after = await jobs();
    expect(after.map((j) => j.id)).toEqual(before.map((j) => j.id));
    const changed = after.filter((j, i) => JSON.stringify(j) !== JSON.stringify(before[i]));
    expect(changed.map((j) => `${j.proc}:${j.relation}`).sort()).toEqual(RAW_TABLES.map((t) => `policy_retention:${t}`).sort());
    for (const j of changed) expect(j.config.drop_after).toBe('120 days');
    // Back to the first setting: the same jobs again.
    await start(OPTS);
    expect((await jobs()).map((j) => j.config)).toEqual(before.map((j) => j.config));
  });

  it('compresses each device segment ordered by ts and seq', async (ctx) => {
    if (!db.timescale) ctx.skip();
    const r = await db.pool.query<{ table: string; segmentby: string; orderby: string }>(
      `SELECT hypertable::text AS table, segmentby, orderby FROM timescaledb_information.hypertable_compression_settings WHERE hypertable::text = ANY($1)`,
      [RAW_TABLES],
    );
    expect(r.rows).toHaveLength(RAW_TABLES.length);
    for (const row of r.rows) {
      expect(row.segmentby, row.table).toBe('device_id');
      expect(row.orderby.replace(/\s/g, ''), row.table).toBe('tsDESC,seqDESC');
    }
  });

  it('brings a table compressed before seq joined the order in line', async (ctx) => {
    if (!db.timescale) ctx.skip();
    await db.pool.query(`ALTER TABLE people_counts SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id', timescaledb.compress_orderby = 'ts DESC')`);
    const ids = (await jobs()).map((j) => j.id);
    await start(OPTS);
    const r = await db.pool.query<{ orderby: string }>(`SELECT orderby FROM timescaledb_information.hypertable_compression_settings WHERE hypertable::text = 'people_counts'`);
    expect(r.rows[0]?.orderby.replace(/\s/g, '')).toBe('tsDESC,seqDESC');
    expect((await jobs()).map((j) => j.id)).toEqual(ids);
  });
});
