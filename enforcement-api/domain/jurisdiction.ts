import type { Role } from '../../contract/http/auth.js';
import type { LiveEvent } from '../../contract/http/live.js';

/**
 * Jurisdiction, written once: who may see (and so act on) a case, and through it the case's alerts,
 * evidence, events and live-stream messages; and whose devices' readings a person may read. Each rule
 * is a predicate (for a row already in hand, and the state machine) and the SQL condition that selects
 * the same rows (for lists and lookups); test/integration/jurisdiction.test.ts checks on the database
 * that the two agree for random people, teams, posts and cases.
 *
 * - admins and operators (the district operations centre) see every case, including the fallback
 *   queue (no team) and alerts that opened none;
 * - officers and team leads their own team's cases, and the cases their team supports (a safety
 *   incident handled by the street team with the district's emergency management team beside it);
 * - reviewers the cases submitted for legal review to their own post;
 * - the agency head (who approves deadline extensions) everything the operations centre sees;
 * - hotline operators no case and no reading: they follow complaints (enforcement-api/complaints/);
 * - nobody else anything; another team's case looks exactly like a missing one.
 */

/** Who is asking, as the access token says. */
export interface Viewer {
  role: Role;
  teamId: string | null;
  /** A reviewer's legal review post. */
  reviewPostId?: string | null;
}

/** What jurisdiction needs to know of a case. */
export interface CaseReach {
  teamId: string | null;
  /** The team that works the case beside the one holding it (e.g. emergency management on an intrusion). */
  supportTeamId?: string | null;
  /** Submitted for legal review at least once. */
  inReview: boolean;
  /** The review post it was last submitted to. */
  reviewPostId: string | null;
}

/** The predicate: may this person see this case? */
export function maySeeCase(v: Viewer, c: CaseReach): boolean {
  switch (v.role) {
    case 'admin':
    case 'operator':
    case 'agency_head':
      return true;
    case 'officer':
    case 'team_lead':
      return v.teamId !== null && (c.teamId === v.teamId || (c.supportTeamId ?? null) === v.teamId);
    case 'reviewer':
      return c.inReview && c.reviewPostId !== null && c.reviewPostId === (v.reviewPostId ?? null);
    case 'hotline':
      return false;
    default: {
      const never: never = v.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

/**
 * The same rule as SQL: a condition over a `cases` row called `alias` (it may be NULL from an outer
 * join: then only admins and operators see it). Values are appended to `params` and bound.
 */
export function caseCondition(v: Viewer, params: unknown[], alias = 'c'): string {
  switch (v.role) {
    case 'admin':
    case 'operator':
    case 'agency_head':
      return 'TRUE';
    case 'officer':
    case 'team_lead':
      if (v.teamId === null) return 'FALSE';
      params.push(v.teamId);
      return `(${alias}.team_id = $${params.length} OR ${alias}.support_team_id = $${params.length})`;
    case 'reviewer':
      if (!v.reviewPostId) return 'FALSE';
      params.push(v.reviewPostId);
      return `(${alias}.review_submitted_at IS NOT NULL AND ${alias}.review_post_id = $${params.length})`;
    case 'hotline':
      return 'FALSE';
    default: {
      const never: never = v.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

/** An alert is seen with its case; one that opened no case only by admins, operators and the agency head. */
export function maySeeAlert(v: Viewer, caseOfAlert: CaseReach | null): boolean {
  return caseOfAlert === null ? v.role === 'admin' || v.role === 'operator' || v.role === 'agency_head' : maySeeCase(v, caseOfAlert);
}
/** The alert rule as SQL, over alerts LEFT JOIN cases `alias`: the case condition covers both. */
export const alertCondition = caseCondition;

/**
 * A live-stream message goes to whoever may see the case after the change, and, for a case dispatched
 * away, to the team that had it (it left their inbox).
 */
export function mayReceive(v: Viewer, e: LiveEvent): boolean {
  const after: CaseReach = e.type === 'case.updated'
    ? { teamId: e.teamId, supportTeamId: e.supportTeamId ?? null, inReview: e.review === true, reviewPostId: e.reviewPostId ?? null }
    : { teamId: e.teamId, supportTeamId: e.case.supportTeamId, inReview: false, reviewPostId: null };
  if (maySeeCase(v, after)) return true;
  return e.type === 'case.updated' && e.previousTeamId !== undefined && maySeeCase(v, { teamId: e.previousTeamId, inReview: false, reviewPostId: null });
}

/** The viewer's team as readings' jurisdiction needs it. */
export interface TeamReach {
  kind: string;
  streetId: string | null;
}

/**
 * Readings: admins, operators and reviewers read any device; officers and team leads the devices in
 * their street's zones, district teams the whole district. `team` is the viewer's team (null: none).
 */
export function mayReadDevice(v: Viewer, team: TeamReach | null, deviceStreetId: string): boolean {
  switch (v.role) {
    case 'admin':
    case 'operator':
    case 'reviewer':
    case 'agency_head':
      return true;
    case 'officer':
    case 'team_lead':
      return team !== null && (team.kind === 'district' || (team.streetId !== null && team.streetId === deviceStreetId));
    case 'hotline':
      return false;
    default: {
      const never: never = v.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}

/** The readings rule as SQL, given the SQL expression of the device's street. */
export function deviceCondition(v: Viewer, params: unknown[], deviceStreet: string): string {
  switch (v.role) {
    case 'admin':
    case 'operator':
    case 'reviewer':
    case 'agency_head':
      return 'TRUE';
    case 'officer':
    case 'team_lead':
      if (v.teamId === null) return 'FALSE';
      params.push(v.teamId);
      return `EXISTS (SELECT 1 FROM teams jt WHERE jt.id = $${params.length} AND (jt.kind = 'district' OR jt.street_id = ${deviceStreet}))`;
    case 'hotline':
      return 'FALSE';
    default: {
      const never: never = v.role;
      throw new Error(`unknown role ${String(never)}`);
    }
  }
}
