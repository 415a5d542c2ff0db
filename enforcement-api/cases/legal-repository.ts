import type pg from 'pg';
import type { CertificateHistory, OfficerCertificate, SameDayFine } from '../domain/legal-rules.js';
import type { SensorRecord } from '../domain/evidence.js';
import type { CollectiveDiscussion } from '../../contract/http/case-transitions.js';

/**
 * The SQL of the legal rules (legal.ts): what the guards read about a case, its officers, its party,
 * its evidence and its review, and what a transition the guards allowed writes — each statement on
 * the caller's client, so it runs inside the transition's transaction.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export interface CaseLegalRow {
  matterCode: string | null;
  domain: string | null;
  penalty: boolean | null;
  decisionEvidence: string[] | null;
  onSiteOfficers: string[] | null;
  decisionDueAt: Date | null;
  postKind: 'street' | 'district' | null;
  postId: string | null;
  createdAt: Date;
  filedAt: Date | null;
  presenceConfirmedAt: Date | null;
  /** The level the case was last submitted for review at. */
  reviewLevel: 'routine' | 'major' | null;
}

export async function caseLegalRow(client: Queryable, caseId: string): Promise<CaseLegalRow | undefined> {
  const r = await client.query<CaseLegalRow>(
    `SELECT c.matter_code AS "matterCode", m.domain, m.penalty, m.decision_evidence AS "decisionEvidence", c.on_site_officers AS "onSiteOfficers",
       c.decision_due_at AS "decisionDueAt", p.kind AS "postKind", p.id AS "postId", c.created_at AS "createdAt",
       c.filed_at AS "filedAt", c.presence_confirmed_at AS "presenceConfirmedAt", c.review_level AS "reviewLevel"
     FROM cases c LEFT JOIN matters m ON m.code = c.matter_code LEFT JOIN review_posts p ON p.id = c.review_post_id WHERE c.id = $1`,
    [caseId],
  );
  return r.rows[0];
}

export async function matterByCode(client: Queryable, code: string): Promise<{ code: string; slaMinutes: number } | null> {
  const r = await client.query<{ code: string; slaMinutes: number }>('SELECT code, sla_minutes AS "slaMinutes" FROM matters WHERE code = $1', [code]);
  return r.rows[0] ?? null;
}

/** The certificate histories of these users (legal-rules.ts `certificateOn` picks the version in force on a day); users without one are absent. */
export async function certificatesOf(client: Queryable, userIds: readonly string[]): Promise<Map<string, CertificateHistory>> {
  const r = await client.query<OfficerCertificate>(
    `SELECT o.user_id AS "userId", c.certificate_no AS "certificateNo", to_char(c.valid_from, 'YYYY-MM-DD') AS "validFrom",
       to_char(c.valid_until, 'YYYY-MM-DD') AS "validUntil", c.domains
     FROM officer_certificates c JOIN officers o ON o.id = c.officer_id WHERE o.user_id = ANY($1) ORDER BY c.id`,
    [[...userIds]],
  );
  const out = new Map<string, OfficerCertificate[]>();
  for (const c of r.rows) out.set(c.userId, [...(out.get(c.userId) ?? []), c]);
  return out;
}

/** The certificate domains that may collect the case's evidence: its matter's domain and support domain (none: unclassified). */
export async function matterDomainsOf(client: Queryable, caseId: string): Promise<string[]> {
  const r = await client.query<{ domain: string; supportDomain: string | null }>(
    `SELECT m.domain, m.support_domain AS "supportDomain" FROM cases c JOIN matters m ON m.code = c.matter_code WHERE c.id = $1`,
    [caseId],
  );
  const m = r.rows[0];
  return m ? [m.domain, ...(m.supportDomain !== null ? [m.supportDomain] : [])] : [];
}

/** The geometry (GeoJSON) of the case's zone. */
export async function zoneGeometryOf(client: Queryable, caseId: string): Promise<unknown> {
  return (await client.query<{ geometry: unknown }>('SELECT z.geometry FROM cases c JOIN zones z ON z.id = c.zone_id WHERE c.id = $1', [caseId])).rows[0]?.geometry ?? null;
}

/**
 * Holds, until the transaction ends, the party's record for one matter: two transitions naming the same
 * party in two cases (each under its own case row lock) queue here, so the later one reads the earlier
 * one's outcome — a first violation spared, a fine counted with the same day's — not the state before it.
 */
