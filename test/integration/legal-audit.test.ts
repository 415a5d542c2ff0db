import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { confirmPresence, noiseProposal, openCase, partyIdOf, PLACE_IN, readyToPropose, SITE, transitionsAs } from '../support/cases.js';

/**
 * A legal auditor's probe of the case API: each way round the law the server used to accept, refused
 * now. Each test failed on the code before its fix.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;
const { fire, ok } = transitionsAs(() => t, as);
const detail = async (caseId: string) => (await api<Record<string, unknown> & { actions: string[] }>(t, as('admin'), 'GET', `/api/v1/cases/${caseId}`)).body;

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'review', 'east.review', 'east.li', 'east.lead', 'fish.liu', 'fish.sun', 'head']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

/** A fishing-ban case with fish.liu and fish.sun (confirmed) on site. */
async function fishingOnSite(): Promise<string> {
  const id = await openCase(t, 'fishing', 'z-riverbank');
  await ok('fish.liu', id, { event: 'accept' });
  await ok('fish.liu', id, { event: 'arrive', location: PLACE_IN['z-riverbank'], secondOfficerId: 'u-fish-sun' });
  expect((await confirmPresence(t, as('fish.sun'), id, PLACE_IN['z-riverbank'])).status).toBe(201);
  return id;
}

describe('only the penalties the legal basis provides', () => {
  it('refuses ending a fishing-ban case on site with a warning, where the law imposes confiscation and a fine', async () => {
    const id = await fishingOnSite();
    const r = await fire('fish.liu', id, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'warned the angler', partyId: partyIdOf(101) });
    expect(r).toMatchObject({ status: 422, body: { code: 'MANDATORY_MEASURE_MISSING' } });
    expect((await detail(id)).state).toBe('on_site');
  });

  it('refuses a noise proposal with a licence revocation or a suspension, which no law on noise provides', async () => {
    const id = await openCase(t);
    await ok('east.li', id, { event: 'accept' });
    await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
    await readyToPropose(t, as, id);
    const party = { partyId: partyIdOf(102) };
    const revoked = await fire('east.li', id, noiseProposal({ ...party, penalties: ['warning', 'fine', 'licence_revocation'] }));
    expect(revoked).toMatchObject({ status: 422, body: { code: 'MEASURE_NOT_IN_BASIS', message: expect.stringContaining('licence_revocation') } });
    const suspended = await fire('east.li', id, noiseProposal({ ...party, penalties: ['warning', 'suspension'], fineYuan: undefined, deviationReason: 'shut the stall' }));
    expect(suspended.body).toMatchObject({ code: 'MEASURE_NOT_IN_BASIS' });
    expect((await detail(id)).state).toBe('on_site');
    await ok('east.li', id, noiseProposal(party));
  });
});

describe('only a minor violation is spared as a first one', () => {
  it('refuses closing a noise violation on site as "hazard cleared", which skipped the party and the first-violation rule', async () => {
    const id = await openCase(t);
    await ok('east.li', id, { event: 'accept' });
    await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
    expect((await confirmPresence(t, as('east.lead'), id)).status).toBe(201);
    const r = await fire('east.li', id, { event: 'resolve_on_site', outcome: 'hazard_cleared', summary: 'speaker off' });
    expect(r).toMatchObject({ status: 422, body: { code: 'OUTCOME_NOT_FOR_MATTER' } });
    expect((await detail(id)).state).toBe('on_site');
  });

  it('refuses sparing on site a first violation of a matter whose benchmark has no no_penalty tier', async () => {
    const bench = await api<{ partyKind: string; tier: string; minFineYuan: number; maxFineYuan: number; measures: string[]; facts: string; legalBasis: string }[]>(t, as('admin'), 'GET', '/api/v1/benchmarks?matter=FISHING-BAN');
    const tiers = bench.body.filter((b) => b.tier !== 'no_penalty')
      .map(({ partyKind, tier, minFineYuan, maxFineYuan, measures, facts, legalBasis }) => ({ partyKind, tier, minFineYuan, maxFineYuan, measures, facts, legalBasis }));
    // From the day of the test cases' acts (1 January 2025, local), fishing in the ban zone is never minor.
    expect((await api(t, as('admin'), 'PUT', '/api/v1/catalogue/matters/FISHING-BAN/benchmark', { effectiveFrom: '2025-01-01', tiers, reason: 'ban season: no first-violation exemption' })).status).toBe(200);
    const id = await fishingOnSite();
    const r = await fire('fish.liu', id, { event: 'resolve_on_site', outcome: 'corrected', summary: 'left', partyId: partyIdOf(103), correction: 'packed up the rod' });
    expect(r).toMatchObject({ status: 422, body: { code: 'UNKNOWN_TIER', message: expect.stringContaining('no no_penalty tier') } });
    expect((await detail(id)).state).toBe('on_site');
  });
});

