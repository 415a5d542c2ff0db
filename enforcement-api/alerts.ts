import type pg from 'pg';
import { alertCondition, type Viewer } from './domain/jurisdiction.js';
import type { ShadowComparison } from '../contract/http/alerts.js';
import { inTransaction } from '../core/db/transaction.js';
import { appendEvent } from './cases/events.js';

/** Alerts as stored by the intake, with their case, verdict and the device commands they caused. */
export interface AlertFilter {
  kind?: string;
  zoneId?: string;
  deviceId?: string;
  from?: Date;
  to?: Date;
  limit: number;
  before?: string;
}

const SELECT = `SELECT a.id, a.kind, a.zone_id AS "zoneId", a.device_id AS "deviceId", a.started_at AS "startedAt",
  a.detected_at AS "detectedAt", a.model_version AS "modelVersion", coalesce(a.summary, a.evidence->>'summary') AS summary, a.evidence->>'summaryZh' AS "summaryZh",
  a.evidence, a.incident_id AS "incidentId", c.id AS "caseId", c.team_id AS "teamId", v.verdict, v.reason AS "verdictReason",
  coalesce((SELECT json_agg(json_build_object('id', dc.id, 'name', dc.name, 'stage', dc.stage, 'payload', dc.payload,
      'sentAt', dc.sent_at, 'ackedAt', dc.acked_at, 'effect', dc.effect) ORDER BY dc.sent_at)
    FROM device_commands dc WHERE dc.alert_id = a.id), '[]'::json) AS commands
  FROM alerts a LEFT JOIN cases c ON c.incident_id = a.incident_id LEFT JOIN alert_verdicts v ON v.alert_id = a.id`;


export class AlertRepository {
  constructor(private readonly pool: pg.Pool) {}

  async list(f: AlertFilter, user: Viewer): Promise<Record<string, unknown>[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    const add = (sql: string, v: unknown) => {
      params.push(v);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.kind) add('a.kind = ?', f.kind);
    if (f.zoneId) add('a.zone_id = ?', f.zoneId);
    if (f.deviceId) add('a.device_id = ?', f.deviceId);
    if (f.from) add('a.detected_at >= ?', f.from);
    if (f.to) add('a.detected_at < ?', f.to);
    if (f.before) add('a.detected_at < ?', f.before);
    where.push(alertCondition(user, params));
    params.push(f.limit);
    const r = await this.pool.query(
      `${SELECT} WHERE ${where.join(' AND ')} ORDER BY a.detected_at DESC, a.id LIMIT $${params.length}`,
      params,
    );
    return r.rows;
  }

  async get(id: string, user: Viewer): Promise<Record<string, unknown> | null> {
    const params: unknown[] = [id];
    const r = await this.pool.query(`${SELECT} WHERE a.id = $1 AND ${alertCondition(user, params)}`, params);
    return r.rows[0] ?? null;
  }

