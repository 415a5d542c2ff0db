import { latestProposal } from './transition-repository.js';
import type pg from 'pg';
import { reject, type Actor, type Rejection, type Transition } from '../domain/case-lifecycle.js';
import {
  addDays,
  certificateOn,
  combinedFineReason,
  decisionDueAt,
  endOfLocalDay,
  localDate,
  noPenaltyGround,
  reviewRouting,
  selectTier,
  withinTier,
  type BenchmarkTier,
  type LegalFacts,
  type LegalSettings,
} from '../domain/legal-rules.js';
import { sensorEvidenceProblems } from '../domain/evidence.js';
import { actDateOf, benchmarkInForce, boundsInForce } from '../legal/catalogue.js';
import { checkPartyId, type PartyIdType } from '../legal/party-ids.js';
import { recordParty } from '../legal/parties.js';
import { openReportDeadlines } from './deadlines.js';
import { loadNoticeFacts } from './notice-repository.js';
import { noticeRecord } from '../domain/penalty-notice.js';
import {
  answerConsultation,
  caseCreatedAt,
  caseLegalRow,
  caseWithDecisionNo,
  certificatesOf,
  consultationState,
  extensionsOf,
  matterByCode,
  lockPartyOfMatter,
  priorCasesOfParty,
  recordExtension,
  requestOpinions,
  reviewPostsFor,
  sameDayFinesOfParty,
  sensorRecordsOf,
  validFileKinds,
  type CaseLegalRow,
} from './legal-repository.js';

/**
 * The legal rules' part of a transition: gathers, inside the transition's transaction (through the
 * repository on its client), the facts the pure guards of enforcement-api/domain/legal-rules.ts need,
 * and decides what the rules record (officers on site, filing and deadline, review routing,
 * consultations, late decisions). No SQL here: legal-repository.ts holds it.
 */

export const DEFAULT_LEGAL_SETTINGS: LegalSettings = {
  majorFineYuan: 10_000, timezone: 'Asia/Shanghai', decisionWarningDays: [60, 80], majorReviewOpinions: 2, presenceConfirmMinutes: 30, presenceMaxDistanceM: 300,
  statementDays: 3, hearingRequestDays: 5,
  extensionMaxDays: 30, extensionsWithoutDiscussion: 1,
};

/** The events whose rules read how the party was heard (penalty-notice.ts). */
const HEARING_THE_PARTY = ['decide', 'notify_party', 'record_statement', 'waive_statement', 'request_hearing', 'record_hearing'];

/** The benchmark tiers in force on `onDate` (today when omitted) of one matter, or of every matter. */
export async function benchmarksOf(db: Pick<pg.Pool, 'query'> | pg.PoolClient, matterCode: string | null, onDate: string): Promise<BenchmarkTier[]> {
  return benchmarkInForce(db, matterCode, onDate);
}

/** The facts the case row itself gives; the rest start empty and are loaded as a rule needs them. */
function caseFacts(c: NonNullable<Awaited<ReturnType<typeof caseLegalRow>>>, now: Date, settings: LegalSettings): LegalFacts {
  return {
    today: localDate(now, settings.timezone),
    now,
    matter: c.matterCode && c.domain !== null ? { code: c.matterCode, domain: c.domain, penalty: c.penalty ?? true, decisionEvidence: c.decisionEvidence ?? [] } : null,
    classifyTarget: null,
    certificates: {},
    onSiteOfficers: c.onSiteOfficers,
    benchmarks: [],
    bounds: [],
    presenceConfirmed: c.presenceConfirmedAt !== null,
    filedAt: c.filedAt,
    priorCasesOfParty: 0,
    evidence: { files: 0, validSensorRecords: 0 },
    review: { postKind: c.postKind, level: null, pendingOpinions: [], reviewersAtPost: [], opinionsGiven: 0 },
    decisionDueAt: c.decisionDueAt,
  };
}

