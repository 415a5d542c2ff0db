import type pg from 'pg';
import { hearingAvailable, NOTICE_EVENT_TYPES, procedureOf, type NoticeFacts, type NotifiedMeasures, type ProcedureEvent } from '../domain/penalty-notice.js';

/**
 * The SQL of hearing the party before a penalty (enforcement-api/domain/penalty-notice.ts): the steps
 * are case events (append-only, hash-chained); this reads them with the latest proposal revision, its
 * approval and the case's investigating officers, on the caller's client (inside a transition's
 * transaction, or for the case detail).
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** The latest proposal revision's measures and when that revision was approved (null: not approved). */
async function latestMeasures(db: Queryable, caseId: string): Promise<{ latest: NotifiedMeasures | null; approvedAt: Date | null }> {
  const r = await db.query<NotifiedMeasures & { approvedAt: Date | null }>(
    `SELECT p.revision, p.penalties, p.fine_yuan AS "fineYuan", p.hearing_required AS "hearingRequired",
       (SELECT max(r.at) FROM case_reviews r WHERE r.proposal_id = p.id AND r.outcome = 'approved') AS "approvedAt"
     FROM case_proposals p WHERE p.case_id = $1 ORDER BY p.revision DESC LIMIT 1`,
    [caseId],
  );
  const row = r.rows[0];
  if (!row) return { latest: null, approvedAt: null };
  const { approvedAt, ...latest } = row;
  return { latest, approvedAt };
}

/** The case's procedure events, in order. */
export async function procedureEvents(db: Queryable, caseId: string): Promise<ProcedureEvent[]> {
  const r = await db.query<ProcedureEvent>(
    'SELECT seq, at, actor, type, data FROM case_events WHERE case_id = $1 AND type = ANY($2) ORDER BY seq',
    [caseId, [...NOTICE_EVENT_TYPES]],
  );
  return r.rows;
}

/** The officers who investigated the case: on site, who accepted it, who proposed a decision. */
async function investigators(db: Queryable, caseId: string): Promise<string[]> {
  const r = await db.query<{ ids: string[] | null }>(
    `SELECT array_remove(coalesce(c.on_site_officers, '{}') || c.assigned_to
       || coalesce((SELECT array_agg(DISTINCT p.proposed_by) FROM case_proposals p WHERE p.case_id = c.id), '{}'), NULL) AS ids
     FROM cases c WHERE c.id = $1`,
    [caseId],
  );
  return r.rows[0]?.ids ?? [];
}

/** What the procedure's rules need (penalty-notice.ts `NoticeFacts`); `presidedBy`: the person named to preside over a hearing. */
export async function loadNoticeFacts(db: Queryable, caseId: string, now: Date, majorFineYuan: number, presidedBy?: string): Promise<NoticeFacts> {
  const { latest, approvedAt } = await latestMeasures(db, caseId);
  const facts: NoticeFacts = {
    now, latest, approvedAt,
    procedure: procedureOf(await procedureEvents(db, caseId), latest?.revision ?? null, latest !== null && hearingAvailable(latest, majorFineYuan)),
    investigators: await investigators(db, caseId),
  };
  if (presidedBy !== undefined) {
    const u = await db.query<{ id: string; role: string }>('SELECT id, role FROM users WHERE id = $1', [presidedBy]);
    facts.presider = u.rows[0] ?? null;
  }
  return facts;
}
