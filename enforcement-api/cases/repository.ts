import type pg from 'pg';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { Case } from '../../contract/http/cases.js';
import type { Actor, CaseEvent as CaseEventName, LifecyclePolicy, Rejection } from '../domain/case-lifecycle.js';
import { localDate, standingRefusals, type LegalSettings } from '../domain/legal-rules.js';
import type { BenchmarkTier } from '../domain/legal-rules.js';
import { benchmarksOf, DEFAULT_LEGAL_SETTINGS, loadStandingFacts } from './legal.js';
import { caseLegalView } from '../legal/case-view.js';
import { auditCase, type CaseAudit, type CaseEvent } from './events.js';
import { inTransaction } from '../../core/db/transaction.js';
import { deadlinesOf, type CaseDeadline } from './deadlines.js';
import { applyTransition, lifecycleRecord, type AppliedTransition, type LifecycleRecord } from './transitions.js';
import { CASE_SELECT } from './case-select.js';
import { loadNoticeFacts } from './notice-repository.js';
import type { Procedure } from '../domain/penalty-notice.js';
import { intakeAlert, type IntakeResult } from './intake-workflow.js';
import { caseCondition, type Viewer } from '../domain/jurisdiction.js';

export type { CaseEvent } from './events.js';
export type { IntakeResult } from './intake-workflow.js';

/** A case as the API shows it (contract/http/cases.ts). */
export type CaseRow = Case;


export type TransitionOutcome = Rejection | (AppliedTransition & { case: CaseRow });

export class CaseRepository {
  constructor(
    private readonly pool: pg.Pool,
    readonly legal: LegalSettings = DEFAULT_LEGAL_SETTINGS,
  ) {}

  /** An alert into its incident and case (intake-workflow.ts). */
  intake(alert: Alert, windowMin: number): Promise<IntakeResult> {
    return intakeAlert(this.pool, alert, windowMin);
  }

