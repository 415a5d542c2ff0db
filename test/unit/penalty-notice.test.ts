import { describe, expect, it } from 'vitest';
import { decisionProblem, hearingAvailable, heavierThan, noticeRecord, procedureOf, type NoticeFacts, type NotifiedMeasures, type ProcedureEvent } from '../../enforcement-api/domain/penalty-notice.js';

/** Hearing the party before a penalty (APL arts. 44, 45, 62–64): the pure rules. */

const fine = (fineYuan: number | null, penalties = ['warning', 'fine']) => ({ penalties, fineYuan });
const ev = (seq: number, type: string, data: Record<string, unknown> = {}, at = '2026-05-02T01:00:00Z'): ProcedureEvent => ({ seq, at: new Date(at), actor: 'u-east-li', type, data });
const notified = (seq: number, revision: number, over: Record<string, unknown> = {}) => ev(seq, 'party_notified', {
  revision, servedAt: '2026-05-02T01:00:00.000Z', method: 'in_person', penalties: ['warning', 'fine'], fineYuan: 500, hearingAvailable: false,
  statementDueAt: '2026-05-05T15:59:59.999Z', hearingRequestDueAt: null, ...over,
});
const facts = (events: ProcedureEvent[], latest: NotifiedMeasures = { revision: 1, penalties: ['warning', 'fine'], fineYuan: 500, hearingRequired: false }, now = '2026-05-03T00:00:00Z'): NoticeFacts => ({
  now: new Date(now), latest, approvedAt: new Date('2026-05-01T00:00:00Z'), procedure: procedureOf(events, latest.revision), investigators: ['u-east-li', 'u-east-lead'],
});

describe('the party heard before a penalty', () => {
  it('gives a hearing for a large fine, confiscation, suspension, licence revocation or when the proposal names one', () => {
    expect(hearingAvailable({ ...fine(500), hearingRequired: false }, 10_000)).toBe(false);
    expect(hearingAvailable({ ...fine(10_000), hearingRequired: false }, 10_000)).toBe(true);
    expect(hearingAvailable({ ...fine(500, ['confiscation', 'fine']), hearingRequired: false }, 10_000)).toBe(true);
    expect(hearingAvailable({ ...fine(null, ['licence_revocation']), hearingRequired: false }, 10_000)).toBe(true);
    expect(hearingAvailable({ ...fine(500), hearingRequired: true }, 10_000)).toBe(true);
  });

  it('counts a larger fine or an added measure as heavier, a lighter or equal one not', () => {
    expect(heavierThan(fine(800), fine(500))).toBe(true);
    expect(heavierThan(fine(500, ['warning', 'fine', 'confiscation']), fine(500))).toBe(true);
    expect(heavierThan(fine(200), fine(500))).toBe(false);
    expect(heavierThan(fine(500, ['fine']), fine(500))).toBe(false);
    expect(heavierThan(fine(null, ['no_penalty']), fine(500))).toBe(false);
  });

  it('records the periods: the statement days, or the hearing-request days where a hearing is available', () => {
    const end = (from: Date, days: number) => new Date(from.getTime() + days * 86_400_000);
    const at = new Date('2026-05-02T01:00:00Z');
    const settings = { majorFineYuan: 10_000, statementDays: 3, hearingRequestDays: 5 };
    expect(noticeRecord({ revision: 1, ...fine(500), hearingRequired: false }, at, settings, end)).toMatchObject({
      hearingAvailable: false, statementDueAt: '2026-05-05T01:00:00.000Z', hearingRequestDueAt: null, rights: ['statement', 'defence'],
    });
    expect(noticeRecord({ revision: 1, ...fine(20_000), hearingRequired: false }, at, settings, end)).toMatchObject({
      hearingAvailable: true, statementDueAt: '2026-05-07T01:00:00.000Z', hearingRequestDueAt: '2026-05-07T01:00:00.000Z',
    });
  });

  it('decides only after the notice of the latest revision, a requested hearing held, and a statement, waiver or the period passed', () => {
    expect(decisionProblem(facts([]))).toMatchObject({ status: 409, code: 'PARTY_NOT_NOTIFIED' });
    expect(decisionProblem(facts([notified(5, 1)]))).toMatchObject({ code: 'STATEMENT_PERIOD_OPEN' });
    expect(decisionProblem(facts([notified(5, 1)], undefined, '2026-05-06T00:00:00Z'))).toBeUndefined();
    expect(decisionProblem(facts([notified(5, 1), ev(6, 'statement_recorded', { statement: 's', answer: 'accepted', reply: 'r' })]))).toBeUndefined();
    expect(decisionProblem(facts([notified(5, 1), ev(6, 'statement_waived', { document: 'd' })]))).toBeUndefined();
    expect(decisionProblem(facts([notified(5, 1), ev(6, 'statement_waived', { document: 'd' }), ev(7, 'hearing_requested', { requestedAt: '2026-05-02T02:00:00Z' })]))).toMatchObject({ code: 'HEARING_NOT_HELD' });
    // A revision after the notice voids it, with what followed it.
    const revised = { revision: 2, penalties: ['warning', 'fine'], fineYuan: 200, hearingRequired: false };
    const f = facts([notified(5, 1), ev(6, 'statement_recorded', { statement: 's', answer: 'partly_accepted', reply: 'r' })], revised);
    expect(decisionProblem(f)).toMatchObject({ code: 'PARTY_NOT_NOTIFIED', message: expect.stringContaining('voided by revision 2') });
    expect(f.procedure).toMatchObject({ current: false, voided: [{ revision: 1 }] });
    expect(procedureOf([notified(5, 1), ev(6, 'statement_recorded'), notified(9, 2, { fineYuan: 200 })], 2)).toMatchObject({ current: true, statements: [], notice: { revision: 2 }, voided: [{ revision: 1 }] });
    // Never heavier than what was notified (art. 45).
    expect(decisionProblem(facts([notified(5, 1), ev(6, 'statement_waived')], { revision: 1, penalties: ['warning', 'fine'], fineYuan: 800, hearingRequired: false }))).toMatchObject({ code: 'HEAVIER_THAN_NOTIFIED' });
    // No penalty: nothing to notify, nothing to wait for.
    expect(decisionProblem(facts([], { revision: 1, penalties: ['no_penalty'], fineYuan: null, hearingRequired: false }))).toBeUndefined();
  });
});
