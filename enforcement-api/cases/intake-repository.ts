import type pg from 'pg';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { Case } from '../../contract/http/cases.js';
import type { RoutableTeam } from '../domain/routing.js';
import { CASE_SELECT } from './case-select.js';

/**
 * The SQL of an alert's intake (intake-workflow.ts), each statement on the caller's transaction client:
 * the alert recorded once, the incident it joins or opens, the case an incident opens, the facts routing
 * decides on.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** One intake per zone and kind at a time, across processes, until the transaction ends. */
export async function lockZoneKind(client: pg.PoolClient, zoneId: string, kind: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${zoneId}|${kind}`]);
}

/** Records the alert unless its id is known already (false: a duplicate). */
export async function insertAlert(client: pg.PoolClient, alert: Alert): Promise<boolean> {
  const inserted = await client.query(
    // The device's calibration and placement as they stand at the measurement (sensor evidence rule).
    `INSERT INTO alerts (id, kind, zone_id, device_id, started_at, detected_at, model_version, evidence,
       device_calibration_valid_until, device_placement_published)
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, d.calibration_valid_until, d.placement_published
     FROM (SELECT 1) one LEFT JOIN devices d ON d.id = $4 ON CONFLICT (id) DO NOTHING`,
    [alert.id, alert.kind, alert.zoneId, alert.deviceId ?? null, alert.startedAt, alert.detectedAt,
      alert.modelVersion ?? null, JSON.stringify({ summary: alert.summary, ...(alert.summaryZh ? { summaryZh: alert.summaryZh } : {}), ...alert.evidence })],
  );
  return inserted.rowCount !== 0;
}

/**
 * The open incident of this kind in this zone whose alerts span to within `windowMin` of `at` (on
 * either side), the most recent one if several, with its case.
 */
export async function openIncidentNear(client: pg.PoolClient, zoneId: string, kind: string, at: string, windowMin: number): Promise<{ id: string; caseId: string } | undefined> {
  const open = await client.query<{ id: string; caseId: string }>(
    `SELECT i.id, c.id AS "caseId" FROM incidents i JOIN cases c ON c.incident_id = i.id
     WHERE i.zone_id = $1 AND i.kind = $2 AND c.state NOT IN ('closed', 'dismissed')
       AND i.last_alert_at >= $3::timestamptz - make_interval(mins => $4::int)
       AND i.first_alert_at <= $3::timestamptz + make_interval(mins => $4::int)
     ORDER BY i.last_alert_at DESC LIMIT 1`,
    [zoneId, kind, at, Math.round(windowMin)],
  );
  return open.rows[0];
}

/** The alert joins the incident (its span widened, its count raised); the incident's case counts as updated. */
export async function attachAlert(client: pg.PoolClient, alert: Alert, incident: { id: string; caseId: string }): Promise<void> {
  await client.query(
    `UPDATE incidents SET first_alert_at = least(first_alert_at, $2, now()), last_alert_at = greatest(last_alert_at, $2),
       alert_count = alert_count + 1 WHERE id = $1`,
    [incident.id, alert.detectedAt],
  );
  await client.query('UPDATE alerts SET incident_id = $2 WHERE id = $1', [alert.id, incident.id]);
  await client.query('UPDATE cases SET updated_at = now() WHERE id = $1', [incident.caseId]);
}

/** A case's team (null also for an unknown case). */
export async function caseTeamId(client: pg.PoolClient, caseId: string): Promise<string | null> {
  const team = await client.query<{ teamId: string | null }>('SELECT team_id AS "teamId" FROM cases WHERE id = $1', [caseId]);
  return team.rows[0]?.teamId ?? null;
}

export interface RoutingMatter {
  code: string;
  handlingLevel: 'street' | 'district';
  domain: string;
  supportDomain: string | null;
  slaMinutes: number;
}

/** What routing decides on: the zone's street, the matter of the alert's kind, every team. */
export async function routingFacts(client: pg.PoolClient, zoneId: string, kind: string): Promise<{ streetId: string | undefined; matter: RoutingMatter | null; teams: RoutableTeam[] }> {
  const zone = await client.query<{ streetId: string }>(
    'SELECT s.street_id AS "streetId" FROM zones z JOIN sites s ON s.id = z.site_id WHERE z.id = $1',
    [zoneId],
  );
  const matter = await client.query<RoutingMatter>(
    `SELECT code, handling_level AS "handlingLevel", domain, support_domain AS "supportDomain", sla_minutes AS "slaMinutes" FROM matters WHERE alert_kind = $1`,
    [kind],
  );
  const teams = await client.query<RoutableTeam>('SELECT id, kind, street_id AS "streetId", domains FROM teams');
  return { streetId: zone.rows[0]?.streetId, matter: matter.rows[0] ?? null, teams: teams.rows };
}

export interface NewIncidentCase {
  incidentId: string;
  caseId: string;
  matterCode: string | null;
  teamId: string | null;
  supportTeamId: string | null;
  state: 'dispatched' | 'reported';
  slaMinutes: number | null;
}

/**
 * A new incident of the alert alone, and its case (SLA clock from now; dispatched now when it has a team).
 * Its first alert — the act, whose local date picks the catalogue that judges the case — is no later than
 * the intake: a device whose clock runs ahead does not date an act in the future.
 */
export async function openIncidentAndCase(client: pg.PoolClient, alert: Alert, c: NewIncidentCase): Promise<void> {
  await client.query(
    `INSERT INTO incidents (id, kind, zone_id, first_alert_at, last_alert_at, alert_count) VALUES ($1, $2, $3, least($4::timestamptz, now()), $4, 1)`,
    [c.incidentId, alert.kind, alert.zoneId, alert.detectedAt],
  );
  await client.query('UPDATE alerts SET incident_id = $2 WHERE id = $1', [alert.id, c.incidentId]);
  await client.query(
    `INSERT INTO cases (id, incident_id, kind, zone_id, matter_code, team_id, state, title, sla_due_at, state_changed_at, dispatched_at, support_team_id, title_zh)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, CASE WHEN $9::int IS NULL THEN NULL ELSE now() + make_interval(mins => $9::int) END,
       now(), CASE WHEN $7 = 'dispatched' THEN now() END, $10, $11)`,
    [c.caseId, c.incidentId, alert.kind, alert.zoneId, c.matterCode, c.teamId, c.state, alert.summary, c.slaMinutes, c.supportTeamId, alert.summaryZh ?? null],
  );
}

/** A case as the API shows it, whoever asks (the system's own paths). */
export async function caseById(db: Queryable, id: string): Promise<Case | undefined> {
  const r = await db.query<Case>(`${CASE_SELECT} WHERE c.id = $1`, [id]);
  return r.rows[0];
}
