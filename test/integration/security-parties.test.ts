import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { decideNoiseCase, openCase, PARTY_ID, partyIdOf, transitionsAs } from '../support/cases.js';

/**
 * Looking up a party (当事人) by identity number reads a person's record across every team: only for a
 * purpose (one's own case, or the review of it), only by the roles that decide about parties, and
 * never without a trace in the party access log.
 */
let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (u: string) => tokens[u]!;
const { ok } = transitionsAs(() => t, as);
const step = async (user: string, caseId: string, body: Record<string, unknown>) => { await ok(user, caseId, body); };

type Reply = { status: number; body: { code?: string } & Record<string, unknown> };
const party = (user: string, id: string, query = '') => api(t, as(user), 'GET', `/api/v1/parties/${id}${query}`) as Promise<Reply>;
const cases = (user: string, id: string, query = '') => api(t, as(user), 'GET', `/api/v1/parties/${id}/cases${query}`) as Promise<Reply>;
interface Lookup { userId: string; role: string; partyId: string; caseId: string | null; purpose: string | null; route: string; outcome: string; at: string }

/** An East Lake case decided against PARTY_ID (reviewed at the East Lake post), and one still being worked. */
let decided: string;
let working: string;
const OTHER = partyIdOf(7);

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'ops', 'east.li', 'east.lead', 'east.review', 'review', 'river.zhao', 'emerg.ma', 'head']) tokens[u] = await login(t, u);
  decided = await openCase(t);
  await decideNoiseCase(t, step, as('east.li'), decided, { tier: 'normal', fineYuan: 500, decisionNo: 'PARTIES-1' });
  working = await openCase(t);
});
afterAll(async () => {
  await t?.stop();
});