export async function lockPartyOfMatter(client: Queryable, partyId: string, matterCode: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('party:' || $1 || '|' || $2))`, [partyId, matterCode]);
}

/**
 * The party's other cases of the same matter that stand in the way of sparing a first violation,
 * whatever the order in which the cases were reported or named the party: those whose act (first
 * alert, or the report) came before this case's act, and those where the party was already spared as
 * a first violation (corrected on site, or a no-penalty proposal), whenever their act. Dismissed cases
 * and cases the officers on site closed as no violation found are no violation.
 */
export async function priorCasesOfParty(client: Queryable, partyId: string, matterCode: string, caseId: string): Promise<{ earlier: number; sparedIn: number[] }> {
  const r = await client.query<{ number: number; earlier: boolean; spared: boolean }>(
    `WITH this AS (SELECT coalesce(i.first_alert_at, c.created_at) AS act FROM cases c LEFT JOIN incidents i ON i.id = c.incident_id WHERE c.id = $3)
     SELECT o.number::int AS number, coalesce(oi.first_alert_at, o.created_at) < this.act AS earlier,
       (o.resolution->>'outcome' = 'corrected' OR p.tier = 'no_penalty') AS spared
     FROM this, cases o LEFT JOIN incidents oi ON oi.id = o.incident_id
     LEFT JOIN LATERAL (SELECT x.tier FROM case_proposals x WHERE x.case_id = o.id ORDER BY x.revision DESC LIMIT 1) p ON true
     WHERE o.party_id = $1 AND o.matter_code = $2 AND o.id <> $3 AND o.state <> 'dismissed'
       AND o.resolution->>'outcome' IS DISTINCT FROM 'no_violation_found'
     ORDER BY o.number`,
    [partyId, matterCode, caseId],
  );
  return { earlier: r.rows.filter((o) => o.earlier).length, sparedIn: r.rows.filter((o) => o.spared).map((o) => o.number) };
}

/**
 * The fines the party was proposed or given in the other live cases of the matter whose act (first
 * alert, or the report) fell on the same local day: each case's latest proposal.
 */
export async function sameDayFinesOfParty(client: Queryable, q: { partyId: string; matterCode: string; caseId: string; actDate: string; timezone: string }): Promise<SameDayFine[]> {
  const r = await client.query<SameDayFine>(
    `SELECT c.number::int AS "caseNumber", p.fine_yuan AS "fineYuan"
     FROM cases c LEFT JOIN incidents i ON i.id = c.incident_id
     JOIN LATERAL (SELECT x.fine_yuan FROM case_proposals x WHERE x.case_id = c.id ORDER BY x.revision DESC LIMIT 1) p ON true
     WHERE c.party_id = $1 AND c.matter_code = $2 AND c.id <> $3 AND c.state <> 'dismissed' AND p.fine_yuan IS NOT NULL
       AND (coalesce(i.first_alert_at, c.created_at) AT TIME ZONE $5)::date = $4::date
     ORDER BY c.number`,
    [q.partyId, q.matterCode, q.caseId, q.actDate, q.timezone],
  );
  return r.rows;
}

/** The case's sensor records (alerts from devices) with the conditions that make them evidence. */
export async function sensorRecordsOf(db: Queryable, caseId: string, timezone: string): Promise<SensorRecord[]> {
  const r = await db.query<SensorRecord>(
    `SELECT a.id AS "alertId", a.kind, a.device_id AS "deviceId", a.detected_at AS "measuredAt",
       to_char((a.detected_at AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS "measuredOn",
       to_char(a.device_calibration_valid_until, 'YYYY-MM-DD') AS "calibrationValidUntil",
       a.device_placement_published AS "placementPublished", v.verdict,
       coalesce((SELECT json_agg(json_build_object('reviewer', er.reviewer, 'role', er.role, 'at', er.at, 'note', er.note) ORDER BY er.id)
         FROM evidence_reviews er WHERE er.case_id = c.id AND er.alert_id = a.id), '[]'::json) AS reviews
     FROM alerts a JOIN cases c ON c.incident_id = a.incident_id LEFT JOIN alert_verdicts v ON v.alert_id = a.id
     WHERE c.id = $1 ORDER BY a.detected_at, a.id`,
    [caseId, timezone],
  );
  return r.rows;
}

/** The kind (photo, video, audio, document, measurement) of each uploaded file of the case that counts as evidence. */
export async function validFileKinds(client: Queryable, caseId: string): Promise<string[]> {
  const r = await client.query<{ kind: string }>(
    `SELECT e.evidence_type AS kind FROM case_evidence e WHERE e.case_id = $1 AND e.evidence_type IS NOT NULL AND e.captured_at IS NOT NULL
       AND e.capture_location IS NOT NULL AND cardinality(coalesce(e.collectors, '{}')) > 0
       AND EXISTS (SELECT 1 FROM evidence_file_reviews r WHERE r.evidence_id = e.id
         AND r.reviewer <> e.uploaded_by AND NOT (r.reviewer = ANY (coalesce(e.collectors, '{}'))))`,
    [caseId],
  );
  return r.rows.map((row) => row.kind);
}

/** Where a proposal's consultation stands: who has still to answer, how many have, who sits at the post. */
export async function consultationState(client: Queryable, proposalId: number | null, postId: string | null): Promise<{ pending: string[]; given: number; reviewersAtPost: string[] }> {
  const pending = await client.query<{ reviewer: string }>(
    'SELECT reviewer FROM case_consultations WHERE proposal_id = $1 AND opinion IS NULL ORDER BY reviewer',
    [proposalId ?? -1],
  );
  const given = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM case_consultations WHERE proposal_id = $1 AND opinion IS NOT NULL', [proposalId ?? -1]);
  const reviewers = await client.query<{ id: string }>(`SELECT id FROM users WHERE role = 'reviewer' AND review_post_id = $1`, [postId]);
  return { pending: pending.rows.map((r) => r.reviewer), given: given.rows[0]?.n ?? 0, reviewersAtPost: reviewers.rows.map((r) => r.id) };
}

/**
 * The number of another case already decided under this decision number, or null. Holds a transaction
 * lock on the number until commit, so two cases decided at once under one number cannot both pass.
 */
export async function caseWithDecisionNo(client: pg.PoolClient, decisionNo: string, caseId: string): Promise<number | null> {
  await client.query(`SELECT pg_advisory_xact_lock(hashtext('decision_no:' || $1))`, [decisionNo]);
  const r = await client.query<{ number: number }>('SELECT number::int AS number FROM cases WHERE decision_no = $1 AND id <> $2 LIMIT 1', [decisionNo, caseId]);
  return r.rows[0]?.number ?? null;
}

export async function caseCreatedAt(client: Queryable, caseId: string): Promise<Date | undefined> {
  return (await client.query<{ createdAt: Date }>('SELECT created_at AS "createdAt" FROM cases WHERE id = $1', [caseId])).rows[0]?.createdAt;
}

/** Extensions of the case's decision deadline on record (the case row is locked by its transition). */
export async function extensionsOf(client: Queryable, caseId: string): Promise<{ count: number; minutesRefs: string[] }> {
  const r = await client.query<{ n: number; refs: string[] }>(
    `SELECT count(*)::int AS n, coalesce(array_agg(collective_discussion->>'minutesRef') FILTER (WHERE collective_discussion IS NOT NULL), '{}') AS refs
     FROM case_extensions WHERE case_id = $1`,
    [caseId],
  );
  return { count: r.rows[0]?.n ?? 0, minutesRefs: r.rows[0]?.refs ?? [] };
}

/** An approved extension on the record, and the decision deadline moved (approved while it runs: legal-rules.ts). */
export async function recordExtension(client: pg.PoolClient, e: {
  caseId: string; approvedBy: string; reason: string; previousDueAt: string; newDueAt: string; collectiveDiscussion: CollectiveDiscussion | null; at: string;
}): Promise<void> {
  await client.query(
    `INSERT INTO case_extensions (case_id, approved_by, reason, previous_due_at, new_due_at, collective_discussion, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [e.caseId, e.approvedBy, e.reason, e.previousDueAt, e.newDueAt, e.collectiveDiscussion === null ? null : JSON.stringify(e.collectiveDiscussion), e.at],
  );
  await client.query(
    `UPDATE case_deadlines SET due_at = $2, status = CASE WHEN status = 'missed' AND reached_at IS NULL THEN 'open' ELSE status END
     WHERE case_id = $1 AND name = 'decision'`,
    [e.caseId, e.newDueAt],
  );
}

/** The review posts that may take the case: its street's post and the district centre, street first. */
export async function reviewPostsFor(client: Queryable, caseId: string): Promise<{ id: string; kind: 'street' | 'district' }[]> {
  const r = await client.query<{ id: string; kind: 'street' | 'district' }>(
    `SELECT p.id, p.kind FROM review_posts p WHERE p.kind = 'district'
       OR p.street_id = (SELECT s.street_id FROM cases c JOIN zones z ON z.id = c.zone_id JOIN sites s ON s.id = z.site_id WHERE c.id = $1)
     ORDER BY p.kind DESC, p.id`,
    [caseId],
  );
  return r.rows;
}

export async function requestOpinions(client: pg.PoolClient, c: { caseId: string; proposalId: number; requestedBy: string; reviewers: readonly string[]; question: string; at: string }): Promise<void> {
  for (const reviewer of c.reviewers) {
    await client.query(
      `INSERT INTO case_consultations (case_id, proposal_id, requested_by, reviewer, question, requested_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (proposal_id, reviewer) DO NOTHING`,
      [c.caseId, c.proposalId, c.requestedBy, reviewer, c.question, c.at],
    );
  }
}

export async function answerConsultation(client: pg.PoolClient, proposalId: number | null, reviewer: string, opinion: string, at: string): Promise<void> {
  await client.query(
    'UPDATE case_consultations SET opinion = $3, answered_at = $4 WHERE proposal_id = $1 AND reviewer = $2 AND opinion IS NULL',
    [proposalId ?? -1, reviewer, opinion, at],
  );
}
