import type pg from 'pg';
import type { CatalogueChange, CertificateBody, CertificateVersion, Matter, MatterBody, ReviewPostBody } from '../../contract/http/legal.js';
import type { StatutoryBound } from './statutory-bounds.js';
import type { BenchmarkTier } from '../domain/legal-rules.js';

/**
 * The SQL of the catalogue's administration (catalogue-admin.ts): each statement on the caller's
 * client, so a change and its record in `catalogue_changes` commit together.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const CHANGE_COLUMNS = `id::int, entity, key, to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", before, after, reason, changed_by AS "changedBy", changed_at AS "changedAt"`;

export async function recordChange(client: pg.PoolClient, c: { entity: string; key: string; effectiveFrom: string; before: unknown; after: unknown; reason: string | undefined; by: string }): Promise<CatalogueChange> {
  const r = await client.query<CatalogueChange>(
    `INSERT INTO catalogue_changes (entity, key, effective_from, before, after, reason, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING ${CHANGE_COLUMNS}`,
    [c.entity, c.key, c.effectiveFrom, JSON.stringify(c.before ?? null), JSON.stringify(c.after ?? null), c.reason ?? null, c.by],
  );
  return r.rows[0]!;
}

export async function changes(db: Queryable, filter: { entity?: string; key?: string; limit: number }): Promise<CatalogueChange[]> {
  const r = await db.query<CatalogueChange>(
    `SELECT ${CHANGE_COLUMNS} FROM catalogue_changes WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR key = $2) ORDER BY id DESC LIMIT $3`,
    [filter.entity ?? null, filter.key ?? null, filter.limit],
  );
  return r.rows;
}

const MATTER_COLUMNS = `code, name, name_zh AS "nameZh", alert_kind AS "alertKind", legal_basis AS "legalBasis", legal_basis_zh AS "legalBasisZh", handling_level AS "handlingLevel", department, domain,
  sla_minutes AS "slaMinutes", accept_sla_minutes AS "acceptSlaMinutes", penalty, decision_evidence AS "decisionEvidence"`;

export async function matters(db: Queryable): Promise<Matter[]> {
  return (await db.query<Matter>(`SELECT ${MATTER_COLUMNS} FROM matters ORDER BY code`)).rows;
}

/** The matter; with `lock`, row-locked until the transaction ends. */
export async function matter(db: Queryable, code: string, lock = false): Promise<Matter | null> {
  return (await db.query<Matter>(`SELECT ${MATTER_COLUMNS} FROM matters WHERE code = $1${lock ? ' FOR UPDATE' : ''}`, [code])).rows[0] ?? null;
}

/** The matter another code already raises for this alert kind, if any. */
export async function matterOfAlertKind(db: Queryable, alertKind: string, otherThan: string): Promise<string | null> {
  return (await db.query<{ code: string }>('SELECT code FROM matters WHERE alert_kind = $1 AND code <> $2', [alertKind, otherThan])).rows[0]?.code ?? null;
}

export async function upsertMatter(client: pg.PoolClient, code: string, b: MatterBody): Promise<Matter> {
  return (await client.query<Matter>(
    // A Chinese legal basis left out is kept while the basis stays the same; a changed basis without one
    // clears it (the UI then shows the new basis rather than a translation of the old one).
    `INSERT INTO matters (code, name, alert_kind, legal_basis, handling_level, department, domain, sla_minutes, accept_sla_minutes, penalty, decision_evidence, name_zh, legal_basis_zh)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::text[], '{}'), $12, $13)
     ON CONFLICT (code) DO UPDATE SET name = $2, alert_kind = $3, legal_basis = $4, handling_level = $5, department = $6, domain = $7,
       sla_minutes = $8, accept_sla_minutes = $9, penalty = $10, decision_evidence = coalesce($11::text[], matters.decision_evidence),
       name_zh = coalesce($12, matters.name_zh),
       legal_basis_zh = CASE WHEN $13::text IS NOT NULL THEN $13 WHEN matters.legal_basis = $4 THEN matters.legal_basis_zh END
     RETURNING ${MATTER_COLUMNS}`,
    [code, b.name, b.alertKind, b.legalBasis, b.handlingLevel, b.department, b.domain, b.slaMinutes, b.acceptSlaMinutes, b.penalty, b.decisionEvidence ?? null, b.nameZh ?? null, b.legalBasisZh ?? null],
  )).rows[0]!;
}

