import type pg from 'pg';
import type { CaseState } from '../domain/case-lifecycle.js';
import {
  dueStatus,
  escalationEvent,
  filingDeadlines,
  reportDeadlines,
  settlementOf,
  type DeadlineSpec,
  type MatterSla,
} from '../domain/sla.js';
import { appendEvent, type CaseEvent } from './events.js';

/**
 * The I/O half of the SLAs (enforcement-api/domain/sla.ts): deadlines written on the case inside the intake's
 * and the transition's transactions (only through their client), and the escalation of a missed one
 * with its case event in one transaction.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

import { CaseDeadline } from '../../contract/http/cases.js';

export { CaseDeadline };


async function insertDeadlines(client: pg.PoolClient, caseId: string, specs: readonly DeadlineSpec[]): Promise<void> {
  for (const d of specs) {
    await client.query(
      `INSERT INTO case_deadlines (case_id, name, kind, stage, due_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (case_id, name) DO NOTHING`,
      [caseId, d.name, d.kind, d.stage, d.dueAt.toISOString()],
    );
  }
}

/** At intake, in its transaction: the accept and on-site deadlines from the case's report time. */
export async function openReportDeadlines(client: pg.PoolClient, caseId: string): Promise<void> {
  const r = await client.query<{ createdAt: Date; acceptSlaMinutes: number | null; slaMinutes: number | null }>(
    `SELECT c.created_at AS "createdAt", m.accept_sla_minutes AS "acceptSlaMinutes", m.sla_minutes AS "slaMinutes"
     FROM cases c LEFT JOIN matters m ON m.code = c.matter_code WHERE c.id = $1`,
    [caseId],
  );
  const c = r.rows[0];
  if (!c) throw new Error(`case ${caseId} vanished inside its transaction`);
  const matter: MatterSla | null = c.acceptSlaMinutes !== null && c.slaMinutes !== null ? { acceptSlaMinutes: c.acceptSlaMinutes, slaMinutes: c.slaMinutes } : null;
  await insertDeadlines(client, caseId, reportDeadlines(c.createdAt, matter));
}

/**
 * In a transition's transaction, after the case row is updated: meets, misses (reached late) or
 * cancels the deadlines the new state settles, and at filing (`filed`) adds the decision deadline and its warnings.
 */
export async function settleDeadlines(client: pg.PoolClient, caseId: string, to: CaseState, at: string, warningDays: readonly number[], filed = false): Promise<void> {
  const s = settlementOf(to);
  if (s.meets.length > 0) {
    await client.query(
      `UPDATE case_deadlines SET status = CASE WHEN status <> 'open' THEN status WHEN $3::timestamptz <= due_at THEN 'met' ELSE 'missed' END,
         reached_at = $3 WHERE case_id = $1 AND name = ANY($2) AND reached_at IS NULL`,
      [caseId, s.meets, at],
    );
  }
  if (s.cancelRest || s.cancelWarnings) {
    await client.query(
      `UPDATE case_deadlines SET status = 'cancelled' WHERE case_id = $1 AND status = 'open' AND ($2::boolean OR kind = 'warning')`,
      [caseId, s.cancelRest],
    );
  }
  if (filed) {
    const r = await client.query<{ filedAt: Date | null; decisionDueAt: Date | null }>(
      'SELECT filed_at AS "filedAt", decision_due_at AS "decisionDueAt" FROM cases WHERE id = $1',
      [caseId],
    );
    const c = r.rows[0];
    if (c?.filedAt && c.decisionDueAt) await insertDeadlines(client, caseId, filingDeadlines(c.filedAt, c.decisionDueAt, warningDays));
  }
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

export interface Escalation {
  caseId: string;
  teamId: string | null;
  deadline: CaseDeadline;
  event: CaseEvent;
  /** The case's matter kind (alert kind), for the metric. */
  kind: string;
}

/**
 * Escalates one deadline if it is still open and due: marks it (missed / reached), records whom it
 * went to and appends `sla.escalated` (or `sla.warning`) to the case's chain, in one transaction. Returns
 * null when someone else (another process, the stage being reached) settled it first.
 */
export async function escalateDeadline(client: pg.PoolClient, caseId: string, name: string, now: Date): Promise<Escalation | null> {
  // The case row first, like every transition (and appendEvent): the same lock order, no deadlock.
  const c = (await client.query<{ teamId: string | null; kind: string; state: string }>(
    'SELECT team_id AS "teamId", kind, state FROM cases WHERE id = $1 FOR UPDATE',
    [caseId],
  )).rows[0];
  if (!c) return null;
  const d = (await client.query<CaseDeadline>(
    `SELECT ${DEADLINE_COLUMNS} FROM case_deadlines WHERE case_id = $1 AND name = $2 AND status = 'open' AND due_at <= $3 FOR UPDATE`,
    [caseId, name, now.toISOString()],
  )).rows[0];
  if (!d) return null;
  const leads = c.teamId === null
    ? []
    : (await client.query<{ id: string }>(`SELECT id FROM users WHERE role = 'team_lead' AND team_id = $1 ORDER BY id`, [c.teamId])).rows.map((u) => u.id);
  const at = now.toISOString();
  const status = dueStatus(d.kind);
  await client.query(
    'UPDATE case_deadlines SET status = $3, escalated_at = $4, escalated_to = $5 WHERE case_id = $1 AND name = $2',
    [caseId, name, status, at, leads],
  );
  const event = await appendEvent(client, caseId, 'system', escalationEvent(d.kind), {
    deadline: d.name,
    stage: d.stage,
    dueAt: new Date(d.dueAt).toISOString(),
    state: c.state,
    teamId: c.teamId,
    escalatedTo: leads,
    ...(leads.length === 0 ? { fallback: 'operations centre' } : {}),
  }, at);
  return { caseId, teamId: c.teamId, kind: c.kind, event, deadline: { ...d, status, escalatedAt: at, escalatedTo: leads } };
}
