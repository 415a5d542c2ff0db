import { describe, expect, it } from 'vitest';
import { decideTransition, type Actor, type CaseFacts } from '../../enforcement-api/domain/case-lifecycle.js';
import { contentProblem, sensorEvidenceProblems, type SensorRecord } from '../../enforcement-api/domain/evidence.js';
import {
  ageOn,
  certificateOn,
  certificateProblem,
  checkOfficerPair,
  combinedFineReason,
  decisionDeadline,
  decisionDueAt,
  decisionWarningAt,
  endOfLocalDay,
  legalGuards,
  localDate,
  reviewRouting,
  startOfLocalDay,
  withinTier,
  type BenchmarkTier,
  type LegalFacts,
  type OfficerCertificate,
} from '../../enforcement-api/domain/legal-rules.js';
import type { StatutoryBound } from '../../enforcement-api/legal/statutory-bounds.js';
import { distanceToZoneM } from '../../enforcement-api/legal/evidence-files.js';
import { backdatedCoverage } from '../../enforcement-api/legal/certificate-backdating.js';
import { filingDeadlines } from '../../enforcement-api/domain/sla.js';

const noiseLaw: StatutoryBound = {
  matterCode: 'NOISE', partyKind: 'individual', effectiveFrom: '2000-01-01', fineRequired: false, minFineYuan: 200, maxFineYuan: 1000, mandatoryMeasures: ['warning'], legalBasis: 'art. 82',
};

const version = (userId: string, over: Partial<OfficerCertificate> = {}): OfficerCertificate => ({ userId, certificateNo: `ZF-${userId}`, validFrom: '2025-01-01', validUntil: '2026-12-31', domains: ['ecology'], ...over });
/** A certificate history of one version. */
const cert = (userId: string, over: Partial<OfficerCertificate> = {}): OfficerCertificate[] => [version(userId, over)];
const tier = (over: Partial<BenchmarkTier>): BenchmarkTier => ({ matterCode: 'NOISE', partyKind: 'individual', tier: 'normal', minFineYuan: 400, maxFineYuan: 700, measures: ['warning', 'fine'], facts: '', legalBasis: '', effectiveFrom: '2000-01-01', ...over });
const facts = (over: Partial<LegalFacts> = {}): LegalFacts => ({
  today: '2026-03-01',
  now: new Date('2026-03-01T12:00:00Z'),
  matter: { code: 'NOISE', domain: 'ecology', penalty: true },
  classifyTarget: null,
  certificates: { a: cert('a'), b: cert('b') },
  onSiteOfficers: ['a', 'b'],
  benchmarks: [tier({ tier: 'no_penalty', minFineYuan: 0, maxFineYuan: 0 }), tier({})],
  bounds: [noiseLaw],
  presenceConfirmed: true,
  filedAt: new Date('2026-01-31T00:00:00Z'),
  priorCasesOfParty: 0,
  evidence: { files: 1, validSensorRecords: 0 },
  review: { postKind: 'street', level: 'routine', pendingOpinions: [], reviewersAtPost: ['r1', 'r2'], opinionsGiven: 0 },
  decisionDueAt: new Date('2026-05-01T00:00:00Z'),
  ...over,
});
const officer: Actor = { id: 'a', role: 'officer', teamId: 't' };
const reviewer: Actor = { id: 'r1', role: 'reviewer', teamId: null, reviewPostId: 'p' };
const at = (state: CaseFacts['state']): CaseFacts => ({ state, teamId: 't', inReview: true, reviewPostId: 'p' });
const decide = (f: LegalFacts, state: CaseFacts['state'], who: Actor, event: string, fields: Record<string, unknown>) =>
  decideTransition(at(state), who, { event, fields }, { guards: legalGuards(f, { majorReviewOpinions: 2, timezone: 'UTC', extensionMaxDays: 30, extensionsWithoutDiscussion: 1 }) });
const PARTY = '320102198805050013';
const proposal = { party: 'P', facts: 'f', legalBasis: 'art. 82', penalties: ['warning', 'fine'], fineYuan: 500, tier: 'normal', partyId: PARTY };

