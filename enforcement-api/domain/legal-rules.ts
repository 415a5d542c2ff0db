import type { Benchmark, DecisionDeadline } from '../../contract/http/cases.js';
import { reject, TIERS, PARTY_KINDS, type CaseEvent, type Guard, type LifecyclePolicy, type Rejection, type TransitionOf } from './case-lifecycle.js';
import { checkPartyId, residentIdBirthDate, type PartyIdType } from '../../enforcement-api/legal/party-ids.js';
import { statutoryProblem, type StatutoryBound } from '../../enforcement-api/legal/statutory-bounds.js';
import { noticeFieldProblems, noticeStanding, type NoticeFacts } from './penalty-notice.js';
import { addDays, calendarDaysBetween, endOfLocalDay, localDate, startOfLocalDay } from './calendar.js';
import { extensionProblem, type ExtensionSettings } from './deadline-extension.js';

/**
 * The legal rules of DESIGN §3 Enforcement as data + pure functions, plugged into the lifecycle
 * through `LifecyclePolicy.guards`. The caller (enforcement-api/cases/legal.ts) loads the facts a
 * transition needs inside its transaction; nothing here does I/O.
 *
 *  - on-site enforcement by two officers holding certificates valid that day for the matter's domain
 *    (Administrative Penalty Law art. 42: no fewer than two law-enforcement officers);
 *  - a decision proposal backed by at least one valid evidence item;
 *  - discretion benchmarks: a proposal names its tier, a fine outside the tier's range is flagged;
 *  - legal-review routing: routine → the street's post, major → the district legal review centre,
 *    with consultation (会商) there before one final approval;
 *  - first minor violation corrected in time → no penalty (APL art. 33), only for a party with no
 *    earlier case of the same matter, with the correction on record;
 *  - general procedure: decision within 90 days of filing (APL art. 60), warnings before it, later
 *    only within an extension the agency head approved: one of at most 30 days, a further one only
 *    by collective discussion (domain/deadline-extension.ts);
 *  - statutory bounds (enforcement-api/legal/statutory-bounds.ts): nothing outside the law, a fine
 *    outside the benchmark only with a written reason;
 *  - parties identified (enforcement-api/legal/party-ids.ts) for any penalty;
 *  - a matter before any enforcement step; the second officer's own confirmation of presence;
 *    consultation of several reviewers before a major decision is approved.
 */

export { TIERS, PARTY_KINDS };
export { addDays, calendarDaysBetween, endOfLocalDay, localDate, startOfLocalDay };
export type Tier = (typeof TIERS)[number];
export type PartyKind = (typeof PARTY_KINDS)[number];

/** One tier of a discretion benchmark (contract/http/cases.ts `Benchmark`). */
export type BenchmarkTier = Benchmark;

/** One version of an officer's enforcement certificate: valid from `validFrom` to `validUntil` (YYYY-MM-DD, both included) for `domains`. */
export interface OfficerCertificate {
  userId: string;
  certificateNo: string;
  validFrom: string;
  validUntil: string;
  domains: readonly string[];
}

/**
 * An officer's certificate history, in the order recorded. The version in force on a day is, like the
 * catalogue's other versions, the one with the latest `validFrom` on or before that day (of two with
 * the same `validFrom`, the one recorded later); the officer is certified that day when it has not
 * ended by then. A renewal after a lapse leaves the lapse uncertified; a certificate issued later, or a
 * change of domains, applies from its own `validFrom` only.
 */
export type CertificateHistory = readonly OfficerCertificate[];

/** The version of the certificate in force on `onDate` (it may have ended by then), or undefined when none had begun. */
export function certificateOn<C extends OfficerCertificate>(history: readonly C[], onDate: string): C | undefined {
  let found: C | undefined;
  for (const c of history) if (c.validFrom <= onDate && (found === undefined || c.validFrom >= found.validFrom)) found = c;
  return found;
}

/** `extensionMaxDays`, `extensionsWithoutDiscussion`: the decision deadline's extensions (deadline-extension.ts). */
export interface LegalSettings extends ExtensionSettings {
  /** A fine at or above this is a major decision (district centre). */
  majorFineYuan: number;
  /** Timezone whose calendar dates certificates and calibrations are valid on. */
  timezone: string;
  /** Days after filing at which the case detail warns of the 90-day deadline (from the start of that local day: `decisionWarningAt`). */
  decisionWarningDays: readonly number[];
  /** Opinions of the centre's reviewers (会商) a major decision needs before it is approved. */
  majorReviewOpinions: number;
  /** How long after arrival the second officer may confirm presence. */
  presenceConfirmMinutes: number;
  /** How far from the arrival position the second officer's confirmation may be. */
  presenceMaxDistanceM: number;
  /** Days after the day the notice of an intended penalty is served that the party has to state a case, where no hearing is available (penalty-notice.ts). */
  statementDays: number;
  /** Days after the day of service within which a hearing is requested (APL art. 64: 5); also the statement period where a hearing is available. */
  hearingRequestDays: number;
}

