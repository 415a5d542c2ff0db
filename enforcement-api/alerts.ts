import type pg from 'pg';
import { alertCondition, type Viewer } from './domain/jurisdiction.js';

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
  a.detected_at AS "detectedAt", a.model_version AS "modelVersion", coalesce(a.summary, a.evidence->>'summary') AS summary,
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

  /** Records (or replaces) the verdict on an alert; the model version is copied for precision figures. */
  async setVerdict(id: string, verdict: 'confirmed' | 'false_alarm', reason: string | null, by: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO alert_verdicts (alert_id, verdict, reason, model_version, by_user)
       SELECT id, $2, $3, model_version, $4 FROM alerts WHERE id = $1
       ON CONFLICT (alert_id) DO UPDATE SET verdict = EXCLUDED.verdict, reason = EXCLUDED.reason, by_user = EXCLUDED.by_user, at = now()`,
      [id, verdict, reason, by],
    );
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
}
