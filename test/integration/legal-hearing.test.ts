import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { noiseProposal, openCase, partyIdOf, readyToPropose, SITE, transitionsAs } from '../support/cases.js';

/**
 * The party is heard before a penalty is decided (Administrative Penalty Law 2021 arts. 44, 45, 62–64),
 * through the API as the officers and the reviewers use it: the notice of the approved proposal, the
 * party's statement and the officers' answer, the written waiver, a hearing requested within 5 days and
 * presided over by a reviewer who did not investigate, and a decision refused until all that is done.
 * STATEMENT_DAYS is set to 4 here (the default is 3) to show the setting is the one applied.
 */

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;
const { fire, ok } = transitionsAs(() => t, as);
const sql = async (text: string, params: unknown[]) => t.platform.db.pool.query(text, params);

interface Procedure {
  notice: { revision: number; servedBy: string; servedAt: string; method: string; hearingAvailable: boolean; statementDueAt: string; hearingRequestDueAt: string | null; fineYuan: number | null } | null;
  current: boolean;
  statements: { statement: string; answer: string; reply: string; recordedBy: string }[];
  waiver: { document: string } | null;
  hearingRequest: { requestedAt: string } | null;
  hearing: { presidedBy: string; heldAt: string; transcriptSummary: string } | null;
  voided: { revision: number }[];
}
const detail = async (caseId: string, user = 'east.li') =>
  (await api<{ state: string; actions: string[]; procedure: Procedure }>(t, as(user), 'GET', `/api/v1/cases/${caseId}`)).body;

