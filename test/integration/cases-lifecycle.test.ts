import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, count, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { openCase, openStream, PARTY_ID, readyToPropose } from '../support/cases.js';

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;

interface CaseBody {
  id: string;
  state: string;
  teamId: string | null;
  assignedTo: string | null;
  dismissalReason: string | null;
  actions: string[];
  events: { seq: number; type: string; actor: string; data: Record<string, unknown>; hash: string }[];
  proposals: { revision: number; penalties: string[]; fineYuan: number | null; party: string }[];
  reviews: { revision: number; outcome: string; opinion: string | null; reviewer: string }[];
}
interface TransitionBody {
  from: string;
  to: string;
  case: CaseBody;
  event: { seq: number; type: string; hash: string; data: Record<string, unknown> };
}
interface ErrorBody {
  code: string;
  message: string;
}

const fire = (user: string | null, caseId: string, body: unknown) =>
  api<TransitionBody & ErrorBody>(t, user ? as(user) : null, 'POST', `/api/v1/cases/${caseId}/transitions`, body);

// On-site enforcement needs two certified officers: the caller and the one named.
const ARRIVE = { event: 'arrive', location: { lat: 32.0405, lon: 118.7805, accuracyM: 6 }, secondOfficerId: 'u-east-lead' };
const PROPOSAL = {
  event: 'propose_decision',
  party: 'Zhang San',
  facts: 'amplified music at 71 dB(A) LAeq for 40 min after an order to correct',
  legalBasis: 'Noise Pollution Prevention and Control Law art. 82',
  penalties: ['warning', 'fine'],
  fineYuan: 500,
  tier: 'normal',
  partyId: PARTY_ID,
};

/** Fires a sequence of (user, body) steps, each of which must succeed. */
async function walk(caseId: string, steps: [string, Record<string, unknown>][]): Promise<TransitionBody[]> {
  const out: TransitionBody[] = [];
  for (const [user, body] of steps) {
    const r = await fire(user, caseId, body);
    expect(r.status, `${user} ${String(body.event)}: ${JSON.stringify(r.body)}`).toBe(200);
    out.push(r.body);
  }
  return out;
}

const detail = async (caseId: string, user = 'admin') => (await api<CaseBody>(t, as(user), 'GET', `/api/v1/cases/${caseId}`)).body;

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'ops', 'review', 'east.review', 'east.li', 'east.wang', 'east.lead', 'river.zhao']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

