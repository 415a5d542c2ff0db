import { describe, expect, it } from 'vitest';
import {
  availableEvents,
  CASE_EVENTS,
  CASE_STATES,
  decideTransition,
  LIFECYCLE,
  reject,
  type Actor,
  type CaseEvent,
  type CaseFacts,
  type CaseState,
  type Guard,
} from '../../enforcement-api/domain/case-lifecycle.js';
import { ROLES, type Role } from '../../contract/http/auth.js';

// The specification, written out independently of the module's table (DESIGN §3, issue 5).
const EXPECTED: Record<CaseState, Partial<Record<CaseEvent, CaseState>>> = {
  reported: { dispatch: 'dispatched', dismiss: 'dismissed', classify: 'reported' },
  dispatched: { dispatch: 'dispatched', accept: 'accepted', dismiss: 'dismissed', classify: 'dispatched' },
  accepted: { arrive: 'on_site', dismiss: 'dismissed', classify: 'accepted' },
  on_site: { resolve_on_site: 'resolved_on_site', propose_decision: 'decision_proposed', dismiss: 'dismissed', classify: 'on_site', file: 'on_site', extend_deadline: 'on_site' },
  resolved_on_site: { close: 'closed' },
  decision_proposed: { propose_decision: 'decision_proposed', submit_for_review: 'under_review', extend_deadline: 'decision_proposed' },
  under_review: { approve: 'approved', return: 'returned', request_opinions: 'under_review', give_opinion: 'under_review', extend_deadline: 'under_review' },
  approved: {
    decide: 'decided', extend_deadline: 'approved', propose_decision: 'decision_proposed',
    notify_party: 'approved', record_statement: 'approved', waive_statement: 'approved', request_hearing: 'approved', record_hearing: 'approved',
  },
  returned: { propose_decision: 'decision_proposed', extend_deadline: 'returned' },
  decided: { close: 'closed' },
  closed: {},
  dismissed: {},
};

const ALLOWED_ROLES: Record<CaseEvent, Role[]> = {
  dispatch: ['operator', 'admin', 'team_lead'],
  accept: ['officer', 'team_lead'],
  arrive: ['officer', 'team_lead'],
  resolve_on_site: ['officer', 'team_lead'],
  propose_decision: ['officer', 'team_lead'],
  submit_for_review: ['officer', 'team_lead'],
  approve: ['reviewer'],
  return: ['reviewer'],
  decide: ['officer', 'team_lead'],
  close: ['officer', 'team_lead'],
  dismiss: ['officer', 'team_lead', 'operator', 'admin'],
  request_opinions: ['reviewer'],
  give_opinion: ['reviewer'],
  classify: ['officer', 'team_lead', 'operator', 'admin'],
  file: ['officer', 'team_lead'],
  extend_deadline: ['agency_head'],
  notify_party: ['officer', 'team_lead'],
  record_statement: ['officer', 'team_lead'],
  waive_statement: ['officer', 'team_lead'],
  request_hearing: ['officer', 'team_lead'],
  record_hearing: ['officer', 'team_lead'],
};

const VALID: Record<CaseEvent, Record<string, unknown>> = {
  dispatch: { teamId: 't-river', note: 'fisheries asked the street team to take it' },
  accept: {},
  arrive: { location: { lat: 32.041, lon: 118.781, accuracyM: 8 } },
  resolve_on_site: { outcome: 'corrected', summary: 'speaker turned down after persuasion' },
  propose_decision: { party: 'Zhang San', facts: 'amplified music 71 dB(A) at 21:40', legalBasis: 'Noise Law art. 82', penalties: ['fine'], fineYuan: 500, tier: 'normal' },
  submit_for_review: {},
  approve: { opinion: 'within the benchmark' },
  return: { opinion: 'facts do not show the prior order to correct' },
  decide: { decisionNo: '东执罚决字〔2025〕第12号' },
  close: {},
  dismiss: { reason: 'false alarm: a wedding with a permit' },
  request_opinions: { reviewers: ['u-centre-sun', 'u-centre-qian'], question: 'is confiscation of the boat proportionate?' },
  give_opinion: { opinion: 'proportionate: electric fishing, second offence' },
  classify: { matterCode: 'NOISE-AMPLIFIED', note: 'the complaint is about a loudspeaker' },
  file: { note: 'general procedure' },
  extend_deadline: { reason: 'expert noise report pending', newDueAt: '2026-06-30T16:00:00.000Z' },
  notify_party: { method: 'in_person', servedAt: '2026-05-02T09:00:00+08:00' },
  record_statement: { statement: 'the music was for a licensed event', answer: 'not_accepted', reply: 'no licence was shown; the permit covers the square, not amplified music' },
  waive_statement: { document: 'waiver signed by the party on the notice, filed with the case' },
  request_hearing: { requestedAt: '2026-05-03T10:00:00+08:00' },
  record_hearing: { heldAt: '2026-05-10T09:30:00+08:00', presidedBy: 'u-review', transcriptSummary: 'the party contested the measurement; the meter certificate was shown' },
};

