import type pg from 'pg';
import type { Consultation, Proposal, Review } from '../../contract/http/cases.js';

/**
 * The SQL of a lifecycle transition (transitions.ts), each statement on the caller's transaction
 * client, and the lifecycle records a case detail shows.
 */

/** The case's facts for the state machine, row-locked until the transaction ends (concurrent transitions queue). */
export async function lockCaseFacts(client: pg.PoolClient, caseId: string) {
  const r = await client.query<{ state: string; teamId: string | null; supportTeamId: string | null; inReview: boolean; reviewPostId: string | null }>(
    `SELECT state, team_id AS "teamId", support_team_id AS "supportTeamId", review_submitted_at IS NOT NULL AS "inReview", review_post_id AS "reviewPostId" FROM cases WHERE id = $1 FOR UPDATE`,
    [caseId],
  );
  return r.rows[0];
}

export async function teamExists(client: pg.PoolClient, teamId: string): Promise<boolean> {
  return ((await client.query('SELECT 1 FROM teams WHERE id = $1', [teamId])).rowCount ?? 0) > 0;
}

export interface ProposalRow {
  caseId: string;
  proposedBy: string;
  proposedAt: string;
  party: string;
  facts: string;
  legalBasis: string;
  penalties: readonly string[];
  fineYuan: number | null;
  hearingRequired: boolean;
  tier: string;
  partyKind: string;
  partyId: string | null;
  correction: string | null;
  outsideBenchmark: boolean;
  reviewLevel: string;
  reviewReasons: readonly string[];
  partyIdType: string | null;
  deviationReason: string | null;
  /** The catalogue versions the proposal was judged by. */
  boundsEffectiveFrom: string | null;
  benchmarkEffectiveFrom: string | null;
}

/** Adds the next revision of the case's decision proposal; returns its revision number. */
export async function insertProposal(client: pg.PoolClient, p: ProposalRow): Promise<number> {
  const r = await client.query<{ revision: number }>(
    `INSERT INTO case_proposals (case_id, revision, proposed_by, proposed_at, party, facts, legal_basis, penalties, fine_yuan, hearing_required,
       tier, party_kind, party_id, correction, outside_benchmark, review_level, review_reasons, party_id_type, deviation_reason,
       bounds_effective_from, benchmark_effective_from)
     SELECT $1, coalesce(max(revision), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20
     FROM case_proposals WHERE case_id = $1
     RETURNING revision`,
    [p.caseId, p.proposedBy, p.proposedAt, p.party, p.facts, p.legalBasis, p.penalties, p.fineYuan, p.hearingRequired,
      p.tier, p.partyKind, p.partyId, p.correction, p.outsideBenchmark, p.reviewLevel, p.reviewReasons,
      p.partyIdType, p.deviationReason, p.boundsEffectiveFrom, p.benchmarkEffectiveFrom],
  );
  return r.rows[0]!.revision;
}

export async function latestProposal(client: pg.PoolClient, caseId: string) {
  const r = await client.query<{ id: number; revision: number; reviewLevel: 'routine' | 'major' | null; fineYuan: number | null; partyId: string | null; penalties: string[] }>(
    `SELECT id, revision, review_level AS "reviewLevel", fine_yuan AS "fineYuan", party_id AS "partyId", penalties FROM case_proposals WHERE case_id = $1 ORDER BY revision DESC LIMIT 1`,
    [caseId],
  );
  return r.rows[0];
}

export async function insertReview(client: pg.PoolClient, r: { caseId: string; proposalId: number; reviewer: string; outcome: 'approved' | 'returned'; opinion: string | null; at: string }): Promise<void> {
  await client.query(
    `INSERT INTO case_reviews (case_id, proposal_id, reviewer, outcome, opinion, at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [r.caseId, r.proposalId, r.reviewer, r.outcome, r.opinion, r.at],
  );
}

/**
 * Labels the case's alerts false alarms (the labels of the next training); an explicit verdict already
 * given on an alert is kept. Returns how many were labelled.
 */
export async function labelFalseAlarms(client: pg.PoolClient, caseId: string, reason: string, by: string): Promise<number> {
  const r = await client.query(
    `INSERT INTO alert_verdicts (alert_id, verdict, reason, model_version, by_user)
     SELECT a.id, 'false_alarm', $2, a.model_version, $3 FROM alerts a JOIN cases c ON c.incident_id = a.incident_id
     WHERE c.id = $1 ON CONFLICT (alert_id) DO NOTHING`,
    [caseId, reason, by],
  );
  return r.rowCount ?? 0;
}

/** Sets columns of the case row; names are the caller's constants, values are bound. */
export async function updateCase(client: pg.PoolClient, caseId: string, columns: Record<string, unknown>): Promise<void> {
  const names = Object.keys(columns);
  await client.query(
    `UPDATE cases SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')} WHERE id = $1`,
    [caseId, ...Object.values(columns)],
  );
}

/** Who the case is with now: its team and the review post it was submitted to. */
export async function caseReach(client: pg.PoolClient, caseId: string): Promise<{ teamId: string | null; reviewPostId: string | null }> {
  const r = await client.query<{ teamId: string | null; reviewPostId: string | null }>(
    'SELECT team_id AS "teamId", review_post_id AS "reviewPostId" FROM cases WHERE id = $1',
    [caseId],
  );
  return r.rows[0]!;
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
