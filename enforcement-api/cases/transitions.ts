import type pg from 'pg';
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
} from '../../core/domain/case-lifecycle.js';
import { legalGuards, type LegalFacts, type LegalSettings } from '../../core/domain/legal-rules.js';
import { appendEvent, type CaseEvent } from './events.js';
import { settleDeadlines } from './deadlines.js';
import { assessProposal, DEFAULT_LEGAL_SETTINGS, loadLegalFacts, normalisedFields, writeLegalRecords } from './legal.js';
import { appendLiveEvent } from '../live.js';
import type { Consultation, Proposal, Review } from '../../contract/http/cases.js';

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
  const team = await client.query('SELECT 1 FROM teams WHERE id = $1', [t.fields.teamId]);
  return team.rowCount === 0 ? reject(400, 'UNKNOWN_TEAM', `no team ${t.fields.teamId}`) : undefined;
}

/** Rows besides the case itself (proposal revisions, review outcomes); returns what the event should add. */
async function writeRecords(client: pg.PoolClient, caseId: string, actor: Actor, t: Transition, at: string, legal: LegalFacts, settings: LegalSettings): Promise<Record<string, unknown>> {
  if (t.event === 'propose_decision') {
    const f = t.fields;
    const a = assessProposal(legal, t, settings);
    const r = await client.query<{ revision: number }>(
      `INSERT INTO case_proposals (case_id, revision, proposed_by, proposed_at, party, facts, legal_basis, penalties, fine_yuan, hearing_required,
         tier, party_kind, party_id, correction, outside_benchmark, review_level, review_reasons, party_id_type, deviation_reason,
         bounds_effective_from, benchmark_effective_from)
       SELECT $1, coalesce(max(revision), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20
       FROM case_proposals WHERE case_id = $1
       RETURNING revision`,
      [caseId, actor.id, at, f.party, f.facts, f.legalBasis, f.penalties, f.fineYuan ?? null, f.hearingRequired ?? false,
        f.tier, f.partyKind ?? 'individual', f.partyId ?? null, f.correction ?? null, a.outsideBenchmark, a.routing.level, a.routing.reasons,
        f.partyIdType ?? null, f.deviationReason ?? null, a.boundsEffectiveFrom, a.tier?.effectiveFrom ?? null],
    );
    return { revision: r.rows[0]!.revision };
  }
  if (t.event === 'approve' || t.event === 'return') {
    const latest = await client.query<{ id: number; revision: number }>(
      'SELECT id, revision FROM case_proposals WHERE case_id = $1 ORDER BY revision DESC LIMIT 1',
      [caseId],
    );
    const proposal = latest.rows[0];
    if (!proposal) throw new Error(`case ${caseId} is under review without a proposal`);
    await client.query(
      `INSERT INTO case_reviews (case_id, proposal_id, reviewer, outcome, opinion, at) VALUES ($1, $2, $3, $4, $5, $6)`,
      [caseId, proposal.id, actor.id, t.event === 'approve' ? 'approved' : 'returned', t.fields.opinion ?? null, at],
    );
    return { revision: proposal.revision };
  }
  if (t.event === 'dismiss' && t.fields.falseAlarm === true) {
    // The officers' verdict is the label of the next training (DESIGN §3 Inference); an explicit
    // verdict already given on an alert is kept.
    const r = await client.query(
      `INSERT INTO alert_verdicts (alert_id, verdict, reason, model_version, by_user)
       SELECT a.id, 'false_alarm', $2, a.model_version, $3 FROM alerts a JOIN cases c ON c.incident_id = a.incident_id
       WHERE c.id = $1 ON CONFLICT (alert_id) DO NOTHING`,
      [caseId, t.fields.reason, actor.id],
    );
    return { alertsLabelled: r.rowCount ?? 0 };
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
  raw: { event: string; fields: unknown },
  policy: LifecyclePolicy = {},
  settings: LegalSettings = DEFAULT_LEGAL_SETTINGS,
): Promise<AppliedTransition | Rejection> {
  const request = normalisedFields(raw);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const locked = await client.query<{ state: string; teamId: string | null; inReview: boolean; reviewPostId: string | null }>(
      `SELECT state, team_id AS "teamId", review_submitted_at IS NOT NULL AS "inReview", review_post_id AS "reviewPostId" FROM cases WHERE id = $1 FOR UPDATE`,
      [caseId],
    );
    const row = locked.rows[0];
    if (row && !isCaseState(row.state)) throw new Error(`case ${caseId} is in unknown state ${row.state}`);
    const facts: CaseFacts | null = row ? { state: row.state as CaseState, teamId: row.teamId, inReview: row.inReview, reviewPostId: row.reviewPostId } : null;
    const now = new Date();
    let decision = decideTransition(facts, actor, request, policy);
    // The legal rules (core/domain/legal-rules.ts) need facts that depend on the validated fields (the
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
      await client.query('ROLLBACK');
      return refused ?? (recorded?.ok === false ? recorded : reject(404, 'CASE_NOT_FOUND', 'no such case'));
    }
    const t = decision.transition;
    const extra = await writeRecords(client, caseId, actor, t, at, legal, settings);
    const columns = { ...caseColumns(t, actor, at), ...recorded.columns, state: decision.to, state_changed_at: at, updated_at: at };
    const names = Object.keys(columns);
    await client.query(
      `UPDATE cases SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')} WHERE id = $1`,
      [caseId, ...Object.values(columns)],
    );
    await recorded.after?.();
    await settleDeadlines(client, caseId, decision.to, at, settings.decisionWarningDays, t.event === 'file');
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
    const after = await client.query<{ teamId: string | null; reviewPostId: string | null }>(
      'SELECT team_id AS "teamId", review_post_id AS "reviewPostId" FROM cases WHERE id = $1',
      [caseId],
    );
    const current = after.rows[0]!;
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
    await client.query('COMMIT');
    return { ok: true, event, from: decision.from, to: decision.to, previousTeamId: facts.teamId, inReview };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export interface LifecycleRecord {
  proposals: Proposal[];
  reviews: Review[];
  consultations: Consultation[];
}

export async function lifecycleRecord(pool: pg.Pool, caseId: string): Promise<LifecycleRecord> {
  const proposals = await pool.query<Proposal>(
    `SELECT revision, proposed_by AS "proposedBy", proposed_at AS "proposedAt", party, facts, legal_basis AS "legalBasis",
       penalties, fine_yuan AS "fineYuan", hearing_required AS "hearingRequired", tier, party_kind AS "partyKind",
       party_id AS "partyId", correction, outside_benchmark AS "outsideBenchmark", review_level AS "reviewLevel",
       review_reasons AS "reviewReasons", party_id_type AS "partyIdType", deviation_reason AS "deviationReason",
       to_char(bounds_effective_from, 'YYYY-MM-DD') AS "boundsEffectiveFrom", to_char(benchmark_effective_from, 'YYYY-MM-DD') AS "benchmarkEffectiveFrom"
     FROM case_proposals WHERE case_id = $1 ORDER BY revision`,
    [caseId],
  );
  const reviews = await pool.query<Review>(
    `SELECT p.revision, r.reviewer, r.outcome, r.opinion, r.at FROM case_reviews r JOIN case_proposals p ON p.id = r.proposal_id
     WHERE r.case_id = $1 ORDER BY r.at, r.id`,
    [caseId],
  );
  const consultations = await pool.query<Consultation>(
    `SELECT p.revision, k.requested_by AS "requestedBy", k.reviewer, k.question, k.requested_at AS "requestedAt", k.opinion,
       k.answered_at AS "answeredAt"
     FROM case_consultations k JOIN case_proposals p ON p.id = k.proposal_id WHERE k.case_id = $1 ORDER BY k.requested_at, k.id`,
    [caseId],
  );
  return { proposals: proposals.rows, reviews: reviews.rows, consultations: consultations.rows };
}
