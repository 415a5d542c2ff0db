import type pg from 'pg';
import type { DeadlineSpec } from '../domain/sla.js';
import type { CaseDeadline } from '../../contract/http/cases.js';

/**
 * The SQL of the SLAs (deadlines.ts): a case's deadlines written, settled, listed and escalated, each
 * statement on the caller's client so it runs inside the intake's, the transition's or the
 * escalation's transaction.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export async function insertDeadlines(client: pg.PoolClient, caseId: string, specs: readonly DeadlineSpec[]): Promise<void> {
  for (const d of specs) {
    await client.query(
      `INSERT INTO case_deadlines (case_id, name, kind, stage, due_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, name) DO NOTHING`,
      [caseId, d.name, d.kind, d.stage, d.dueAt.toISOString()],
    );
  }
}

/** The case's report time and its matter's SLA minutes (null when the case has no matter yet). */
export async function reportFacts(client: Queryable, caseId: string) {
  const r = await client.query<{ createdAt: Date; acceptSlaMinutes: number | null; slaMinutes: number | null }>(
    `SELECT c.created_at AS "createdAt", m.accept_sla_minutes AS "acceptSlaMinutes", m.sla_minutes AS "slaMinutes"
     FROM cases c LEFT JOIN matters m ON m.code = c.matter_code WHERE c.id = $1`,
    [caseId],
  );
  return r.rows[0];
}

/** Open deadlines among `names` reached at `at`: met when on time, missed when late. */
export async function reachDeadlines(client: pg.PoolClient, caseId: string, names: readonly string[], at: string): Promise<void> {
  await client.query(
    `UPDATE case_deadlines SET status = CASE WHEN status <> 'open' THEN status WHEN $3::timestamptz <= due_at THEN 'met' ELSE 'missed' END,
       reached_at = $3 WHERE case_id = $1 AND name = ANY($2) AND reached_at IS NULL`,
    [caseId, names, at],
  );
}

/** Cancels the case's open deadlines: all of them, or only the warnings. */
export async function cancelDeadlines(client: pg.PoolClient, caseId: string, all: boolean): Promise<void> {
  await client.query(`UPDATE case_deadlines SET status = 'cancelled' WHERE case_id = $1 AND status = 'open' AND ($2::boolean OR kind = 'warning')`, [caseId, all]);
}

export async function filingFacts(client: Queryable, caseId: string) {
  const r = await client.query<{ filedAt: Date | null; decisionDueAt: Date | null }>('SELECT filed_at AS "filedAt", decision_due_at AS "decisionDueAt" FROM cases WHERE id = $1', [caseId]);
  return r.rows[0];
}

const DEADLINE_COLUMNS = `name, kind, stage, due_at AS "dueAt", status, reached_at AS "reachedAt", escalated_at AS "escalatedAt",
  escalated_to AS "escalatedTo"`;

export async function deadlinesOf(db: Queryable, caseId: string): Promise<CaseDeadline[]> {
  const r = await db.query<CaseDeadline>(`SELECT ${DEADLINE_COLUMNS} FROM case_deadlines WHERE case_id = $1 ORDER BY due_at, name`, [caseId]);
  return r.rows;
}

/** Open deadlines due at `now`, oldest first. */
export async function dueDeadlines(db: Queryable, now: Date, limit: number): Promise<{ caseId: string; name: string }[]> {
  const r = await db.query<{ caseId: string; name: string }>(
    `SELECT case_id AS "caseId", name FROM case_deadlines WHERE status = 'open' AND due_at <= $1 ORDER BY due_at, case_id, name LIMIT $2`,
    [now.toISOString(), limit],
  );
  return r.rows;
}

/** The case row locked first, like every transition (and appendEvent): the same lock order, no deadlock. */
export async function lockCaseForEscalation(client: pg.PoolClient, caseId: string) {
  return (await client.query<{ teamId: string | null; kind: string; state: string }>('SELECT team_id AS "teamId", kind, state FROM cases WHERE id = $1 FOR UPDATE', [caseId])).rows[0];
}

/** The deadline, locked, if it is still open and due at `now`. */
export async function lockDueDeadline(client: pg.PoolClient, caseId: string, name: string, now: Date): Promise<CaseDeadline | undefined> {
  return (await client.query<CaseDeadline>(
    `SELECT ${DEADLINE_COLUMNS} FROM case_deadlines WHERE case_id = $1 AND name = $2 AND status = 'open' AND due_at <= $3 FOR UPDATE`,
    [caseId, name, now.toISOString()],
  )).rows[0];
}

export async function teamLeads(client: Queryable, teamId: string): Promise<string[]> {
  return (await client.query<{ id: string }>(`SELECT id FROM users WHERE role = 'team_lead' AND team_id = $1 ORDER BY id`, [teamId])).rows.map((u) => u.id);
}

export async function markEscalated(client: pg.PoolClient, caseId: string, name: string, status: string, at: string, to: readonly string[]): Promise<void> {
  await client.query('UPDATE case_deadlines SET status = $3, escalated_at = $4, escalated_to = $5 WHERE case_id = $1 AND name = $2', [caseId, name, status, at, to]);
}
