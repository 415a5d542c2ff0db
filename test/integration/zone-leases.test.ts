import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MIGRATIONS } from '../../migrations.js';
import { openDatabase, type Database } from '../../core/db/database.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { createLogger } from '../../core/log.js';
import { LeaseRepository } from '../../inference/lease-repository.js';
import { ZoneLeases } from '../../inference/leases.js';
import { seedEmbedded } from '../support/platform.js';

/**
 * Zone leases of inference workers against the real database (either engine), with the lease
 * repository's calls held open from here so that a worker's own steps overlap as they do on a busy
 * machine: a zone claimed while a renewal is on its way stays the worker's, and a zone given back is
 * no longer judged by the worker once another worker may take it.
 */
let dir: string;
let scratch: Scratch | undefined;
let db: Database;
const running: ZoneLeases[] = [];
const log = createLogger('silent');

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rp-leases-'));
  scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, 'rp_leases') : undefined;
  if (!scratch) await seedEmbedded(dir);
  db = await openDatabase({ url: scratch?.url, dataDir: dir }, log, MIGRATIONS);
  await db.pool.query(`INSERT INTO districts (id, name) VALUES ('d-l', 'Lease district')`);
  await db.pool.query(`INSERT INTO streets (id, district_id, name) VALUES ('s-l', 'd-l', 'Lease street')`);
  await db.pool.query(`INSERT INTO sites (id, street_id, name, kind) VALUES ('site-l', 's-l', 'Lease bank', 'riverbank')`);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((l) => l.stop()));
  await db.pool.query('DELETE FROM inference_leases');
  await db.pool.query('DELETE FROM inference_workers');
  await db.pool.query('DELETE FROM zones');
});
afterAll(async () => {
  await db?.close();
  await scratch?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function addZone(id: string): Promise<void> {
  await db.pool.query(
    `INSERT INTO zones (id, site_id, name, geometry, noise_class, timezone) VALUES ($1, 'site-l', $1, '{}'::jsonb, '2', 'Europe/Berlin')`,
    [id],
  );
}

/** A gate: calls wait on it until it is opened; `reached` resolves when the first call arrives. */
function gate() {
  let open = () => {};
  let arrived = () => {};
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (arrived = r));
  return { opened, reached, open, arrive: () => arrived() };
}

/** The real repository whose `renew` or `release` can be held open by a gate. */
class HeldRepository extends LeaseRepository {
  renewGate?: ReturnType<typeof gate>;
  releaseHook?: (zones: readonly string[]) => void;

  override async renew(worker: string, zones: readonly string[], leaseS: number): Promise<string[]> {
    const g = this.renewGate;
    if (g) {
      g.arrive();
      await g.opened;
    }
    return super.renew(worker, zones, leaseS);
  }

  override async release(worker: string, zones: readonly string[]): Promise<void> {
    this.releaseHook?.(zones);
    return super.release(worker, zones);
  }
}

function worker(repo: LeaseRepository) {
  const lost: string[] = [];
  const acquired: string[] = [];
  const leases = new ZoneLeases(repo, 60, { acquired: (z) => acquired.push(...z), lost: (z) => lost.push(...z) }, log);
  running.push(leases);
  return { leases, lost, acquired };
}

describe('zone leases', () => {
  it('keeps a zone claimed while its leases were being renewed', async () => {
    await addZone('z-old');
    const repo = new HeldRepository(db.pool);
    const w = worker(repo);
    await w.leases.start();
    expect(w.leases.zones).toEqual(['z-old']);

    // A zone seen for the first time; its first reading arrives while the renewal is on its way.
    await addZone('z-new');
    repo.renewGate = gate();
    const tick = w.leases.tick();
    await repo.renewGate.reached;
    expect(await w.leases.claim('z-new'), 'the new zone claimed').toBe(true);
    repo.renewGate.open();
    await tick;

    expect(w.leases.owns('z-new'), 'the claimed zone still held after the renewal').toBe(true);
    expect(w.lost).toEqual([]);
    const held = await db.pool.query<{ zone_id: string; owner: string }>('SELECT zone_id, owner FROM inference_leases ORDER BY zone_id');
    expect(held.rows).toEqual([
      { zone_id: 'z-new', owner: w.leases.worker },
      { zone_id: 'z-old', owner: w.leases.worker },
    ]);
  });

  it('gives up a zone handed to a newly joined worker before its lease is given back', async () => {
    await addZone('z-1');
    await addZone('z-2');
    const repo = new HeldRepository(db.pool);
    const a = worker(repo);
    await a.leases.start();
    expect(a.leases.zones.sort()).toEqual(['z-1', 'z-2']);

    // A second worker joins: on its next tick the first keeps its share (one zone) and gives the other back.
    const b = worker(new LeaseRepository(db.pool));
    await b.leases.start();
    const stillJudged: string[] = [];
    repo.releaseHook = (zones) => stillJudged.push(...zones.filter((z) => a.leases.owns(z)));
    await a.leases.tick();

    expect(a.lost, 'one zone given up').toEqual(['z-2']);
    expect(stillJudged, 'zones still judged here while their lease was given back').toEqual([]);
    await b.leases.tick();
    expect(b.leases.zones).toEqual(['z-2']);
    expect(a.leases.zones).toEqual(['z-1']);
  });

  it('gives back a lease taken while the worker was stopping', async () => {
    const repo = new HeldRepository(db.pool);
    const w = worker(repo);
    await w.leases.start();
    await addZone('z-late');
    // The zone's first reading is being claimed as the worker stops.
    const claimed = w.leases.claim('z-late');
    await w.leases.stop();
    expect(await claimed).toBe(false);
    expect(w.leases.owns('z-late')).toBe(false);
    expect((await db.pool.query('SELECT 1 FROM inference_leases')).rowCount, 'no lease left behind').toBe(0);
  });
});