/** Loads what the legal guards need for this transition (and nothing more). */
export async function loadLegalFacts(client: pg.PoolClient, caseId: string, actor: Actor, t: Transition, now: Date, settings: LegalSettings): Promise<LegalFacts> {
  const c = await caseLegalRow(client, caseId);
  if (!c) throw new Error(`case ${caseId} vanished inside its transaction`);
  const facts = caseFacts(c, now, settings);
  if (t.event === 'classify') {
    const m = await matterByCode(client, t.fields.matterCode);
    facts.classifyTarget = m ? { code: m.code } : null;
  }

  const officers = new Set<string>();
  if (t.event === 'arrive') {
    officers.add(actor.id);
    if (t.fields.secondOfficerId !== undefined) officers.add(t.fields.secondOfficerId);
  }
  if (t.event === 'resolve_on_site' || t.event === 'propose_decision' || t.event === 'file') for (const o of c.onSiteOfficers ?? []) officers.add(o);
  if (officers.size > 0) {
    facts.certificates = Object.fromEntries(await certificatesOf(client, [...officers]));
  }

  // Earlier cases of the party, by the normalised identifier (fields arrive normalised: transitions.ts).
  const partyId = t.event === 'propose_decision' || t.event === 'resolve_on_site' ? t.fields.partyId : undefined;
  if (partyId !== undefined && c.matterCode) {
    await lockPartyOfMatter(client, partyId, c.matterCode);
    const prior = await priorCasesOfParty(client, partyId, c.matterCode, caseId);
    facts.priorCasesOfParty = prior.earlier;
    facts.firstViolationSparedIn = prior.sparedIn;
  }

  if (t.event === 'propose_decision' || t.event === 'resolve_on_site') {
    // The day of the act: the catalogue in force then, not today's (what a proposal, a warning on site or
    // sparing a first violation is judged by), and the party's age then (a minor's, APL art. 30).
    const actOn = (await actDateOf(client, caseId, settings.timezone)) ?? facts.today;
    facts.actDate = actOn;
    facts.benchmarks = c.matterCode ? await benchmarkInForce(client, c.matterCode, actOn) : [];
    facts.bounds = c.matterCode ? await boundsInForce(client, c.matterCode, actOn) : [];
    if (t.event === 'propose_decision' && t.fields.fineYuan !== undefined && t.fields.partyId !== undefined && c.matterCode) {
      facts.sameDayFines = await sameDayFinesOfParty(client, { partyId: t.fields.partyId, matterCode: c.matterCode, caseId, actDate: actOn, timezone: settings.timezone });
    }
  }
  // The evidence a decision rests on, when it is proposed and again when it is approved and made.
  if (t.event === 'propose_decision' || t.event === 'approve' || t.event === 'decide') facts.evidence = await evidenceFacts(client, caseId, settings.timezone);
  if (t.event === 'approve' || t.event === 'decide') facts.proposalPenalised = await proposalPenalised(client, caseId);

  if (t.event === 'decide') facts.decisionNoTakenBy = await caseWithDecisionNo(client, t.fields.decisionNo, caseId);
  if (HEARING_THE_PARTY.includes(t.event)) facts.notice = await loadNoticeFacts(client, caseId, now, settings.majorFineYuan, t.event === 'record_hearing' ? t.fields.presidedBy : undefined);
  if (t.event === 'extend_deadline') {
    const so = await extensionsOf(client, caseId);
    facts.extensionsSoFar = so.count;
    facts.discussionMinutesSoFar = so.minutesRefs;
  }

  if (t.event === 'approve' || t.event === 'request_opinions' || t.event === 'give_opinion') await loadReview(client, caseId, c, facts, settings);
  return facts;
}

/** The valid evidence a decision could rest on: uploaded files by kind, and the sensor records that count (each a calibrated device's measurement). */
async function evidenceFacts(client: pg.PoolClient, caseId: string, timezone: string): Promise<LegalFacts['evidence']> {
  const sensors = await sensorRecordsOf(client, caseId, timezone);
  const files = await validFileKinds(client, caseId);
  const records = sensors.filter((s) => sensorEvidenceProblems(s).length === 0).length;
  return { files: files.length, validSensorRecords: records, kinds: [...files, ...(records > 0 ? ['measurement'] : [])] };
}

/**
 * A routine proposal's party fined in other cases of the matter for an act on the same day, since it was
 * proposed, up to the major threshold: why it is major now (undefined: it is not).
 */