const REQUIRED: Record<CaseEvent, string[]> = {
  dispatch: ['teamId'],
  accept: [],
  arrive: ['location'],
  resolve_on_site: ['outcome', 'summary'],
  propose_decision: ['party', 'facts', 'legalBasis', 'penalties', 'tier'],
  submit_for_review: [],
  approve: [],
  return: ['opinion'],
  decide: ['decisionNo'],
  close: [],
  dismiss: ['reason'],
  request_opinions: ['reviewers', 'question'],
  give_opinion: ['opinion'],
  classify: ['matterCode'],
  file: [],
  extend_deadline: ['reason', 'newDueAt'],
  notify_party: ['method'],
  record_statement: ['statement', 'answer', 'reply'],
  waive_statement: ['document'],
  request_hearing: [],
  record_hearing: ['heldAt', 'presidedBy', 'transcriptSummary'],
};

const actor = (role: Role, teamId: string | null = 't-east'): Actor => ({
  id: `u-${role}`, role, teamId: role === 'officer' || role === 'team_lead' ? teamId : null, reviewPostId: role === 'reviewer' ? 'rp-east' : null,
});
const facts = (state: CaseState, over: Partial<CaseFacts> = {}): CaseFacts => ({ state, teamId: 't-east', inReview: true, reviewPostId: 'rp-east', ...over });
const fire = (c: CaseFacts | null, who: Actor, event: string, fields: unknown = VALID[event as CaseEvent] ?? {}) => decideTransition(c, who, { event, fields });

