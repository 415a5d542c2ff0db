import type pg from 'pg';
import { eventHash, HASH_VERSION, verifyChain, type ChainEvent, type ChainHead, type ChainVerification } from './chain.js';
import { enqueueCaseEvent } from '../webhooks/repository.js';

import type { CaseAudit, CaseEventRecord } from '../../contract/http/cases.js';

/** One case event as the API shows it. */
export type CaseEvent = CaseEventRecord;
export type { CaseAudit };

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/**
 * Appends an event to a case's chain inside the caller's transaction. The case row is locked first and
 * carries the chain head, so concurrent writers (alert intake, transitions) queue behind each other and
 * an event removed from the end cannot be papered over by the next one. Subscribers' webhooks for the
 * event are queued in the same transaction.
 */
export async function appendEvent(client: pg.PoolClient, caseId: string, actor: string, type: string, data: unknown, at = new Date().toISOString()): Promise<CaseEvent> {
  const head = await client.query<ChainHead>(
    'SELECT events_head_seq AS seq, events_head_hash AS hash FROM cases WHERE id = $1 FOR UPDATE',
    [caseId],
  );
  const h = head.rows[0];
  if (!h) throw new Error(`cannot append to case ${caseId}: no such case`);
  const stored: unknown = JSON.parse(JSON.stringify(data ?? null)); // exactly what jsonb will give back
  const seq = h.seq + 1;
  const hash = eventHash(h.hash, { caseId, seq, at, actor, type, data: stored });
  await client.query(
    `INSERT INTO case_events (case_id, seq, at, actor, type, data, prev_hash, hash, hash_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [caseId, seq, at, actor, type, JSON.stringify(stored), h.hash, hash, HASH_VERSION],
  );
  await client.query('UPDATE cases SET events_head_seq = $2, events_head_hash = $3 WHERE id = $1', [caseId, seq, hash]);
  // The webhook outbox (enforcement-api/webhooks): written with the event, or not at all.
  await enqueueCaseEvent(client, caseId, { seq, at, type, data: stored });
  return { seq, at, actor, type, data: stored, prevHash: h.hash, hash };
}

// Microsecond text, so an edit below the millisecond shows; sealed times have whole milliseconds.
const EVENT_COLUMNS = `case_id AS "caseId", seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at,
  actor, type, data, prev_hash AS "prevHash", hash, hash_version AS "hashVersion"`;

const sealedTime = (at: string) => at.replace(/(\.\d{3})000Z$/, '$1Z');

export async function chainOf(db: Queryable, caseId: string): Promise<ChainEvent[]> {
  const r = await db.query<ChainEvent & { caseId: string }>(`SELECT ${EVENT_COLUMNS} FROM case_events WHERE case_id = $1 ORDER BY seq`, [caseId]);
  return r.rows.map(({ caseId: _c, ...e }) => ({ ...e, at: sealedTime(e.at) }));
}


/** A case's events with their hashes and the verdict on its chain; null when the case does not exist. */
export async function auditCase(db: Queryable, caseId: string): Promise<CaseAudit | null> {
  const head = await db.query<ChainHead>('SELECT events_head_seq AS seq, events_head_hash AS hash FROM cases WHERE id = $1', [caseId]);
  const h = head.rows[0];
  if (!h) return null;
  const events = await chainOf(db, caseId);
  return { caseId, head: h, events, verification: verifyChain(caseId, events, h) };
}

export interface TamperedCase {
  caseId: string;
  number: number;
  problems: ChainVerification['problems'];
}

export interface AuditReport {
  cases: number;
  events: number;
  tampered: TamperedCase[];
}

/** Verifies every case's chain, a batch of cases at a time (the verify command). */
export async function verifyAllCases(db: Queryable, batch = 500): Promise<AuditReport> {
  const report: AuditReport = { cases: 0, events: 0, tampered: [] };
  for (let after = 0; ; ) {
    const cases = await db.query<{ id: string; number: number; seq: number; hash: string | null }>(
      `SELECT id, number, events_head_seq AS seq, events_head_hash AS hash FROM cases WHERE number > $1 ORDER BY number LIMIT $2`,
      [after, batch],
    );
    if (cases.rows.length === 0) return report;
    const events = await db.query<ChainEvent & { caseId: string }>(
      `SELECT ${EVENT_COLUMNS} FROM case_events WHERE case_id = ANY($1) ORDER BY case_id, seq`,
      [cases.rows.map((c) => c.id)],
    );
    const byCase = new Map<string, ChainEvent[]>();
    for (const { caseId, ...e } of events.rows) {
      const list = byCase.get(caseId) ?? [];
      list.push({ ...e, at: sealedTime(e.at) });
      byCase.set(caseId, list);
    }
    for (const c of cases.rows) {
      const chain = byCase.get(c.id) ?? [];
      const v = verifyChain(c.id, chain, { seq: c.seq, hash: c.hash });
      report.cases++;
      report.events += chain.length;
      if (!v.ok) report.tampered.push({ caseId: c.id, number: c.number, problems: v.problems });
    }
    after = cases.rows.at(-1)!.number;
  }
}