  /**
   * Records (or replaces) the verdict on an alert; the model version is copied for precision figures. A
   * verdict decides whether the alert's record is evidence (a false alarm is not), so a new or changed
   * one is an event on its case's hash-chained record, in the same transaction.
   */
  async setVerdict(id: string, verdict: 'confirmed' | 'false_alarm', reason: string | null, by: { username: string; userId: string; role: string }): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const before = await client.query<{ verdict: string; reason: string | null }>('SELECT verdict, reason FROM alert_verdicts WHERE alert_id = $1 FOR UPDATE', [id]);
      await client.query(
        `INSERT INTO alert_verdicts (alert_id, verdict, reason, model_version, by_user)
         SELECT id, $2, $3, model_version, $4 FROM alerts WHERE id = $1
         ON CONFLICT (alert_id) DO UPDATE SET verdict = EXCLUDED.verdict, reason = EXCLUDED.reason, by_user = EXCLUDED.by_user, at = now()`,
        [id, verdict, reason, by.username],
      );
      const previous = before.rows[0];
      if (previous && previous.verdict === verdict && previous.reason === reason) return;
      const c = await client.query<{ caseId: string }>('SELECT c.id AS "caseId" FROM alerts a JOIN cases c ON c.incident_id = a.incident_id WHERE a.id = $1', [id]);
      const caseId = c.rows[0]?.caseId;
      if (caseId) await appendEvent(client, caseId, by.userId, 'alert_verdict', { alertId: id, verdict, reason, previous: previous?.verdict ?? null, role: by.role });
    });
  }

  /** Confirmed and false alarms per model version: precision = confirmed / (confirmed + false alarms). */
  async verdictsByModel(): Promise<Map<string, { confirmed: number; falseAlarms: number }>> {
    const r = await this.pool.query<{ model: string; confirmed: number; falseAlarms: number }>(
      `SELECT model_version AS model, count(*) FILTER (WHERE verdict = 'confirmed')::int AS confirmed,
         count(*) FILTER (WHERE verdict = 'false_alarm')::int AS "falseAlarms"
       FROM alert_verdicts WHERE model_version IS NOT NULL GROUP BY 1`,
    );
    return new Map(r.rows.map((x) => [x.model, { confirmed: x.confirmed, falseAlarms: x.falseAlarms }]));
  }

  /** Each shadow version of a model against the active alerts of the time it ran (see ShadowComparison). */
  async shadowComparison(model: string): Promise<ShadowComparison[]> {
    const r = await this.pool.query<{ shadow_version: string; active_versions: string[] | null; from: Date; to: Date; shadow_alerts: number; active_alerts: number; both: number;
      matched_active: number; a_confirmed: number; a_false: number; s_confirmed: number; s_false: number }>(
      `WITH s AS (
         SELECT id, kind, coalesce(device_id, zone_id) AS subject, started_at, detected_at, model_version FROM shadow_alerts WHERE split_part(model_version, '@', 1) = $1),
       periods AS (
         SELECT model_version, min(started_at) - interval '5 minutes' AS t0, max(detected_at) + interval '5 minutes' AS t1 FROM s GROUP BY 1),
       a AS (
         SELECT p.model_version AS shadow_version, x.id, x.kind, coalesce(x.device_id, x.zone_id) AS subject, x.started_at, x.model_version, v.verdict
         FROM periods p JOIN alerts x ON split_part(x.model_version, '@', 1) = $1 AND x.started_at BETWEEN p.t0 AND p.t1
         LEFT JOIN alert_verdicts v ON v.alert_id = x.id),
       pairs AS (
         SELECT s.id AS shadow_id, s.model_version AS shadow_version, a.id AS active_id, a.verdict
         FROM s JOIN a ON a.shadow_version = s.model_version AND a.kind = s.kind AND a.subject = s.subject
           AND abs(extract(epoch FROM a.started_at - s.started_at)) <= 300)
       SELECT p.model_version AS shadow_version, p.t0 + interval '5 minutes' AS "from", p.t1 - interval '5 minutes' AS "to",
         (SELECT array_agg(DISTINCT a.model_version) FROM a WHERE a.shadow_version = p.model_version) AS active_versions,
         (SELECT count(*)::int FROM s WHERE s.model_version = p.model_version) AS shadow_alerts,
         (SELECT count(*)::int FROM a WHERE a.shadow_version = p.model_version) AS active_alerts,
         (SELECT count(DISTINCT shadow_id)::int FROM pairs WHERE pairs.shadow_version = p.model_version) AS both,
         (SELECT count(DISTINCT active_id)::int FROM pairs WHERE pairs.shadow_version = p.model_version) AS matched_active,
         (SELECT count(*)::int FROM a WHERE a.shadow_version = p.model_version AND a.verdict = 'confirmed') AS a_confirmed,
         (SELECT count(*)::int FROM a WHERE a.shadow_version = p.model_version AND a.verdict = 'false_alarm') AS a_false,
         (SELECT count(DISTINCT shadow_id)::int FROM pairs WHERE pairs.shadow_version = p.model_version AND verdict = 'confirmed') AS s_confirmed,
         (SELECT count(DISTINCT shadow_id)::int FROM pairs WHERE pairs.shadow_version = p.model_version AND verdict = 'false_alarm') AS s_false
       FROM periods p ORDER BY 1`,
      [model],
    );
    return r.rows.map((x) => {
      const onlyShadow = x.shadow_alerts - x.both;
      const onlyActive = x.active_alerts - x.matched_active;
      const union = x.both + onlyShadow + onlyActive;
      const ratio = (a: number, b: number) => (a + b > 0 ? a / (a + b) : null);
      return {
        shadowVersion: x.shadow_version.slice(model.length + 1),
        activeVersions: (x.active_versions ?? []).map((v) => v.slice(model.length + 1)).sort(),
        from: x.from.toISOString(),
        to: x.to.toISOString(),
        shadowAlerts: x.shadow_alerts,
        activeAlerts: x.active_alerts,
        both: x.both,
        onlyShadow,
        onlyActive,
        agreement: union > 0 ? x.both / union : 1,
        active: { confirmed: x.a_confirmed, falseAlarms: x.a_false, precision: ratio(x.a_confirmed, x.a_false) },
        shadow: { confirmed: x.s_confirmed, falseAlarms: x.s_false, unverified: x.shadow_alerts - x.s_confirmed - x.s_false, precision: ratio(x.s_confirmed, x.s_false) },
      };
    });
  }
}