export const DECISION_DEADLINE_DAYS = 90;

/** Why this officer may not take an enforcement action on `onDate` for `domain` (null: any domain); undefined = may. */
export function certificateProblem(userId: string, history: CertificateHistory | undefined, domain: string | null, onDate: string): string | undefined {
  if (!history || history.length === 0) return `${userId} holds no enforcement certificate`;
  const cert = certificateOn(history, onDate);
  if (!cert) {
    const first = history.reduce((a, b) => (b.validFrom < a.validFrom ? b : a));
    return `the certificate ${first.certificateNo} of ${userId} is valid only from ${first.validFrom}, not on ${onDate}`;
  }
  if (cert.validUntil < onDate) return `the certificate ${cert.certificateNo} of ${userId} expired on ${cert.validUntil} (before ${onDate})`;
  if (domain !== null && !cert.domains.includes(domain)) return `the certificate ${cert.certificateNo} of ${userId} does not cover ${domain} on ${onDate}`;
  return undefined;
}

/** Both officers of an on-site action: two different people, each certified for the domain that day. */
export function checkOfficerPair(pair: readonly string[], certs: Readonly<Record<string, CertificateHistory | undefined>>, domain: string | null, onDate: string): Rejection | undefined {
  if (pair.length < 2 || new Set(pair).size < 2) {
    return reject(422, 'NOT_TWO_OFFICERS', 'on-site enforcement needs two different officers: name the second one (secondOfficerId)');
  }
  for (const id of pair) {
    const problem = certificateProblem(id, certs[id], domain, onDate);
    if (problem) return reject(422, 'OFFICER_NOT_CERTIFIED', `on-site enforcement needs two officers with valid certificates: ${problem}`);
  }
  return undefined;
}

export interface ProposedMeasures {
  penalties: readonly string[];
  fineYuan?: number;
  hearingRequired?: boolean;
}

/** Is the fine (0 without one) within the tier's range? */
export function withinTier(tier: BenchmarkTier, p: ProposedMeasures): boolean {
  const fine = p.fineYuan ?? 0;
  return fine >= tier.minFineYuan && fine <= tier.maxFineYuan;
}

export interface ReviewRouting {
  level: 'routine' | 'major';
  /** Why it is major (empty when routine). */
  reasons: string[];
}

const MAJOR_MEASURES: Record<string, string> = {
  confiscation: 'confiscation',
  suspension: 'suspension of production or business',
  licence_revocation: 'licence revocation',
};

/** A fine proposed for, or given to, the same party in another case of the same matter for an act on the same day. */
export interface SameDayFine {
  caseNumber: number;
  fineYuan: number;
}

/**
 * One act is not split into several cases to stay under the major threshold: the fines one party is
 * proposed or given for one matter on one day count together (one act, one fine: Administrative
 * Penalty Law art. 29), and their sum at or above the threshold makes each of them major.
 */
export function combinedFineReason(fineYuan: number | undefined, others: readonly SameDayFine[], majorFineYuan: number): string | undefined {
  if (fineYuan === undefined || fineYuan >= majorFineYuan || others.length === 0) return undefined;
  const total = others.reduce((sum, o) => sum + o.fineYuan, fineYuan);
  if (total < majorFineYuan) return undefined;
  const cases = others.map((o) => `#${o.caseNumber} (¥${o.fineYuan})`).join(', ');
  return `with case${others.length > 1 ? 's' : ''} ${cases} the party's fines for this matter on the day of the act come to ¥${total}, at or above ¥${majorFineYuan}`;
}

/** Routine decisions go to the street's review post; major ones to the district legal review centre. */
export function reviewRouting(p: ProposedMeasures, outsideBenchmark: boolean, majorFineYuan: number, sameDayFines: readonly SameDayFine[] = []): ReviewRouting {
  const reasons: string[] = [];
  if (p.fineYuan !== undefined && p.fineYuan >= majorFineYuan) reasons.push(`fine of ¥${p.fineYuan} at or above ¥${majorFineYuan}`);
  const combined = combinedFineReason(p.fineYuan, sameDayFines, majorFineYuan);
  if (combined) reasons.push(combined);
  for (const m of p.penalties) if (MAJOR_MEASURES[m]) reasons.push(MAJOR_MEASURES[m]);
  if (p.hearingRequired) reasons.push('hearing required');
  if (outsideBenchmark) reasons.push('outside the discretion benchmark');
  return { level: reasons.length > 0 ? 'major' : 'routine', reasons };
}

export type { DecisionDeadline };

