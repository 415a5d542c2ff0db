import type pg from 'pg';
import type { BenchmarkTier } from '../domain/legal-rules.js';
import type { StatutoryBound } from './statutory-bounds.js';

/**
 * The legal catalogue as data with history (DESIGN §3 Enforcement): statutory bounds and discretion
 * benchmarks are versions, each in force from its effective date until the next; a case is judged by
 * the versions in force on the day of the act (its first alert, local date). Reads only; the admin
 * writes are in catalogue-admin.ts.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const BENCHMARK_COLUMNS = `b.matter_code AS "matterCode", b.party_kind AS "partyKind", b.tier, b.min_fine_yuan AS "minFineYuan",
  b.max_fine_yuan AS "maxFineYuan", b.measures, b.facts, b.facts_zh AS "factsZh", b.legal_basis AS "legalBasis", b.legal_basis_zh AS "legalBasisZh", to_char(b.effective_from, 'YYYY-MM-DD') AS "effectiveFrom"`;

const BOUND_COLUMNS = `b.matter_code AS "matterCode", b.party_kind AS "partyKind", to_char(b.effective_from, 'YYYY-MM-DD') AS "effectiveFrom",
  b.fine_required AS "fineRequired", b.min_fine_yuan AS "minFineYuan", b.max_fine_yuan AS "maxFineYuan",
  b.mandatory_measures AS "mandatoryMeasures", b.legal_basis AS "legalBasis", b.legal_basis_zh AS "legalBasisZh"`;

const TIER_ORDER = `array_position(ARRAY['no_penalty', 'mitigated', 'normal', 'aggravated'], b.tier)`;

/** The benchmark tiers in force on `onDate` (YYYY-MM-DD) for one matter, or every matter when null. */
export async function benchmarkInForce(db: Queryable, matterCode: string | null, onDate: string): Promise<BenchmarkTier[]> {
  const r = await db.query<BenchmarkTier>(
    `SELECT ${BENCHMARK_COLUMNS} FROM discretion_benchmarks b
     WHERE ($1::text IS NULL OR b.matter_code = $1) AND b.effective_from = (SELECT max(x.effective_from) FROM discretion_benchmarks x
       WHERE x.matter_code = b.matter_code AND x.party_kind = b.party_kind AND x.effective_from <= $2::date)
     ORDER BY b.matter_code, b.party_kind, ${TIER_ORDER}`,
    [matterCode, onDate],
  );
  return r.rows;
}

/** Every version of a matter's benchmark, oldest first. */
export async function benchmarkVersions(db: Queryable, matterCode: string): Promise<BenchmarkTier[]> {
  const r = await db.query<BenchmarkTier>(
    `SELECT ${BENCHMARK_COLUMNS} FROM discretion_benchmarks b WHERE b.matter_code = $1 ORDER BY b.effective_from, b.party_kind, ${TIER_ORDER}`,
    [matterCode],
  );
  return r.rows;
}

/** The statutory bounds in force on `onDate` for one matter (one per kind of party), or every matter's when null. */
export async function boundsInForce(db: Queryable, matterCode: string | null, onDate: string): Promise<StatutoryBound[]> {
  const r = await db.query<StatutoryBound>(
    `SELECT ${BOUND_COLUMNS} FROM statutory_bounds b
     WHERE ($1::text IS NULL OR b.matter_code = $1) AND b.effective_from = (SELECT max(x.effective_from) FROM statutory_bounds x
       WHERE x.matter_code = b.matter_code AND x.party_kind = b.party_kind AND x.effective_from <= $2::date)
     ORDER BY b.matter_code, b.party_kind`,
    [matterCode, onDate],
  );
  return r.rows;
}

/** Every version of a matter's statutory bounds, oldest first. */
export async function boundsVersions(db: Queryable, matterCode: string): Promise<StatutoryBound[]> {
  const r = await db.query<StatutoryBound>(`SELECT ${BOUND_COLUMNS} FROM statutory_bounds b WHERE b.matter_code = $1 ORDER BY b.effective_from, b.party_kind`, [matterCode]);
  return r.rows;
}

/** The local date (YYYY-MM-DD) on which the case's act occurred: its incident's first alert. */
export async function actDateOf(db: Queryable, caseId: string, timezone: string): Promise<string | null> {
  const r = await db.query<{ on: string }>(
    `SELECT to_char((i.first_alert_at AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS on FROM cases c JOIN incidents i ON i.id = c.incident_id WHERE c.id = $1`,
    [caseId, timezone],
  );
  return r.rows[0]?.on ?? null;
}
