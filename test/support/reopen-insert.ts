/**
 * Child-process helper for the persistence test: opens the embedded database in DATA_DIR (a fresh
 * process, as after a restart), inserts readings through the ingest repository and prints where they
 * landed. Run: node --import tsx test/support/reopen-insert.ts <dataDir> <seqStart>
 */
import { openDatabase } from '../../core/db/database.js';
import { MIGRATIONS } from '../../migrations.js';
import { createLogger } from '../../core/log.js';
import { seedDemo } from '../../demo/seed.js';
import { ReadingRepository } from '../../ingest/repository.js';
import { noiseRun } from '../../simulator/scenarios.js';
import { decodeTelemetry } from '../../core/telemetry-decode.js';
import type { Reading } from '../../contract/mqtt/telemetry.js';

const [dataDir, seqArg] = process.argv.slice(2);
const seqStart = Number(seqArg);
const db = await openDatabase({ dataDir: dataDir ?? '' }, createLogger('silent'), MIGRATIONS);
await seedDemo(db.pool, 'reopen-test-pw', 'Asia/Shanghai');
const readings = noiseRun({ deviceId: 'slm-park-1', start: new Date(Date.now() - 3_600_000 + seqStart * 1000), seconds: 10, source: 'background', laeq: 45, seed: seqStart, seqStart })
  .map((m) => decodeTelemetry(m.topic, Buffer.from(m.payload), new Date(), { maxClockSkewS: 300, maxAgeH: 24 }))
  .flatMap((d) => (d.ok ? [d.reading as Reading] : []));
const inserted = await new ReadingRepository(db.pool).insert('noise', readings);
const q = async (sql: string) => (await db.pool.query<{ n: number }>(sql)).rows[0]?.n ?? -1;
const result = {
  timescale: db.timescale,
  inserted,
  total: await q('SELECT count(*)::int AS n FROM noise_readings'),
  inRootTable: await q('SELECT count(*)::int AS n FROM ONLY noise_readings'),
};
await db.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
