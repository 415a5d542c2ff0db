import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { Case } from '../../contract/http/cases.js';
import { routeWithSupport, type RoutableTeam } from '../domain/routing.js';
import type { Actor, LifecyclePolicy, Rejection } from '../domain/case-lifecycle.js';
import type { LegalSettings } from '../domain/legal-rules.js';
import type { BenchmarkTier } from '../domain/legal-rules.js';
import { benchmarksOf, DEFAULT_LEGAL_SETTINGS } from './legal.js';
import { caseLegalView } from '../legal/case-view.js';
import { appendEvent, auditCase, type CaseAudit, type CaseEvent } from './events.js';
import { deadlinesOf, openReportDeadlines, type CaseDeadline } from './deadlines.js';
import { applyTransition, lifecycleRecord, type AppliedTransition, type LifecycleRecord } from './transitions.js';
import { appendLiveEvent } from '../live.js';
import { caseCondition, type Viewer } from '../domain/jurisdiction.js';

export type { CaseEvent } from './events.js';

/** A case as the API shows it (contract/http/cases.ts). */
export type CaseRow = Case;


export type TransitionOutcome = Rejection | (AppliedTransition & { case: CaseRow });

export type IntakeResult =
  | { outcome: 'duplicate' }
  | { outcome: 'attached'; caseId: string; incidentId: string }
  | { outcome: 'opened'; case: CaseRow; route: string };

const CASE_SELECT = `SELECT c.id, c.number, c.incident_id AS "incidentId", c.kind, c.zone_id AS "zoneId", z.name AS "zoneName",
  c.matter_code AS "matterCode", c.team_id AS "teamId", c.support_team_id AS "supportTeamId", c.state, c.title, c.sla_due_at AS "slaDueAt",
  c.created_at AS "createdAt", c.updated_at AS "updatedAt", i.alert_count AS "alertCount",
  c.assigned_to AS "assignedTo", c.state_changed_at AS "stateChangedAt", c.review_submitted_at AS "reviewSubmittedAt",
  c.dismissal_reason AS "dismissalReason", c.on_site_officers AS "onSiteOfficers", c.filed_at AS "filedAt",
  c.decision_due_at AS "decisionDueAt", c.decided_late AS "decidedLate", c.review_post_id AS "reviewPostId",
  c.review_level AS "reviewLevel", c.party_id AS "partyId", c.resolution
  FROM cases c JOIN zones z ON z.id = c.zone_id JOIN incidents i ON i.id = c.incident_id`;

export class CaseRepository {
  constructor(
    private readonly pool: pg.Pool,
    readonly legal: LegalSettings = DEFAULT_LEGAL_SETTINGS,
  ) {}

  /**
   * Records an alert idempotently and merges it into an incident: an open incident of the same kind in
   * the same zone whose alerts span to within `windowMin` of this one takes it (on either side: an alert
   * delivered late, e.g. from a device's back-fill, joins the incident of its own time, not a later
   * one); otherwise a new incident opens one case, routed to a team (or left in the fallback queue
   * when nobody can take it).
   */
  async intake(alert: Alert, windowMin: number): Promise<IntakeResult> {
    const result = await this.intakeTx(alert, windowMin);
    if (result.outcome !== 'opened') return result;
    // Read back after the transaction's connection is released (the embedded pool has one).
    const row = await this.byId(result.caseId);
    if (!row) throw new Error(`case ${result.caseId} vanished after commit`);
    return { outcome: 'opened', case: row, route: result.route };
  }

