import type { Role } from '../../contract/http/auth.js';
import { reject, type Rejection } from './case-lifecycle.js';

/**
 * Who may look up a party (当事人) by its identity number or credit code, and for what. A party's
 * record names a person and their cases across every team, so it is personal data read for a purpose:
 *
 * - officers and team leads for a case they see: the party the case names, or, for a case their own team
 *   holds (not one it works beside the holder team) while it is still being worked (not yet resolved on
 *   site, decided, closed or dismissed), the party they are about to name (the first-violation check and
 *   the discretion tier of a proposal);
 * - reviewers for a case at their review post, the party it names (repeat violations in the review);
 * - the agency head (who answers for the bureau's decisions), with a case or a purpose of their own
 *   (`purpose`: without a case, one must be given);
 * - nobody else: administrators and operators run the platform, not cases; hotline operators follow
 *   complaints.
 *
 * Every lookup, answered or refused, is written to the party access log (migration 42).
 */
export const PARTY_LOOKUP_ROLES = ['officer', 'team_lead', 'reviewer', 'agency_head'] as const satisfies readonly Role[];

/** The case named as the lookup's purpose, as the person asking sees it (null: missing or not theirs). */
export interface LookupCase {
  partyId: string | null;
  state: string;
  /** The case is held by the asker's own team (not one working it beside the holder, `supportTeamId`). */
  ownTeam: boolean;
}

/** States in which a case's party is settled: from then on only that party is looked up through it. */
const SETTLED = new Set(['resolved_on_site', 'decided', 'closed', 'dismissed']);

/**
 * Why this lookup is refused, or undefined when it may go ahead. `caseGiven`: a case id was named;
 * `purpose`: the purpose given (the agency head's own, when no case is named).
 */
export function partyLookupRefusal(role: Role, partyId: string, caseGiven: boolean, found: LookupCase | null, purpose?: string): Rejection | undefined {
  if (caseGiven && !found) return reject(404, 'CASE_NOT_FOUND', 'no such case among those you may see');
  if (role === 'agency_head') {
    return caseGiven || (purpose ?? '').trim() !== '' ? undefined
      : reject(400, 'PARTY_LOOKUP_PURPOSE_REQUIRED', 'a party is looked up for a purpose: name the case (caseId) or say why (purpose)');
  }
  if (!caseGiven || !found) return reject(400, 'PARTY_LOOKUP_CASE_REQUIRED', 'a party is looked up for one of your cases: name it (caseId)');
  if (found.partyId === partyId) return undefined;
  if ((role === 'officer' || role === 'team_lead') && found.ownTeam && !SETTLED.has(found.state)) return undefined;
  return reject(403, 'PARTY_NOT_OF_CASE', 'this case does not name that party');
}