  /** Open cases in the fallback queue (no team): the alarm operators watch. */
  async fallbackCount(): Promise<number> {
    const r = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE team_id IS NULL AND state NOT IN ('closed', 'dismissed')`);
    return r.rows[0]?.n ?? 0;
  }

  /** The cases the viewer may see (enforcement-api/domain/jurisdiction.ts), newest first. */
  async list(viewer: Viewer, filter: { state?: string; limit: number; offset: number }): Promise<CaseRow[]> {
    const params: unknown[] = [];
    const where = [caseCondition(viewer, params)];
    if (filter.state) {
      params.push(filter.state);
      where.push(`c.state = $${params.length}`);
    }
    params.push(filter.limit, filter.offset);
    const sql = `${CASE_SELECT} WHERE ${where.join(' AND ')}
      ORDER BY c.created_at DESC, c.number DESC LIMIT $${params.length - 1} OFFSET $${params.length}`;
    return (await this.pool.query<CaseRow>(sql, params)).rows;
  }

  /** A case if the viewer may see it; another team's case is indistinguishable from a missing one. */
  async get(id: string, viewer: Viewer): Promise<CaseRow | null> {
    const params: unknown[] = [id];
    const r = await this.pool.query<CaseRow>(`${CASE_SELECT} WHERE c.id = $1 AND ${caseCondition(viewer, params)}`, params);
    return r.rows[0] ?? null;
  }

  /** A case whoever asks: for the system's own paths (intake, read-back after a transition). */
  private async byId(id: string): Promise<CaseRow | null> {
    const r = await this.pool.query<CaseRow>(`${CASE_SELECT} WHERE c.id = $1`, [id]);
    return r.rows[0] ?? null;
  }

  async events(caseId: string): Promise<CaseEvent[]> {
    const r = await this.pool.query<CaseEvent>(
      `SELECT seq, at, actor, type, data, prev_hash AS "prevHash", hash FROM case_events WHERE case_id = $1 ORDER BY seq`,
      [caseId],
    );
    return r.rows;
  }

  /**
   * Fires one lifecycle event: checked by the state machine against the row-locked case and written
   * (state, its records, the event) in one transaction. Returns the refusal, or the case after it.
   */
  async transition(caseId: string, actor: Actor, request: { event: string; fields: unknown }, policy?: LifecyclePolicy): Promise<TransitionOutcome> {
    const outcome = await applyTransition(this.pool, caseId, actor, request, policy, this.legal);
    if (!outcome.ok) return outcome;
    // Read back after the transaction's connection is released (the embedded pool has one).
    const row = await this.byId(caseId);
    if (!row) throw new Error(`case ${caseId} vanished after commit`);
    return { ...outcome, case: row };
  }

  /**
   * Of the events the state machine offers `actor` (availableEvents), those the legal rules would not
   * refuse as the case stands: the steps a form can be offered for now.
   */
  async allowedNow(caseId: string, actor: Actor, offered: readonly CaseEventName[]): Promise<CaseEventName[]> {
    if (offered.length === 0) return [];
    const facts = await inTransaction(this.pool, (client) => loadStandingFacts(client, caseId, offered, new Date(), this.legal));
    if (!facts) return [];
    const standing = standingRefusals(facts, this.legal);
    return offered.filter((e) => standing[e]?.(actor.id) === undefined);
  }

  /**
   * Display names of the users among `ids` and the case's evidence uploaders: the colleagues a case
   * names, for the viewer who may see the case (nothing but the name leaves).
   */
  async people(caseId: string, ids: readonly string[]): Promise<{ people: Record<string, string>; peopleZh: Record<string, string> }> {
    const r = await this.pool.query<{ id: string; name: string; nameZh: string | null }>(
      `SELECT u.id, u.display_name AS name, u.name_zh AS "nameZh" FROM users u
       WHERE u.id = ANY($2::text[]) OR u.id IN (SELECT e.uploaded_by FROM case_evidence e WHERE e.case_id = $1)`,
      [caseId, [...new Set(ids)]],
    );
    return {
      people: Object.fromEntries(r.rows.map((u) => [u.id, u.name])),
      peopleZh: Object.fromEntries(r.rows.flatMap((u) => (u.nameZh ? [[u.id, u.nameZh]] : []))),
    };
  }

  /** The proposals and reviews on file for a case. */
  async lifecycle(caseId: string): Promise<LifecycleRecord> {
    return lifecycleRecord(this.pool, caseId);
  }

  /** How the party was heard before a penalty: the latest notice and what followed it (penalty-notice.ts). */
  async procedure(caseId: string): Promise<Procedure> {
    return (await loadNoticeFacts(this.pool, caseId, new Date(), this.legal.majorFineYuan)).procedure;
  }

  /** The discretion benchmark of one matter (every matter's when null). */
  async benchmarks(matterCode: string | null): Promise<BenchmarkTier[]> {
    return benchmarksOf(this.pool, matterCode, localDate(new Date(), this.legal.timezone));
  }

  /** The statutory bounds and benchmark in force on the day of the act, extensions, the second officer's confirmation. */
  async legalView(caseId: string, matterCode: string | null): Promise<Awaited<ReturnType<typeof caseLegalView>>> {
    return caseLegalView(this.pool, caseId, matterCode, this.legal.timezone);
  }

  /** The case's SLA deadlines (enforcement-api/domain/sla.ts) with their status and escalation. */
  async deadlines(caseId: string): Promise<CaseDeadline[]> {
    return deadlinesOf(this.pool, caseId);
  }

  /** Events with hashes and the verdict on the chain; null for an unknown case. */
  async audit(caseId: string): Promise<CaseAudit | null> {
    // The head and the events from one snapshot: an event appended between the two reads (a photo
    // viewed while the record is checked) would otherwise look inserted behind the head.
    return inTransaction(this.pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      return auditCase(client, caseId);
    });
  }

  async alertsOf(caseId: string): Promise<unknown[]> {
    const r = await this.pool.query(
      `SELECT a.id, a.kind, a.device_id AS "deviceId", a.started_at AS "startedAt", a.detected_at AS "detectedAt",
         a.model_version AS "modelVersion", a.evidence,
         coalesce((SELECT json_agg(json_build_object('name', dc.name, 'stage', dc.stage, 'payload', dc.payload,
             'sentAt', dc.sent_at, 'ackedAt', dc.acked_at, 'effect', dc.effect) ORDER BY dc.sent_at)
           FROM device_commands dc WHERE dc.alert_id = a.id), '[]'::json) AS commands
       FROM alerts a JOIN cases c ON c.incident_id = a.incident_id WHERE c.id = $1 ORDER BY a.detected_at`,
      [caseId],
    );
    return r.rows;
  }
}