describe('certificates', () => {
  it('needs a certificate valid that day that covers the domain', () => {
    expect(certificateProblem('a', cert('a'), 'ecology', '2026-12-31')).toBeUndefined();
    expect(certificateProblem('a', cert('a'), 'ecology', '2027-01-01')).toContain('expired');
    expect(certificateProblem('a', cert('a'), 'fisheries', '2026-03-01')).toContain('does not cover fisheries');
    expect(certificateProblem('a', undefined, 'ecology', '2026-03-01')).toContain('no enforcement certificate');
    expect(certificateProblem('a', cert('a'), null, '2026-03-01')).toBeUndefined();
  });

  it('reads the version in force on the day, not the latest one', () => {
    // Expired on 31 March, renewed from 1 May: the lapse between is uncovered.
    const renewed = [version('a', { validUntil: '2026-03-31' }), version('a', { certificateNo: 'ZF-a2', validFrom: '2026-05-01', validUntil: '2029-04-30' })];
    expect(certificateProblem('a', renewed, 'ecology', '2026-03-31')).toBeUndefined();
    expect(certificateProblem('a', renewed, 'ecology', '2026-04-15')).toContain('expired on 2026-03-31');
    expect(certificateProblem('a', renewed, 'ecology', '2026-05-01')).toBeUndefined();
    expect(certificateOn(renewed, '2026-06-01')?.certificateNo).toBe('ZF-a2');
    // Issued on 1 June: not for an act in January.
    const late = [version('a', { validFrom: '2026-06-01' })];
    expect(certificateProblem('a', late, 'ecology', '2026-01-15')).toContain('valid only from 2026-06-01');
    expect(certificateProblem('a', late, 'ecology', '2026-06-01')).toBeUndefined();
    // Domains changed from 1 July: the earlier domains still judge earlier days.
    const moved = [version('a', { validUntil: '2028-12-31' }), version('a', { validFrom: '2026-07-01', validUntil: '2028-12-31', domains: ['fisheries'] })];
    expect(certificateProblem('a', moved, 'ecology', '2026-06-30')).toBeUndefined();
    expect(certificateProblem('a', moved, 'ecology', '2026-07-01')).toContain('does not cover ecology');
    expect(certificateProblem('a', moved, 'fisheries', '2026-07-01')).toBeUndefined();
    // Recorded out of order: the later validFrom still wins; the same validFrom recorded again replaces (cuts short).
    expect(certificateOn([moved[1]!, moved[0]!], '2026-08-01')?.domains).toEqual(['fisheries']);
    const cut = [version('a'), version('a', { validUntil: '2026-02-28' })];
    expect(certificateProblem('a', cut, 'ecology', '2026-03-01')).toContain('expired on 2026-02-28');
  });

  it('needs two different certified officers', () => {
    const certs = { a: cert('a'), b: cert('b'), x: cert('x', { validUntil: '2020-01-01' }) };
    expect(checkOfficerPair(['a', 'b'], certs, 'ecology', '2026-03-01')).toBeUndefined();
    expect(checkOfficerPair(['a', 'a'], certs, 'ecology', '2026-03-01')).toMatchObject({ code: 'NOT_TWO_OFFICERS' });
    expect(checkOfficerPair(['a'], certs, 'ecology', '2026-03-01')).toMatchObject({ code: 'NOT_TWO_OFFICERS' });
    expect(checkOfficerPair(['a', 'x'], certs, 'ecology', '2026-03-01')).toMatchObject({ code: 'OFFICER_NOT_CERTIFIED' });
  });

  it('dates certificates on the local calendar', () => {
    expect(localDate(new Date('2026-02-28T17:30:00Z'), 'Asia/Shanghai')).toBe('2026-03-01');
    expect(localDate(new Date('2026-02-28T17:30:00Z'), 'UTC')).toBe('2026-02-28');
  });

  it('guards the arrival of a penalty matter only', () => {
    expect(decide(facts(), 'accepted', officer, 'arrive', { location: { lat: 1, lon: 1 } })).toMatchObject({ code: 'SECOND_OFFICER_REQUIRED' });
    expect(decide(facts(), 'accepted', officer, 'arrive', { location: { lat: 1, lon: 1 }, secondOfficerId: 'b' })).toMatchObject({ ok: true });
    expect(decide(facts({ matter: { code: 'C', domain: 'emergency', penalty: false } }), 'accepted', officer, 'arrive', { location: { lat: 1, lon: 1 } })).toMatchObject({ ok: true });
    expect(decide(facts({ onSiteOfficers: ['b', 'c'] }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'NOT_ON_SITE_OFFICER' });
  });

  it('counts the pair only once the second officer confirmed presence', () => {
    const unconfirmed = facts({ presenceConfirmed: false });
    expect(decide(unconfirmed, 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'SECOND_OFFICER_UNCONFIRMED' });
    expect(decide(unconfirmed, 'on_site', officer, 'resolve_on_site', { outcome: 'warning_issued', summary: 's', partyId: PARTY })).toMatchObject({ code: 'SECOND_OFFICER_UNCONFIRMED' });
    expect(decide(facts({ presenceConfirmed: false, filedAt: null }), 'on_site', officer, 'file', {})).toMatchObject({ code: 'SECOND_OFFICER_UNCONFIRMED' });
  });
});

describe('matter before enforcement, filing, parties, the bounds of the law', () => {
  const unclassified = facts({ matter: null });
  it('refuses every enforcement step of a case without a matter, until it is classified', () => {
    expect(decide(unclassified, 'accepted', officer, 'arrive', { location: { lat: 1, lon: 1 } })).toMatchObject({ code: 'MATTER_REQUIRED' });
    expect(decide(unclassified, 'on_site', officer, 'resolve_on_site', { outcome: 'warning_issued', summary: 's' })).toMatchObject({ code: 'MATTER_REQUIRED' });
    expect(decide(unclassified, 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'MATTER_REQUIRED' });
    expect(decide(unclassified, 'on_site', officer, 'file', {})).toMatchObject({ code: 'MATTER_REQUIRED' });
    expect(decide(unclassified, 'dispatched', officer, 'classify', { matterCode: 'X' })).toMatchObject({ code: 'UNKNOWN_MATTER' });
    expect(decide(facts({ matter: null, classifyTarget: { code: 'NOISE' } }), 'dispatched', officer, 'classify', { matterCode: 'NOISE' })).toMatchObject({ ok: true, to: 'dispatched' });
    expect(decide(facts({ classifyTarget: { code: 'NOISE' } }), 'dispatched', officer, 'classify', { matterCode: 'NOISE' })).toMatchObject({ code: 'ALREADY_CLASSIFIED' });
  });

  it('files once, and proposes only in a filed case', () => {
    expect(decide(facts({ filedAt: null }), 'on_site', officer, 'file', {})).toMatchObject({ ok: true, to: 'on_site' });
    expect(decide(facts(), 'on_site', officer, 'file', {})).toMatchObject({ code: 'ALREADY_FILED' });
    expect(decide(facts({ filedAt: null }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'NOT_FILED' });
    expect(decide(facts({ matter: { code: 'C', domain: 'emergency', penalty: false } }), 'on_site', officer, 'file', {})).toMatchObject({ code: 'NO_PENALTY_MATTER' });
  });

  it('needs an identified party for any penalty', () => {
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, partyId: undefined })).toMatchObject({ code: 'PARTY_ID_REQUIRED' });
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, partyId: '320102198805050012' })).toMatchObject({ code: 'INVALID_PARTY_ID' });
    expect(decide(facts({ filedAt: null }), 'on_site', officer, 'resolve_on_site', { outcome: 'warning_issued', summary: 's' })).toMatchObject({ code: 'PARTY_ID_REQUIRED' });
    expect(decide(facts(), 'on_site', officer, 'resolve_on_site', { outcome: 'no_violation_found', summary: 's' })).toMatchObject({ ok: true });
    expect(decide(facts(), 'on_site', officer, 'resolve_on_site', { outcome: 'warning_issued', summary: 's', partyId: PARTY })).toMatchObject({ code: 'CASE_FILED' });
  });

  it('refuses a proposal outside the law, and one outside the benchmark without a written reason', () => {
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, fineYuan: 5000 })).toMatchObject({ code: 'OUTSIDE_STATUTORY_BOUNDS' });
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, penalties: ['fine'] })).toMatchObject({ code: 'MANDATORY_MEASURE_MISSING' });
    expect(decide(facts({ bounds: [] }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'NO_STATUTORY_BOUNDS' });
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, fineYuan: 900 })).toMatchObject({ code: 'BENCHMARK_DEVIATION_UNREASONED' });
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, fineYuan: 900, deviationReason: 'third refusal this month' })).toMatchObject({ ok: true });
  });
});