async function combinedFinesSince(client: pg.PoolClient, caseId: string, proposal: Awaited<ReturnType<typeof latestProposal>>, matterCode: string | null, today: string, settings: LegalSettings): Promise<string | undefined> {
  if (proposal?.reviewLevel !== 'routine' || proposal.fineYuan === null || proposal.partyId === null || matterCode === null) return undefined;
  const actDate = (await actDateOf(client, caseId, settings.timezone)) ?? today;
  return combinedFineReason(proposal.fineYuan, await sameDayFinesOfParty(client, { partyId: proposal.partyId, matterCode, caseId, actDate, timezone: settings.timezone }), settings.majorFineYuan);
}

/**
 * The review of the latest proposal: the level it was submitted at — or major, when the party's fines
 * of the act's day proposed in other cases since its submission add up to the threshold (the street
 * post then cannot approve it) — and the consultation's state.
 */
async function loadReview(client: pg.PoolClient, caseId: string, c: Pick<CaseLegalRow, 'reviewLevel' | 'postId' | 'matterCode'>, facts: LegalFacts, settings: LegalSettings): Promise<void> {
  const proposal = await latestProposal(client, caseId);
  // The level the case was submitted at (a routine proposal becomes major when the party's same-day fines add up).
  facts.review.level = c.reviewLevel ?? proposal?.reviewLevel ?? null;
  if (facts.review.level === 'routine') {
    const combined = await combinedFinesSince(client, caseId, proposal, c.matterCode, facts.today, settings);
    if (combined) facts.review = { ...facts.review, level: 'major', combinedFines: combined };
  }
  const state = await consultationState(client, proposal?.id ?? null, c.postId);
  facts.review.pendingOpinions = state.pending;
  facts.review.opinionsGiven = state.given;
  facts.review.reviewersAtPost = state.reviewersAtPost;
}

/** The proposal under review imposes a penalty (not only no_penalty). */
async function proposalPenalised(client: pg.PoolClient, caseId: string): Promise<boolean> {
  return ((await latestProposal(client, caseId))?.penalties ?? []).some((p) => p !== 'no_penalty');
}

/**
 * What the legal rules need to tell, before anything is typed, which of `events` would be refused as
 * the case stands (domain/legal-rules.ts `standingRefusals`): the matter, the officers on site and their
 * certificates, filing, the benchmark in force on the day of the act, the evidence and the consultation.
 */
export async function loadStandingFacts(client: pg.PoolClient, caseId: string, events: readonly string[], now: Date, settings: LegalSettings): Promise<LegalFacts | null> {
  const c = await caseLegalRow(client, caseId);
  if (!c) return null;
  const needs = (...e: string[]) => e.some((x) => events.includes(x));
  const onSite = c.onSiteOfficers ?? [];
  const actDate = needs('propose_decision') && c.matterCode ? (await actDateOf(client, caseId, settings.timezone)) : null;
  const facts = caseFacts(c, now, settings);
  if (onSite.length > 0) facts.certificates = Object.fromEntries(await certificatesOf(client, onSite));
  if (needs('propose_decision') && c.matterCode) facts.benchmarks = await benchmarkInForce(client, c.matterCode, actDate ?? facts.today);
  if (needs('approve', 'decide')) {
    facts.evidence = await evidenceFacts(client, caseId, settings.timezone);
    facts.proposalPenalised = await proposalPenalised(client, caseId);
  }
  if (needs('approve', 'request_opinions', 'give_opinion')) await loadReview(client, caseId, c, facts, settings);
  if (needs(...HEARING_THE_PARTY)) facts.notice = await loadNoticeFacts(client, caseId, now, settings.majorFineYuan);
  return facts;
}

/** What a proposal is, measured against the benchmark: its tier's range and where it must be reviewed. */
export function assessProposal(facts: LegalFacts, t: Extract<Transition, { event: 'propose_decision' }>, settings: LegalSettings) {
  const tier = selectTier(facts, t.fields);
  const outsideBenchmark = tier ? !withinTier(tier, t.fields) : true;
  return {
    tier,
    outsideBenchmark,
    boundsEffectiveFrom: facts.bounds.find((b) => b.partyKind === (t.fields.partyKind ?? 'individual'))?.effectiveFrom ?? null,
    routing: reviewRouting(t.fields, outsideBenchmark, settings.majorFineYuan, facts.sameDayFines),
  };
}