/**
 * When the warning `day` days into the decision deadline is reached: at the start of the `day`th local
 * calendar day after the filing date, counted as the deadline is (the day of filing not counted). The
 * 60-day warning shows all through day 60 (30 days left), whatever the hour of filing or a change of
 * clock in between.
 */
export function decisionWarningAt(filedAt: Date, day: number, timeZone: string): Date {
  return startOfLocalDay(addDays(localDate(filedAt, timeZone), day), timeZone);
}

/**
 * The decision deadline of a general-procedure case filed at `filedAt` (APL art. 60: within 90 days
 * of filing): days are calendar days of the district, the day of filing not counted, and the last
 * one runs to its end — 23:59:59.999 local time on the 90th day after the filing date.
 */
export function decisionDueAt(filedAt: Date, timeZone: string): Date {
  return endOfLocalDay(addDays(localDate(filedAt, timeZone), DECISION_DEADLINE_DAYS), timeZone);
}

/** The decision deadline of a general-procedure case (stored at filing: 90 days) and its warnings, as of `now`. */
export function decisionDeadline(filedAt: Date, due: Date, now: Date, warningDays: readonly number[], decided: { late: boolean } | null = null, timeZone = 'UTC'): DecisionDeadline {
  const warnings = [...warningDays].sort((a, b) => a - b).map((day) => {
    const at = decisionWarningAt(filedAt, day, timeZone);
    return { day, at: at.toISOString(), reached: now >= at };
  });
  const status = decided
    ? decided.late ? 'decided_late' : 'decided'
    : now > due ? 'overdue' : warnings.some((w) => w.reached) ? 'warning' : 'on_time';
  return { filedAt: filedAt.toISOString(), dueAt: due.toISOString(), daysLeft: calendarDaysBetween(now, due, timeZone), warnings, status };
}

/** What the rules need to know about the case and the people named in one transition. */
export interface LegalFacts {
  /** The transition's calendar date (LegalSettings.timezone). */
  today: string;
  now: Date;
  /** `decisionEvidence`: kinds of evidence of which a penalty decision needs one valid item (empty or absent: any). */
  matter: { code: string; domain: string; penalty: boolean; decisionEvidence?: readonly string[] } | null;
  /** `classify`: the matter named, if the catalogue has it. */
  classifyTarget: { code: string } | null;
  /** Certificate histories of the actor and every officer the transition names or the case records on site. */
  certificates: Readonly<Record<string, CertificateHistory | undefined>>;
  /** The two officers recorded on arrival. */
  onSiteOfficers: readonly string[] | null;
  /** The benchmark and the statutory bounds in force on the day of the act (the case's first alert). */
  benchmarks: readonly BenchmarkTier[];
  bounds: readonly StatutoryBound[];
  /** The second officer confirmed presence from their own session. */
  presenceConfirmed: boolean;
  filedAt: Date | null;
  /** The party's other cases of the same matter whose act came before this case's (whenever they were reported or named the party). */
  priorCasesOfParty: number;
  /** Numbers of the party's other cases of the matter where it was already spared as a first violation, whatever their act's date. */
  firstViolationSparedIn?: readonly number[];
  /** The local date of the act (the case's first alert) the party's age is counted on; `today` when absent. */
  actDate?: string;
  /** `propose_decision` with a fine: the party's fines in other cases of the matter for acts on the same day. */
  sameDayFines?: readonly SameDayFine[];
  /** `kinds`: the kind of each valid item (a valid sensor record is a `measurement`). */
  evidence: { files: number; validSensorRecords: number; kinds?: readonly string[] };
  /** `approve`, `decide`: the proposal under review imposes a penalty (not only no_penalty). */
  proposalPenalised?: boolean;
  review: {
    postKind: 'street' | 'district' | null;
    /** Level of the proposal under review. */
    level: 'routine' | 'major' | null;
    /** Reviewers asked for an opinion on the proposal under review who have not given it. */
    pendingOpinions: readonly string[];
    /** Reviewers at the case's current post. */
    reviewersAtPost: readonly string[];
    /** Opinions given on the proposal under review. */
    opinionsGiven: number;
    /** Why a proposal submitted as routine is major now: the party's fines of the act's day in other cases since. */
    combinedFines?: string;
  };
  decisionDueAt: Date | null;
  /** `extend_deadline`: extensions the case already had (0 when absent). */
  extensionsSoFar?: number;
  /** `extend_deadline`: the minutes of the collective discussions that decided the case's earlier extensions. */
  discussionMinutesSoFar?: readonly string[];
  /** `decide`: the number of another case already decided under the decision number given (null: none). */
  decisionNoTakenBy?: number | null;
  /** `decide` and the steps that hear the party: the notice of the intended penalty and what followed it (penalty-notice.ts). */
  notice?: NoticeFacts;
}

