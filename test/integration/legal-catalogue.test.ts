import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { noiseProposal, readyToPropose, SITE } from '../support/cases.js';

/**
 * The legal catalogue as data with history (issue 13): the admin API for matters, statutory bounds,
 * discretion benchmarks, certificates, review posts and reviewers; every change on the change log;
 * tiers checked against the law when edited; a case judged by the versions in force on the day of the act.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;

interface Reply {
  code?: string;
  message?: string;
  id?: number;
  entity?: string;
  before?: unknown;
  after?: unknown;
  changedBy?: string;
  effectiveFrom?: string;
  event?: { data: Record<string, unknown> };
}
const put = (user: string, url: string, body: unknown) => api<Reply>(t, as(user), 'PUT', url, body);
const fire = (user: string, caseId: string, body: Record<string, unknown>) => api<Reply>(t, as(user), 'POST', `/api/v1/cases/${caseId}/transitions`, body);
async function ok(user: string, caseId: string, body: Record<string, unknown>) {
  const r = await fire(user, caseId, body);
  expect(r.status, `${user} ${String(body.event)}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

/** A noise case whose act (first alert) was at `at`, on site, filed, with reviewed evidence. */
async function noiseActAt(at: string): Promise<string> {
  const r = await t.platform.cases.intake({ id: randomBytes(16).toString('hex'), kind: 'noise', zoneId: 'z-park-square', startedAt: at, detectedAt: at, summary: 'noise', evidence: { laeq: 70 } }, 0);
  if (r.outcome !== 'opened') throw new Error(r.outcome);
  const id = r.case.id;
  await ok('east.li', id, { event: 'accept' });
  await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
  await readyToPropose(t, as, id);
  return id;
}

const NOISE_TIERS = (lo: number) => [
  { partyKind: 'individual', tier: 'no_penalty', minFineYuan: 0, maxFineYuan: 0, measures: [], facts: 'first, corrected', legalBasis: 'art. 82' },
  { partyKind: 'individual', tier: 'mitigated', minFineYuan: lo, maxFineYuan: lo + 200, measures: ['warning', 'fine'], facts: 'corrected before the decision', legalBasis: 'art. 82' },
  { partyKind: 'individual', tier: 'normal', minFineYuan: lo + 200, maxFineYuan: lo + 1000, measures: ['warning', 'fine'], facts: 'refused to correct', legalBasis: 'art. 82' },
  { partyKind: 'individual', tier: 'aggravated', minFineYuan: lo + 1000, maxFineYuan: lo + 2000, measures: ['warning', 'fine'], facts: 'at night, repeatedly', legalBasis: 'art. 82' },
];

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'ops', 'head', 'review', 'east.review', 'east.li', 'east.wang', 'east.lead']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

