import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, decideNoiseCase, openCase, PARTY_ID } from '../support/cases.js';

/**
 * GET /api/v1/figures over cases taken through the real intake and transitions. The only thing set
 * by SQL is the discovery time (the alerts' detected_at), moved into the past by a known number of
 * minutes before disposal, and one case's SLA due time: a test cannot wait an hour.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;
const sql = (text: string, params: unknown[] = []) => t.platform.db.pool.query(text, params);

async function ok(user: string, caseId: string, body: Record<string, unknown>) {
  const r = await api(t, as(user), 'POST', `/api/v1/cases/${caseId}/transitions`, body);
  expect(r.status, `${user} ${String(body.event)}: ${JSON.stringify(r.body)}`).toBe(200);
}
const ARRIVE = { event: 'arrive', location: { lat: 32.0405, lon: 118.7805 } };

/** Discovered `minutes` before the case was disposed of (resolved, decided or dismissed). */
const discoveredBefore = (caseId: string, minutes: number) =>
  sql(
    `UPDATE alerts a SET detected_at = coalesce(c.disposed_at, c.closed_at) - make_interval(mins => $2) FROM cases c
     WHERE c.incident_id = a.incident_id AND c.id = $1`,
    [caseId, minutes],
  );

async function noiseResolved(minutes: number): Promise<string> {
  const id = await openCase(t, 'noise');
  await ok('east.li', id, { event: 'accept' });
  await ok('east.li', id, { ...ARRIVE, secondOfficerId: 'u-east-lead' });
  expect((await confirmPresence(t, as('east.lead'), id)).status).toBe(201);
  await ok('east.li', id, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'speaker turned down after a warning', partyId: PARTY_ID });
  await discoveredBefore(id, minutes);
  return id;
}

let decisions = 0;
async function noiseDecided(minutes: number, tier: string, fineYuan: number): Promise<string> {
  const id = await openCase(t, 'noise');
  await decideNoiseCase(t, ok, as('east.li'), id, { tier, fineYuan, decisionNo: `东执罚决字〔2026〕第${++decisions}号` });
  await discoveredBefore(id, minutes);
  return id;
}

beforeAll(async () => {
  // Before the platform: noise disposed of in a median 50 minutes, fishing in 30 (the −40 % target: 30 and 18).
  t = await startTestPlatform({ SERVICES: 'api', DISPOSAL_BASELINE_MIN: 'noise=50,fishing=30' });
  for (const u of ['admin', 'ops', 'east.lead', 'east.li', 'east.review', 'fish.liu', 'fish.sun', 'review']) tokens[u] = await login(t, u);

  // East Lake team, noise: two resolved on site, four decided (three in the normal tier, one mitigated).
  const n1 = await noiseResolved(10);
  await ok('east.li', n1, { event: 'close' });
  const n2 = await noiseResolved(20);
  // Disposed after its 60-minute SLA: the one late case.
  await sql(`UPDATE cases SET sla_due_at = disposed_at - interval '1 minute' WHERE id = $1`, [n2]);
  await noiseDecided(30, 'normal', 500);
  await noiseDecided(40, 'normal', 600);
  await noiseDecided(100, 'normal', 700);
  await noiseDecided(50, 'mitigated', 300);
  // East Lake, crowding: a false alarm dismissed 5 minutes after discovery.
  const c1 = await openCase(t, 'crowding');
  await ok('east.li', c1, { event: 'dismiss', reason: 'a school group with teachers, not a crowd at the water', falseAlarm: true });
  await discoveredBefore(c1, 5);
  // District fisheries team: one resolved on site 15 minutes after discovery, one accepted and open.
  const f1 = await openCase(t, 'fishing', 'z-riverbank');
  await ok('fish.liu', f1, { event: 'accept' });
  await ok('fish.liu', f1, { ...ARRIVE, secondOfficerId: 'u-fish-sun' });
  expect((await confirmPresence(t, as('fish.sun'), f1)).status).toBe(201);
  await ok('fish.liu', f1, { event: 'resolve_on_site', outcome: 'corrected', summary: 'angler left after the warning', partyId: PARTY_ID, correction: 'rod packed up, left the ban zone' });
  await discoveredBefore(f1, 15);
  await ok('fish.liu', await openCase(t, 'fishing', 'z-riverbank'), { event: 'accept' });
  // East Lake, noise: one still waiting to be accepted.
  await openCase(t, 'noise');
});
afterAll(async () => {
  await t?.stop();
});

interface Figures {
  filter: Record<string, string | null>;
  disposal: { kind: string; teamId: string | null; disposed: number; falseAlarms: number; medianS: number; p90S: number; withDeadline: number; onTime: number; onTimeRate: number | null }[];
  baseline: { kind: string; baselineMedianS: number; targetMedianS: number; measuredMedianS: number | null; disposed: number; reductionPct: number | null; meetsTarget: boolean | null }[];
  falseAlarms: number;
  onTime: { withDeadline: number; onTime: number; rate: number | null };
  discretion: { matterCode: string; partyKind: string; tier: string; count: number; minFineYuan: number; maxFineYuan: number; medianFineYuan: number; meanFineYuan: number; cv: number; outsideBenchmark: number }[];
  openByState: { state: string; count: number }[];
}
const figures = (user: string, query = '') => api<Figures>(t, as(user), 'GET', `/api/v1/figures${query}`);

