import type pg from 'pg';
import type { Alert } from '../contract/mqtt/alert.js';

/** What the worker writes itself: device commands (ack, effect), shadow-model results and the model versions it has. */
export class InferenceRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Records a command; false when a command with this id is on record already (nothing written). */
  async commandSent(c: { id: string; deviceId: string; name: string; payload: unknown; alertId: string | null; stage: string; sentAt: Date }): Promise<boolean> {
    const r = await this.pool.query(
      `INSERT INTO device_commands (id, device_id, name, payload, alert_id, stage, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO NOTHING`,
      [c.id, c.deviceId, c.name, JSON.stringify(c.payload), c.alertId, c.stage, c.sentAt],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** When a command was sent (its device-clock time), or null when it is not on record. */
  async commandSentAt(id: string): Promise<Date | null> {
    const r = await this.pool.query<{ sent_at: Date }>(`SELECT sent_at FROM device_commands WHERE id = $1`, [id]);
    return r.rows[0]?.sent_at ?? null;
  }

  /** Whether the device was sent this command within `windowS` on either side of `at` (cooldowns). */
  async playedNear(deviceId: string, name: string, at: Date, windowS: number): Promise<boolean> {
    const r = await this.pool.query(
      `SELECT 1 FROM device_commands WHERE device_id = $1 AND name = $2
         AND sent_at > $3::timestamptz - make_interval(secs => $4) AND sent_at < $3::timestamptz + make_interval(secs => $4) LIMIT 1`,
      [deviceId, name, at, windowS],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /** Records a command's acknowledgement, only from the device it was sent to; false when nothing matched. */
  async commandAcked(id: string, deviceId: string, ack: unknown): Promise<boolean> {
    const r = await this.pool.query(`UPDATE device_commands SET acked_at = now(), ack = $2 WHERE id = $1 AND device_id = $3 AND acked_at IS NULL`, [id, JSON.stringify(ack), deviceId]);
    return (r.rowCount ?? 0) > 0;
  }

  async commandEffect(id: string, effect: unknown): Promise<void> {
    await this.pool.query(`UPDATE device_commands SET effect = $2 WHERE id = $1`, [id, JSON.stringify(effect)]);
  }

  /** Registers model versions found on disk (a version's card is replaced when it changed). */
  async registerModels(models: readonly { name: string; version: string; card: unknown }[]): Promise<void> {
    for (const m of models) {
      await this.pool.query(
        `INSERT INTO model_versions (name, version, card) VALUES ($1, $2, $3)
         ON CONFLICT (name, version) DO UPDATE SET card = EXCLUDED.card WHERE model_versions.card IS DISTINCT FROM EXCLUDED.card`,
        [m.name, m.version, JSON.stringify(m.card)],
      );
    }
  }

  async shadowAlert(a: Alert): Promise<void> {
    await this.pool.query(
      `INSERT INTO shadow_alerts (id, kind, zone_id, device_id, model_version, started_at, detected_at, evidence)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
      [a.id, a.kind, a.zoneId, a.deviceId ?? null, a.modelVersion ?? 'unknown', a.startedAt, a.detectedAt, JSON.stringify(a.evidence)],
    );
  }
}

/** An alert with its stored input window, its officers' verdict and its case's state (for retraining). */
export interface JudgedAlertRow {
  id: string;
  window: Record<string, unknown>;
  evidence: Record<string, unknown>;
  verdict: 'confirmed' | 'false_alarm' | null;
  state: string | null;
}

/** Alerts of one kind that kept their input window, with the verdict and the case state, oldest first. */
export async function alertsWithWindows(pool: pg.Pool, kind: string): Promise<JudgedAlertRow[]> {
  const r = await pool.query<JudgedAlertRow>(
    `SELECT a.id, a.evidence->'window' AS window, a.evidence, v.verdict, c.state
     FROM alerts a LEFT JOIN alert_verdicts v ON v.alert_id = a.id LEFT JOIN cases c ON c.incident_id = a.incident_id
     WHERE a.kind = $1 AND a.evidence ? 'window' ORDER BY a.started_at, a.id`,
    [kind],
  );
  return r.rows;
}