/**
 * Minors (Administrative Penalty Law art. 30): a party under 14 at the time of the act is not punished
 * (the guardian is ordered to discipline them); one of 14 to 17 is punished more lightly. Ages are full
 * years reached the day after the birthday (周岁), on the local date of the act.
 */
export const AGE_OF_PENALTY = 14;
export const AGE_OF_MAJORITY = 18;

/** Full years (周岁) on `onDate` of someone born on `birth` (both YYYY-MM-DD): reached the day after the birthday; negative before birth. */
export function ageOn(birth: string, onDate: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = onDate.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d <= bd) ? 1 : 0);
}

/** The individual party's date of birth and age on the day of the act, when the id carries one (a resident identity number). */
export function partyAgeAtAct(f: LegalFacts, fields: { partyId?: string; partyKind?: PartyKind; partyIdType?: string }): { birth: string; age: number } | null {
  if (fields.partyId === undefined || (fields.partyKind ?? 'individual') !== 'individual') return null;
  const c = checkPartyId(fields.partyId, 'individual', fields.partyIdType as PartyIdType | undefined);
  if (!c.ok || c.idType !== 'resident_id') return null;
  const birth = residentIdBirthDate(c.id);
  return { birth, age: ageOn(birth, f.actDate ?? f.today) };
}

/** Why a minor may not be given this outcome; `penalised`: a penalty (not no_penalty), `lighter`: within the mitigated tier. */
function minorParty(f: LegalFacts, fields: { partyId?: string; partyKind?: PartyKind; partyIdType?: string }, penalised: boolean, lighter: boolean): Rejection | undefined {
  const a = partyAgeAtAct(f, fields);
  if (a === null) return undefined;
  const on = f.actDate ?? f.today;
  if (a.birth > on) return reject(422, 'INVALID_PARTY_ID', `${fields.partyId}: the date of birth ${a.birth} is after the act (${on}): not this party's number`);
  if (!penalised) return undefined;
  if (a.age < AGE_OF_PENALTY) {
    return reject(422, 'PARTY_UNDER_14', `the party (born ${a.birth}) was ${a.age} on ${on}: under 14, not punished (Administrative Penalty Law art. 30); order the guardian to discipline them and end without a penalty (no_penalty, or corrected on site)`);
  }
  if (a.age < AGE_OF_MAJORITY && !lighter) {
    return reject(422, 'MINOR_NOT_MITIGATED', `the party (born ${a.birth}) was ${a.age} on ${on}: a minor of 14 to 17 is punished more lightly (Administrative Penalty Law art. 30): the mitigated tier and its range`);
  }
  return undefined;
}

/** Why no penalty for this party: under 14 at the act (art. 30), else the first minor violation corrected in time (art. 33). */
export function noPenaltyGround(f: LegalFacts, fields: { partyId?: string; partyKind?: PartyKind; partyIdType?: string }): string {
  const a = partyAgeAtAct(f, fields);
  return a !== null && a.age >= 0 && a.age < AGE_OF_PENALTY
    ? `party under 14 at the time of the act (${a.age}; Administrative Penalty Law art. 30): the guardian is ordered to discipline them`
    : 'first minor violation corrected in time (Administrative Penalty Law art. 33)';
}

const underPenaltyAge = (f: LegalFacts, fields: { partyId?: string; partyKind?: PartyKind; partyIdType?: string }) => {
  const a = partyAgeAtAct(f, fields);
  return a !== null && a.age >= 0 && a.age < AGE_OF_PENALTY;
};

/** A decision rests on at least one valid evidence item: when proposed, approved and made (a record may since have been marked a false alarm). */
const noValidEvidence = (f: LegalFacts): Rejection | undefined =>
  f.evidence.files + f.evidence.validSensorRecords === 0
    ? reject(422, 'NO_VALID_EVIDENCE', 'a decision needs at least one valid evidence item: an uploaded file, or a sensor record reviewed by a person whose device was calibrated and published and that nobody marked a false alarm')
    : undefined;

/**
 * A penalty rests on the evidence its matter requires (`matters.decision_evidence`): a noise fine or
 * warning on a sound level — a meter's valid record, an uploaded measurement or recording — not on a
 * photo alone. Checked when proposed, approved and made.
 */
function requiredEvidence(f: LegalFacts, penalised: boolean): Rejection | undefined {
  const required = f.matter?.decisionEvidence ?? [];
  if (!penalised || required.length === 0) return undefined;
  const have = f.evidence.kinds ?? [];
  return required.some((k) => have.includes(k)) ? undefined
    : reject(422, 'REQUIRED_EVIDENCE_MISSING',
      `a penalty for ${f.matter!.code} rests on at least one valid item of: ${required.join(', ')} (a sensor record reviewed by a person, from a calibrated device with a published placement, is a measurement); the valid evidence is ${have.length === 0 ? 'none' : have.join(', ')}`);
}

