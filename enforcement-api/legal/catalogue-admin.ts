import type pg from 'pg';
import type {
  BenchmarkBody, BoundsBody, CatalogueChange, CertificateBody, Matter, MatterBody, ReviewersBody, ReviewPostBody,
} from '../../contract/http/legal.js';
import { reject, type Rejection } from '../domain/case-lifecycle.js';
import { inTransaction } from '../../core/db/transaction.js';
import { benchmarkInForce, boundsInForce } from './catalogue.js';
import { tierProblems, type StatutoryBound } from './statutory-bounds.js';
import type { BenchmarkTier } from '../domain/legal-rules.js';

/**
 * The administrators' side of the legal catalogue: matters, statutory bounds, discretion benchmarks,
 * officers' certificates, review posts and their reviewers. Every change is written with its record
 * in `catalogue_changes` (who, when, before, after, from when it applies) in one transaction.
 * Statutory bounds and benchmarks are versions by effective date (a case is judged by the version in
 * force on the day of the act); the other entities change from the day of the change.
 */

type Change = { ok: true; change: CatalogueChange };

/** Writes one change to the change log (who, when, before, after, from when). */
export async function record(client: pg.PoolClient, entity: string, key: string, effectiveFrom: string, before: unknown, after: unknown, reason: string | undefined, by: string): Promise<CatalogueChange> {
  const r = await client.query<CatalogueChange>(
    `INSERT INTO catalogue_changes (entity, key, effective_from, before, after, reason, changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
     RETURNING id::int, entity, key, to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", before, after, reason, changed_by AS "changedBy", changed_at AS "changedAt"`,
    [entity, key, effectiveFrom, JSON.stringify(before ?? null), JSON.stringify(after ?? null), reason ?? null, by],
  );
  return r.rows[0]!;
}

const today = () => new Date().toISOString().slice(0, 10);

const MATTER_COLUMNS = `code, name, alert_kind AS "alertKind", legal_basis AS "legalBasis", handling_level AS "handlingLevel", department, domain,
  sla_minutes AS "slaMinutes", accept_sla_minutes AS "acceptSlaMinutes", penalty`;

export class CatalogueAdmin {
  constructor(private readonly pool: pg.Pool) {}

  async matters(): Promise<Matter[]> {
    return (await this.pool.query<Matter>(`SELECT ${MATTER_COLUMNS} FROM matters ORDER BY code`)).rows;
  }

  async matter(code: string): Promise<Matter | null> {
    return (await this.pool.query<Matter>(`SELECT ${MATTER_COLUMNS} FROM matters WHERE code = $1`, [code])).rows[0] ?? null;
  }

  async putMatter(code: string, body: MatterBody, by: string): Promise<Change | Rejection> {
    return inTransaction(this.pool, async (client) => {
      const before = (await client.query(`SELECT ${MATTER_COLUMNS} FROM matters WHERE code = $1 FOR UPDATE`, [code])).rows[0] ?? null;
      if (body.alertKind !== null) {
        const taken = await client.query('SELECT code FROM matters WHERE alert_kind = $1 AND code <> $2', [body.alertKind, code]);
        if ((taken.rowCount ?? 0) > 0) return reject(409, 'ALERT_KIND_TAKEN', `alert kind ${body.alertKind} already raises another matter`);
      }
      const values = [code, body.name, body.alertKind, body.legalBasis, body.handlingLevel, body.department, body.domain, body.slaMinutes, body.acceptSlaMinutes, body.penalty];
      const after = (await client.query(
        `INSERT INTO matters (code, name, alert_kind, legal_basis, handling_level, department, domain, sla_minutes, accept_sla_minutes, penalty)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (code) DO UPDATE SET name = $2, alert_kind = $3, legal_basis = $4, handling_level = $5, department = $6, domain = $7,
           sla_minutes = $8, accept_sla_minutes = $9, penalty = $10
         RETURNING ${MATTER_COLUMNS}`,
        values,
      )).rows[0];
      return { ok: true, change: await record(client, 'matter', code, today(), before, after, body.reason, by) };
    });
  }

