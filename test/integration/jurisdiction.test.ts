import { MIGRATIONS } from '../../migrations.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { openDatabase, type Database } from '../../core/db/database.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { createLogger } from '../../core/log.js';
import { seedEmbedded } from '../support/platform.js';
import { ROLES } from '../../contract/http/auth.js';
import type { LiveEvent } from '../../contract/http/live.js';
import {
  alertCondition,
  caseCondition,
  deviceCondition,
  mayReadDevice,
  mayReceive,
  maySeeAlert,
  maySeeCase,
  type CaseReach,
  type TeamReach,
  type Viewer,
} from '../../enforcement-api/domain/jurisdiction.js';

/**
 * The jurisdiction rule is written once as a predicate and once as SQL. For random people, teams,
 * review posts and cases, the SQL run on the real database (the migrated schema, either engine)
 * selects exactly the rows the predicate admits.
 */
const TEAMS = ['t-east', 't-river', 't-district', 't-none'];
const POSTS = ['rp-east', 'rp-river', 'rp-centre'];
const STREETS = ['st-east', 'st-river'];

const viewer = fc.record({
  role: fc.constantFrom(...ROLES),
  teamId: fc.option(fc.constantFrom(...TEAMS), { nil: null }),
  reviewPostId: fc.option(fc.constantFrom(...POSTS), { nil: null }),
}) satisfies fc.Arbitrary<Viewer>;

const reach = fc.record({
  teamId: fc.option(fc.constantFrom(...TEAMS), { nil: null }),
  supportTeamId: fc.option(fc.constantFrom(...TEAMS), { nil: null }),
  inReview: fc.boolean(),
  reviewPostId: fc.option(fc.constantFrom(...POSTS), { nil: null }),
}) satisfies fc.Arbitrary<CaseReach>;

const team = fc.record({ kind: fc.constantFrom('street', 'district'), streetId: fc.option(fc.constantFrom(...STREETS), { nil: null }) });

let dir: string;
let scratch: Scratch | undefined;
let db: Database;
let client: pg.PoolClient;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'rp-jurisdiction-'));
  scratch = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, 'rp_jur') : undefined;
  if (!scratch) await seedEmbedded(dir);
  db = await openDatabase({ url: scratch?.url, dataDir: dir }, createLogger('silent'), MIGRATIONS);
  client = await db.pool.connect();
  // Session-local tables with the real tables' names and columns (no constraints): they come first on
  // the search path, so the production conditions run unchanged against rows the test chooses.
  for (const t of ['cases', 'alerts', 'teams', 'devices', 'zones', 'sites']) {
    await client.query(`CREATE TEMP TABLE ${t} AS SELECT * FROM public.${t} WITH NO DATA`);
  }
});