const isPenaltyMatter = (f: LegalFacts) => f.matter !== null && f.matter.penalty;

/** Every enforcement step needs the case's matter: a case from a kind without one is classified first. */
const matterRequired = (f: LegalFacts): Rejection | undefined =>
  f.matter === null ? reject(422, 'MATTER_REQUIRED', 'the case has no matter yet: classify it (event classify, matterCode) before any enforcement step') : undefined;

/** Normalises and checks the party's identifier; `required` for any penalty. */
function partyIdentity(fields: { partyId?: string; partyKind?: PartyKind; partyIdType?: string }, required: boolean): Rejection | undefined {
  if (fields.partyId === undefined) {
    return required ? reject(422, 'PARTY_ID_REQUIRED', 'a penalty needs the party identified (partyId: resident identity number, passport or unified social credit code)') : undefined;
  }
  const c = checkPartyId(fields.partyId, fields.partyKind ?? 'individual', fields.partyIdType as PartyIdType | undefined);
  return c.ok ? undefined : reject(422, 'INVALID_PARTY_ID', c.message);
}

/** On-site actions after arrival: the actor is one of the two officers on record, both still certified. */
function onSitePair(f: LegalFacts, actorId: string): Rejection | undefined {
  if (!isPenaltyMatter(f)) return undefined;
  const pair = f.onSiteOfficers ?? [];
  if (!pair.includes(actorId)) {
    return reject(422, 'NOT_ON_SITE_OFFICER', `only the officers on site (${pair.join(', ') || 'none recorded'}) may record the on-site findings`);
  }
  if (!f.presenceConfirmed) {
    return reject(422, 'SECOND_OFFICER_UNCONFIRMED', `${pair[1] ?? 'the second officer'} has not confirmed presence from their own session (POST /api/v1/cases/{id}/presence): not yet two officers`);
  }
  return checkOfficerPair(pair, f.certificates, f.matter!.domain, f.today);
}