  /** A version of the law's bounds from `effectiveFrom`; the benchmark then in force must lie inside it. */
  async putBounds(code: string, body: BoundsBody, by: string): Promise<Change | Rejection> {
    const wrong = body.bounds.find((b) => b.maxFineYuan < b.minFineYuan);
    if (wrong) return reject(400, 'VALIDATION', `bounds: ${wrong.partyKind}: maxFineYuan is below minFineYuan`);
    return inTransaction(this.pool, async (client) => {
      if ((await client.query('SELECT 1 FROM matters WHERE code = $1 FOR UPDATE', [code])).rowCount === 0) return reject(404, 'MATTER_NOT_FOUND', `no matter ${code}`);
      const before = await boundsInForce(client, code, body.effectiveFrom);
      const next: StatutoryBound[] = body.bounds.map((b) => ({ matterCode: code, effectiveFrom: body.effectiveFrom, ...b }));
      const merged = [...before.filter((b) => !next.some((n) => n.partyKind === b.partyKind)), ...next];
      const tiers = (await benchmarkInForce(client, code, body.effectiveFrom)).filter((t) => next.some((n) => n.partyKind === t.partyKind));
      const problems = tierProblems(merged, tiers);
      if (problems.length > 0) {
        return reject(422, 'BENCHMARK_OUTSIDE_BOUNDS', `the benchmark in force on ${body.effectiveFrom} would leave the law: ${problems.join('; ')} — change the benchmark first or with the same date`);
      }
      for (const b of next) {
        await client.query(
          `INSERT INTO statutory_bounds (matter_code, party_kind, effective_from, fine_required, min_fine_yuan, max_fine_yuan, mandatory_measures, legal_basis)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (matter_code, party_kind, effective_from) DO UPDATE SET fine_required = $4, min_fine_yuan = $5, max_fine_yuan = $6,
             mandatory_measures = $7, legal_basis = $8`,
          [code, b.partyKind, b.effectiveFrom, b.fineRequired, b.minFineYuan, b.maxFineYuan, b.mandatoryMeasures, b.legalBasis],
        );
      }
      return { ok: true, change: await record(client, 'statutory_bounds', code, body.effectiveFrom, before, next, body.reason, by) };
    });
  }