describe('benchmarks and review routing', () => {
  it('checks a fine against its tier', () => {
    expect(withinTier(tier({}), { penalties: ['fine'], fineYuan: 400 })).toBe(true);
    expect(withinTier(tier({}), { penalties: ['fine'], fineYuan: 701 })).toBe(false);
    expect(withinTier(tier({ minFineYuan: 0, maxFineYuan: 400 }), { penalties: ['warning'] })).toBe(true);
    expect(withinTier(tier({}), { penalties: ['warning'] })).toBe(false);
  });

  it.each([
    [{ penalties: ['warning', 'fine'], fineYuan: 500 }, false, 'routine', []],
    [{ penalties: ['fine'], fineYuan: 10000 }, false, 'major', ['fine of ¥10000 at or above ¥10000']],
    [{ penalties: ['fine'], fineYuan: 9999 }, false, 'routine', []],
    [{ penalties: ['confiscation', 'fine'], fineYuan: 500 }, false, 'major', ['confiscation']],
    [{ penalties: ['suspension'] }, false, 'major', ['suspension of production or business']],
    [{ penalties: ['licence_revocation'] }, false, 'major', ['licence revocation']],
    [{ penalties: ['warning'], hearingRequired: true }, false, 'major', ['hearing required']],
    [{ penalties: ['fine'], fineYuan: 900 }, true, 'major', ['outside the discretion benchmark']],
  ] as const)('routes %j (outside: %s) as %s', (p, outside, level, reasons) => {
    expect(reviewRouting(p, outside, 10000)).toEqual({ level, reasons });
  });

  it('counts a party\'s fines for one matter on one day together: one act is not split under the threshold', () => {
    const others = [{ caseNumber: 7, fineYuan: 6000 }];
    expect(reviewRouting({ penalties: ['fine'], fineYuan: 3000 }, false, 10000, others)).toEqual({ level: 'routine', reasons: [] });
    expect(reviewRouting({ penalties: ['fine'], fineYuan: 4000 }, false, 10000, others)).toEqual({ level: 'major', reasons: [expect.stringContaining('#7 (¥6000)')] });
    expect(combinedFineReason(4000, [...others, { caseNumber: 9, fineYuan: 1 }], 10000)).toContain('¥10001');
    // Major on its own already: no second reason.
    expect(combinedFineReason(12000, others, 10000)).toBeUndefined();
    expect(combinedFineReason(undefined, others, 10000)).toBeUndefined();
  });

  it('approves and makes a decision only while valid evidence remains', () => {
    const none = facts({ evidence: { files: 0, validSensorRecords: 0 } });
    expect(decide(none, 'under_review', reviewer, 'approve', {})).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
    expect(decide(none, 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
    expect(decide(facts({ evidence: { files: 0, validSensorRecords: 1 } }), 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ ok: true });
  });

  it('refuses a proposal without a tier of the benchmark, a mismatched no_penalty tier, or any valid evidence', () => {
    expect(decide(facts(), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ ok: true });
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, tier: 'aggravated' })).toMatchObject({ code: 'UNKNOWN_TIER' });
    const withUnits = facts({ bounds: [noiseLaw, { ...noiseLaw, partyKind: 'unit', minFineYuan: 2000, maxFineYuan: 20000 }] });
    expect(decide(withUnits, 'on_site', officer, 'propose_decision', { ...proposal, partyKind: 'unit', partyId: '91350100M000100Y43', fineYuan: 5000 })).toMatchObject({ code: 'UNKNOWN_TIER' });
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, tier: 'no_penalty' })).toMatchObject({ code: 'TIER_MISMATCH' });
    // Only measures the legal basis provides (its benchmark's tiers name them): no licence revoked for noise.
    expect(decide(facts(), 'on_site', officer, 'propose_decision', { ...proposal, penalties: [...proposal.penalties, 'licence_revocation'] })).toMatchObject({ code: 'MEASURE_NOT_IN_BASIS' });
    expect(decide(facts({ benchmarks: [] }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'NO_PENALTY_MATTER' });
    expect(decide(facts({ evidence: { files: 0, validSensorRecords: 0 } }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'NO_VALID_EVIDENCE' });
    expect(decide(facts({ evidence: { files: 0, validSensorRecords: 1 } }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ ok: true });
  });

  it('keeps approval of a major decision at the centre, after every opinion asked for', () => {
    expect(decide(facts({ review: { postKind: 'street', level: 'major', pendingOpinions: [], reviewersAtPost: [], opinionsGiven: 2 } }), 'under_review', reviewer, 'approve', {})).toMatchObject({ code: 'MAJOR_DECISION_NEEDS_CENTRE' });
    expect(decide(facts({ review: { postKind: 'district', level: 'major', pendingOpinions: [], reviewersAtPost: [], opinionsGiven: 2 } }), 'under_review', reviewer, 'approve', {})).toMatchObject({ ok: true });
    expect(decide(facts({ review: { postKind: 'district', level: 'major', pendingOpinions: [], reviewersAtPost: [], opinionsGiven: 1 } }), 'under_review', reviewer, 'approve', {})).toMatchObject({ code: 'CONSULTATION_REQUIRED' });
    expect(decide(facts({ review: { postKind: 'district', level: 'routine', pendingOpinions: [], reviewersAtPost: [], opinionsGiven: 0 } }), 'under_review', reviewer, 'approve', {})).toMatchObject({ ok: true });
    expect(decide(facts({ review: { postKind: 'district', level: 'major', pendingOpinions: ['r2'], reviewersAtPost: [], opinionsGiven: 2 } }), 'under_review', reviewer, 'approve', {})).toMatchObject({ code: 'CONSULTATION_PENDING' });
    const centre = facts({ review: { postKind: 'district', level: 'major', pendingOpinions: ['r2'], reviewersAtPost: ['r1', 'r2', 'r3'], opinionsGiven: 0 } });
    expect(decide(centre, 'under_review', reviewer, 'request_opinions', { reviewers: ['r2', 'r3'], question: 'q' })).toMatchObject({ ok: true });
    expect(decide(centre, 'under_review', reviewer, 'request_opinions', { reviewers: ['r1'], question: 'q' })).toMatchObject({ code: 'UNKNOWN_REVIEWER' });
    expect(decide(centre, 'under_review', reviewer, 'request_opinions', { reviewers: ['r9'], question: 'q' })).toMatchObject({ code: 'UNKNOWN_REVIEWER' });
    expect(decide(facts(), 'under_review', reviewer, 'request_opinions', { reviewers: ['r2'], question: 'q' })).toMatchObject({ code: 'CONSULTATION_CENTRE_ONLY' });
    expect(decide(centre, 'under_review', reviewer, 'give_opinion', { opinion: 'o' })).toMatchObject({ code: 'NO_OPINION_REQUESTED' });
    expect(decide(centre, 'under_review', { ...reviewer, id: 'r2' }, 'give_opinion', { opinion: 'o' })).toMatchObject({ ok: true });
  });
});