/** First minor violation corrected in time: the party identified, the correction stated, no earlier case. */
function firstViolation(f: LegalFacts, fields: { partyId?: string; correction?: string }): Rejection | undefined {
  if (fields.partyId === undefined || fields.correction === undefined) {
    return reject(422, 'FIRST_VIOLATION_UNPROVEN', 'no penalty for a first minor violation needs the party (partyId) and how it was corrected (correction)');
  }
  if (f.priorCasesOfParty > 0) {
    return reject(422, 'NOT_FIRST_VIOLATION', `${fields.partyId} has ${f.priorCasesOfParty} earlier case(s) of this matter: not a first violation`);
  }
  // Spared once: a first violation spared in another case (even one whose act came later, named first) is spent.
  const spared = f.firstViolationSparedIn ?? [];
  return spared.length > 0
    ? reject(422, 'NOT_FIRST_VIOLATION', `${fields.partyId} was already spared as a first violation of this matter in case ${spared.map((n) => `#${n}`).join(', ')}: a party's first violation is spared once`)
    : undefined;
}

export function selectTier(f: LegalFacts, t: TransitionOf<'propose_decision'>['fields']): BenchmarkTier | undefined {
  return f.benchmarks.find((b) => b.tier === t.tier && b.partyKind === (t.partyKind ?? 'individual'));
}

export function selectBound(f: LegalFacts, t: { partyKind?: PartyKind }): StatutoryBound | undefined {
  return f.bounds.find((b) => b.partyKind === (t.partyKind ?? 'individual'));
}

/**
 * Every measure of a penalty is one the matter's legal basis provides for this kind of party: the
 * catalogue's benchmark names them per tier (inside the law's bounds, with its mandatory measures), so
 * a measure none of its tiers names — a licence revoked for a loudspeaker, a warning for fishing in
 * the ban zone — is no penalty the law allows.
 */
function measuresOutsideBasis(f: LegalFacts, penalties: readonly string[], partyKind: PartyKind): Rejection | undefined {
  const tiers = f.benchmarks.filter((b) => b.partyKind === partyKind);
  // No benchmark for this kind of party: its tier is unknown (UNKNOWN_TIER), the law's bounds still hold.
  if (tiers.length === 0) return undefined;
  const provided = new Set(tiers.flatMap((b) => b.measures));
  const foreign = penalties.filter((p) => p !== 'no_penalty' && !provided.has(p));
  return foreign.length === 0 ? undefined
    : reject(422, 'MEASURE_NOT_IN_BASIS',
      `${foreign.join(' and ')} ${foreign.length > 1 ? 'are' : 'is'} not a penalty the legal basis of ${f.matter!.code} provides for a ${partyKind} (it provides ${[...provided].sort().join(', ') || 'none'})`);
}

/** A penalty the law allows: inside its bounds, with its mandatory measures, and no measure it does not provide. */
function lawfulPenalty(f: LegalFacts, p: { penalties: readonly string[]; fineYuan?: number }, partyKind: PartyKind): Rejection | undefined {
  return statutoryProblem(selectBound(f, { partyKind }), p, f.matter!.code, partyKind) ?? measuresOutsideBasis(f, p.penalties, partyKind);
}

/**
 * Sparing a first violation (APL art. 33) is for minor violations: those whose benchmark, in force on
 * the day of the act, has a no_penalty tier for this kind of party. Where it has none, the matter is
 * not minor and the party is not spared on site either.
 */
function firstViolationNotMinor(f: LegalFacts, partyKind: PartyKind): Rejection | undefined {
  return f.benchmarks.some((b) => b.tier === 'no_penalty' && b.partyKind === partyKind) ? undefined
    : reject(422, 'UNKNOWN_TIER', `the benchmark of ${f.matter!.code} in force on ${f.actDate ?? f.today} has no no_penalty tier for a ${partyKind}: not a minor violation, a first violation of it is not spared (Administrative Penalty Law art. 33)`);
}

/**
 * The part of each event's legal rules that does not depend on the fields sent: what refuses the event
 * whatever is typed into its form (no matter yet, the second officer not confirmed, not filed, opinions
 * awaited…). The guards below start with it, and the case detail offers only events it lets through,
 * so the tablet never shows a step the server would refuse as things stand.
 */
export function standingRefusals(f: LegalFacts, settings: Pick<LegalSettings, 'majorReviewOpinions'>): Partial<Record<CaseEvent, (actorId: string) => Rejection | undefined>> {
  const notice = f.notice ? noticeStanding(f.notice) : undefined;
  return {
    arrive: () => matterRequired(f),
    resolve_on_site: (actorId) => matterRequired(f) ?? onSitePair(f, actorId),
    file: (actorId) => {
      const unclassified = matterRequired(f);
      if (unclassified) return unclassified;
      if (!isPenaltyMatter(f)) return reject(422, 'NO_PENALTY_MATTER', `${f.matter!.code} is not a penalty matter: nothing to file, dispose of it on site`);
      if (f.filedAt !== null) return reject(409, 'ALREADY_FILED', `the case was filed on ${f.filedAt.toISOString()}`);
      return onSitePair(f, actorId);
    },
    classify: () => (f.matter !== null ? reject(409, 'ALREADY_CLASSIFIED', `the case is already classified as ${f.matter.code}`) : undefined),
    propose_decision: (actorId) => {
      const unclassified = matterRequired(f);
      if (unclassified) return unclassified;
      if (!isPenaltyMatter(f) || f.benchmarks.length === 0) {
        return reject(422, 'NO_PENALTY_MATTER', `${f.matter?.code ?? 'this case'} is not a penalty matter: dispose of it on site`);
      }
      const pair = onSitePair(f, actorId);
      if (pair) return pair;
      return f.filedAt === null ? reject(422, 'NOT_FILED', 'a decision is proposed in a filed case: file it first (event file, 立案)') : undefined;
    },
    approve: () => {
      const unproven = noValidEvidence(f) ?? requiredEvidence(f, f.proposalPenalised ?? false);
      if (unproven) return unproven;
      if (f.review.pendingOpinions.length > 0) {
        return reject(409, 'CONSULTATION_PENDING', `opinions still awaited from ${f.review.pendingOpinions.join(', ')}`);
      }
      if (f.review.level === 'major' && f.review.postKind !== 'district') {
        return reject(422, 'MAJOR_DECISION_NEEDS_CENTRE', `a major decision is approved only by the district legal review centre${f.review.combinedFines ? `: ${f.review.combinedFines} (return it; proposed and submitted again, it goes to the centre)` : ''}`);
      }
      if (f.review.level === 'major' && f.review.opinionsGiven < settings.majorReviewOpinions) {
        return reject(409, 'CONSULTATION_REQUIRED',
          `a major decision needs the opinions of at least ${settings.majorReviewOpinions} reviewers of the centre (会商) before approval; ${f.review.opinionsGiven} given: request_opinions first`);
      }
      return undefined;
    },
    request_opinions: () => (f.review.postKind !== 'district' ? reject(409, 'CONSULTATION_CENTRE_ONLY', 'consultation is held by the district legal review centre') : undefined),
    give_opinion: (actorId) => (f.review.pendingOpinions.includes(actorId) ? undefined : reject(409, 'NO_OPINION_REQUESTED', 'no opinion of yours is awaited on this proposal')),
    // A case filed (立案) by the officers on site is no false alarm: it ends with a decision (legal review,
    // the 90-day deadline) or, on site, with their findings; the operations centre cannot dismiss it away.
    dismiss: () =>
      f.filedAt !== null
        ? reject(422, 'CASE_FILED', `the case was filed on ${f.filedAt.toISOString()}: a filed case is not dismissed as a false alarm; it ends with a decision, or with the on-site officers' findings (resolve_on_site)`)
        : undefined,
    decide: () => {
      const unproven = noValidEvidence(f) ?? requiredEvidence(f, f.proposalPenalised ?? false);
      if (unproven) return unproven;
      if (f.decisionDueAt !== null && f.now > f.decisionDueAt) {
        return reject(422, 'DECISION_OVERDUE', `the decision deadline passed on ${f.decisionDueAt.toISOString()}: a later decision needed an extension approved by the agency head (event extend_deadline) before it ended`);
      }
      // The party heard first (APL arts. 44, 45, 62–64).
      return notice?.decide();
    },
    notify_party: () => notice?.notify_party(),
    record_statement: () => notice?.record_statement(),
    waive_statement: () => notice?.waive_statement(),
    request_hearing: () => notice?.request_hearing(),
    record_hearing: () => notice?.record_hearing(),
    extend_deadline: () => {
      if (f.filedAt === null || f.decisionDueAt === null) return reject(422, 'NOT_FILED', 'only a filed case has a decision deadline to extend');
      // An extension is approved while the deadline runs (APL art. 60): one approved afterwards would make a missed deadline look kept.
      return f.now > f.decisionDueAt
        ? reject(422, 'EXTENSION_AFTER_DEADLINE', `the decision deadline passed on ${f.decisionDueAt.toISOString()}: an extension is approved before the deadline it extends ends, not afterwards`)
        : undefined;
    },
  };
}

/** The guards of the legal rules over facts loaded for one transition. */
export function legalGuards(f: LegalFacts, settings: Pick<LegalSettings, 'majorReviewOpinions'> & ExtensionSettings): NonNullable<LifecyclePolicy['guards']> {
  const standing = standingRefusals(f, settings);
  const arrive: Guard<'arrive'> = ({ actor, transition: { fields } }) => {
    const unclassified = standing.arrive!(actor.id);
    if (unclassified) return unclassified;
    if (!isPenaltyMatter(f)) return undefined;
    if (fields.secondOfficerId === undefined) {
      return reject(422, 'SECOND_OFFICER_REQUIRED', 'on-site enforcement needs two certified officers: name the second one (secondOfficerId)');
    }
    return checkOfficerPair([actor.id, fields.secondOfficerId], f.certificates, f.matter!.domain, f.today);
  };
  const resolveOnSite: Guard<'resolve_on_site'> = ({ actor, transition: { fields } }) => {
    const refused = standing.resolve_on_site!(actor.id);
    if (refused) return refused;
    // Filed (立案), the case is under the general procedure: a warning, or sparing a first violation, is
    // a decision (proposal, legal review, the 90-day deadline), not an on-site disposal.
    if (f.filedAt !== null && fields.outcome !== 'no_violation_found') {
      return reject(422, 'CASE_FILED', `the case was filed on ${f.filedAt.toISOString()}: ${fields.outcome} is decided through propose_decision and legal review; on site a filed case ends only as no_violation_found`);
    }
    if (!isPenaltyMatter(f)) return undefined;
    // A penalty matter's act was a violation or not: corrected (a first violation spared), warned, or none
    // found. "Hazard cleared" is a safety incident's end; here it would close a violation without its party
    // or the first-violation rule.
    if (fields.outcome === 'hazard_cleared') {
      return reject(422, 'OUTCOME_NOT_FOR_MATTER', `${f.matter!.code} is a penalty matter: on site it ends as corrected, warning_issued or no_violation_found, not hazard_cleared (a safety incident's end)`);
    }
    // A warning given on site is a penalty; no penalty for a first violation needs the party too.
    const identity = partyIdentity(fields, fields.outcome === 'corrected' || fields.outcome === 'warning_issued');
    if (identity && !(fields.outcome === 'corrected' && fields.partyId === undefined)) return identity;
    // A warning is a penalty: not for a child under 14; a minor of 14 to 17 may be warned (the lightest).
    const minor = minorParty(f, fields, fields.outcome === 'warning_issued', true);
    if (minor) return minor;
    const kind = fields.partyKind ?? 'individual';
    // A warning on site is a penalty the law must provide, alone: not for a matter whose law imposes a fine or confiscation.
    if (fields.outcome === 'warning_issued') return lawfulPenalty(f, { penalties: ['warning'] }, kind);
    // A child under 14 is spared for their age, not as a first violation.
    if (fields.outcome === 'corrected' && underPenaltyAge(f, fields)) return undefined;
    return fields.outcome === 'corrected' ? firstViolationNotMinor(f, kind) ?? firstViolation(f, fields) : undefined;
  };
  const file: Guard<'file'> = ({ actor }) => standing.file!(actor.id);
  const classify: Guard<'classify'> = ({ actor, transition: { fields } }) =>
    standing.classify!(actor.id) ?? (f.classifyTarget === null ? reject(422, 'UNKNOWN_MATTER', `no matter ${fields.matterCode} in the catalogue`) : undefined);
  const propose: Guard<'propose_decision'> = ({ actor, transition: { fields } }) => {
    const refused = standing.propose_decision!(actor.id);
    if (refused) return refused;
    const identity = partyIdentity(fields, true);
    if (identity) return identity;
    const noPenalty = fields.penalties.length === 1 && fields.penalties[0] === 'no_penalty';
    const unlawful = lawfulPenalty(f, fields, fields.partyKind ?? 'individual');
    if (unlawful) return unlawful;
    const tier = selectTier(f, fields);
    if (!tier) return reject(422, 'UNKNOWN_TIER', `no ${fields.tier} tier for a ${fields.partyKind ?? 'individual'} in the benchmark of ${f.matter!.code}`);
    if (noPenalty !== (fields.tier === 'no_penalty')) {
      return reject(422, 'TIER_MISMATCH', 'the no_penalty tier goes with penalties ["no_penalty"] and only with it');
    }
    const minor = minorParty(f, fields, !noPenalty, fields.tier === 'mitigated' && withinTier(tier, fields));
    if (minor) return minor;
    if (noPenalty && !underPenaltyAge(f, fields)) {
      const first = firstViolation(f, fields);
      if (first) return first;
    }
    if (!withinTier(tier, fields) && fields.deviationReason === undefined) {
      return reject(422, 'BENCHMARK_DEVIATION_UNREASONED',
        `the fine is outside the ${tier.tier} tier (¥${tier.minFineYuan}–${tier.maxFineYuan}) though inside the law: state why (deviationReason); the district centre reviews it`);
    }
    return noValidEvidence(f) ?? requiredEvidence(f, !noPenalty);
  };
  const approve: Guard<'approve'> = ({ actor }) => standing.approve!(actor.id);
  const requestOpinions: Guard<'request_opinions'> = ({ actor, transition: { fields } }) => {
    const refused = standing.request_opinions!(actor.id);
    if (refused) return refused;
    const wrong = fields.reviewers.find((r) => r === actor.id || !f.review.reviewersAtPost.includes(r));
    return wrong === undefined ? undefined : reject(422, 'UNKNOWN_REVIEWER', `${wrong} is not another reviewer of the centre`);
  };
  const giveOpinion: Guard<'give_opinion'> = ({ actor }) => standing.give_opinion!(actor.id);
  const dismiss: Guard<'dismiss'> = ({ actor }) => standing.dismiss!(actor.id);
  const decide: Guard<'decide'> = ({ actor, transition: { fields } }) => {
    const refused = standing.decide!(actor.id);
    if (refused) return refused;
    // A written decision's number (文书编号) names one decision: the record cannot hold two under it.
    return f.decisionNoTakenBy != null
      ? reject(409, 'DECISION_NO_TAKEN', `decision number ${fields.decisionNo} was already given to the decision of case ${f.decisionNoTakenBy}`)
      : undefined;
  };
  const extend: Guard<'extend_deadline'> = ({ actor, transition: { fields } }) =>
    standing.extend_deadline!(actor.id)
    ?? extensionProblem({ now: f.now, filedAt: f.filedAt!, decisionDueAt: f.decisionDueAt!, extensionsSoFar: f.extensionsSoFar ?? 0, discussionMinutesSoFar: f.discussionMinutesSoFar ?? [] }, fields, settings);
  // Hearing the party: the standing rules, then the fields (times, the presiding reviewer).
  const heard = <E extends 'notify_party' | 'record_statement' | 'waive_statement' | 'request_hearing' | 'record_hearing'>(event: E): Guard<E> =>
    ({ actor, transition }) => standing[event]!(actor.id) ?? (f.notice ? noticeFieldProblems(f.notice, { event, fields: (transition as { fields: Record<string, unknown> }).fields }) : undefined);
  return {
    notify_party: [heard('notify_party')],
    record_statement: [heard('record_statement')],
    waive_statement: [heard('waive_statement')],
    request_hearing: [heard('request_hearing')],
    record_hearing: [heard('record_hearing')],
    arrive: [arrive],
    resolve_on_site: [resolveOnSite],
    propose_decision: [propose],
    approve: [approve],
    request_opinions: [requestOpinions],
    give_opinion: [giveOpinion],
    decide: [decide],
    dismiss: [dismiss],
    classify: [classify],
    file: [file],
    extend_deadline: [extend],
  };
}
