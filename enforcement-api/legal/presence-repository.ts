import type pg from 'pg';
import type { Position, PresenceRequest } from '../../contract/http/legal.js';
import type { LegalSettings } from '../domain/legal-rules.js';

/** The SQL of the second officer's presence (presence.ts), on the caller's client. */

export interface PresenceRow {
  state: string;
  teamId: string | null;
  supportTeamId: string | null;
  inReview: boolean;
  reviewPostId: string | null;
  onSiteOfficers: string[] | null;
  arrivedAt: Date | null;
  arrivalLocation: Position | null;
  confirmedAt: Date | null;
  /** The domain of the case's matter when it is a penalty matter (two certified officers needed); null otherwise. */
  penaltyDomain: string | null;
}

/** The case's arrival and presence, row-locked until the transaction ends. */
export async function lockPresence(client: pg.PoolClient, caseId: string): Promise<PresenceRow | undefined> {
  return (await client.query<PresenceRow>(
    `SELECT state, team_id AS "teamId", support_team_id AS "supportTeamId", review_submitted_at IS NOT NULL AS "inReview", review_post_id AS "reviewPostId",
       on_site_officers AS "onSiteOfficers", arrived_at AS "arrivedAt", arrival_location AS "arrivalLocation",
       presence_confirmed_at AS "confirmedAt", (SELECT m.domain FROM matters m WHERE m.code = cases.matter_code AND m.penalty) AS "penaltyDomain"
     FROM cases WHERE id = $1 FOR UPDATE`,
    [caseId],
  )).rows[0];
}

export async function markPresenceConfirmed(client: pg.PoolClient, caseId: string, at: string, location: Position): Promise<void> {
  await client.query('UPDATE cases SET presence_confirmed_at = $2, presence_location = $3, updated_at = $2 WHERE id = $1', [caseId, at, JSON.stringify(location)]);
}

/**
 * The cases awaiting this officer's confirmation (named on arrival, still in time): how an officer of
 * another team, who cannot list the case, finds it.
 */
export async function presenceRequests(db: Pick<pg.Pool, 'query'>, officerId: string, settings: LegalSettings, now = new Date()): Promise<PresenceRequest[]> {
  const r = await db.query<PresenceRequest>(
    `SELECT c.id AS "caseId", c.number::int AS number, c.title, z.name AS "zoneName", c.on_site_officers[1] AS "firstOfficer",
       c.arrived_at AS "arrivedAt", c.arrival_location AS "arrivalLocation", c.arrived_at + make_interval(mins => $2) AS "confirmBy"
     FROM cases c JOIN zones z ON z.id = c.zone_id
     WHERE c.state = 'on_site' AND c.on_site_officers[2] = $1 AND c.presence_confirmed_at IS NULL
       AND c.arrived_at + make_interval(mins => $2) >= $3
     ORDER BY c.arrived_at`,
    [officerId, settings.presenceConfirmMinutes, now.toISOString()],
  );
  return r.rows.map((x) => ({ ...x, arrivalLocation: x.arrivalLocation ? { lat: x.arrivalLocation.lat, lon: x.arrivalLocation.lon } : null }));
}