  /** Open cases in the fallback queue (no team): the alarm operators watch. */
  async fallbackCount(): Promise<number> {
    const r = await this.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE team_id IS NULL AND state NOT IN ('closed', 'dismissed')`);
    return r.rows[0]?.n ?? 0;
  }


  private async intakeTx(alert: Alert, windowMin: number): Promise<Exclude<IntakeResult, { outcome: 'opened' }> | { outcome: 'opened'; caseId: string; route: string }> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // One intake per zone and kind at a time, across processes.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${alert.zoneId}|${alert.kind}`]);
      const inserted = await client.query(
        // The device's calibration and placement as they stand at the measurement (sensor evidence rule).
        `INSERT INTO alerts (id, kind, zone_id, device_id, started_at, detected_at, model_version, evidence,
           device_calibration_valid_until, device_placement_published)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, d.calibration_valid_until, d.placement_published
         FROM (SELECT 1) one LEFT JOIN devices d ON d.id = $4 ON CONFLICT (id) DO NOTHING`,
        [alert.id, alert.kind, alert.zoneId, alert.deviceId ?? null, alert.startedAt, alert.detectedAt,
          alert.modelVersion ?? null, JSON.stringify({ summary: alert.summary, ...alert.evidence })],
      );
      if (inserted.rowCount === 0) {
        await client.query('ROLLBACK');
        return { outcome: 'duplicate' };
      }
      const open = await client.query<{ id: string; caseId: string }>(
        `SELECT i.id, c.id AS "caseId" FROM incidents i JOIN cases c ON c.incident_id = i.id
         WHERE i.zone_id = $1 AND i.kind = $2 AND c.state NOT IN ('closed', 'dismissed')
           AND i.last_alert_at >= $3::timestamptz - make_interval(mins => $4::int)
           AND i.first_alert_at <= $3::timestamptz + make_interval(mins => $4::int)
         ORDER BY i.last_alert_at DESC LIMIT 1`,
        [alert.zoneId, alert.kind, alert.detectedAt, Math.round(windowMin)],
      );
      const existing = open.rows[0];
      if (existing) {
        await client.query(
          `UPDATE incidents SET first_alert_at = least(first_alert_at, $2), last_alert_at = greatest(last_alert_at, $2),
             alert_count = alert_count + 1 WHERE id = $1`,
          [existing.id, alert.detectedAt],
        );
        await client.query('UPDATE alerts SET incident_id = $2 WHERE id = $1', [alert.id, existing.id]);
        await client.query('UPDATE cases SET updated_at = now() WHERE id = $1', [existing.caseId]);
        await appendEvent(client, existing.caseId, 'system', 'alert.attached', { alertId: alert.id });
        const team = await client.query<{ teamId: string | null }>('SELECT team_id AS "teamId" FROM cases WHERE id = $1', [existing.caseId]);
        await appendLiveEvent(client, { type: 'case.updated', teamId: team.rows[0]?.teamId ?? null, caseId: existing.caseId, reason: 'alert.attached' });
        await client.query('COMMIT');
        return { outcome: 'attached', caseId: existing.caseId, incidentId: existing.id };
      }
      const route = await this.route(client, alert);
      const incidentId = randomUUID();
      const caseId = randomUUID();
      await client.query(
        `INSERT INTO incidents (id, kind, zone_id, first_alert_at, last_alert_at, alert_count) VALUES ($1, $2, $3, $4, $4, 1)`,
        [incidentId, alert.kind, alert.zoneId, alert.detectedAt],
      );
      await client.query('UPDATE alerts SET incident_id = $2 WHERE id = $1', [alert.id, incidentId]);
      const state = route.teamId ? 'dispatched' : 'reported';
      await client.query(
        `INSERT INTO cases (id, incident_id, kind, zone_id, matter_code, team_id, state, title, sla_due_at, state_changed_at, dispatched_at, support_team_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $9::int IS NULL THEN NULL ELSE now() + make_interval(mins => $9::int) END,
           now(), CASE WHEN $7 = 'dispatched' THEN now() END, $10)`,
        [caseId, incidentId, alert.kind, alert.zoneId, route.matterCode, route.teamId, state, alert.summary, route.slaMinutes, route.supportTeamId],
      );
      await openReportDeadlines(client, caseId);
      await appendEvent(client, caseId, 'system', 'reported', { alertId: alert.id, kind: alert.kind, zoneId: alert.zoneId });
      if (route.teamId) await appendEvent(client, caseId, 'system', 'dispatched', { teamId: route.teamId, reason: route.reason, ...(route.supportTeamId ? { supportTeamId: route.supportTeamId } : {}) });
      else await appendEvent(client, caseId, 'system', 'unroutable', { reason: route.reason });
      // The live stream's event in this transaction (outbox): it exists iff the case does.
      const opened = await client.query<CaseRow>(`${CASE_SELECT} WHERE c.id = $1`, [caseId]);
      await appendLiveEvent(client, { type: 'case.opened', teamId: route.teamId, case: opened.rows[0]! });
      await client.query('COMMIT');
      return { outcome: 'opened', caseId, route: route.reason };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  private async route(client: pg.PoolClient, alert: Alert) {
    const zone = await client.query<{ streetId: string }>(
      'SELECT s.street_id AS "streetId" FROM zones z JOIN sites s ON s.id = z.site_id WHERE z.id = $1',
      [alert.zoneId],
    );
    const matter = await client.query<{ code: string; handlingLevel: 'street' | 'district'; domain: string; supportDomain: string | null; slaMinutes: number }>(
      `SELECT code, handling_level AS "handlingLevel", domain, support_domain AS "supportDomain", sla_minutes AS "slaMinutes" FROM matters WHERE alert_kind = $1`,
      [alert.kind],
    );
    const teams = await client.query<RoutableTeam>('SELECT id, kind, street_id AS "streetId", domains FROM teams');
    const m = matter.rows[0] ?? null;
    const streetId = zone.rows[0]?.streetId;
    const route = streetId
      ? routeWithSupport(streetId, m, teams.rows)
      : { teamId: null, supportTeamId: null, reason: `zone ${alert.zoneId} has no street` };
    return { ...route, matterCode: m?.code ?? null, slaMinutes: m?.slaMinutes ?? null };
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

  /** The proposals and reviews on file for a case. */
  async lifecycle(caseId: string): Promise<LifecycleRecord> {
    return lifecycleRecord(this.pool, caseId);
  }

  /** The discretion benchmark of one matter (every matter's when null). */
  async benchmarks(matterCode: string | null): Promise<BenchmarkTier[]> {
    return benchmarksOf(this.pool, matterCode);
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
    return auditCase(this.pool, caseId);
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