describe('first minor violation', () => {
  const corrected = { outcome: 'corrected', summary: 's', partyId: PARTY, correction: 'switched off' };
  it('needs the party and the correction, and no earlier case of the matter', () => {
    expect(decide(facts({ filedAt: null }), 'on_site', officer, 'resolve_on_site', corrected)).toMatchObject({ ok: true });
    expect(decide(facts({ filedAt: null }), 'on_site', officer, 'resolve_on_site', { ...corrected, correction: undefined })).toMatchObject({ code: 'FIRST_VIOLATION_UNPROVEN' });
    expect(decide(facts({ priorCasesOfParty: 1, filedAt: null }), 'on_site', officer, 'resolve_on_site', corrected)).toMatchObject({ code: 'NOT_FIRST_VIOLATION' });
    expect(decide(facts({ priorCasesOfParty: 1, filedAt: null }), 'on_site', officer, 'resolve_on_site', { ...corrected, outcome: 'warning_issued' })).toMatchObject({ ok: true });
    // A violation does not end as a safety incident's "hazard cleared" (no party, no first-violation rule).
    expect(decide(facts({ filedAt: null }), 'on_site', officer, 'resolve_on_site', { outcome: 'hazard_cleared', summary: 's' })).toMatchObject({ code: 'OUTCOME_NOT_FOR_MATTER' });
    // Only a minor violation is spared: the benchmark in force on the act's day has a no_penalty tier for the party's kind.
    expect(decide(facts({ filedAt: null, benchmarks: [tier({})] }), 'on_site', officer, 'resolve_on_site', corrected)).toMatchObject({ code: 'UNKNOWN_TIER' });
    // A warning on site is a penalty the law must provide alone: not where it imposes a fine with every penalty.
    const fishingLaw = facts({ filedAt: null, bounds: [{ ...noiseLaw, fineRequired: true, mandatoryMeasures: ['confiscation'] }] });
    expect(decide(fishingLaw, 'on_site', officer, 'resolve_on_site', { ...corrected, outcome: 'warning_issued' })).toMatchObject({ code: 'MANDATORY_MEASURE_MISSING' });
    const noPenalty = { ...proposal, penalties: ['no_penalty'], fineYuan: undefined, tier: 'no_penalty', partyId: PARTY, correction: 'c' };
    expect(decide(facts(), 'on_site', officer, 'propose_decision', noPenalty)).toMatchObject({ ok: true });
    expect(decide(facts({ priorCasesOfParty: 2 }), 'on_site', officer, 'propose_decision', noPenalty)).toMatchObject({ code: 'NOT_FIRST_VIOLATION' });
    // Spared once: a first violation already spared in another case, whatever its act's date.
    expect(decide(facts({ firstViolationSparedIn: [12] }), 'on_site', officer, 'propose_decision', noPenalty)).toMatchObject({ code: 'NOT_FIRST_VIOLATION', message: expect.stringContaining('#12') });
    expect(decide(facts({ firstViolationSparedIn: [12] }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ ok: true });
  });
});

describe('90-day decision deadline', () => {
  const filed = new Date('2026-01-01T00:00:00Z');
  const due = new Date('2026-04-01T00:00:00Z');
  const day = (n: number) => new Date(filed.getTime() + n * 86_400_000);
  it.each([
    [10, 'on_time', [false, false]],
    [60, 'warning', [true, false]],
    [85, 'warning', [true, true]],
    [91, 'overdue', [true, true]],
  ] as const)('on day %i: %s', (n, status, reached) => {
    const d = decisionDeadline(filed, due, day(n), [80, 60]);
    expect(d.status).toBe(status);
    expect(d.warnings.map((w) => [w.day, w.reached])).toEqual([[60, reached[0]], [80, reached[1]]]);
  });
  it('counts the days left on the calendar: 90 at filing, 0 on the due day', () => {
    const filedAt = new Date('2026-01-01T02:00:00Z'); // 10:00 in Shanghai
    const dueAt = new Date(filedAt.getTime() + 90 * 86_400_000);
    expect(decisionDeadline(filedAt, dueAt, filedAt, [60], null, 'Asia/Shanghai').daysLeft).toBe(90);
    expect(decisionDeadline(filedAt, dueAt, new Date(filedAt.getTime() + 60_000), [60], null, 'Asia/Shanghai').daysLeft).toBe(90);
    expect(decisionDeadline(filedAt, dueAt, new Date(dueAt.getTime() - 3_600_000), [60], null, 'Asia/Shanghai').daysLeft).toBe(0);
    expect(decisionDeadline(filedAt, dueAt, new Date(dueAt.getTime() + 86_400_000), [60], null, 'Asia/Shanghai')).toMatchObject({ daysLeft: -1, status: 'overdue' });
  });
  it('runs to the end of the 90th local day after the filing date, not 90 × 24 hours', () => {
    // Filed at 23:30 in Shanghai on 1 January (15:30 UTC): the 90th day is 1 April, which ends at 16:00 UTC.
    const late = new Date('2026-01-01T15:30:00Z');
    expect(decisionDueAt(late, 'Asia/Shanghai').toISOString()).toBe('2026-04-01T15:59:59.999Z');
    // Filed at 00:30 in Shanghai on 2 January (16:30 UTC on 1 January): one local day later, whatever UTC says.
    const early = new Date('2026-01-01T16:30:00Z');
    expect(decisionDueAt(early, 'Asia/Shanghai').toISOString()).toBe('2026-04-02T15:59:59.999Z');
    // 90 × 24 h after a late-evening filing would end the case's time at 23:30 on the 90th day.
    expect(decisionDueAt(late, 'Asia/Shanghai').getTime()).toBeGreaterThan(late.getTime() + 90 * 86_400_000);
    // The day shown: 90 on the filing day, 0 on the due day until its last millisecond, overdue after.
    const due = decisionDueAt(late, 'Asia/Shanghai');
    expect(decisionDeadline(late, due, late, [60], null, 'Asia/Shanghai').daysLeft).toBe(90);
    expect(decisionDeadline(late, due, due, [60], null, 'Asia/Shanghai')).toMatchObject({ daysLeft: 0, status: 'warning' });
    expect(decisionDeadline(late, due, new Date(due.getTime() + 1), [60], null, 'Asia/Shanghai')).toMatchObject({ daysLeft: -1, status: 'overdue' });
    // The decision on the due day's last minute is in time; a minute later it is refused.
    const onTime = facts({ filedAt: late, decisionDueAt: due, now: new Date(due.getTime() - 60_000) });
    expect(decide(onTime, 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ ok: true });
    expect(decide({ ...onTime, now: new Date(due.getTime() + 60_000) }, 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ code: 'DECISION_OVERDUE' });
  });
  it('warns from the start of the 60th and 80th local day after the filing date, as the deadline counts its days', () => {
    // Filed at 23:30 in Shanghai on 1 January: day 60 is 2 March, from its local midnight (16:00 UTC on 1 March);
    // 60 × 24 h would have warned only at 23:30 that evening.
    const late = new Date('2026-01-01T15:30:00Z');
    expect(decisionWarningAt(late, 60, 'Asia/Shanghai').toISOString()).toBe('2026-03-01T16:00:00.000Z');
    expect(decisionWarningAt(late, 80, 'Asia/Shanghai').toISOString()).toBe('2026-03-21T16:00:00.000Z');
    // Filed at 00:30 on 2 January in Shanghai (16:30 UTC on 1 January): a day later, whatever UTC says.
    expect(decisionWarningAt(new Date('2026-01-01T16:30:00Z'), 60, 'Asia/Shanghai').toISOString()).toBe('2026-03-02T16:00:00.000Z');
    const due = decisionDueAt(late, 'Asia/Shanghai');
    const at = (iso: string) => decisionDeadline(late, due, new Date(iso), [60, 80], null, 'Asia/Shanghai');
    // The last minute of day 59: no warning yet, 31 days left; the first of day 60: the warning, 30 days left.
    expect(at('2026-03-01T15:59:00Z')).toMatchObject({ status: 'on_time', daysLeft: 31 });
    expect(at('2026-03-01T16:00:00Z')).toMatchObject({ status: 'warning', daysLeft: 30, warnings: [{ day: 60, at: '2026-03-01T16:00:00.000Z', reached: true }, { day: 80, reached: false }] });
    expect(at('2026-03-21T16:00:00Z').warnings.map((w) => w.reached)).toEqual([true, true]);
    // The stored warnings (case_deadlines) are the same instants, before the deadline.
    expect(filingDeadlines(late, due, [80, 60], 'Asia/Shanghai').map((d) => [d.name, d.dueAt.toISOString()])).toEqual([
      ['decision_warning_60', '2026-03-01T16:00:00.000Z'], ['decision_warning_80', '2026-03-21T16:00:00.000Z'], ['decision', '2026-04-01T15:59:59.999Z'],
    ]);
  });
  it('starts warning days at local midnight across a change of clock', () => {
    // Berlin, filed at 23:30 on 20 January (22:30 UTC, winter time): day 60 is 21 March (winter, 23:00 UTC the day
    // before), day 80 is 10 April (summer time from 29 March: 22:00 UTC the day before); 24-hour multiples
    // would have come at 23:30 on day 60 and, after the change of clock, at 00:30 on day 81.
    const filed = new Date('2026-01-20T22:30:00Z');
    expect(decisionWarningAt(filed, 60, 'Europe/Berlin').toISOString()).toBe('2026-03-20T23:00:00.000Z');
    expect(decisionWarningAt(filed, 80, 'Europe/Berlin').toISOString()).toBe('2026-04-09T22:00:00.000Z');
    expect(startOfLocalDay('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(startOfLocalDay('2026-03-30', 'Europe/Berlin').toISOString()).toBe('2026-03-29T22:00:00.000Z');
    expect(startOfLocalDay('2026-10-26', 'Europe/Berlin').toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });
  it('finds the end of a local day across a change of clock', () => {
    // Berlin: summer time starts on 29 March 2026 (02:00 → 03:00); that day ends at 22:00 UTC, the day before at 23:00 UTC.
    expect(endOfLocalDay('2026-03-28', 'Europe/Berlin').toISOString()).toBe('2026-03-28T22:59:59.999Z');
    expect(endOfLocalDay('2026-03-29', 'Europe/Berlin').toISOString()).toBe('2026-03-29T21:59:59.999Z');
    expect(endOfLocalDay('2026-10-25', 'Europe/Berlin').toISOString()).toBe('2026-10-25T22:59:59.999Z');
    expect(endOfLocalDay('2026-06-30', 'UTC').toISOString()).toBe('2026-06-30T23:59:59.999Z');
    expect(endOfLocalDay('2026-06-30', 'Asia/Kathmandu').toISOString()).toBe('2026-06-30T18:14:59.999Z');
  });
  it('reports a decision, on time or late', () => {
    expect(decisionDeadline(filed, due, day(95), [60], { late: true }).status).toBe('decided_late');
    expect(decisionDeadline(filed, due, day(95), [60], { late: false }).status).toBe('decided');
  });
  it('refuses a decision after the deadline, whatever reason is typed: only an extension moves it', () => {
    const late = facts({ now: new Date('2026-05-02T00:00:00Z') });
    expect(decide(late, 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ code: 'DECISION_OVERDUE' });
    expect(decide(late, 'approved', officer, 'decide', { decisionNo: 'N1', overdueReason: 'x' })).toMatchObject({ status: 400, code: 'VALIDATION' });
    expect(decide(facts(), 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ ok: true });
    expect(decide(facts({ now: new Date('2026-05-02T00:00:00Z'), decisionDueAt: new Date('2026-05-31T00:00:00Z') }), 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ ok: true });
  });
  it('extends only to a later date, by the agency head', () => {
    const head: Actor = { id: 'h', role: 'agency_head', teamId: null };
    expect(decide(facts(), 'approved', head, 'extend_deadline', { reason: 'expert report', newDueAt: '2026-05-31T00:00:00Z' })).toMatchObject({ ok: true, to: 'approved' });
    expect(decide(facts(), 'approved', head, 'extend_deadline', { reason: 'expert report', newDueAt: '2026-04-30T00:00:00Z' })).toMatchObject({ code: 'EXTENSION_NOT_LATER' });
    expect(decide(facts({ filedAt: null, decisionDueAt: null }), 'approved', head, 'extend_deadline', { reason: 'r', newDueAt: '2026-05-31T00:00:00Z' })).toMatchObject({ code: 'NOT_FILED' });
    expect(decide(facts(), 'approved', officer, 'extend_deadline', { reason: 'r', newDueAt: '2026-05-31T00:00:00Z' })).toMatchObject({ code: 'FORBIDDEN' });
    // Not once the deadline has passed: a missed deadline is not revived.
    expect(decide(facts({ now: new Date('2026-05-02T00:00:00Z') }), 'approved', head, 'extend_deadline', { reason: 'r', newDueAt: '2026-05-31T00:00:00Z' })).toMatchObject({ code: 'EXTENSION_AFTER_DEADLINE' });
  });
  it('extends by at most 30 days, and a second time only by collective discussion', () => {
    const head: Actor = { id: 'h', role: 'agency_head', teamId: null };
    const extend = (f: LegalFacts, fields: Record<string, unknown>) => decide(f, 'approved', head, 'extend_deadline', { reason: 'expert report', ...fields });
    // The deadline is 1 May (UTC in these facts): 31 May is 30 days on, 1 June 31.
    expect(extend(facts(), { newDueAt: '2026-06-01T00:00:00Z' })).toMatchObject({ code: 'EXTENSION_TOO_LONG', message: expect.stringContaining('31 days') });
    const once = facts({ extensionsSoFar: 1 });
    expect(extend(once, { newDueAt: '2026-05-10T00:00:00Z' })).toMatchObject({ code: 'COLLECTIVE_DISCUSSION_REQUIRED' });
    const discussion = { heldOn: '2026-03-01', participants: ['Zhou', 'Wu'], minutesRef: 'M-12' };
    expect(extend(once, { newDueAt: '2026-05-10T00:00:00Z', collectiveDiscussion: discussion })).toMatchObject({ ok: true });
    expect(extend(once, { newDueAt: '2026-06-01T00:00:00Z', collectiveDiscussion: discussion })).toMatchObject({ code: 'EXTENSION_TOO_LONG' });
    // Held after today, or before the filing (31 January): not the discussion that decided it.
    for (const heldOn of ['2026-03-02', '2026-01-30']) {
      expect(extend(once, { newDueAt: '2026-05-10T00:00:00Z', collectiveDiscussion: { ...discussion, heldOn } }), heldOn).toMatchObject({ code: 'COLLECTIVE_DISCUSSION_INVALID' });
    }
    // The minutes of a discussion that decided an earlier extension do not decide another.
    const twice = facts({ extensionsSoFar: 2, discussionMinutesSoFar: ['M-12'] });
    expect(extend(twice, { newDueAt: '2026-05-10T00:00:00Z', collectiveDiscussion: discussion })).toMatchObject({ code: 'COLLECTIVE_DISCUSSION_REUSED' });
    expect(extend(twice, { newDueAt: '2026-05-10T00:00:00Z', collectiveDiscussion: { ...discussion, minutesRef: 'M-13' } })).toMatchObject({ ok: true });
  });
});

describe('evidence', () => {
  const record = (over: Partial<SensorRecord> = {}): SensorRecord => ({
    alertId: 'a1', kind: 'noise', deviceId: 'slm-1', measuredAt: '2026-03-01T13:00:00Z', measuredOn: '2026-03-01',
    calibrationValidUntil: '2026-03-01', placementPublished: true, verdict: null, reviews: [{ reviewer: 'u', role: 'officer', at: '', note: null }], ...over,
  });
  it('counts a sensor record only when calibrated that day, published and reviewed', () => {
    expect(sensorEvidenceProblems(record())).toEqual([]);
    expect(sensorEvidenceProblems(record({ calibrationValidUntil: '2026-02-28' }))).toEqual([expect.stringContaining('expired')]);
    expect(sensorEvidenceProblems(record({ calibrationValidUntil: null }))).toEqual([expect.stringContaining('no calibration')]);
    expect(sensorEvidenceProblems(record({ placementPublished: false }))).toEqual([expect.stringContaining('not published')]);
    expect(sensorEvidenceProblems(record({ reviews: [] }))).toEqual([expect.stringContaining('reviewed')]);
    expect(sensorEvidenceProblems(record({ deviceId: null }))).toEqual([expect.stringContaining('no device')]);
    expect(sensorEvidenceProblems(record({ verdict: 'confirmed' }))).toEqual([]);
    expect(sensorEvidenceProblems(record({ verdict: 'false_alarm' }))).toEqual([expect.stringContaining('false alarm')]);
  });
  it('rests a penalty on the kind of evidence its matter requires: a noise fine on a sound level, not a photo alone', () => {
    const noise = { code: 'NOISE', domain: 'ecology', penalty: true, decisionEvidence: ['measurement', 'audio'] };
    const photoOnly = facts({ matter: noise, evidence: { files: 1, validSensorRecords: 0, kinds: ['photo'] } });
    expect(decide(photoOnly, 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ code: 'REQUIRED_EVIDENCE_MISSING' });
    const noPenalty = { ...proposal, penalties: ['no_penalty'], fineYuan: undefined, tier: 'no_penalty', correction: 'c' };
    expect(decide(photoOnly, 'on_site', officer, 'propose_decision', noPenalty)).toMatchObject({ ok: true });
    for (const kinds of [['photo', 'measurement'], ['audio']]) {
      expect(decide(facts({ matter: noise, evidence: { files: 1, validSensorRecords: 0, kinds } }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ ok: true });
    }
    expect(decide({ ...photoOnly, proposalPenalised: true }, 'under_review', reviewer, 'approve', {})).toMatchObject({ code: 'REQUIRED_EVIDENCE_MISSING' });
    expect(decide({ ...photoOnly, proposalPenalised: false }, 'under_review', reviewer, 'approve', {})).toMatchObject({ ok: true });
    expect(decide({ ...photoOnly, proposalPenalised: true }, 'approved', officer, 'decide', { decisionNo: 'N1' })).toMatchObject({ code: 'REQUIRED_EVIDENCE_MISSING' });
    // A matter that requires nothing in particular: any valid item.
    expect(decide(facts({ evidence: { files: 1, validSensorRecords: 0, kinds: ['photo'] } }), 'on_site', officer, 'propose_decision', proposal)).toMatchObject({ ok: true });
  });
  it('measures how far a capture place lies from a zone polygon', () => {
    const square = { type: 'Polygon', coordinates: [[[118.78, 32.04], [118.782, 32.04], [118.782, 32.042], [118.78, 32.042], [118.78, 32.04]]] };
    expect(distanceToZoneM({ lat: 32.041, lon: 118.781 }, square)).toBe(0);
    expect(distanceToZoneM({ lat: 32.0447, lon: 118.781 }, square)).toBeCloseTo(300, -1);
    expect(distanceToZoneM({ lat: 32.041, lon: 118.7768 }, square)).toBeCloseTo(302, -1);
    expect(distanceToZoneM({ lat: 32.041, lon: 118.781 }, {})).toBeNull();
    expect(distanceToZoneM({ lat: 32.041, lon: 118.781 }, { type: 'Point', coordinates: [118.781, 32.041] })).toBeNull();
  });
  it('checks file bytes against the declared type', () => {
    expect(contentProblem('image/jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1]))).toBeUndefined();
    expect(contentProblem('image/jpeg', Buffer.from('GIF89a'))).toBeDefined();
    expect(contentProblem('image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBeUndefined();
    expect(contentProblem('application/pdf', Buffer.from('%PDF-1.7\n'))).toBeUndefined();
    expect(contentProblem('application/pdf', Buffer.from('<html>'))).toBeDefined();
    expect(contentProblem('text/csv', Buffer.from('a,b\n1,2\n'))).toBeUndefined();
    expect(contentProblem('text/csv', Buffer.from([0x61, 0x00, 0x62]))).toBeDefined();
    expect(contentProblem('text/csv', Buffer.from([0xc3, 0x28]))).toBeDefined();
    expect(contentProblem('application/json', Buffer.from('{"a":1}'))).toBeUndefined();
    expect(contentProblem('application/json', Buffer.from('{"a":'))).toBeDefined();
    expect(contentProblem('image/jpeg', Buffer.alloc(0))).toBe('the file is empty');
  });
});

describe('minors (Administrative Penalty Law art. 30)', () => {
  it('counts full years from the day after the birthday', () => {
    expect(ageOn('2011-01-01', '2025-01-01')).toBe(13);
    expect(ageOn('2011-01-01', '2025-01-02')).toBe(14);
    expect(ageOn('2010-12-31', '2025-01-01')).toBe(14);
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
    expect(ageOn('2025-06-01', '2025-01-01')).toBeLessThan(0);
  });
  it('spares a child under 14 any penalty, keeps a minor of 14 to 17 in the mitigated tier', () => {
    const child = '110105201506010016';
    const teen = '110105200906010010';
    const on = facts({ actDate: '2025-01-01', benchmarks: [...facts().benchmarks, tier({ tier: 'mitigated', minFineYuan: 200, maxFineYuan: 400 })] });
    expect(decide(on, 'on_site', officer, 'propose_decision', { ...proposal, partyId: child })).toMatchObject({ code: 'PARTY_UNDER_14' });
    expect(decide(on, 'on_site', officer, 'propose_decision', { ...proposal, partyId: child, penalties: ['no_penalty'], fineYuan: undefined, tier: 'no_penalty' })).toMatchObject({ ok: true });
    expect(decide(on, 'on_site', officer, 'propose_decision', { ...proposal, partyId: teen })).toMatchObject({ code: 'MINOR_NOT_MITIGATED' });
    expect(decide(on, 'on_site', officer, 'propose_decision', { ...proposal, partyId: teen, tier: 'mitigated', fineYuan: 300 })).toMatchObject({ ok: true });
    // A passport carries no date of birth: the rule cannot apply.
    expect(decide(on, 'on_site', officer, 'propose_decision', { ...proposal, partyId: 'E1234567', partyIdType: 'passport' })).toMatchObject({ ok: true });
  });
});

describe('certificates are not backdated', () => {
  const v = (over: Partial<OfficerCertificate>): OfficerCertificate => ({ userId: 'a', certificateNo: 'ZF-1', validFrom: '2025-01-01', validUntil: '2027-12-31', domains: ['ecology'], ...over });
  const today = '2026-03-01';
  it('refuses a version that certifies a past day or domain the record did not', () => {
    expect(backdatedCoverage([], v({ validFrom: '2026-02-28' }), today)).toEqual({ day: '2026-02-28', domains: ['ecology'] });
    expect(backdatedCoverage([v({ validUntil: '2026-01-31' })], v({}), today)).toEqual({ day: '2026-02-01', domains: ['ecology'] });
    expect(backdatedCoverage([v({})], v({ validFrom: '2026-02-01', domains: ['ecology', 'fisheries'] }), today)).toEqual({ day: '2026-02-01', domains: ['fisheries'] });
  });
  it('takes a version from today or later, and a correction that adds nothing to the days past', () => {
    expect(backdatedCoverage([], v({ validFrom: today }), today)).toBeUndefined();
    expect(backdatedCoverage([v({})], v({ certificateNo: 'ZF-2' }), today)).toBeUndefined();
    expect(backdatedCoverage([v({})], v({ validUntil: '2026-01-31' }), today)).toBeUndefined();
    // Longer from today on only: the days past are as they were.
    expect(backdatedCoverage([v({ validUntil: '2026-03-10' })], v({ validUntil: '2030-12-31' }), today)).toBeUndefined();
  });
});