afterAll(async () => {
  client?.release();
  await db?.close();
  await scratch?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function fillCases(cases: CaseReach[]): Promise<void> {
  await client.query('TRUNCATE cases, alerts');
  for (const [i, c] of cases.entries()) {
    await client.query(
      `INSERT INTO cases (id, incident_id, team_id, review_submitted_at, review_post_id, support_team_id) VALUES ($1, $2, $3, $4, $5, $6)`,
      [`c${i}`, `i${i}`, c.teamId, c.inReview ? new Date() : null, c.reviewPostId, c.supportTeamId ?? null],
    );
  }
}

describe('jurisdiction: the predicate and the SQL agree', () => {
  it('on cases', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(reach, { maxLength: 12 }), fc.array(viewer, { minLength: 1, maxLength: 6 }), async (cases, viewers) => {
        await fillCases(cases);
        for (const v of viewers) {
          const params: unknown[] = [];
          const r = await client.query<{ id: string }>(`SELECT c.id FROM cases c WHERE ${caseCondition(v, params)} ORDER BY c.id`, params);
          const expected = cases.flatMap((c, i) => (maySeeCase(v, c) ? [`c${i}`] : [])).sort();
          expect(r.rows.map((x) => x.id), JSON.stringify(v)).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('on alerts, with or without a case', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(reach, { maxLength: 8 }), fc.array(fc.nat(10), { maxLength: 10 }), fc.array(viewer, { minLength: 1, maxLength: 6 }), async (cases, links, viewers) => {
        await fillCases(cases);
        // Alert k belongs to case links[k] when there is one, otherwise to no case.
        for (const [k, n] of links.entries()) await client.query('INSERT INTO alerts (id, incident_id) VALUES ($1, $2)', [`a${k}`, n < cases.length ? `i${n}` : null]);
        for (const v of viewers) {
          const params: unknown[] = [];
          const r = await client.query<{ id: string }>(
            `SELECT a.id FROM alerts a LEFT JOIN cases c ON c.incident_id = a.incident_id WHERE ${alertCondition(v, params)} ORDER BY a.id`,
            params,
          );
          const expected = links.flatMap((n, k) => (maySeeAlert(v, cases[n] ?? null) ? [`a${k}`] : [])).sort();
          expect(r.rows.map((x) => x.id), JSON.stringify(v)).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("on devices' readings", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(team, { minLength: TEAMS.length, maxLength: TEAMS.length }), fc.array(fc.constantFrom(...STREETS), { maxLength: 6 }), fc.array(viewer, { minLength: 1, maxLength: 6 }), async (teams, deviceStreets, viewers) => {
        await client.query('TRUNCATE teams, devices, zones, sites');
        // The last team id stays unknown: a token naming a team that no longer exists.
        const known = teams.slice(0, TEAMS.length - 1);
        for (const [i, t] of known.entries()) await client.query('INSERT INTO teams (id, kind, street_id) VALUES ($1, $2, $3)', [TEAMS[i], t.kind, t.streetId]);
        for (const [i, s] of deviceStreets.entries()) {
          await client.query('INSERT INTO sites (id, street_id) VALUES ($1, $2)', [`s${i}`, s]);
          await client.query('INSERT INTO zones (id, site_id) VALUES ($1, $2)', [`z${i}`, `s${i}`]);
          await client.query('INSERT INTO devices (id, zone_id) VALUES ($1, $2)', [`d${i}`, `z${i}`]);
        }
        for (const v of viewers) {
          const params: unknown[] = [];
          const r = await client.query<{ id: string }>(
            `SELECT d.id FROM devices d JOIN zones z ON z.id = d.zone_id JOIN sites s ON s.id = z.site_id
             WHERE ${deviceCondition(v, params, 's.street_id')} ORDER BY d.id`,
            params,
          );
          const index = v.teamId === null ? -1 : TEAMS.indexOf(v.teamId);
          const own: TeamReach | null = known[index] ?? null;
          const expected = deviceStreets.flatMap((s, i) => (mayReadDevice(v, own, s) ? [`d${i}`] : [])).sort();
          expect(r.rows.map((x) => x.id), JSON.stringify(v)).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('the live stream reaches whoever may see the case after the change, and a team it was dispatched away from', () => {
    fc.assert(
      fc.property(viewer, reach, fc.option(fc.constantFrom(...TEAMS), { nil: undefined }), (v, after, previousTeamId) => {
        const e: LiveEvent = { type: 'case.updated', teamId: after.teamId, supportTeamId: after.supportTeamId, caseId: 'c', reason: 'x', review: after.inReview, reviewPostId: after.reviewPostId, ...(previousTeamId ? { previousTeamId } : {}) };
        const hadIt = previousTeamId !== undefined && maySeeCase(v, { teamId: previousTeamId, inReview: false, reviewPostId: null });
        expect(mayReceive(v, e)).toBe(maySeeCase(v, after) || hadIt);
      }),
    );
  });

  it('a person outside the rule sees nothing, and the operations centre everything (the property can fail)', async () => {
    await fillCases([{ teamId: 't-east', inReview: true, reviewPostId: 'rp-east' }, { teamId: null, inReview: false, reviewPostId: null }]);
    const ids = async (v: Viewer) => {
      const params: unknown[] = [];
      return (await client.query<{ id: string }>(`SELECT id FROM cases c WHERE ${caseCondition(v, params)} ORDER BY id`, params)).rows.map((r) => r.id);
    };
    expect(await ids({ role: 'officer', teamId: 't-river' })).toEqual([]);
    expect(await ids({ role: 'officer', teamId: 't-east' })).toEqual(['c0']);
    expect(await ids({ role: 'reviewer', teamId: null, reviewPostId: 'rp-east' })).toEqual(['c0']);
    expect(await ids({ role: 'reviewer', teamId: null, reviewPostId: 'rp-river' })).toEqual([]);
    expect(await ids({ role: 'operator', teamId: null })).toEqual(['c0', 'c1']);
    // A safety incident worked by the street team with emergency management: both see it, no one else.
    await fillCases([{ teamId: 't-river', supportTeamId: 't-district', inReview: false, reviewPostId: null }]);
    expect(await ids({ role: 'officer', teamId: 't-district' })).toEqual(['c0']);
    expect(await ids({ role: 'team_lead', teamId: 't-river' })).toEqual(['c0']);
    expect(await ids({ role: 'officer', teamId: 't-east' })).toEqual([]);
  });
});