let parties = 500;
/** A noise case on site (east.li, east.lead confirmed), filed, with a reviewed photo and measurement. */
async function ready(): Promise<string> {
  const id = await openCase(t);
  await ok('east.li', id, { event: 'accept' });
  await ok('east.li', id, { event: 'arrive', location: SITE, secondOfficerId: 'u-east-lead' });
  await readyToPropose(t, as, id);
  return id;
}
/** A routine fine approved at the East Lake post. */
async function approvedRoutine(over: Record<string, unknown> = {}): Promise<string> {
  const id = await ready();
  await ok('east.li', id, noiseProposal({ partyId: partyIdOf(++parties), ...over }));
  await ok('east.li', id, { event: 'submit_for_review' });
  await ok('east.review', id, { event: 'approve' });
  return id;
}
/** Moves the approval back `days` days (as if approved then), so a notice can be dated in the past. */
const approvedDaysAgo = (id: string, days: number) => sql(`UPDATE case_reviews SET at = at - make_interval(days => $2) WHERE case_id = $1`, [id, days]);
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
/** The end of the `n`th local (Asia/Shanghai) day after the day of `at`. */
const endOfDayAfter = (at: string, n: number) => {
  const local = new Date(Date.parse(at) + 8 * 3_600_000).toISOString().slice(0, 10);
  return new Date(Date.parse(`${local}T23:59:59.999+08:00`) + n * 86_400_000).toISOString();
};
const decide = (n: number) => ({ event: 'decide', decisionNo: `东执罚决字〔2026〕第${n}号` });

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api', STATEMENT_DAYS: '4' });
  for (const u of ['admin', 'review', 'centre.sun', 'centre.qian', 'east.review', 'east.li', 'east.lead']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

describe('notice of the intended penalty (art. 44)', () => {
  it('decides a fine only after the party was notified and its statement answered', async () => {
    const id = await approvedRoutine();
    // Approved is not decided: the party has not been told.
    expect((await fire('east.li', id, decide(101))).body).toMatchObject({ code: 'PARTY_NOT_NOTIFIED' });
    let c = await detail(id);
    expect(c.actions).toContain('notify_party');
    expect(c.actions).not.toContain('decide');
    expect(c.actions).not.toContain('record_statement');
    expect(c.procedure).toMatchObject({ notice: null, current: false, statements: [] });

    // Not served in the future, nor before the approval of what it notifies.
    expect((await fire('east.lead', id, { event: 'notify_party', method: 'post', servedAt: new Date(Date.now() + 3_600_000).toISOString() })).body).toMatchObject({ code: 'NOTICE_TIME_INVALID' });
    expect((await fire('east.lead', id, { event: 'notify_party', method: 'post', servedAt: daysAgo(1) })).body).toMatchObject({ code: 'NOTICE_TIME_INVALID' });
    expect((await fire('east.lead', id, { event: 'notify_party', method: 'fax' })).status).toBe(400);
    const served = await ok('east.lead', id, { event: 'notify_party', method: 'in_person' });
    expect(served.event).toMatchObject({ type: 'party_notified', data: { revision: 1, method: 'in_person', penalties: ['warning', 'fine'], fineYuan: 500, hearingAvailable: false, rights: ['statement', 'defence'], hearingRequestDueAt: null } });
    const notice = served.event!.data as { servedAt: string; statementDueAt: string };
    // The statement period: STATEMENT_DAYS (4) days after the day of service, to the end of the last one.
    expect(notice.statementDueAt).toBe(endOfDayAfter(notice.servedAt, 4));
    expect((await fire('east.lead', id, { event: 'notify_party', method: 'in_person' })).body).toMatchObject({ code: 'ALREADY_NOTIFIED' });

    // Within the period, without the party heard: no decision; and this fine gives no hearing.
    expect((await fire('east.li', id, decide(101))).body).toMatchObject({ code: 'STATEMENT_PERIOD_OPEN', message: expect.stringContaining(notice.statementDueAt) });
    expect((await fire('east.li', id, { event: 'request_hearing' })).body).toMatchObject({ code: 'HEARING_NOT_AVAILABLE' });
    c = await detail(id);
    expect(c.actions).toEqual(expect.arrayContaining(['record_statement', 'waive_statement', 'propose_decision']));
    expect(c.actions).not.toContain('decide');
    expect(c.actions).not.toContain('request_hearing');

    // The statement is recorded with the officers' answer, which they must give.
    expect((await fire('east.li', id, { event: 'record_statement', statement: 'it was only ten minutes', answer: 'not_accepted' })).status).toBe(400);
    await ok('east.li', id, { event: 'record_statement', statement: 'it was only ten minutes', answer: 'not_accepted', reply: 'the meter shows forty minutes above the limit' });
    c = await detail(id);
    expect(c.actions).toContain('decide');
    expect(c.procedure).toMatchObject({
      current: true,
      notice: { revision: 1, servedBy: 'u-east-lead', method: 'in_person', hearingAvailable: false, statementDueAt: notice.statementDueAt },
      statements: [{ statement: 'it was only ten minutes', answer: 'not_accepted', reply: 'the meter shows forty minutes above the limit', recordedBy: 'u-east-li' }],
    });
    // A reviewer of the post sees how the party was heard too.
    expect((await detail(id, 'east.review')).procedure.statements).toHaveLength(1);
    expect((await ok('east.li', id, decide(101))).to).toBe('decided');
  });

  it('decides once the statement period has passed, or at once on the party\'s written waiver', async () => {
    const lapsed = await approvedRoutine();
    await approvedDaysAgo(lapsed, 10);
    await ok('east.li', lapsed, { event: 'notify_party', method: 'post', servedAt: daysAgo(6) });
    await ok('east.li', lapsed, decide(102));

    const waived = await approvedRoutine();
    await ok('east.li', waived, { event: 'notify_party', method: 'electronic' });
    expect((await fire('east.li', waived, { event: 'waive_statement' })).status).toBe(400);
    await ok('east.li', waived, { event: 'waive_statement', document: 'written waiver signed 2 Jan, filed as doc 7' });
    expect((await detail(waived)).procedure.waiver).toMatchObject({ document: 'written waiver signed 2 Jan, filed as doc 7' });
    await ok('east.li', waived, decide(103));
  });

  it('voids the notice when the proposal is revised after it: the new revision is notified anew', async () => {
    const id = await approvedRoutine();
    await ok('east.lead', id, { event: 'notify_party', method: 'in_person' });
    await ok('east.li', id, { event: 'record_statement', statement: 'first time, and I turned it down at once', answer: 'partly_accepted', reply: 'turned down at once: the mitigated tier applies' });
    // Revised after the party was heard: lighter, so reviewed and approved again.
    await ok('east.li', id, { ...noiseProposal({ partyId: partyIdOf(parties), tier: 'mitigated', fineYuan: 200 }), revises: 1 });
    await ok('east.li', id, { event: 'submit_for_review' });
    await ok('east.review', id, { event: 'approve' });
    const refused = await fire('east.li', id, decide(104));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'PARTY_NOT_NOTIFIED', message: expect.stringContaining('voided by revision 2') });
    let c = await detail(id);
    expect(c.procedure).toMatchObject({ current: false, notice: { revision: 1 }, voided: [{ revision: 1 }] });
    expect(c.actions).toContain('notify_party');
    expect(c.actions).not.toContain('record_statement');
    await ok('east.lead', id, { event: 'notify_party', method: 'in_person' });
    c = await detail(id);
    // What followed the first notice does not carry over to the second.
    expect(c.procedure).toMatchObject({ current: true, notice: { revision: 2, fineYuan: 200 }, statements: [], voided: [{ revision: 1 }] });
    expect((await fire('east.li', id, decide(104))).body).toMatchObject({ code: 'STATEMENT_PERIOD_OPEN' });
    await ok('east.li', id, { event: 'waive_statement', document: 'waived in writing on the second notice' });
    await ok('east.li', id, decide(104));
  });
});