describe('the catalogue in force when the act occurred judges the case', () => {
  it('refuses rewriting the bounds or benchmark a proposed decision was judged by, and takes a version from after the act', async () => {
    const id = await openCase(t);
    await ok('east.li', id, { event: 'accept' });
    await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
    await readyToPropose(t, as, id);
    // ¥500 in the normal tier (¥400–700) of the benchmark in force on the act's day (1 January 2025).
    await ok('east.li', id, noiseProposal({ partyId: partyIdOf(104) }));
    const before = await api<{ number: number; benchmark: { tier: string; partyKind: string; minFineYuan: number }[]; statutoryBounds: unknown[] }>(t, as('admin'), 'GET', `/api/v1/cases/${id}`);
    const bench = await api<{ partyKind: string; tier: string; minFineYuan: number; maxFineYuan: number; measures: string[]; facts: string; legalBasis: string }[]>(t, as('admin'), 'GET', '/api/v1/benchmarks?matter=NOISE-AMPLIFIED');
    const tiers = bench.body.map(({ partyKind, tier, minFineYuan, maxFineYuan, measures, facts, legalBasis }) => ({ partyKind, tier, minFineYuan, maxFineYuan, measures, facts, legalBasis }));
    // The normal tier raised to ¥600–700 would put the ¥500 already proposed outside it, after the fact.
    const harsher = tiers.map((x) => (x.partyKind === 'individual' && x.tier === 'normal' ? { ...x, minFineYuan: 600 } : x));
    for (const effectiveFrom of ['2000-01-01', '2025-01-01']) {
      const r = await api<{ code: string; message: string }>(t, as('admin'), 'PUT', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/benchmark', { effectiveFrom, tiers: harsher, reason: 'stricter' });
      expect(r).toMatchObject({ status: 409, body: { code: 'CATALOGUE_VERSION_JUDGED', message: expect.stringContaining(`#${before.body.number}`) } });
    }
    const law = { partyKind: 'individual', fineRequired: false, minFineYuan: 200, maxFineYuan: 1500, mandatoryMeasures: ['warning'], legalBasis: 'Noise Pollution Prevention and Control Law art. 82' };
    expect((await api(t, as('admin'), 'PUT', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/bounds', { effectiveFrom: '2000-01-01', bounds: [law], reason: 'rewrite' })).body).toMatchObject({ code: 'CATALOGUE_VERSION_JUDGED' });
    const after = await api(t, as('admin'), 'GET', `/api/v1/cases/${id}`);
    expect(after.body).toMatchObject({ benchmark: before.body.benchmark, statutoryBounds: before.body.statutoryBounds });
    // From the day after the act: the case keeps its catalogue.
    expect((await api(t, as('admin'), 'PUT', '/api/v1/catalogue/matters/NOISE-AMPLIFIED/benchmark', { effectiveFrom: '2025-01-02', tiers: harsher, reason: 'stricter from tomorrow' })).status).toBe(200);
    expect((await api(t, as('admin'), 'GET', `/api/v1/cases/${id}`)).body).toMatchObject({ benchmark: before.body.benchmark });
  });
});

describe('one party, two cases at once', () => {
  /** A noise case with east.li and east.lead (confirmed) on site. */
  async function noiseOnSite(): Promise<string> {
    const id = await openCase(t);
    await ok('east.li', id, { event: 'accept' });
    await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
    expect((await confirmPresence(t, as('east.lead'), id)).status).toBe(201);
    return id;
  }

  // The race needs two database connections: it is run for real against a server (DATABASE_URL); the
  // embedded engine, a single backend, runs every transaction in turn.
  it('spares a first violation once when two cases of the party are closed as corrected at the same moment', async () => {
    for (let round = 0; round < 4; round++) {
      const party = partyIdOf(110 + round);
      const [a, b] = [await noiseOnSite(), await noiseOnSite()];
      const corrected = { event: 'resolve_on_site', outcome: 'corrected', summary: 'turned the speaker off', partyId: party, correction: 'speaker switched off' };
      const replies = await Promise.all([fire('east.li', a, corrected), fire('east.li', b, corrected)]);
      expect(replies.map((r) => r.status).sort(), JSON.stringify(replies.map((r) => r.body.code))).toEqual([200, 422]);
      expect(replies.find((r) => r.status === 422)?.body.code).toBe('NOT_FIRST_VIOLATION');
    }
  });
});

describe('an act is not dated after it was reported', () => {
  it('dates a case whose alert a device stamped a year ahead no later than its intake, so today\'s catalogue and evidence judge it', async () => {
    const ahead = new Date(Date.now() + 400 * 86_400_000).toISOString();
    const r = await t.platform.cases.intake(
      { id: randomBytes(16).toString('hex'), kind: 'noise', zoneId: 'z-river-steps', startedAt: ahead, detectedAt: ahead, summary: 'meter with a clock a year fast', evidence: { laeq: 72 } },
      30,
    );
    if (r.outcome !== 'opened') throw new Error(`expected a new case, got ${r.outcome}`);
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    const c = await api<{ actDate: string }>(t, as('admin'), 'GET', `/api/v1/cases/${r.case.id}`);
    expect(c.body.actDate <= today, `act date ${c.body.actDate} after today ${today}`).toBe(true);
  });
});

describe('one act is not split into cases to stay under the threshold', () => {
  it('keeps the street post from approving a fine that became major when the party\'s second fine of the day was proposed after it was submitted', async () => {
    const unit = { party: 'Lakeside Tea House Ltd', partyKind: 'unit', partyId: '91320102MA1NXQ8K29' };
    const ready = async () => {
      const id = await openCase(t);
      await ok('east.li', id, { event: 'accept' });
      await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
      await readyToPropose(t, as, id);
      return id;
    };
    const [first, second] = [await ready(), await ready()];
    // ¥9,000 alone is routine: submitted to the street's post before the second fine exists.
    await ok('east.li', first, noiseProposal({ ...unit, fineYuan: 9000 }));
    expect((await ok('east.li', first, { event: 'submit_for_review' })).event?.data).toMatchObject({ reviewLevel: 'routine', reviewPostId: 'rp-east' });
    // The second ¥9,000 for the same act's day: ¥18,000 together, major.
    expect((await ok('east.li', second, noiseProposal({ ...unit, fineYuan: 9000 }))).event?.data).toMatchObject({ reviewLevel: 'major' });
    const r = await fire('east.review', first, { event: 'approve' });
    expect(r).toMatchObject({ status: 422, body: { code: 'MAJOR_DECISION_NEEDS_CENTRE', message: expect.stringContaining('¥18000') } });
    expect((await detail(first)).actions).not.toContain('approve');
    // Returned, proposed again and submitted, it goes to the centre.
    await ok('east.review', first, { event: 'return', opinion: 'the same act as another case: the centre reviews it' });
    await ok('east.li', first, { ...noiseProposal({ ...unit, fineYuan: 9000 }), revises: 1 });
    expect((await ok('east.li', first, { event: 'submit_for_review' })).event?.data).toMatchObject({ reviewLevel: 'major', reviewPostId: 'rp-centre' });
  });
});