export interface LegalRecord {
  ok: true;
  /** Columns of `cases` to set besides the lifecycle's own. */
  columns: Record<string, unknown>;
  /** Added to the case event's data. */
  data: Record<string, unknown>;
  /** Runs after the case row is updated, in the same transaction. */
  after?: () => Promise<void>;
}

/** The party identifier as stored: normalised (party-ids.ts), so the same party is found again. */
export function normalisedFields(request: { event: string; fields: unknown }): { event: string; fields: unknown } {
  const f = request.fields;
  if (f === null || typeof f !== 'object' || typeof (f as { partyId?: unknown }).partyId !== 'string') return request;
  const fields = f as { partyId: string; partyKind?: 'individual' | 'unit'; partyIdType?: PartyIdType };
  const c = checkPartyId(fields.partyId, fields.partyKind === 'unit' ? 'unit' : 'individual', fields.partyIdType);
  // An invalid id stays as typed: the guard refuses it with the checker's message.
  return c.ok ? { ...request, fields: { ...fields, partyId: c.id, partyIdType: c.idType } } : request;
}

/** Writes what the legal rules record for a transition the guards allowed; a refusal rolls back. */
export async function writeLegalRecords(client: pg.PoolClient, caseId: string, actor: Actor, t: Transition, at: string, facts: LegalFacts, settings: LegalSettings): Promise<LegalRecord | Rejection> {
  switch (t.event) {
    case 'file': {
      // Filing (立案): the general-procedure decision deadline runs from here (APL art. 60).
      const due = decisionDueAt(new Date(at), settings.timezone).toISOString();
      return { ok: true, columns: { filed_at: at, decision_due_at: due }, data: { filedAt: at, decisionDueAt: due } };
    }
    case 'classify': {
      const m = (await matterByCode(client, t.fields.matterCode))!;
      const createdAt = (await caseCreatedAt(client, caseId))!;
      // The matter's SLA applies from the report, as if the case had arrived classified.
      const slaDue = new Date(createdAt.getTime() + m.slaMinutes * 60_000).toISOString();
      return { ok: true, columns: { matter_code: t.fields.matterCode, sla_due_at: slaDue }, data: { matterCode: t.fields.matterCode }, after: () => openReportDeadlines(client, caseId) };
    }
    case 'extend_deadline': {
      const previous = facts.decisionDueAt!.toISOString();
      // The decision deadline, still running (an extension comes before it ends: legal-rules.ts), moves to the new date.
      await recordExtension(client, {
        caseId, approvedBy: actor.id, reason: t.fields.reason, previousDueAt: previous, newDueAt: t.fields.newDueAt, collectiveDiscussion: t.fields.collectiveDiscussion ?? null, at,
      });
      return { ok: true, columns: { decision_due_at: t.fields.newDueAt }, data: { previousDueAt: previous } };
    }
    case 'arrive': {
      if (t.fields.secondOfficerId === undefined) return { ok: true, columns: {}, data: {} };
      const pair = [actor.id, t.fields.secondOfficerId];
      return {
        ok: true,
        // Not yet two officers: the second confirms from their own session (enforcement-api/legal/presence.ts).
        columns: { on_site_officers: pair, presence_confirmed_at: null, presence_location: null },
        data: { onSiteOfficers: pair, certificates: pair.map((id) => certificateOn(facts.certificates[id] ?? [], facts.today)?.certificateNo ?? null), awaitingConfirmationFrom: t.fields.secondOfficerId },
      };
    }
    case 'resolve_on_site': {
      const noPenalty = t.fields.outcome === 'corrected' && facts.matter?.penalty === true;
      if (t.fields.partyId !== undefined) await recordParty(client, t.fields, null, at);
      return {
        ok: true,
        columns: t.fields.partyId !== undefined ? { party_id: t.fields.partyId } : {},
        data: noPenalty ? { noPenalty: noPenaltyGround(facts, t.fields), priorCasesOfParty: facts.priorCasesOfParty } : {},
      };
    }
    case 'propose_decision': {
      // A revision names the revision it replaces: two officers proposing at once must not replace each other's.
      const latest = (await latestProposal(client, caseId))?.revision;
      if (t.fields.revises !== latest) {
        return latest === undefined
          ? reject(409, 'PROPOSAL_CHANGED', `the case has no proposal for revises ${t.fields.revises} to replace`)
          : reject(409, 'PROPOSAL_CHANGED', `the case's proposal is at revision ${latest}${t.fields.revises === undefined ? ', made meanwhile' : ''}: read it, then name it in revises to replace it`);
      }
      const a = assessProposal(facts, t, settings);
      if (t.fields.partyId !== undefined) await recordParty(client, t.fields, t.fields.party, at);
      return {
        ok: true,
        columns: t.fields.partyId !== undefined ? { party_id: t.fields.partyId } : {},
        data: {
          tierRange: a.tier ? [a.tier.minFineYuan, a.tier.maxFineYuan] : null,
          outsideBenchmark: a.outsideBenchmark,
          reviewLevel: a.routing.level,
          reviewReasons: a.routing.reasons,
          ...(t.fields.tier === 'no_penalty' ? { noPenalty: noPenaltyGround(facts, t.fields) } : {}),
        },
      };
    }
    case 'submit_for_review': {
      const proposal = await latestProposal(client, caseId);
      let level = proposal?.reviewLevel ?? 'major';
      // The party's fines for the same act day proposed in other cases since this proposal count too.
      const combined = await combinedFinesSince(client, caseId, proposal, facts.matter?.code ?? null, facts.today, settings);
      if (combined) level = 'major';
      const posts = await reviewPostsFor(client, caseId);
      // Routine → the street's post (the centre when the street has none); major → the centre.
      const post = level === 'routine' ? (posts.find((p) => p.kind === 'street') ?? posts.find((p) => p.kind === 'district')) : posts.find((p) => p.kind === 'district');
      if (!post) return reject(422, 'NO_REVIEW_POST', `no legal review post can take a ${level} decision for this case`);
      return { ok: true, columns: { review_post_id: post.id, review_level: level }, data: { reviewPostId: post.id, reviewLevel: level, ...(combined ? { reviewReasons: [combined] } : {}) } };
    }
    case 'request_opinions': {
      const proposal = await latestProposal(client, caseId);
      if (!proposal) throw new Error(`case ${caseId} is under review without a proposal`);
      await requestOpinions(client, { caseId, proposalId: proposal.id, requestedBy: actor.id, reviewers: t.fields.reviewers, question: t.fields.question, at });
      return { ok: true, columns: {}, data: { revision: proposal.revision } };
    }
    case 'give_opinion': {
      const proposal = await latestProposal(client, caseId);
      await answerConsultation(client, proposal?.id ?? null, actor.id, t.fields.opinion, at);
      return { ok: true, columns: {}, data: { revision: proposal?.revision ?? null } };
    }
    case 'decide': {
      // Late: after the statutory 90 days from filing, which only an approved extension allows.
      const statutory = facts.filedAt === null ? null : decisionDueAt(facts.filedAt, settings.timezone);
      const late = statutory !== null && facts.now > statutory;
      return { ok: true, columns: { decided_late: late }, data: late ? { late: true, extendedTo: facts.decisionDueAt?.toISOString() ?? null } : {} };
    }
    case 'notify_party': {
      // What the party was told: the revision, its measures, the rights and the periods they run for.
      const latest = facts.notice!.latest!;
      const servedAt = t.fields.servedAt === undefined ? facts.now : new Date(t.fields.servedAt);
      // Periods of calendar days after the day of service, to the end of the last one (as the decision deadline is counted).
      const periodEnd = (from: Date, days: number) => endOfLocalDay(addDays(localDate(from, settings.timezone), days), settings.timezone);
      return { ok: true, columns: {}, data: noticeRecord(latest, servedAt, settings, periodEnd) };
    }
    case 'request_hearing':
      return { ok: true, columns: {}, data: { requestedAt: t.fields.requestedAt === undefined ? at : new Date(t.fields.requestedAt).toISOString(), revision: facts.notice!.latest!.revision } };
    case 'record_statement':
    case 'waive_statement':
    case 'record_hearing':
      return { ok: true, columns: {}, data: { revision: facts.notice!.latest!.revision } };
    case 'accept':
    case 'dispatch':
    case 'approve':
    case 'return':
    case 'close':
    case 'dismiss':
      return { ok: true, columns: {}, data: {} };
    default: {
      const never: never = t;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}