describe('hearing (arts. 63, 64)', () => {
  /** A fine with a hearing named in the proposal: major, approved by the centre after consultation. */
  async function approvedMajor(): Promise<string> {
    const id = await ready();
    await ok('east.li', id, noiseProposal({ partyId: partyIdOf(++parties), hearingRequired: true }));
    await ok('east.li', id, { event: 'submit_for_review' });
    await ok('review', id, { event: 'request_opinions', reviewers: ['u-centre-sun', 'u-centre-qian'], question: 'hearing?' });
    await ok('centre.sun', id, { event: 'give_opinion', opinion: 'yes' });
    await ok('centre.qian', id, { event: 'give_opinion', opinion: 'yes' });
    await ok('review', id, { event: 'approve' });
    return id;
  }

  it('holds a hearing requested in time, presided over by a reviewer who did not investigate, before deciding', async () => {
    const id = await approvedMajor();
    const served = await ok('east.li', id, { event: 'notify_party', method: 'in_person' });
    const data = served.event!.data as { servedAt: string; statementDueAt: string; hearingRequestDueAt: string; hearingAvailable: boolean; rights: string[] };
    // With a hearing available, the party has the 5 days of a hearing request to state its case too.
    expect(data).toMatchObject({ hearingAvailable: true, rights: ['statement', 'defence', 'hearing'] });
    expect(data.hearingRequestDueAt).toBe(endOfDayAfter(data.servedAt, 5));
    expect(data.statementDueAt).toBe(data.hearingRequestDueAt);
    expect((await detail(id)).actions).toEqual(expect.arrayContaining(['request_hearing', 'record_statement', 'waive_statement']));
    // A statement answered does not end the party's days to request the hearing.
    await ok('east.li', id, { event: 'record_statement', statement: 'the meter was wrong', answer: 'not_accepted', reply: 'calibrated last month, certificate on file' });
    expect((await fire('east.li', id, decide(201))).body).toMatchObject({ code: 'STATEMENT_PERIOD_OPEN', message: expect.stringContaining('also after a statement') });

    expect((await fire('east.li', id, { event: 'request_hearing', requestedAt: daysAgo(1) })).body).toMatchObject({ code: 'HEARING_TIME_INVALID' });
    await ok('east.li', id, { event: 'request_hearing' });
    expect((await fire('east.li', id, { event: 'request_hearing' })).body).toMatchObject({ code: 'HEARING_ALREADY_REQUESTED' });
    expect((await fire('east.li', id, decide(201))).body).toMatchObject({ code: 'HEARING_NOT_HELD' });
    // Even a written waiver of the statement does not let the decision skip a requested hearing.
    expect((await fire('east.li', id, { event: 'waive_statement', document: 'w' })).status).toBe(200);
    expect((await fire('east.li', id, decide(201))).body).toMatchObject({ code: 'HEARING_NOT_HELD' });
    expect((await detail(id)).actions).toContain('record_hearing');

    const hearing = { event: 'record_hearing', heldAt: new Date().toISOString(), transcriptSummary: 'the party contested the measurement; the calibration certificate was shown' };
    // Not an investigating officer (east.lead was on site), and a reviewer.
    expect((await fire('east.li', id, { ...hearing, presidedBy: 'u-east-lead' })).body).toMatchObject({ code: 'HEARING_PRESIDER_INVESTIGATED' });
    expect((await fire('east.li', id, { ...hearing, presidedBy: 'u-east-wang' })).body).toMatchObject({ code: 'HEARING_PRESIDER_NOT_REVIEWER' });
    expect((await fire('east.li', id, { ...hearing, presidedBy: 'u-centre-sun', heldAt: daysAgo(2) })).body).toMatchObject({ code: 'HEARING_TIME_INVALID' });
    await ok('east.li', id, { ...hearing, presidedBy: 'u-centre-sun' });
    expect((await detail(id, 'review')).procedure).toMatchObject({
      hearingRequest: { requestedAt: expect.any(String) },
      hearing: { presidedBy: 'u-centre-sun', transcriptSummary: expect.stringContaining('calibration') },
    });
    await ok('east.li', id, decide(201));
  });

  it('refuses a hearing requested after the 5 days of the notice, and takes one made in time though recorded later', async () => {
    const id = await approvedMajor();
    await approvedDaysAgo(id, 10);
    await ok('east.li', id, { event: 'notify_party', method: 'post', servedAt: daysAgo(7) });
    expect((await fire('east.li', id, { event: 'request_hearing' })).body).toMatchObject({ code: 'HEARING_REQUEST_LATE' });
    expect((await fire('east.li', id, { event: 'request_hearing', requestedAt: daysAgo(1) })).body).toMatchObject({ code: 'HEARING_REQUEST_LATE' });
    expect((await fire('east.li', id, { event: 'request_hearing', requestedAt: daysAgo(8) })).body).toMatchObject({ code: 'HEARING_TIME_INVALID' });
    // No hearing requested in time, and the period over: the decision is made.
    await ok('east.li', id, decide(202));

    // A request the party made (posted) within the 5 days, received and recorded after them, is taken.
    const other = await approvedMajor();
    await approvedDaysAgo(other, 10);
    await ok('east.li', other, { event: 'notify_party', method: 'post', servedAt: daysAgo(7) });
    expect((await fire('east.li', other, { event: 'request_hearing', requestedAt: daysAgo(4), note: 'postmarked within the period' })).status).toBe(200);
    expect((await fire('east.li', other, decide(203))).body).toMatchObject({ code: 'HEARING_NOT_HELD' });
  });
});
