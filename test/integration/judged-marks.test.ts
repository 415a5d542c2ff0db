import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/log.js';
import { openDatabase, type Database } from '../../core/db/database.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { MIGRATIONS } from '../../migrations.js';
import { LeaseRepository } from '../../inference/lease-repository.js';
import { seedEmbedded } from '../support/platform.js';

/**
 * What a worker taking a zone over reads besides the stored readings (migration 24): how far each
 * device's streams were judged, and the commands stored in the last moments and never acknowledged.
 */
const log = createLogger('silent');
let db: Database;
let dataDir: string;
let scratch: Scratch | undefined;
let repo: LeaseRepository;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-judged-'));
  scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, 'rp_judged') : undefined;
  if (!scratch) await seedEmbedded(dataDir);
  db = await openDatabase({ url: scratch?.url, dataDir }, log, MIGRATIONS);
  repo = new LeaseRepository(db.pool);
  await db.pool.query(`INSERT INTO districts (id, name) VALUES ('d-j', 'D') ON CONFLICT DO NOTHING`);
  await db.pool.query(`INSERT INTO streets (id, district_id, name) VALUES ('st-j', 'd-j', 'S') ON CONFLICT DO NOTHING`);
  await db.pool.query(`INSERT INTO sites (id, street_id, name, kind) VALUES ('s-j', 'st-j', 'Site', 'riverbank') ON CONFLICT DO NOTHING`);
  await db.pool.query(`INSERT INTO zones (id, site_id, name, geometry, noise_class, timezone) VALUES ('z-a', 's-j', 'A', '{}', '2', 'Asia/Shanghai'), ('z-b', 's-j', 'B', '{}', '2', 'Asia/Shanghai')`);
  await db.pool.query(`INSERT INTO devices (id, zone_id, kind, secret_hash) VALUES ('cam-1', 'z-a', 'camera', 'x'), ('cam-2', 'z-a', 'camera', 'x'), ('cam-3', 'z-b', 'camera', 'x')`);
}, 60_000);
afterAll(async () => {
  await db?.close();
  await scratch?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('judged marks and unacknowledged commands', () => {
  it('keeps the newest judged time per device and stream, per zone, never moving back, and prunes old rows', async () => {
    const t = (s: number) => new Date(Date.UTC(2026, 6, 1, 2, 0, s));
    await repo.markJudged('w1', [
      { zoneId: 'z-a', deviceId: 'cam-1', stream: 'tracks', judgedTo: t(30) },
      { zoneId: 'z-a', deviceId: 'cam-2', stream: 'tracks', judgedTo: t(10) },
      { zoneId: 'z-b', deviceId: 'cam-3', stream: 'tracks', judgedTo: t(5) },
    ]);
    await repo.markJudged('w2', [{ zoneId: 'z-a', deviceId: 'cam-1', stream: 'tracks', judgedTo: t(20) }, { zoneId: 'z-a', deviceId: 'cam-2', stream: 'tracks', judgedTo: t(40) }]);
    expect(await repo.judged('z-a')).toEqual(new Map([['cam-1|tracks', t(30).getTime()], ['cam-2|tracks', t(40).getTime()]]));
    expect([...(await repo.judged('z-b')).keys()]).toEqual(['cam-3|tracks']);
    await db.pool.query(`UPDATE inference_judged SET updated_at = now() - interval '3 hours' WHERE device_id = 'cam-3'`);
    expect(await repo.pruneJudged(3600)).toBe(1);
    expect((await repo.judged('z-b')).size).toBe(0);
  });

  it('lists the zone’s recent unacknowledged commands only', async () => {
    const insert = (id: string, device: string, stored: string, acked: boolean) =>
      db.pool.query(
        `INSERT INTO device_commands (id, device_id, name, payload, stage, sent_at, stored_at, acked_at) VALUES ($1, $2, 'speaker.play', $3, 'warning', now(), now() - $4::interval, $5)`,
        [id, device, JSON.stringify({ commandId: id }), stored, acked ? new Date() : null],
      );
    await insert('c-fresh', 'cam-1', '2 seconds', false);
    await insert('c-acked', 'cam-1', '2 seconds', true);
    await insert('c-old', 'cam-2', '10 minutes', false);
    await insert('c-other', 'cam-3', '2 seconds', false);
    expect(await repo.unackedCommands('z-a', 17)).toEqual([{ id: 'c-fresh', deviceId: 'cam-1', name: 'speaker.play', payload: { commandId: 'c-fresh' } }]);
  });

  it('tells a worker taking a zone over how far the store has got: counts up to each cutoff and within each passed-over span', async () => {
    const base = Date.now() - 600_000;
    const at = (s: number) => new Date(base + s * 1000);
    const store = (device: string, seconds: number[]) =>
      db.pool.query(
        `INSERT INTO track_observations (device_id, ts, seq, track_id, dwell_s, waterline_m, rod_score, speed_mps)
         SELECT $1, to_timestamp(($2::float8 + s) / 1000.0), s, 't', 1, 1, 0.5, 0 FROM unnest($3::int[]) AS s`,
        [device, base, seconds.map((x) => x * 1000)],
      );
    await store('cam-1', [0, 10, 20, 30]);
    await store('cam-2', [5]);
    await store('cam-3', [0]); // another zone
    const since = await repo.replayedSince(3600);
    const spans = [{ deviceId: 'cam-1', stream: 'tracks' as const, from: at(15), to: at(50), n: 4 }];
    let p = await repo.storedProgress('z-a', since, new Map([['cam-1|tracks', at(20)]]), spans);
    expect([...p.keys()].sort()).toEqual(['cam-1|tracks', 'cam-2|tracks']);
    expect(p.get('cam-1|tracks')).toEqual({ newest: at(30), newestSeq: 30_000, settled: 3, spanned: 2 });
    expect(p.get('cam-2|tracks')).toMatchObject({ settled: 1, spanned: 0 });
    // The rest of the span arrives (a backlog): the span is complete; the count up to the cutoff moves
    // only for a reading older than it (a hole filled), not for a newer one.
    await store('cam-1', [40, 50]);
    p = await repo.storedProgress('z-a', since, new Map([['cam-1|tracks', at(20)]]), spans);
    expect(p.get('cam-1|tracks')).toEqual({ newest: at(50), newestSeq: 50_000, settled: 3, spanned: 4 });
    await store('cam-1', [15]);
    p = await repo.storedProgress('z-a', since, new Map([['cam-1|tracks', at(20)]]), spans);
    expect(p.get('cam-1|tracks')).toMatchObject({ settled: 4, spanned: 5 });
  });
});