describe('case lifecycle: every state × event', () => {
  it('knows exactly the states and events of the design', () => {
    expect([...CASE_STATES].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect([...CASE_EVENTS].sort()).toEqual(Object.keys(ALLOWED_ROLES).sort());
  });

  const grid = CASE_STATES.flatMap((state) => CASE_EVENTS.map((event) => [state, event] as const));
  it.each(grid)('%s × %s', (state, event) => {
    const target = EXPECTED[state][event];
    const d = fire(facts(state), actor(ALLOWED_ROLES[event][0]!), event);
    if (target) {
      expect(d).toMatchObject({ ok: true, from: state, to: target, transition: { event } });
    } else {
      expect(d).toMatchObject({ ok: false, status: 409, code: 'INVALID_TRANSITION' });
      if (!d.ok) expect(d.message).toContain(state);
    }
  });

  it('refuses every role not allowed for an event, in every state, before looking at the case', () => {
    for (const event of CASE_EVENTS) {
      for (const role of ROLES) {
        for (const state of CASE_STATES) {
          const d = fire(facts(state), actor(role), event);
          if (ALLOWED_ROLES[event].includes(role)) {
            expect(d.ok || d.status !== 403, `${role} ${event} in ${state}`).toBe(true);
          } else {
            expect(d, `${role} ${event} in ${state}`).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
            // Also for a case that does not exist: a forbidden role learns nothing about ids.
            expect(fire(null, actor(role), event)).toMatchObject({ status: 403 });
          }
        }
      }
    }
  });

  it('accepts every allowed role where the state allows it', () => {
    for (const [state, events] of Object.entries(EXPECTED) as [CaseState, Partial<Record<CaseEvent, CaseState>>][]) {
      for (const event of Object.keys(events) as CaseEvent[]) {
        for (const role of ALLOWED_ROLES[event]) expect(fire(facts(state), actor(role), event).ok, `${role} ${event} in ${state}`).toBe(true);
      }
    }
  });
});

describe('case lifecycle: jurisdiction', () => {
  it("hides another team's case from officers and team leads (404, even in a wrong state)", () => {
    for (const event of CASE_EVENTS) {
      for (const role of ALLOWED_ROLES[event].filter((r) => r === 'officer' || r === 'team_lead')) {
        for (const state of CASE_STATES) {
          expect(fire(facts(state, { teamId: 't-river' }), actor(role, 't-east'), event), `${role} ${event} ${state}`).toMatchObject({ status: 404, code: 'CASE_NOT_FOUND' });
          expect(fire(facts(state, { teamId: null }), actor(role, 't-east'), event)).toMatchObject({ status: 404 });
          expect(fire(facts(state), actor(role, null), event)).toMatchObject({ status: 404 });
        }
      }
    }
  });

  it('lets reviewers act only on cases submitted for review', () => {
    expect(fire(facts('under_review', { inReview: false }), actor('reviewer'), 'approve')).toMatchObject({ status: 404 });
    expect(fire(facts('under_review', { teamId: 't-river' }), actor('reviewer'), 'return')).toMatchObject({ ok: true, to: 'returned' });
    expect(fire(facts('approved'), actor('reviewer'), 'approve')).toMatchObject({ status: 409 });
  });

  it('lets reviewers act only on cases submitted to their own post', () => {
    expect(fire(facts('under_review', { reviewPostId: 'rp-centre' }), actor('reviewer'), 'approve')).toMatchObject({ status: 404, code: 'CASE_NOT_FOUND' });
    expect(fire(facts('under_review', { reviewPostId: null }), actor('reviewer'), 'approve')).toMatchObject({ status: 404 });
    expect(fire(facts('under_review'), { ...actor('reviewer'), reviewPostId: null }, 'return')).toMatchObject({ status: 404 });
    expect(fire(facts('under_review', { reviewPostId: 'rp-centre' }), { ...actor('reviewer'), reviewPostId: 'rp-centre' }, 'approve')).toMatchObject({ ok: true });
  });

  it('lets operators and admins route and dismiss any case, including the fallback queue', () => {
    for (const role of ['operator', 'admin'] as const) {
      expect(fire(facts('reported', { teamId: null, inReview: false }), actor(role), 'dispatch')).toMatchObject({ ok: true, to: 'dispatched' });
      expect(fire(facts('reported', { teamId: null, inReview: false }), actor(role), 'dismiss')).toMatchObject({ ok: true, to: 'dismissed' });
      expect(fire(facts('on_site', { teamId: 't-river' }), actor(role), 'dismiss')).toMatchObject({ ok: true });
      expect(fire(facts('dispatched'), actor(role), 'accept')).toMatchObject({ status: 403 });
    }
  });

  it('answers 404 for a missing case to a permitted role', () => {
    for (const event of CASE_EVENTS) expect(fire(null, actor(ALLOWED_ROLES[event][0]!), event)).toMatchObject({ status: 404, code: 'CASE_NOT_FOUND' });
  });
});

describe('case lifecycle: fields', () => {
  const stateFor = (event: CaseEvent): CaseState => (Object.keys(EXPECTED) as CaseState[]).find((s) => EXPECTED[s][event])!;

  it.each(CASE_EVENTS.flatMap((e) => REQUIRED[e].map((f) => [e, f] as const)))('%s needs %s', (event, field) => {
    const fields: Record<string, unknown> = { ...VALID[event] };
    delete fields[field];
    const d = fire(facts(stateFor(event)), actor(ALLOWED_ROLES[event][0]!), event, fields);
    expect(d).toMatchObject({ ok: false, status: 400, code: 'VALIDATION' });
    if (!d.ok) expect(d.message).toContain(field);
  });

  it('checks the state before the fields', () => {
    expect(fire(facts('closed'), actor('officer'), 'dismiss', {})).toMatchObject({ status: 409 });
  });

  it('refuses unknown fields, blank text, control characters, broken Unicode and oversize text', () => {
    const dismiss = (fields: unknown) => fire(facts('dispatched'), actor('officer'), 'dismiss', fields);
    for (const bad of [
      { reason: 'ok', extra: 1 },
      { reason: '' },
      { reason: '   \n\t ' },
      { reason: 'nul \u0000 byte' },
      { reason: 'bell \u0007' },
      { reason: 'half a pair \ud83d' },
      { reason: 'x'.repeat(1001) },
      { reason: 42 },
      null,
      'reason',
    ]) {
      expect(dismiss(bad), JSON.stringify(bad)).toMatchObject({ ok: false, status: 400, code: 'VALIDATION' });
    }
    for (const good of ["'; DROP TABLE cases; --", '<script>alert(1)</script>', '误报：婚礼音响，有许可 😀', 'two\nlines']) {
      expect(dismiss({ reason: good })).toMatchObject({ ok: true, transition: { fields: { reason: good } } });
    }
  });

  it('requires a fine amount with, and only with, a fine; no_penalty stands alone', () => {
    const propose = (over: Record<string, unknown>) => fire(facts('on_site'), actor('officer'), 'propose_decision', { ...VALID.propose_decision, ...over });
    expect(propose({ penalties: ['fine'], fineYuan: undefined })).toMatchObject({ status: 400, message: expect.stringContaining('fineYuan') });
    expect(propose({ penalties: ['warning'], fineYuan: 200 })).toMatchObject({ status: 400, message: expect.stringContaining('fineYuan') });
    expect(propose({ penalties: ['no_penalty', 'warning'], fineYuan: undefined })).toMatchObject({ status: 400 });
    expect(propose({ penalties: ['fine', 'fine'] })).toMatchObject({ status: 400 });
    expect(propose({ penalties: [] })).toMatchObject({ status: 400 });
    expect(propose({ penalties: ['no_penalty'], fineYuan: undefined })).toMatchObject({ ok: true });
    expect(propose({ penalties: ['warning', 'fine', 'confiscation'], fineYuan: 20000 })).toMatchObject({ ok: true });
  });

  it('needs a position on arrival and a known resolution outcome', () => {
    expect(fire(facts('accepted'), actor('officer'), 'arrive', { location: { lat: 91, lon: 0 } })).toMatchObject({ status: 400 });
    expect(fire(facts('on_site'), actor('officer'), 'resolve_on_site', { outcome: 'bribed', summary: 'x' })).toMatchObject({ status: 400 });
  });

  it('refuses an unknown event', () => {
    expect(fire(facts('dispatched'), actor('officer'), 'teleport', {})).toMatchObject({ status: 400, code: 'UNKNOWN_EVENT' });
  });

  it('will not dispatch a case to the team that already has it', () => {
    expect(fire(facts('dispatched'), actor('operator'), 'dispatch', { teamId: 't-east' })).toMatchObject({ status: 409, code: 'ALREADY_ON_TEAM' });
  });
});

describe('case lifecycle: guards and shape', () => {
  it('runs injected guards after the built-in checks, typed per event', () => {
    const seen: string[] = [];
    const twoOfficers: Guard<'arrive'> = ({ transition, actor: who }) => {
      seen.push(`${who.id}@${transition.fields.location.lat}`);
      return reject(422, 'TWO_OFFICERS_REQUIRED', 'on-site enforcement needs two certified officers');
    };
    const policy = { guards: { arrive: [twoOfficers] } };
    const arrive = (c: CaseFacts) => decideTransition(c, actor('officer'), { event: 'arrive', fields: VALID.arrive }, policy);
    expect(arrive(facts('accepted'))).toMatchObject({ status: 422, code: 'TWO_OFFICERS_REQUIRED' });
    expect(arrive(facts('dispatched'))).toMatchObject({ status: 409 });
    expect(seen).toEqual(['u-officer@32.041']);
    expect(decideTransition(facts('dispatched'), actor('officer'), { event: 'accept', fields: {} }, policy)).toMatchObject({ ok: true });
  });

  it('lists the actions a person can take now', () => {
    expect(availableEvents(facts('dispatched'), actor('officer'))).toEqual(['accept', 'dismiss']);
    expect(availableEvents(facts('dispatched'), actor('team_lead'))).toEqual(['dispatch', 'accept', 'dismiss']);
    expect(availableEvents(facts('under_review'), actor('reviewer'))).toEqual(['approve', 'return', 'request_opinions', 'give_opinion']);
    expect(availableEvents(facts('under_review', { teamId: 't-river' }), actor('officer'))).toEqual([]);
    expect(availableEvents(facts('closed'), actor('admin'))).toEqual([]);
  });

  it('reaches every state from reported, and a terminal state from every state', () => {
    const next = (s: CaseState) => CASE_EVENTS.filter((e) => LIFECYCLE[e].from.includes(s)).map((e) => LIFECYCLE[e].to ?? s);
    const reach = (start: CaseState) => {
      const seen = new Set<CaseState>([start]);
      for (const queue = [start]; queue.length; ) {
        for (const t of next(queue.pop()!)) {
          if (seen.has(t)) continue;
          seen.add(t);
          queue.push(t);
        }
      }
      return seen;
    };
    expect([...reach('reported')].sort()).toEqual([...CASE_STATES].sort());
    for (const s of CASE_STATES) expect(reach(s).has('closed') || reach(s).has('dismissed'), s).toBe(true);
    expect(next('closed')).toEqual([]);
    expect(next('dismissed')).toEqual([]);
  });
});
