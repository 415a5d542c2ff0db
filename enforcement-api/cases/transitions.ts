import type pg from 'pg';
import { inTransaction } from '../../core/db/transaction.js';
import {
  decideTransition,
  isCaseState,
  reject,
  type Actor,
  type CaseFacts,
  type CaseState,
  type LifecyclePolicy,
  type Rejection,
  type Transition,
} from '../domain/case-lifecycle.js';
import { legalGuards, type LegalFacts, type LegalSettings } from '../domain/legal-rules.js';
import { appendEvent, type CaseEvent } from './events.js';
import { settleDeadlines } from './deadlines.js';
import { assessProposal, DEFAULT_LEGAL_SETTINGS, loadLegalFacts, normalisedFields, writeLegalRecords } from './legal.js';
import { appendLiveEvent } from '../live.js';
import { followCaseTeam } from '../complaints/repository.js';
import { caseReach, insertProposal, insertReview, labelFalseAlarms, latestProposal, lockCaseFacts, teamExists, updateCase } from './transition-repository.js';

export { lifecycleRecord, type LifecycleRecord } from './transition-repository.js';

/** A transition that was written: the event appended and the states it moved between. */
export interface AppliedTransition {
  ok: true;
  event: CaseEvent;
  from: CaseState;
  to: CaseState;
  /** The team that had the case before (differs from the case's team after a dispatch). */
  previousTeamId: string | null;
  /** Whether the case is in the reviewers' queue after the transition. */
  inReview: boolean;
}

/** Columns of `cases` each event sets besides state; names are constants here, values are bound. */
function caseColumns(t: Transition, actor: Actor, at: string): Record<string, unknown> {
  switch (t.event) {
    case 'dispatch':
      return { team_id: t.fields.teamId, assigned_to: null, dispatched_at: at };
    case 'accept':
      return { assigned_to: actor.id, accepted_at: at };
    case 'arrive':
      return { arrived_at: at, arrival_location: JSON.stringify(t.fields.location) };
    case 'resolve_on_site':
      return { disposed_at: at, resolution: JSON.stringify({ outcome: t.fields.outcome, summary: t.fields.summary }) };
    case 'propose_decision':
      return {};
    case 'submit_for_review':
      return { review_submitted_at: at };
    case 'approve':
    case 'return':
    case 'request_opinions':
    case 'give_opinion':
    case 'classify':
    case 'file':
    case 'extend_deadline':
    case 'notify_party':
    case 'record_statement':
    case 'waive_statement':
    case 'request_hearing':
    case 'record_hearing':
      return {};
    case 'decide':
      return { decision_no: t.fields.decisionNo, disposed_at: at };
    case 'close':
      return { closed_at: at };
    case 'dismiss':
      return { dismissal_reason: t.fields.reason, closed_at: at };
    default: {
      const never: never = t;
      throw new Error(`unhandled event ${JSON.stringify(never)}`);
    }
  }
}

/** Checks that need the database (a referenced team exists); a refusal rolls the transaction back. */
async function checkReferences(client: pg.PoolClient, t: Transition): Promise<Rejection | undefined> {
  if (t.event !== 'dispatch') return undefined;
  return (await teamExists(client, t.fields.teamId)) ? undefined : reject(400, 'UNKNOWN_TEAM', `no team ${t.fields.teamId}`);
}

/** Rows besides the case itself (proposal revisions, review outcomes); returns what the event should add. */
async function writeRecords(client: pg.PoolClient, caseId: string, actor: Actor, t: Transition, at: string, legal: LegalFacts, settings: LegalSettings): Promise<Record<string, unknown>> {
  if (t.event === 'propose_decision') {
    const f = t.fields;
    const a = assessProposal(legal, t, settings);
    const revision = await insertProposal(client, {
      caseId, proposedBy: actor.id, proposedAt: at, party: f.party, facts: f.facts, legalBasis: f.legalBasis, penalties: f.penalties,
      fineYuan: f.fineYuan ?? null, hearingRequired: f.hearingRequired ?? false, tier: f.tier, partyKind: f.partyKind ?? 'individual',
      partyId: f.partyId ?? null, correction: f.correction ?? null, outsideBenchmark: a.outsideBenchmark, reviewLevel: a.routing.level, reviewReasons: a.routing.reasons,
      partyIdType: f.partyIdType ?? null, deviationReason: f.deviationReason ?? null, boundsEffectiveFrom: a.boundsEffectiveFrom, benchmarkEffectiveFrom: a.tier?.effectiveFrom ?? null,
    });
    return { revision };
  }
  if (t.event === 'approve' || t.event === 'return') {
    const proposal = await latestProposal(client, caseId);
    if (!proposal) throw new Error(`case ${caseId} is under review without a proposal`);
    await insertReview(client, { caseId, proposalId: proposal.id, reviewer: actor.id, outcome: t.event === 'approve' ? 'approved' : 'returned', opinion: t.fields.opinion ?? null, at });
    return { revision: proposal.revision };
  }
  if (t.event === 'dismiss' && t.fields.falseAlarm === true) {
    // The officers' verdict is the label of the next training (DESIGN §3 Inference); an explicit
    // verdict already given on an alert is kept.
    return { alertsLabelled: await labelFalseAlarms(client, caseId, t.fields.reason, actor.id) };
  }
  return {};
}