describe('GET /api/v1/figures', () => {
  it('gives discovery-to-disposal median and p90 per kind and team, the on-time rate, discretion spread and open cases', async () => {
    const r = await figures('ops');
    expect(r.status).toBe(200);
    const f = r.body;
    // Noise at East Lake: 10, 20, 30, 40, 50, 100 minutes → median 35 min, p90 50 + 0.5·50 = 75 min.
    // The crowding false alarm, dismissed 5 minutes after discovery, is no disposal: it would pull the median down.
    expect(f.disposal).toHaveLength(2);
    expect(f.disposal[0]).toEqual({ kind: 'fishing', teamId: 't-fisheries', disposed: 1, falseAlarms: 0, medianS: 900, p90S: 900, withDeadline: 1, onTime: 1, onTimeRate: 1 });
    const noise = f.disposal[1]!;
    expect(noise).toMatchObject({ kind: 'noise', teamId: 't-east', disposed: 6, falseAlarms: 0, withDeadline: 6, onTime: 5 });
    expect(noise.medianS).toBeCloseTo(2100, 6);
    expect(noise.p90S).toBeCloseTo(4500, 6);
    expect(noise.onTimeRate).toBeCloseTo(5 / 6, 12);
    expect(f.falseAlarms).toBe(1);
    expect(f.onTime.withDeadline).toBe(7);
    expect(f.onTime.onTime).toBe(6);
    expect(f.onTime.rate).toBeCloseTo(6 / 7, 12);
    // The baseline beside the measured median: fishing 15 min against 30 (−50 %, target met), noise 35 against 50 (−30 %, not yet).
    expect(f.baseline).toEqual([
      { kind: 'fishing', baselineMedianS: 1800, targetMedianS: 1080, measuredMedianS: 900, disposed: 1, reductionPct: 50, meetsTarget: true },
      { kind: 'noise', baselineMedianS: 3000, targetMedianS: 1800, measuredMedianS: expect.closeTo(2100, 6), disposed: 6, reductionPct: expect.closeTo(30, 6), meetsTarget: false },
    ]);

    // Fines within matter × party kind × tier: 500, 600, 700 → CV = sqrt(20000/3) / 600.
    expect(f.discretion).toHaveLength(2);
    expect(f.discretion[0]).toEqual({ matterCode: 'NOISE-AMPLIFIED', partyKind: 'individual', tier: 'mitigated', count: 1, minFineYuan: 300, maxFineYuan: 300, medianFineYuan: 300, meanFineYuan: 300, cv: 0, outsideBenchmark: 0 });
    expect(f.discretion[1]).toMatchObject({ matterCode: 'NOISE-AMPLIFIED', partyKind: 'individual', tier: 'normal', count: 3, minFineYuan: 500, maxFineYuan: 700, medianFineYuan: 600, outsideBenchmark: 0 });
    expect(f.discretion[1]!.meanFineYuan).toBeCloseTo(600, 9);
    expect(f.discretion[1]!.cv).toBeCloseTo(Math.sqrt(20000 / 3) / 600, 9);

    expect(f.openByState).toEqual([
      { state: 'dispatched', count: 1 },
      { state: 'accepted', count: 1 },
      { state: 'resolved_on_site', count: 2 },
      { state: 'decided', count: 4 },
    ]);
  });

  it("filters by kind, team and period, and keeps a team lead to their own team's figures", async () => {
    const fishing = (await figures('admin', '?kind=fishing')).body;
    expect(fishing.disposal.map((d) => [d.kind, d.teamId])).toEqual([['fishing', 't-fisheries']]);
    expect(fishing.discretion).toEqual([]);
    expect(fishing.openByState).toEqual([{ state: 'accepted', count: 1 }, { state: 'resolved_on_site', count: 1 }]);
    expect((await figures('admin', '?teamId=t-fisheries')).body.onTime).toEqual({ withDeadline: 1, onTime: 1, rate: 1 });
    const future = (await figures('admin', `?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).body;
    expect(future.disposal).toEqual([]);
    expect(future.onTime).toEqual({ withDeadline: 0, onTime: 0, rate: null });
    const past = (await figures('admin', `?from=2000-01-01T00:00:00Z&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body;
    expect(past.disposal).toHaveLength(2);

    const lead = await figures('east.lead');
    expect(lead.status).toBe(200);
    expect(lead.body.filter.teamId).toBe('t-east');
    expect(lead.body.disposal.map((d) => [d.kind, d.teamId])).toEqual([['noise', 't-east']]);
    expect(lead.body.falseAlarms).toBe(1);
    expect(lead.body.onTime).toEqual({ withDeadline: 6, onTime: 5, rate: 5 / 6 });
    expect(lead.body.openByState).toEqual([{ state: 'dispatched', count: 1 }, { state: 'resolved_on_site', count: 1 }, { state: 'decided', count: 4 }]);
    expect((await figures('east.lead', '?teamId=t-east')).status).toBe(200);
    expect(await figures('east.lead', '?teamId=t-fisheries')).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });

    for (const user of ['east.li', 'fish.liu', 'review', 'east.review']) expect((await figures(user)).status, user).toBe(403);
    expect((await api(t, null, 'GET', '/api/v1/figures')).status).toBe(401);
    expect(await figures('admin', '?from=yesterday')).toMatchObject({ status: 400, body: { code: 'VALIDATION' } });
    expect(await figures('admin', "?kind=noise';DROP TABLE cases;--")).toMatchObject({ status: 400, body: { code: 'VALIDATION' } });
    expect(await figures('admin', '?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z')).toMatchObject({ status: 400, body: { code: 'VALIDATION' } });
  });

  it('is in the OpenAPI document with its query and response schemas', async () => {
    const doc = await api<{ paths: Record<string, { get?: { parameters?: { name: string }[]; responses: Record<string, unknown> } }> }>(t, null, 'GET', '/docs/json');
    const op = doc.body.paths['/api/v1/figures']?.get;
    expect(op?.parameters?.map((p) => p.name).sort()).toEqual(['from', 'kind', 'teamId', 'to']);
    expect(Object.keys(op?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});