describe('the legal catalogue API', () => {
  it('shows every matter with its bounds and benchmark in force, to anyone signed in', async () => {
    const r = await api<{ code: string; statutoryBounds: { partyKind: string; minFineYuan: number; maxFineYuan: number; mandatoryMeasures: string[] }[]; benchmark: unknown[] }[]>(t, as('east.li'), 'GET', '/api/v1/catalogue/matters');
    expect(r.status).toBe(200);
    const fishing = r.body.find((m) => m.code === 'FISHING-BAN')!;
    expect(fishing.statutoryBounds.map((b) => [b.partyKind, b.minFineYuan, b.maxFineYuan, b.mandatoryMeasures])).toEqual([
      ['individual', 10000, 500000, ['confiscation']], ['unit', 10000, 500000, ['confiscation']],
    ]);
    expect(r.body.find((m) => m.code === 'CROWDING')).toMatchObject({ statutoryBounds: [], benchmark: [], decisionEvidence: [] });
    // A noise penalty rests on a sound level.
    expect(r.body.find((m) => m.code === 'NOISE-AMPLIFIED')).toMatchObject({ decisionEvidence: ['measurement', 'audio'] });
  });

  it('lets only admins change it, and records who, when, before and after', async () => {
    const matter = { name: 'Unlicensed street vending', alertKind: null, legalBasis: 'City Appearance Regulations art. 17', handlingLevel: 'street', department: 'street integrated team', domain: 'city_management', slaMinutes: 120, acceptSlaMinutes: 30, penalty: true, reason: 'new delegated power' };
    expect((await put('ops', '/api/v1/catalogue/matters/VENDING', matter)).status).toBe(403);
    expect((await put('east.li', '/api/v1/catalogue/matters/VENDING', matter)).status).toBe(403);
    const created = await put('admin', '/api/v1/catalogue/matters/VENDING', matter);
    expect(created).toMatchObject({ status: 200, body: { entity: 'matter', before: null, after: { code: 'VENDING', alertKind: null }, changedBy: 'u-admin' } });
    const changed = await put('admin', '/api/v1/catalogue/matters/VENDING', { ...matter, slaMinutes: 90, reason: 'faster' });
    expect(changed.body).toMatchObject({ before: { slaMinutes: 120, decisionEvidence: [] }, after: { slaMinutes: 90 } });
    // The evidence a penalty rests on: set, then kept by a change that does not name it; only known kinds.
    const photos = await put('admin', '/api/v1/catalogue/matters/VENDING', { ...matter, decisionEvidence: ['photo', 'video'], reason: 'the stall on record' });
    expect(photos.body).toMatchObject({ before: { decisionEvidence: [] }, after: { decisionEvidence: ['photo', 'video'] } });
    expect((await put('admin', '/api/v1/catalogue/matters/VENDING', { ...matter, reason: 'unchanged evidence' })).body).toMatchObject({ after: { decisionEvidence: ['photo', 'video'] } });
    expect((await put('admin', '/api/v1/catalogue/matters/VENDING', { ...matter, decisionEvidence: ['hearsay'] })).status).toBe(400);
    // A kind that already raises another matter.
    expect((await put('admin', '/api/v1/catalogue/matters/VENDING', { ...matter, alertKind: 'noise' })).body).toMatchObject({ code: 'ALERT_KIND_TAKEN' });

    // Certificates, review posts and their reviewers.
    const cert = await put('admin', '/api/v1/catalogue/officers/u-east-wang/certificate', { certificateNo: 'ZF-3201-09999', validUntil: '2029-06-30', domains: ['city_management', 'ecology'] });
    expect(cert.body).toMatchObject({ entity: 'officer_certificate', before: { validUntil: '2028-12-31' }, after: { certificateNo: 'ZF-3201-09999', validUntil: '2029-06-30' } });
    expect((await put('admin', '/api/v1/catalogue/officers/u-review/certificate', { certificateNo: 'ZF-X', validUntil: '2029-06-30', domains: ['ecology'] })).body).toMatchObject({ code: 'NOT_AN_OFFICER' });
    expect((await put('admin', '/api/v1/catalogue/review-posts/rp-west', { name: 'West post', kind: 'street', streetId: 's-east' })).status).toBe(200);
    expect((await put('admin', '/api/v1/catalogue/review-posts/rp-west', { name: 'West post', kind: 'street', streetId: null })).body).toMatchObject({ code: 'VALIDATION' });
    expect((await put('admin', '/api/v1/catalogue/review-posts/rp-west/reviewers', { reviewers: ['u-east-li'] })).body).toMatchObject({ code: 'NOT_A_REVIEWER' });
    const moved = await put('admin', '/api/v1/catalogue/review-posts/rp-east/reviewers', { reviewers: ['u-east-review', 'u-river-review'] });
    expect(moved.body).toMatchObject({ before: ['u-east-review'], after: ['u-east-review', 'u-river-review'] });

    const log = await api<{ entity: string; key: string; changedBy: string }[]>(t, as('head'), 'GET', '/api/v1/catalogue/changes');
    expect(log.body.slice(0, 5).map((c) => [c.entity, c.key])).toEqual([
      ['review_post_reviewers', 'rp-east'], ['review_post', 'rp-west'], ['officer_certificate', 'u-east-wang'], ['matter', 'VENDING'], ['matter', 'VENDING'],
    ]);
    expect((await api(t, as('east.li'), 'GET', '/api/v1/catalogue/changes')).status).toBe(403);
    // The log itself cannot be rewritten.
    await expect(t.platform.db.pool.query('DELETE FROM catalogue_changes')).rejects.toThrow(/append-only/);
  });

  it('refuses benchmark tiers outside the law, and law that would leave a benchmark outside it', async () => {
    // The seeded tiers before the fix: mitigated from ¥0, below the law's ¥200.
    const below = await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/benchmark', { effectiveFrom: '2026-01-01', tiers: NOISE_TIERS(0) });
    expect(below).toMatchObject({ status: 422, body: { code: 'TIER_OUTSIDE_BOUNDS' } });
    expect(below.body.message).toContain('mitigated');
    const above = await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/benchmark', { effectiveFrom: '2026-01-01', tiers: NOISE_TIERS(200) });
    expect(above.body).toMatchObject({ code: 'TIER_OUTSIDE_BOUNDS', message: expect.stringContaining('aggravated') });
    // Narrowing the law under today's benchmark is refused too.
    const narrower = { effectiveFrom: '2026-01-01', bounds: [{ partyKind: 'individual', fineRequired: false, minFineYuan: 500, maxFineYuan: 1000, mandatoryMeasures: ['warning'], legalBasis: 'art. 82' }] };
    expect((await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/bounds', narrower)).body).toMatchObject({ code: 'BENCHMARK_OUTSIDE_BOUNDS' });
    expect((await put('admin', '/api/v1/catalogue/matters/NOPE/bounds', narrower)).status).toBe(404);
  });

  it('keeps the legal texts in Chinese beside the English ones, and never a translation of a basis that changed', async () => {
    type Texts = { code: string; legalBasisZh: string | null; statutoryBounds: { legalBasisZh: string | null }[]; benchmark: { tier: string; partyKind: string; factsZh: string | null; legalBasisZh: string | null }[] };
    const all = (await api<Texts[]>(t, as('east.li'), 'GET', '/api/v1/catalogue/matters')).body;
    const noise = all.find((m) => m.code === 'NOISE-AMPLIFIED')!;
    expect(noise.legalBasisZh).toBe('《中华人民共和国噪声污染防治法》第八十二条');
    expect(noise.statutoryBounds.map((b) => b.legalBasisZh)).toEqual(['《中华人民共和国噪声污染防治法》第八十二条', '《中华人民共和国噪声污染防治法》第八十二条']);
    expect(noise.benchmark.find((b) => b.partyKind === 'individual' && b.tier === 'normal')).toMatchObject({
      factsZh: '拒不改正；超标 5–10 dB(A) 或有居民投诉', legalBasisZh: expect.stringContaining('《中华人民共和国行政处罚法》第三十二条、第三十三条'),
    });
    expect(all.find((m) => m.code === 'SMOKE-FIRE')!.legalBasisZh).toContain('《中华人民共和国消防法》第四十四条');

    // A matter's Chinese basis: set, kept by a change that does not name it, cleared when the basis changes without one.
    const matter = { name: 'Posting bills', alertKind: null, legalBasis: 'City Appearance Regulations art. 17', legalBasisZh: '《城市市容和环境卫生管理条例》第十七条', handlingLevel: 'street', department: 'street integrated team', domain: 'city_management', slaMinutes: 120, acceptSlaMinutes: 30, penalty: true };
    expect((await put('admin', '/api/v1/catalogue/matters/BILLS', matter)).body).toMatchObject({ after: { legalBasisZh: '《城市市容和环境卫生管理条例》第十七条' } });
    const { legalBasisZh: _zh, ...withoutZh } = matter;
    expect((await put('admin', '/api/v1/catalogue/matters/BILLS', { ...withoutZh, slaMinutes: 60 })).body).toMatchObject({ after: { legalBasisZh: '《城市市容和环境卫生管理条例》第十七条' } });
    expect((await put('admin', '/api/v1/catalogue/matters/BILLS', { ...withoutZh, legalBasis: 'City Appearance Regulations art. 36' })).body).toMatchObject({ after: { legalBasisZh: null } });

    // A benchmark version carries its own Chinese texts (and none where none are given).
    const tiers = [
      { partyKind: 'individual', tier: 'normal', minFineYuan: 20000, maxFineYuan: 50000, measures: ['confiscation', 'fine'], facts: 'catch taken', factsZh: '有渔获', legalBasis: 'Yangtze River Protection Law art. 86' },
      { partyKind: 'individual', tier: 'aggravated', minFineYuan: 50000, maxFineYuan: 500000, measures: ['confiscation', 'fine'], facts: 'nets', legalBasis: 'Yangtze River Protection Law art. 86' },
    ];
    expect((await put('admin', '/api/v1/catalogue/matters/FISHING-BAN/benchmark', { effectiveFrom: '2030-01-01', tiers })).status).toBe(200);
    const later = (await api<Texts>(t, as('east.li'), 'GET', '/api/v1/catalogue/matters/FISHING-BAN?on=2030-01-02')).body;
    expect(later.benchmark.filter((b) => b.partyKind === 'individual').map((b) => [b.tier, b.factsZh, b.legalBasisZh])).toEqual([['normal', '有渔获', null], ['aggravated', null, null]]);
  });
});

describe('a case is judged by the catalogue in force when the act occurred', () => {
  it('applies a new law and benchmark to acts from their effective date, and the old ones to earlier acts', async () => {
    // From 2026-07-01 the (imagined) amended law doubles the individual range to ¥400–2,000, with a benchmark inside it.
    const law = await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/bounds', {
      effectiveFrom: '2026-07-01', reason: 'amended art. 82',
      bounds: [{ partyKind: 'individual', fineRequired: false, minFineYuan: 400, maxFineYuan: 2000, mandatoryMeasures: ['warning'], legalBasis: 'Noise Law art. 82 (amended)' }],
    });
    // The benchmark in force on that date (¥200–1,000 tiers) would fall below the new minimum: change both, benchmark first.
    expect(law.body).toMatchObject({ code: 'BENCHMARK_OUTSIDE_BOUNDS' });
    // A benchmark inside the new law cannot come first either: it is checked against the law then in force.
    expect((await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/benchmark', { effectiveFrom: '2026-07-01', tiers: NOISE_TIERS(400).map((x) => ({ ...x, maxFineYuan: Math.min(x.maxFineYuan, 2000), minFineYuan: x.tier === 'aggravated' ? 1400 : x.minFineYuan })) })).body).toMatchObject({ code: 'TIER_OUTSIDE_BOUNDS' });
    // So the admin widens the law first to a range both fit (¥200–2,000), then sets the new benchmark, then narrows.
    const wide = { partyKind: 'individual', fineRequired: false, minFineYuan: 200, maxFineYuan: 2000, mandatoryMeasures: ['warning'], legalBasis: 'Noise Law art. 82 (amended)' };
    expect((await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/bounds', { effectiveFrom: '2026-07-01', bounds: [wide] })).status).toBe(200);
    const tiers = [
      { partyKind: 'individual', tier: 'no_penalty', minFineYuan: 0, maxFineYuan: 0, measures: [], facts: 'first, corrected', legalBasis: 'art. 82' },
      { partyKind: 'individual', tier: 'mitigated', minFineYuan: 400, maxFineYuan: 800, measures: ['warning', 'fine'], facts: 'corrected before the decision', legalBasis: 'art. 82' },
      { partyKind: 'individual', tier: 'normal', minFineYuan: 800, maxFineYuan: 1400, measures: ['warning', 'fine'], facts: 'refused to correct', legalBasis: 'art. 82' },
      { partyKind: 'individual', tier: 'aggravated', minFineYuan: 1400, maxFineYuan: 2000, measures: ['warning', 'fine'], facts: 'at night, repeatedly', legalBasis: 'art. 82' },
    ];
    expect((await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/benchmark', { effectiveFrom: '2026-07-01', tiers })).status).toBe(200);
    expect((await put('admin', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/bounds', { effectiveFrom: '2026-07-01', bounds: [{ ...wide, minFineYuan: 400 }] })).status).toBe(200);

    const detail = await api<{ boundsVersions: { effectiveFrom: string; partyKind: string; minFineYuan: number }[] }>(t, as('east.li'), 'GET', '/api/v1/catalogue/matters/NOISE-AMPLIFIED?on=2026-06-30');
    expect(detail.body).toMatchObject({ on: '2026-06-30', statutoryBounds: [{ partyKind: 'individual', maxFineYuan: 1000 }, { partyKind: 'unit' }] });
    expect(detail.body.boundsVersions.filter((b) => b.partyKind === 'individual').map((b) => [b.effectiveFrom, b.minFineYuan])).toEqual([['2000-01-01', 200], ['2026-07-01', 400]]);

    // An act on 30 June (Shanghai) is judged by the old law even though it is handled later.
    const before = await noiseActAt('2026-06-30T12:00:00.000Z');
    const c1 = await api<{ actDate: string; statutoryBounds: { partyKind: string; maxFineYuan: number; effectiveFrom: string }[]; benchmark: { tier: string; partyKind: string; minFineYuan: number }[] }>(t, as('east.li'), 'GET', `/api/v1/cases/${before}`);
    expect(c1.body).toMatchObject({ actDate: '2026-06-30', statutoryBounds: [{ partyKind: 'individual', maxFineYuan: 1000, effectiveFrom: '2000-01-01' }, { partyKind: 'unit' }] });
    expect((await fire('east.li', before, noiseProposal({ fineYuan: 1500, tier: 'aggravated' }))).body).toMatchObject({ code: 'OUTSIDE_STATUTORY_BOUNDS' });
    const old = await ok('east.li', before, noiseProposal({ fineYuan: 500, tier: 'normal' }));
    expect(old.event?.data).toMatchObject({ outsideBenchmark: false });

    // An act on 1 July (Shanghai; still 30 June in UTC) by the new one.
    const after = await noiseActAt('2026-06-30T17:00:00.000Z');
    const c2 = await api<{ actDate: string; benchmark: { tier: string; partyKind: string; minFineYuan: number; effectiveFrom: string }[] }>(t, as('east.li'), 'GET', `/api/v1/cases/${after}`);
    expect(c2.body.actDate).toBe('2026-07-01');
    expect(c2.body.benchmark.find((b) => b.partyKind === 'individual' && b.tier === 'normal')).toMatchObject({ minFineYuan: 800, effectiveFrom: '2026-07-01' });
    expect((await fire('east.li', after, noiseProposal({ fineYuan: 300, tier: 'mitigated' }))).body).toMatchObject({ code: 'OUTSIDE_STATUTORY_BOUNDS' });
    await ok('east.li', after, noiseProposal({ fineYuan: 1500, tier: 'aggravated' }));
    const proposals = (await api<{ proposals: { boundsEffectiveFrom: string; benchmarkEffectiveFrom: string }[] }>(t, as('east.li'), 'GET', `/api/v1/cases/${after}`)).body.proposals;
    expect(proposals.at(-1)).toMatchObject({ boundsEffectiveFrom: '2026-07-01', benchmarkEffectiveFrom: '2026-07-01' });
    // Units keep their own version (none was added for them).
    expect(c2.body.benchmark.find((b) => b.partyKind === 'unit' && b.tier === 'normal')).toMatchObject({ minFineYuan: 8000, effectiveFrom: '2000-01-01' });
  });
});

/**
 * "Today" is the district's calendar day (Asia/Shanghai here), not UTC's: from 16:00 UTC the two
 * differ. The clock is set to 20:00 UTC on 10 February, 04:00 on the 11th in the district.
 */
describe("today on the district's calendar", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records changes from, shows the law in force on, and judges a calibration by the local date', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2027-02-10T20:00:00Z') });
    const admin = await login(t, 'admin');
    const matter = { name: 'Unlicensed boat hire', alertKind: null, legalBasis: 'Waterways Regulations art. 9', handlingLevel: 'street', department: 'street integrated team', domain: 'city_management', slaMinutes: 120, acceptSlaMinutes: 30, penalty: true, reason: 'new delegated power' };
    const created = await api<Reply>(t, admin, 'PUT', '/api/v1/catalogue/matters/BOAT-HIRE', matter);
    expect(created).toMatchObject({ status: 200, body: { effectiveFrom: '2027-02-11' } });
    const bounds = [{ partyKind: 'individual', fineRequired: false, minFineYuan: 100, maxFineYuan: 500, mandatoryMeasures: ['warning'], legalBasis: 'Waterways Regulations art. 9' }];
    expect((await api(t, admin, 'PUT', '/api/v1/catalogue/matters/BOAT-HIRE/bounds', { effectiveFrom: '2027-02-11', bounds, reason: 'in force from today' })).status).toBe(200);
    // Without `on`: the law in force today, the 11th, which includes the version from the 11th.
    const now = await api<{ statutoryBounds: { effectiveFrom: string }[] }>(t, admin, 'GET', '/api/v1/catalogue/matters/BOAT-HIRE');
    expect(now.body.statutoryBounds).toMatchObject([{ effectiveFrom: '2027-02-11' }]);
    const list = await api<{ code: string; statutoryBounds: unknown[] }[]>(t, admin, 'GET', '/api/v1/catalogue/matters');
    expect(list.body.find((m) => m.code === 'BOAT-HIRE')?.statutoryBounds).toHaveLength(1);
    // A meter calibrated until the 10th has expired in the district, though it is still the 10th in UTC.
    const meter = (validUntil: string) => api<Reply>(t, admin, 'POST', '/api/v1/devices', { zoneId: 'z-park-square', kind: 'sound_level_meter', placementPublished: true, calibrationValidUntil: validUntil });
    expect(await meter('2027-02-10')).toMatchObject({ status: 422, body: { code: 'CALIBRATION_EXPIRED' } });
    expect((await meter('2027-02-11')).status).toBe(201);
  });
});