/**
 * One transition in one transaction: lock the case row (concurrent transitions queue; the loser sees
 * the winner's state and is refused), let the state machine decide, then write the case, its records
 * and the event. Nothing is written when anything fails. Never touches the pool while holding `client`.
 */
export async function applyTransition(
  pool: pg.Pool,
  caseId: string,
  actor: Actor,
  request: { event: string; fields: unknown },
  policy: LifecyclePolicy = {},
  settings: LegalSettings = DEFAULT_LEGAL_SETTINGS,
): Promise<AppliedTransition | Rejection> {
  try {
    // The party identifier is normalised before it is checked or stored (enforcement-api/legal/party-ids.ts).
    return await inTransaction(pool, (client) => transition(client, caseId, actor, normalisedFields(request), policy, settings));
  } catch (err) {
    if (err instanceof Refused) return err.rejection;
    throw err;
  }
}

/** A refusal found inside the transaction: thrown so that the transaction rolls back, then returned. */
class Refused extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.message);
  }
}

async function transition(
  client: pg.PoolClient,
  caseId: string,
  actor: Actor,
  request: { event: string; fields: unknown },
  policy: LifecyclePolicy,
  settings: LegalSettings,
): Promise<AppliedTransition> {
  const row = await lockCaseFacts(client, caseId);
  if (row && !isCaseState(row.state)) throw new Error(`case ${caseId} is in unknown state ${row.state}`);
  const facts: CaseFacts | null = row ? { state: row.state as CaseState, teamId: row.teamId, supportTeamId: row.supportTeamId, inReview: row.inReview, reviewPostId: row.reviewPostId } : null;
  const now = new Date();
  let decision = decideTransition(facts, actor, request, policy);
  // The legal rules (enforcement-api/domain/legal-rules.ts) need facts that depend on the validated fields (the
  // officers named, the party): load them, then decide again with their guards.
  let legal: LegalFacts | undefined;
  if (decision.ok) {
    legal = await loadLegalFacts(client, caseId, actor, decision.transition, now, settings);
    const guards: Record<string, readonly unknown[]> = { ...policy.guards };
    for (const [event, list] of Object.entries(legalGuards(legal, settings))) guards[event] = [...(guards[event] ?? []), ...list];
    decision = decideTransition(facts, actor, request, { guards: guards as LifecyclePolicy['guards'] });
  }
  const at = now.toISOString();
  const refused = decision.ok ? await checkReferences(client, decision.transition) : decision;
  const recorded = decision.ok && !refused && legal ? await writeLegalRecords(client, caseId, actor, decision.transition, at, legal, settings) : undefined;
  if (!decision.ok || !facts || !legal || !recorded?.ok) {
    throw new Refused(refused ?? (recorded?.ok === false ? recorded : reject(404, 'CASE_NOT_FOUND', 'no such case')));
  }
  const t = decision.transition;
  const extra = await writeRecords(client, caseId, actor, t, at, legal, settings);
  const columns = { ...caseColumns(t, actor, at), ...recorded.columns, state: decision.to, state_changed_at: at, updated_at: at };
  await updateCase(client, caseId, columns);
  // The complaints fused into the case belong to the team holding it (enforcement-api/complaints/).
  if (t.event === 'dispatch' && facts.teamId !== t.fields.teamId) await followCaseTeam(client, caseId, facts.teamId, t.fields.teamId, actor.id, now);
  await recorded.after?.();
  await settleDeadlines(client, caseId, decision.to, at, { days: settings.decisionWarningDays, timeZone: settings.timezone }, t.event === 'file');
  const event = await appendEvent(client, caseId, actor.id, decision.recordedAs, {
    from: decision.from,
    to: decision.to,
    role: actor.role,
    ...t.fields,
    ...extra,
    ...recorded.data,
  }, at);
  const inReview = facts.inReview || decision.to === 'under_review';
  // The live stream's event, in this transaction (outbox): pushed iff the transition committed.
  const current = await caseReach(client, caseId);
  await appendLiveEvent(client, {
    type: 'case.updated',
    teamId: current.teamId,
    caseId,
    reason: event.type,
    state: decision.to,
    review: inReview,
    reviewPostId: current.reviewPostId,
    // A case dispatched away also leaves the previous team's inbox.
    ...(facts.teamId !== current.teamId ? { previousTeamId: facts.teamId } : {}),
  });
  return { ok: true, event, from: decision.from, to: decision.to, previousTeamId: facts.teamId, inReview };
}