describe('party lookup', () => {
  it('is refused to administrators and operators, who run the platform and no case', async () => {
    for (const user of ['admin', 'ops']) {
      expect((await party(user, PARTY_ID, `?caseId=${decided}`)).body.code, user).toBe('FORBIDDEN');
      expect((await cases(user, PARTY_ID, `?caseId=${decided}`)).body.code, user).toBe('FORBIDDEN');
    }
  });

  it('takes an officer’s own case as its purpose: the party it names, or any while it is still being worked', async () => {
    expect(await cases('east.li', PARTY_ID)).toMatchObject({ status: 400, body: { code: 'PARTY_LOOKUP_CASE_REQUIRED' } });
    const own = await party('east.li', PARTY_ID, `?caseId=${decided}&purpose=first-violation%20check`);
    expect(own.status).toBe(200);
    expect((own.body.cases as { caseId: string }[]).map((c) => c.caseId)).toContain(decided);
    // A decided case does not open the door to anyone else's record …
    expect(await party('east.li', OTHER, `?caseId=${decided}`)).toMatchObject({ status: 403, body: { code: 'PARTY_NOT_OF_CASE' } });
    expect(await cases('east.lead', OTHER, `?caseId=${decided}`)).toMatchObject({ status: 403, body: { code: 'PARTY_NOT_OF_CASE' } });
    // … a case still being worked does (the party about to be named in a proposal).
    expect(await cases('east.li', OTHER, `?caseId=${working}`)).toMatchObject({ status: 200, body: [] });
    // Another team's case is no purpose, and looks like a missing one.
    expect(await cases('river.zhao', PARTY_ID, `?caseId=${decided}`)).toMatchObject({ status: 404, body: { code: 'CASE_NOT_FOUND' } });
  });

  it('opens no door through a case another team holds: a team working it beside the holder looks up only the party it names', async () => {
    // Riverbank intrusion: the river street team holds it, emergency management works it beside them.
    const intrusion = await openCase(t, 'intrusion', 'z-riverbank');
    expect(await cases('emerg.ma', PARTY_ID, `?caseId=${intrusion}`)).toMatchObject({ status: 403, body: { code: 'PARTY_NOT_OF_CASE' } });
    expect(await party('emerg.ma', OTHER, `?caseId=${intrusion}`)).toMatchObject({ status: 403, body: { code: 'PARTY_NOT_OF_CASE' } });
    // The holding team still may, while the case is worked.
    expect((await cases('river.zhao', OTHER, `?caseId=${intrusion}`)).status).toBe(200);
  });

  it('lets a reviewer look up the party of a case at their post, and the agency head with or without a case', async () => {
    expect((await cases('east.review', PARTY_ID, `?caseId=${decided}`)).status).toBe(200);
    expect(await cases('review', PARTY_ID, `?caseId=${decided}`)).toMatchObject({ status: 404, body: { code: 'CASE_NOT_FOUND' } });
    expect(await cases('review', PARTY_ID)).toMatchObject({ status: 400, body: { code: 'PARTY_LOOKUP_CASE_REQUIRED' } });
    expect((await party('head', PARTY_ID, '?purpose=complaint%20about%20an%20officer')).status).toBe(200);
  });

  it('asks the agency head, looking up a party without a case, for the purpose: none (or blank) is refused, and logged', async () => {
    for (const query of ['', '?purpose=%20%20']) {
      expect(await party('head', OTHER, query), query).toMatchObject({ status: 400, body: { code: 'PARTY_LOOKUP_PURPOSE_REQUIRED' } });
      expect(await cases('head', OTHER, query), query).toMatchObject({ status: 400, body: { code: 'PARTY_LOOKUP_PURPOSE_REQUIRED' } });
    }
    // With a case of the bureau, the case is the purpose.
    expect(await cases('head', OTHER, `?caseId=${decided}`)).toMatchObject({ status: 200, body: [] });
    const log = await api<Lookup[]>(t, as('admin'), 'GET', '/api/v1/party-lookups?userId=u-head&limit=2');
    expect(log.body.map((l) => [l.partyId, l.caseId, l.outcome])).toEqual([[OTHER, decided, 'not_found'], [OTHER, null, 'PARTY_LOOKUP_PURPOSE_REQUIRED']]);
  });

  it('writes every lookup, answered or refused, to an access log that admins read and nobody rewrites', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    expect((await party('east.li', ` ${PARTY_ID.toLowerCase()} `, `?caseId=${decided}&purpose=tier`)).status).toBe(200);
    expect((await cases('east.li', OTHER, `?caseId=${decided}`)).status).toBe(403);

    expect((await api(t, as('east.li'), 'GET', '/api/v1/party-lookups')).status).toBe(403);
    expect((await api(t, as('ops'), 'GET', '/api/v1/party-lookups')).status).toBe(403);
    const log = await api<Lookup[]>(t, as('admin'), 'GET', `/api/v1/party-lookups?userId=u-east-li&limit=2`);
    expect(log.status).toBe(200);
    expect(log.body).toEqual([
      { id: expect.any(Number), at: expect.any(String), userId: 'u-east-li', role: 'officer', partyId: OTHER, caseId: decided, purpose: null, route: 'cases', outcome: 'PARTY_NOT_OF_CASE' },
      { id: expect.any(Number), at: expect.any(String), userId: 'u-east-li', role: 'officer', partyId: PARTY_ID, caseId: decided, purpose: 'tier', route: 'party', outcome: 'shown' },
    ]);
    expect(log.body.every((l) => l.at >= before)).toBe(true);
    // By party, in any spelling; the agency head's lookup without a case is there with its purpose.
    const ofParty = await api<Lookup[]>(t, as('admin'), 'GET', `/api/v1/party-lookups?partyId=${PARTY_ID.toLowerCase()}`);
    expect(ofParty.body.find((l) => l.userId === 'u-head')).toMatchObject({ role: 'agency_head', caseId: null, purpose: 'complaint about an officer', outcome: 'shown' });
    expect(ofParty.body.every((l) => l.partyId === PARTY_ID)).toBe(true);
    await expect(t.platform.db.pool.query('DELETE FROM party_lookups')).rejects.toThrow(/append-only/);
  });
});