export async function upsertBounds(client: pg.PoolClient, bounds: readonly StatutoryBound[]): Promise<void> {
  for (const b of bounds) {
    await client.query(
      `INSERT INTO statutory_bounds (matter_code, party_kind, effective_from, fine_required, min_fine_yuan, max_fine_yuan, mandatory_measures, legal_basis, legal_basis_zh)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (matter_code, party_kind, effective_from) DO UPDATE SET fine_required = $4, min_fine_yuan = $5, max_fine_yuan = $6,
         mandatory_measures = $7, legal_basis = $8, legal_basis_zh = $9`,
      [b.matterCode, b.partyKind, b.effectiveFrom, b.fineRequired, b.minFineYuan, b.maxFineYuan, b.mandatoryMeasures, b.legalBasis, b.legalBasisZh ?? null],
    );
  }
}

/** Replaces the benchmark version of `effectiveFrom` for the kinds of party the tiers cover. */
export async function replaceBenchmark(client: pg.PoolClient, code: string, effectiveFrom: string, tiers: readonly BenchmarkTier[]): Promise<void> {
  const kinds = [...new Set(tiers.map((t) => t.partyKind))];
  await client.query('DELETE FROM discretion_benchmarks WHERE matter_code = $1 AND effective_from = $2 AND party_kind = ANY($3)', [code, effectiveFrom, kinds]);
  for (const t of tiers) {
    await client.query(
      `INSERT INTO discretion_benchmarks (matter_code, party_kind, tier, min_fine_yuan, max_fine_yuan, measures, facts, legal_basis, effective_from, facts_zh, legal_basis_zh)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [code, t.partyKind, t.tier, t.minFineYuan, t.maxFineYuan, t.measures, t.facts, t.legalBasis, effectiveFrom, t.factsZh ?? null, t.legalBasisZh ?? null],
    );
  }
}

export async function userForCertificate(db: Queryable, userId: string) {
  return (await db.query<{ role: string; teamId: string | null; name: string }>('SELECT role, team_id AS "teamId", display_name AS name FROM users WHERE id = $1', [userId])).rows[0];
}

export async function certificateHolder(db: Queryable, certificateNo: string): Promise<string | null> {
  return (await db.query<{ userId: string }>(
    'SELECT o.user_id AS "userId" FROM officer_certificates c JOIN officers o ON o.id = c.officer_id WHERE c.certificate_no = $1 LIMIT 1', [certificateNo],
  )).rows[0]?.userId ?? null;
}

const CERT_COLUMNS = `o.user_id AS "userId", c.certificate_no AS "certificateNo", to_char(c.valid_from, 'YYYY-MM-DD') AS "validFrom",
  to_char(c.valid_until, 'YYYY-MM-DD') AS "validUntil", c.domains, c.reason, c.recorded_by AS "recordedBy", c.recorded_at AS "recordedAt"`;

/** Every version of the officer's certificate, in the order recorded. */
export async function certificateHistory(db: Queryable, userId: string): Promise<CertificateVersion[]> {
  return (await db.query<CertificateVersion>(
    `SELECT ${CERT_COLUMNS} FROM officer_certificates c JOIN officers o ON o.id = c.officer_id WHERE o.user_id = $1 ORDER BY c.id`, [userId],
  )).rows;
}

/** The officer's row (created with the first certificate), row-locked until the transaction ends: one certificate change at a time. */
export async function lockOfficer(client: pg.PoolClient, user: { id: string; teamId: string; name: string }): Promise<string> {
  return (await client.query<{ id: string }>(
    `INSERT INTO officers (id, user_id, team_id, name) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id) DO UPDATE SET team_id = $3 RETURNING id`,
    [`o-${user.id}`, user.id, user.teamId, user.name],
  )).rows[0]!.id;
}

/** Appends a version of the officer's certificate; earlier versions stay as they were. */
export async function appendCertificate(client: pg.PoolClient, officerId: string, b: CertificateBody & { validFrom: string }, by: string): Promise<CertificateVersion> {
  return (await client.query<CertificateVersion>(
    `WITH c AS (INSERT INTO officer_certificates (officer_id, certificate_no, valid_from, valid_until, domains, reason, recorded_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *)
     SELECT ${CERT_COLUMNS} FROM c JOIN officers o ON o.id = c.officer_id`,
    [officerId, b.certificateNo, b.validFrom, b.validUntil, b.domains, b.reason ?? null, by],
  )).rows[0]!;
}

export async function streetExists(db: Queryable, streetId: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM streets WHERE id = $1', [streetId])).rowCount ?? 0) > 0;
}

const POST_COLUMNS = `id, name, kind, street_id AS "streetId"`;

/** The review post, row-locked until the transaction ends; null when there is none. */
export async function lockReviewPost(client: pg.PoolClient, id: string): Promise<unknown> {
  return (await client.query(`SELECT ${POST_COLUMNS} FROM review_posts WHERE id = $1 FOR UPDATE`, [id])).rows[0] ?? null;
}

export async function upsertReviewPost(client: pg.PoolClient, id: string, b: ReviewPostBody): Promise<unknown> {
  return (await client.query(
    `INSERT INTO review_posts (id, name, kind, street_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = $2, kind = $3, street_id = $4 RETURNING ${POST_COLUMNS}`,
    [id, b.name, b.kind, b.streetId],
  )).rows[0];
}

export async function rolesOf(db: Queryable, userIds: readonly string[]): Promise<{ id: string; role: string }[]> {
  return (await db.query<{ id: string; role: string }>('SELECT id, role FROM users WHERE id = ANY($1)', [[...userIds]])).rows;
}

export async function reviewersAt(db: Queryable, postId: string): Promise<string[]> {
  return (await db.query<{ id: string }>('SELECT id FROM users WHERE review_post_id = $1 ORDER BY id', [postId])).rows.map((r) => r.id);
}

/** The post's reviewers become exactly `reviewers`. */
export async function setReviewers(client: pg.PoolClient, postId: string, reviewers: readonly string[]): Promise<void> {
  await client.query('UPDATE users SET review_post_id = NULL WHERE review_post_id = $1 AND NOT (id = ANY($2))', [postId, [...reviewers]]);
  await client.query('UPDATE users SET review_post_id = $1 WHERE id = ANY($2)', [postId, [...reviewers]]);
}

/**
 * Numbers of the cases of a matter already judged by the catalogue (a decision proposed, or ended on site
 * with a warning or a first violation spared) whose act falls on or after `effectiveFrom` with no version
 * of `table` for one of `kinds` beginning between the two: the cases a version from `effectiveFrom`
 * would judge differently from how they were judged.
 */
export async function casesJudgedFrom(client: pg.PoolClient, table: 'statutory_bounds' | 'discretion_benchmarks', code: string, effectiveFrom: string, kinds: readonly string[], timezone: string): Promise<number[]> {
  const r = await client.query<{ number: number }>(
    `SELECT c.number FROM cases c JOIN incidents i ON i.id = c.incident_id,
       LATERAL (SELECT (i.first_alert_at AT TIME ZONE $4)::date AS on) act
     WHERE c.matter_code = $1 AND act.on >= $2::date
       AND (EXISTS (SELECT 1 FROM case_proposals p WHERE p.case_id = c.id) OR c.resolution->>'outcome' IN ('warning_issued', 'corrected'))
       AND EXISTS (SELECT 1 FROM unnest($3::text[]) k(kind) WHERE NOT EXISTS (
         SELECT 1 FROM ${table} v WHERE v.matter_code = $1 AND v.party_kind = k.kind AND v.effective_from > $2::date AND v.effective_from <= act.on))
     ORDER BY c.number LIMIT 20`,
    [code, effectiveFrom, kinds, timezone],
  );
  return r.rows.map((x) => x.number);
}
