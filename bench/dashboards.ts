import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../core/db/database.js';
import { seedDemo } from '../demo/seed.js';
import { createLogger } from '../core/log.js';
import { MIGRATIONS } from '../migrations.js';
import { scratchDatabase } from './lib/db.js';

/**
 * bench:dashboards — what the noise exceedance panels pay for the limit in force over a week of
 * minutes for every zone of the demo district: `dashboards.noise_limit` once a minute (the reference)
 * against one `dashboards.noise_limit_segments` call joined to the same minutes. The embedded engine
 * by default, a scratch database on the server with DATABASE_URL.
 */
const DAYS = Number(process.env.BENCH_DAYS ?? 7);
const log = createLogger('warn');
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-bench-dash-'));
const scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, 'rp_bench_dash') : undefined;
const db = await openDatabase({ url: scratch?.url, dataDir }, log, MIGRATIONS);
try {
  await seedDemo(db.pool, 'bench-password-1', 'Asia/Shanghai');
  const minutes = `SELECT z.id AS zone_id, t AS bucket FROM zones z,
    generate_series(now() - make_interval(days => ${DAYS}), now(), interval '1 minute') t`;
  const time = async (sql: string) => {
    const t0 = performance.now();
    const r = await db.pool.query<{ n: number; total: number }>(sql);
    return { ms: performance.now() - t0, ...r.rows[0]! };
  };
  const perMinute = await time(`SELECT count(*)::int AS n, sum(dashboards.noise_limit(zone_id, bucket))::float8 AS total FROM (${minutes}) m`);
  const segments = await time(`SELECT count(*)::int AS n, sum(s.limit_laeq)::float8 AS total FROM (${minutes}) m
    JOIN dashboards.noise_limit_segments(now() - make_interval(days => ${DAYS}), now()) s
      ON s.zone_id = m.zone_id AND m.bucket >= s.starts AND m.bucket < s.ends`);
  if (perMinute.n !== segments.n || perMinute.total !== segments.total) throw new Error(`the two disagree: ${JSON.stringify({ perMinute, segments })}`);
  console.log(`engine: ${db.engine}${db.timescale ? ' (TimescaleDB)' : ''}; ${perMinute.n} zone-minutes (${DAYS} days)`);
  console.log(`reference, noise_limit per minute: ${perMinute.ms.toFixed(0)} ms`);
  console.log(`noise_limit_segments joined:       ${segments.ms.toFixed(0)} ms (${(perMinute.ms / segments.ms).toFixed(1)}x)`);
} finally {
  await db.close();
  await scratch?.drop();
  await rm(dataDir, { recursive: true, force: true });
}
