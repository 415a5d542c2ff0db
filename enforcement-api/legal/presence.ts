import type pg from 'pg';
import type { Position } from '../../contract/http/legal.js';
import { reject, type Actor, type Rejection } from '../domain/case-lifecycle.js';
import { maySeeCase } from '../domain/jurisdiction.js';
import { certificateProblem, localDate, type LegalSettings } from '../domain/legal-rules.js';
import { certificatesOf } from '../cases/legal-repository.js';
import { inTransaction } from '../../core/db/transaction.js';
import { appendEvent } from '../cases/events.js';
import { appendLiveEvent } from '../live.js';
import { lockPresence, markPresenceConfirmed } from './presence-repository.js';

export { presenceRequests } from './presence-repository.js';

/**
 * Two officers, both present (Administrative Penalty Law art. 42): the officer who arrives names the
 * second one, who then confirms from their own session, with their position, within
 * PRESENCE_CONFIRM_MIN of the arrival and within PRESENCE_MAX_DISTANCE_M of it. Until then the case
 * does not count as handled by two officers (SECOND_OFFICER_UNCONFIRMED in legal-rules.ts).
 */

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function distanceM(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

export type { Position };
export type PresenceOutcome = Rejection | { ok: true; created: boolean; confirmedAt: string; distanceM: number | null };

/** The second officer's confirmation, in one transaction with its case event and live event. */
export async function confirmPresence(pool: pg.Pool, caseId: string, actor: Actor, at: Position, settings: LegalSettings, now = new Date()): Promise<PresenceOutcome> {
  if (actor.role !== 'officer' && actor.role !== 'team_lead') return reject(403, 'FORBIDDEN', `a ${actor.role} is not an enforcement officer`);
  return inTransaction(pool, async (client) => {
    const c = await lockPresence(client, caseId);
    const named = c?.onSiteOfficers?.[1] === actor.id;
    // The named officer may be of another team: being named is their access to this one step.
    if (!c || (!named && !maySeeCase(actor, c))) return reject(404, 'CASE_NOT_FOUND', 'no such case');
    if (!named) return reject(422, 'NOT_SECOND_OFFICER', `only the second officer named on arrival (${c.onSiteOfficers?.[1] ?? 'none'}) confirms presence`);
    if (c.state !== 'on_site') return reject(409, 'INVALID_TRANSITION', `presence is confirmed while the case is on_site, not ${c.state}`);
    const distance = c.arrivalLocation ? distanceM(c.arrivalLocation, at) : null;
    if (c.confirmedAt) return { ok: true, created: false, confirmedAt: c.confirmedAt.toISOString(), distanceM: distance };
    const deadline = (c.arrivedAt?.getTime() ?? 0) + settings.presenceConfirmMinutes * 60_000;
    if (now.getTime() > deadline) {
      return reject(422, 'PRESENCE_WINDOW_PASSED', `presence is confirmed within ${settings.presenceConfirmMinutes} minutes of the arrival; it passed at ${new Date(deadline).toISOString()}`);
    }
    if (distance !== null && distance > settings.presenceMaxDistanceM) {
      return reject(422, 'TOO_FAR_FROM_ARRIVAL', `your position is ${Math.round(distance)} m from the arrival position (at most ${settings.presenceMaxDistanceM} m)`);
    }
    // Certified on the day of the confirmation too (the version of the certificate in force that day).
    if (c.penaltyDomain !== null) {
      const problem = certificateProblem(actor.id, (await certificatesOf(client, [actor.id])).get(actor.id), c.penaltyDomain, localDate(now, settings.timezone));
      if (problem) return reject(422, 'OFFICER_NOT_CERTIFIED', `on-site enforcement needs two officers with valid certificates: ${problem}`);
    }
    const when = now.toISOString();
    await markPresenceConfirmed(client, caseId, when, at);
    await appendEvent(client, caseId, actor.id, 'presence_confirmed', { location: at, distanceM: distance === null ? null : Math.round(distance), onSiteOfficers: c.onSiteOfficers }, when);
    await appendLiveEvent(client, { type: 'case.updated', teamId: c.teamId, caseId, reason: 'presence_confirmed', state: c.state, review: c.inReview, reviewPostId: c.reviewPostId });
    return { ok: true, created: true, confirmedAt: when, distanceM: distance };
  });
}