  /** A version of the benchmark from `effectiveFrom` (the tiers given, per kind of party), inside the law then in force. */
  async putBenchmark(code: string, body: BenchmarkBody, by: string): Promise<Change | Rejection> {
    return inTransaction(this.pool, async (client) => {
      if ((await client.query('SELECT 1 FROM matters WHERE code = $1 FOR UPDATE', [code])).rowCount === 0) return reject(404, 'MATTER_NOT_FOUND', `no matter ${code}`);
      const tiers: BenchmarkTier[] = body.tiers.map((t) => ({ matterCode: code, effectiveFrom: body.effectiveFrom, ...t }));
      const seen = new Set<string>();
      for (const t of tiers) {
        const k = `${t.partyKind}/${t.tier}`;
        if (seen.has(k)) return reject(400, 'VALIDATION', `tiers: ${k} appears twice`);
        seen.add(k);
      }
      const problems = tierProblems(await boundsInForce(client, code, body.effectiveFrom), tiers);
      if (problems.length > 0) return reject(422, 'TIER_OUTSIDE_BOUNDS', `the tiers must lie inside the law in force on ${body.effectiveFrom}: ${problems.join('; ')}`);
      const kinds = [...new Set(tiers.map((t) => t.partyKind))];
      const before = (await benchmarkInForce(client, code, body.effectiveFrom)).filter((t) => kinds.includes(t.partyKind));
      await client.query('DELETE FROM discretion_benchmarks WHERE matter_code = $1 AND effective_from = $2 AND party_kind = ANY($3)', [code, body.effectiveFrom, kinds]);
      for (const t of tiers) {
        await client.query(
          `INSERT INTO discretion_benchmarks (matter_code, party_kind, tier, min_fine_yuan, max_fine_yuan, measures, facts, legal_basis, effective_from)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [code, t.partyKind, t.tier, t.minFineYuan, t.maxFineYuan, t.measures, t.facts, t.legalBasis, body.effectiveFrom],
        );
      }
      return { ok: true, change: await record(client, 'discretion_benchmark', code, body.effectiveFrom, before, tiers, body.reason, by) };
    });
  }

  async putCertificate(userId: string, body: CertificateBody, by: string): Promise<Change | Rejection> {
    return inTransaction(this.pool, async (client) => {
      const user = (await client.query<{ role: string; teamId: string | null; name: string }>(
        'SELECT role, team_id AS "teamId", display_name AS name FROM users WHERE id = $1', [userId],
      )).rows[0];
      if (!user) return reject(404, 'USER_NOT_FOUND', `no user ${userId}`);
      if ((user.role !== 'officer' && user.role !== 'team_lead') || user.teamId === null) {
        return reject(422, 'NOT_AN_OFFICER', `${userId} is a ${user.role}${user.teamId === null ? ' without a team' : ''}: only officers and team leads of a team hold enforcement certificates`);
      }
      const taken = await client.query('SELECT 1 FROM officers WHERE certificate_no = $1 AND user_id <> $2', [body.certificateNo, userId]);
      if ((taken.rowCount ?? 0) > 0) return reject(409, 'CERTIFICATE_TAKEN', `certificate ${body.certificateNo} belongs to another officer`);
      const cols = `user_id AS "userId", certificate_no AS "certificateNo", to_char(certificate_valid_until, 'YYYY-MM-DD') AS "validUntil", domains`;
      const before = (await client.query(`SELECT ${cols} FROM officers WHERE user_id = $1 FOR UPDATE`, [userId])).rows[0] ?? null;
      const after = (await client.query(
        `INSERT INTO officers (id, user_id, team_id, name, certificate_no, certificate_valid_until, domains) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id) DO UPDATE SET certificate_no = $5, certificate_valid_until = $6, domains = $7, team_id = $3
         RETURNING ${cols}`,
        [`o-${userId}`, userId, user.teamId, user.name, body.certificateNo, body.validUntil, body.domains],
      )).rows[0];
      return { ok: true, change: await record(client, 'officer_certificate', userId, today(), before, after, body.reason, by) };
    });
  }

  async putReviewPost(id: string, body: ReviewPostBody, by: string): Promise<Change | Rejection> {
    if ((body.kind === 'street') !== (body.streetId !== null)) return reject(400, 'VALIDATION', 'a street post names its street (streetId); the district centre names none');
    return inTransaction(this.pool, async (client) => {
      if (body.streetId !== null && (await client.query('SELECT 1 FROM streets WHERE id = $1', [body.streetId])).rowCount === 0) {
        return reject(422, 'UNKNOWN_STREET', `no street ${body.streetId}`);
      }
      const cols = `id, name, kind, street_id AS "streetId"`;
      const before = (await client.query(`SELECT ${cols} FROM review_posts WHERE id = $1 FOR UPDATE`, [id])).rows[0] ?? null;
      const after = (await client.query(
        `INSERT INTO review_posts (id, name, kind, street_id) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET name = $2, kind = $3, street_id = $4 RETURNING ${cols}`,
        [id, body.name, body.kind, body.streetId],
      )).rows[0];
      return { ok: true, change: await record(client, 'review_post', id, today(), before, after, body.reason, by) };
    });
  }

  async putReviewers(postId: string, body: ReviewersBody, by: string): Promise<Change | Rejection> {
    return inTransaction(this.pool, async (client) => {
      if ((await client.query('SELECT 1 FROM review_posts WHERE id = $1 FOR UPDATE', [postId])).rowCount === 0) return reject(404, 'REVIEW_POST_NOT_FOUND', `no review post ${postId}`);
      const users = await client.query<{ id: string; role: string }>('SELECT id, role FROM users WHERE id = ANY($1)', [body.reviewers]);
      const bad = body.reviewers.find((u) => users.rows.find((r) => r.id === u)?.role !== 'reviewer');
      if (bad !== undefined) return reject(422, 'NOT_A_REVIEWER', `${bad} is not a user with the reviewer role`);
      const before = (await client.query<{ id: string }>('SELECT id FROM users WHERE review_post_id = $1 ORDER BY id', [postId])).rows.map((r) => r.id);
      await client.query('UPDATE users SET review_post_id = NULL WHERE review_post_id = $1 AND NOT (id = ANY($2))', [postId, body.reviewers]);
      await client.query('UPDATE users SET review_post_id = $1 WHERE id = ANY($2)', [postId, body.reviewers]);
      return { ok: true, change: await record(client, 'review_post_reviewers', postId, today(), before, [...body.reviewers].sort(), body.reason, by) };
    });
  }

  async changes(filter: { entity?: string; key?: string; limit: number }): Promise<CatalogueChange[]> {
    const r = await this.pool.query<CatalogueChange>(
      `SELECT id::int, entity, key, to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", before, after, reason, changed_by AS "changedBy", changed_at AS "changedAt"
       FROM catalogue_changes WHERE ($1::text IS NULL OR entity = $1) AND ($2::text IS NULL OR key = $2) ORDER BY id DESC LIMIT $3`,
      [filter.entity ?? null, filter.key ?? null, filter.limit],
    );
    return r.rows;
  }
}