describe('case lifecycle over HTTP', () => {
  it('offers only the steps the legal rules would take as the case stands: none on site before the second officer confirms', async () => {
    const caseId = await openCase(t);
    await walk(caseId, [['east.li', { event: 'accept' }], ['east.li', ARRIVE]]);
    const before = (await detail(caseId, 'east.li')).actions;
    expect(before).not.toContain('resolve_on_site');
    expect(before).not.toContain('file');
    // What the detail leaves out is what the server refuses.
    const refused = await fire('east.li', caseId, { event: 'resolve_on_site', outcome: 'no_violation_found', summary: 'nobody there' });
    expect(refused.body.code).toBe('SECOND_OFFICER_UNCONFIRMED');
    expect((await fire('east.li', caseId, { event: 'file' })).body.code).toBe('SECOND_OFFICER_UNCONFIRMED');
    expect((await api(t, as('east.lead'), 'POST', `/api/v1/cases/${caseId}/presence`, { location: ARRIVE.location })).status).toBe(201);
    const after = (await detail(caseId, 'east.li')).actions;
    expect(after).toContain('resolve_on_site');
    expect(after).toContain('file');
    // The officer not on site is offered neither.
    expect((await detail(caseId, 'east.wang')).actions).not.toContain('resolve_on_site');
  });

  it('walks a case from report through review, a return and a second proposal, to closure — on record and live', async () => {
    const caseId = await openCase(t);
    const officerStream = await openStream(t, as('east.li'));
    // A routine decision (a fine within the benchmark, below MAJOR_FINE_YUAN) goes to the street's review post.
    const reviewerStream = await openStream(t, as('east.review'));
    const otherTeamStream = await openStream(t, as('river.zhao'));
    try {
      expect((await detail(caseId, 'east.li')).actions).toEqual(['accept', 'dismiss']);
      // Before submission, the reviewer cannot see the case at all.
      expect((await api(t, as('east.review'), 'GET', `/api/v1/cases/${caseId}`)).status).toBe(404);

      const [accepted] = await walk(caseId, [['east.li', { event: 'accept', note: 'on my way' }]]);
      expect(accepted).toMatchObject({ from: 'dispatched', to: 'accepted', case: { state: 'accepted', assignedTo: 'u-east-li' }, event: { type: 'accepted' } });
      const live = await officerStream.next((m) => m.data.caseId === caseId && m.data.reason === 'accepted');
      expect(live).toMatchObject({ event: 'case.updated', data: { state: 'accepted', teamId: 't-east' } });

      await walk(caseId, [['east.wang', { ...ARRIVE, secondOfficerId: 'u-east-li' }]]);
      // The second officer confirms from their own tablet; the case is filed; a photo is reviewed.
      await readyToPropose(t, as, caseId, 'east.wang', 'east.li');
      await walk(caseId, [['east.li', PROPOSAL], ['east.li', { event: 'submit_for_review' }]]);
      await reviewerStream.next((m) => m.data.caseId === caseId && m.data.reason === 'submitted_for_review');
      const queue = await api<CaseBody[]>(t, as('east.review'), 'GET', '/api/v1/cases?state=under_review');
      expect(queue.body.map((c) => c.id)).toContain(caseId);
      // A street post holds no consultation and nobody asked it for an opinion: neither is offered.
      expect((await detail(caseId, 'east.review')).actions).toEqual(['approve', 'return']);
      // The district centre does not see a routine decision.
      expect((await api(t, as('review'), 'GET', `/api/v1/cases/${caseId}`)).status).toBe(404);

      const opinion = 'The file does not show that the party was ordered to correct first (art. 82): add the order.';
      await walk(caseId, [['east.review', { event: 'return', opinion }]]);
      expect((await detail(caseId, 'east.li')).actions).toEqual(['propose_decision']);
      await walk(caseId, [
        ['east.li', { ...PROPOSAL, revises: 1, facts: `${PROPOSAL.facts}; order to correct served 21:05, refused` }],
        ['east.lead', { event: 'submit_for_review', note: 'order attached' }],
        ['east.review', { event: 'approve' }],
        // The party is told of the intended fine and its rights, states its case, and the officers answer it.
        ['east.lead', { event: 'notify_party', method: 'in_person' }],
        ['east.li', { event: 'record_statement', statement: 'the music was for a birthday, once only', answer: 'not_accepted', reply: 'the order to correct was refused; a birthday is no ground under art. 82' }],
        ['east.lead', { event: 'decide', decisionNo: '东执罚决字〔2025〕第12号' }],
        ['east.li', { event: 'close', summary: 'fine paid' }],
      ]);

      const c = await detail(caseId);
      expect(c.state).toBe('closed');
      expect(c.actions).toEqual([]);
      expect(c.events.map((e) => e.type)).toEqual([
        'reported', 'dispatched', 'accepted', 'arrived', 'presence_confirmed', 'filed', 'evidence_added', 'evidence_file_reviewed',
        'evidence_added', 'evidence_file_reviewed', 'decision_proposed', 'submitted_for_review', 'returned', 'decision_proposed', 'submitted_for_review', 'approved', 'party_notified', 'statement_recorded', 'decided', 'closed',
      ]);
      expect(c.events.find((e) => e.type === 'arrived')).toMatchObject({ actor: 'u-east-wang', data: { from: 'accepted', to: 'on_site', location: { lat: 32.0405 } } });
      expect(c.events.find((e) => e.type === 'returned')).toMatchObject({ actor: 'u-east-review', data: { opinion, revision: 1 } });
      expect(c.proposals.map((p) => [p.revision, p.penalties, p.fineYuan])).toEqual([[1, ['warning', 'fine'], 500], [2, ['warning', 'fine'], 500]]);
      expect(c.reviews.map((r) => [r.revision, r.outcome, r.opinion])).toEqual([[1, 'returned', opinion], [2, 'approved', null]]);

      const audit = await api<{ verification: { ok: boolean; events: number }; events: { hashVersion: number }[] }>(t, as('east.li'), 'GET', `/api/v1/cases/${caseId}/audit`);
      expect(audit.body.verification).toEqual({ ok: true, events: 20, problems: [] });
      expect(audit.body.events.every((e) => e.hashVersion === 2)).toBe(true);

      // Another team heard nothing of it: the first thing its stream carries is its own case.
      const riverCase = await openCase(t, 'noise', 'z-riverbank');
      await walk(riverCase, [['river.zhao', { event: 'accept' }]]);
      await otherTeamStream.next((m) => m.data.caseId === riverCase);
      expect(otherTeamStream.received.filter((m) => m.data.caseId === caseId)).toEqual([]);
      await reviewerStream.next((m) => m.data.caseId === caseId && m.data.reason === 'closed');
      expect(reviewerStream.received.filter((m) => m.data.caseId === caseId).map((m) => m.data.reason)).toEqual([
        'submitted_for_review', 'returned', 'decision_proposed', 'submitted_for_review', 'approved', 'party_notified', 'statement_recorded', 'decided', 'closed',
      ]);
    } finally {
      officerStream.close();
      reviewerStream.close();
      otherTeamStream.close();
    }
  });

  it('merges an alert into the incident of its own time only: a late-delivered older alert opens its own', async () => {
    const at = (iso: string) => ({ id: randomUUID().replaceAll('-', ''), kind: 'noise' as const, zoneId: 'z-riverbank', startedAt: iso, detectedAt: iso, summary: 'merge window', evidence: {} });
    const first = await t.platform.cases.intake(at('2024-06-01T12:00:00Z'), 30);
    expect(first.outcome).toBe('opened');
    expect((await t.platform.cases.intake(at('2024-06-01T12:20:00Z'), 30)).outcome).toBe('attached'); // after, within 30 min
    expect((await t.platform.cases.intake(at('2024-06-01T11:40:00Z'), 30)).outcome).toBe('attached'); // before, within 30 min
    // Delivered late (a device back-filling its spool): two hours older than the incident.
    expect((await t.platform.cases.intake(at('2024-06-01T09:00:00Z'), 30)).outcome).toBe('opened');
  });

  it('closes an on-site resolution without a decision, recorded as such', async () => {
    const caseId = await openCase(t, 'crowding');
    await walk(caseId, [
      ['east.li', { event: 'accept' }],
      ['east.li', ARRIVE],
      ['east.li', { event: 'resolve_on_site', outcome: 'corrected', summary: 'first offence; music turned off at once' }],
      ['east.li', { event: 'close' }],
    ]);
    const c = await detail(caseId);
    expect(c.state).toBe('closed');
    expect(c.events.find((e) => e.type === 'resolved_on_site')?.data).toMatchObject({ outcome: 'corrected' });
    const row = await t.platform.db.pool.query<{ resolution: { outcome: string }; disposed: boolean; closed: boolean }>(
      'SELECT resolution, disposed_at IS NOT NULL AS disposed, closed_at IS NOT NULL AS closed FROM cases WHERE id = $1',
      [caseId],
    );
    expect(row.rows[0]).toMatchObject({ resolution: { outcome: 'corrected' }, disposed: true, closed: true });
  });

  it('routes the fallback queue and re-dispatches, moving the case between team inboxes', async () => {
    // A zone in a street without a team: its alerts land in the fallback queue.
    const pool = t.platform.db.pool;
    await pool.query(`INSERT INTO streets (id, district_id, name) VALUES ('s-north', 'd-riverside', 'North Street')`);
    await pool.query(`INSERT INTO sites (id, street_id, name, kind) VALUES ('site-north', 's-north', 'North Square', 'square')`);
    await pool.query(`INSERT INTO zones (id, site_id, name, geometry, noise_class, timezone) VALUES ('z-north', 'site-north', 'North Square', '{}', '2', 'Asia/Shanghai')`);
    const queued = () => t.platform.metrics.value('enforcement_fallback_queue_cases');
    const before = await queued();
    const caseId = await openCase(t, 'noise', 'z-north');
    expect((await detail(caseId)).state).toBe('reported');
    expect(await queued()).toBe(before + 1); // the operators' alarm
    expect((await fire('east.lead', caseId, { event: 'dispatch', teamId: 't-east' })).status).toBe(404);
    expect((await fire('ops', caseId, { event: 'dispatch', teamId: 't-nowhere' })).body).toMatchObject({ code: 'UNKNOWN_TEAM' });
    expect((await fire('ops', caseId, { event: 'dispatch', teamId: 't-east' })).body).toMatchObject({ to: 'dispatched', case: { teamId: 't-east' } });
    expect(await queued()).toBe(before);
    expect((await fire('ops', caseId, { event: 'dispatch', teamId: 't-east' })).body).toMatchObject({ code: 'ALREADY_ON_TEAM' });

    const eastStream = await openStream(t, as('east.li'));
    try {
      const handed = await fire('east.lead', caseId, { event: 'dispatch', teamId: 't-river', note: 'riverside patrol is closer' });
      expect(handed.body).toMatchObject({ from: 'dispatched', to: 'dispatched', case: { teamId: 't-river' } });
      // The previous team hears that it left their inbox.
      await eastStream.next((m) => m.data.caseId === caseId && m.data.teamId === 't-river' && m.data.previousTeamId === 't-east');
    } finally {
      eastStream.close();
    }
    expect((await fire('east.li', caseId, { event: 'accept' })).status).toBe(404);
    expect((await fire('river.zhao', caseId, { event: 'accept' })).body).toMatchObject({ case: { assignedTo: 'u-river-zhao' } });
  });

  it('needs a reason to dismiss, keeps it, and labels a false alarm', async () => {
    const caseId = await openCase(t);
    const missing = await fire('east.li', caseId, { event: 'dismiss' });
    expect(missing).toMatchObject({ status: 400, body: { code: 'VALIDATION' } });
    expect(missing.body.message).toContain('reason');
    expect((await fire('east.li', caseId, { event: 'dismiss', reason: '   ' })).status).toBe(400);
    const ok = await fire('east.li', caseId, { event: 'dismiss', reason: 'false alarm: licensed open-air concert', falseAlarm: true });
    expect(ok.body).toMatchObject({ to: 'dismissed', case: { state: 'dismissed', dismissalReason: 'false alarm: licensed open-air concert' } });
    expect(ok.body.event.data).toMatchObject({ falseAlarm: true, alertsLabelled: 1 });
    expect((await fire('east.li', caseId, { event: 'dismiss', reason: 'again' })).body).toMatchObject({ code: 'INVALID_TRANSITION' });
    // A false alarm labels the case's alerts for the next training.
    const labels = await t.platform.db.pool.query<{ verdict: string; reason: string }>(
      'SELECT v.verdict, v.reason FROM alert_verdicts v JOIN alerts a ON a.id = v.alert_id JOIN cases c ON c.incident_id = a.incident_id WHERE c.id = $1',
      [caseId],
    );
    expect(labels.rows).toEqual([{ verdict: 'false_alarm', reason: 'false alarm: licensed open-air concert' }]);
  });

  it('refuses wrong roles (403), other teams (404), wrong states (409), bad fields (400) and unknown cases (404) — writing nothing', async () => {
    const caseId = await openCase(t);
    const eventsBefore = await count(t, 'SELECT 1 FROM case_events WHERE case_id = $1', [caseId]);
    const refusals: [string | null, Record<string, unknown>, number, string][] = [
      ['review', { event: 'accept' }, 403, 'FORBIDDEN'],
      ['ops', { event: 'accept' }, 403, 'FORBIDDEN'],
      ['admin', ARRIVE, 403, 'FORBIDDEN'],
      ['east.li', { event: 'approve' }, 403, 'FORBIDDEN'],
      ['east.li', { event: 'dispatch', teamId: 't-river' }, 403, 'FORBIDDEN'],
      ['river.zhao', { event: 'accept' }, 404, 'CASE_NOT_FOUND'],
      ['river.zhao', { event: 'close' }, 404, 'CASE_NOT_FOUND'],
      ['review', { event: 'approve' }, 404, 'CASE_NOT_FOUND'],
      ['east.li', { event: 'close' }, 409, 'INVALID_TRANSITION'],
      ['east.li', ARRIVE, 409, 'INVALID_TRANSITION'],
      ['east.li', { event: 'accept', state: 'closed' }, 400, 'VALIDATION'],
      ['east.li', { event: 'teleport' }, 400, 'VALIDATION'],
      ['east.li', {}, 400, 'VALIDATION'],
      [null, { event: 'accept' }, 401, 'UNAUTHORIZED'],
    ];
    for (const [user, body, status, code] of refusals) {
      const r = await fire(user, caseId, body);
      expect({ user, body, status: r.status, code: r.body.code }).toEqual({ user, body, status, code });
    }
    expect((await fire('east.li', randomUUID(), { event: 'accept' })).body).toMatchObject({ code: 'CASE_NOT_FOUND' });
    expect((await fire('admin', randomUUID(), { event: 'dismiss', reason: 'x' })).status).toBe(404);
    expect((await api(t, as('river.zhao'), 'GET', `/api/v1/cases/${caseId}/audit`)).status).toBe(404);
    expect((await api(t, as('admin'), 'GET', `/api/v1/cases/${randomUUID()}/audit`)).status).toBe(404);
    // A propose on the wrong state reports the state first, even with incomplete fields.
    expect((await fire('east.li', caseId, { event: 'propose_decision', party: 'x' })).status).toBe(400);
    expect(await count(t, 'SELECT 1 FROM case_events WHERE case_id = $1', [caseId])).toBe(eventsBefore);
    expect((await detail(caseId)).state).toBe('dispatched');
  });

  it('stores injection strings as plain text and refuses what a database cannot hold', async () => {
    const caseId = await openCase(t);
    const casesBefore = await count(t, 'SELECT 1 FROM cases');
    for (const id of [`' OR '1'='1`, '1; DROP TABLE cases']) {
      const r = await api<ErrorBody>(t, as('admin'), 'POST', `/api/v1/cases/${encodeURIComponent(id)}/transitions`, { event: 'accept' });
      expect(r).toMatchObject({ status: 400, body: { code: 'VALIDATION' } });
    }
    expect((await fire('east.li', caseId, { event: "accept'; DROP TABLE cases; --" })).status).toBe(400);
    expect((await fire('east.li', caseId, { event: 'dismiss', reason: 'nul\u0000byte' })).status).toBe(400);
    expect((await fire('east.li', caseId, { event: 'dismiss', reason: 'lone \ud800 surrogate' })).body).toMatchObject({ code: 'VALIDATION' });
    expect((await fire('east.li', caseId, { event: 'dismiss', reason: 'x'.repeat(5000) })).status).toBe(400);
    expect((await fire('ops', caseId, { event: 'dispatch', teamId: "t-east' OR '1'='1" })).status).toBe(400);

    const reason = `'); DELETE FROM case_events; UPDATE cases SET state = 'closed'; -- <script>alert(1)</script> {"$ne":null} \${7*7}`;
    const r = await fire('east.li', caseId, { event: 'dismiss', reason });
    expect(r.body).toMatchObject({ to: 'dismissed', case: { dismissalReason: reason } });
    expect((await detail(caseId)).events.at(-1)?.data).toMatchObject({ reason });
    expect(await count(t, 'SELECT 1 FROM cases')).toBe(casesBefore);
    expect(await count(t, `SELECT 1 FROM cases WHERE state = 'closed' AND id = $1`, [caseId])).toBe(0);
    const audit = await api<{ verification: { ok: boolean } }>(t, as('admin'), 'GET', `/api/v1/cases/${caseId}/audit`);
    expect(audit.body.verification.ok).toBe(true);
  });

  it('lets exactly one of several concurrent transitions on a case win', async () => {
    const caseId = await openCase(t);
    const users = ['east.li', 'east.wang', 'east.lead', 'east.li', 'east.wang', 'east.lead'];
    const results = await Promise.all(users.map((u) => fire(u, caseId, { event: 'accept' })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409, 409]);
    const winner = results.findIndex((r) => r.status === 200);
    expect(await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'accepted'`, [caseId])).toBe(1);
    expect((await detail(caseId)).assignedTo).toBe(`u-${users[winner]!.replace('.', '-')}`);

    // Different events racing from one state of a filed case, each closing the others' way: one winner,
    // chain intact.
    await walk(caseId, [['east.li', ARRIVE]]);
    await readyToPropose(t, as, caseId);
    const racing = await Promise.all([
      fire('east.li', caseId, { event: 'resolve_on_site', outcome: 'no_violation_found', summary: 'a rehearsal with a permit' }),
      fire('east.lead', caseId, PROPOSAL),
      fire('east.li', caseId, PROPOSAL),
    ]);
    expect(racing.filter((r) => r.status === 200)).toHaveLength(1);
    expect(racing.filter((r) => r.status === 409)).toHaveLength(2);
    const audit = await api<{ verification: { ok: boolean; events: number } }>(t, as('admin'), 'GET', `/api/v1/cases/${caseId}/audit`);
    // reported, dispatched, accepted, arrived, presence_confirmed, filed, a photo and a measurement added and reviewed, the winner.
    expect(audit.body.verification).toMatchObject({ ok: true, events: 11 });
  });

  it('never lets a proposal silently replace a colleague\'s: a revision names the revision it replaces', async () => {
    const caseId = await openCase(t);
    await walk(caseId, [['east.li', { event: 'accept' }], ['east.li', ARRIVE]]);
    await readyToPropose(t, as, caseId);
    expect((await fire('east.li', caseId, { ...PROPOSAL, revises: 1 })).body).toMatchObject({ code: 'PROPOSAL_CHANGED' });
    await walk(caseId, [['east.lead', PROPOSAL]]);
    // Written before the lead's proposal was seen: refused, whether it names no revision or an old one.
    expect((await fire('east.li', caseId, PROPOSAL))).toMatchObject({ status: 409, body: { code: 'PROPOSAL_CHANGED' } });
    const both = await Promise.all([fire('east.li', caseId, { ...PROPOSAL, revises: 1, facts: 'by east.li' }), fire('east.lead', caseId, { ...PROPOSAL, revises: 1, facts: 'by east.lead' })]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = both.find((r) => r.status === 200)!;
    expect(winner.body).toMatchObject({ event: { data: { revision: 2 } } });
    expect((await fire('east.li', caseId, { ...PROPOSAL, revises: 1 })).body).toMatchObject({ code: 'PROPOSAL_CHANGED', message: expect.stringContaining('revision 2') });
    expect((await detail(caseId)).proposals.map((p: { revision: number }) => p.revision)).toEqual([1, 2]);
  });

  it('writes nothing when the transaction fails half-way', async () => {
    const caseId = await openCase(t);
    await walk(caseId, [['east.li', { event: 'accept' }], ['east.li', ARRIVE]]);
    await readyToPropose(t, as, caseId);
    const pool = t.platform.db.pool;
    // Make the event insert fail after the proposal row and the case update were written.
    await pool.query(`CREATE FUNCTION test_fail_event() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.type = 'decision_proposed' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$`);
    await pool.query('CREATE TRIGGER test_fail_event BEFORE INSERT ON case_events FOR EACH ROW EXECUTE FUNCTION test_fail_event()');
    try {
      const r = await fire('east.li', caseId, PROPOSAL);
      expect(r).toMatchObject({ status: 500, body: { code: 'INTERNAL' } });
    } finally {
      await pool.query('DROP TRIGGER test_fail_event ON case_events');
      await pool.query('DROP FUNCTION test_fail_event()');
    }
    expect((await detail(caseId)).state).toBe('on_site');
    expect(await count(t, 'SELECT 1 FROM case_proposals WHERE case_id = $1', [caseId])).toBe(0);
    expect(await count(t, 'SELECT 1 FROM case_events WHERE case_id = $1', [caseId])).toBe(10);
    // And the same transition then goes through, continuing the chain.
    expect((await fire('east.li', caseId, PROPOSAL)).body).toMatchObject({ to: 'decision_proposed', event: { seq: 11 } });
  });

  it('documents the transition and audit routes in OpenAPI, one body per event', async () => {
    const doc = await api<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { oneOf: { title: string }[] } }> }; responses: Record<string, unknown> }>> }>(t, null, 'GET', '/docs/json');
    const post = doc.body.paths['/api/v1/cases/{id}/transitions']?.post;
    expect(post?.requestBody?.content['application/json']?.schema.oneOf.map((b) => b.title)).toEqual([
      'dispatch', 'accept', 'arrive', 'resolve_on_site', 'propose_decision', 'submit_for_review', 'approve', 'return', 'decide', 'close', 'dismiss',
      'request_opinions', 'give_opinion', 'classify', 'file', 'extend_deadline',
      'notify_party', 'record_statement', 'waive_statement', 'request_hearing', 'record_hearing',
    ]);
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403', '404', '409']));
    expect(doc.body.paths).toHaveProperty(['/api/v1/cases/{id}/audit']);
  });
});
