import { describe, expect, it } from 'vitest';
import { partyLookupRefusal } from '../../enforcement-api/domain/party-access.js';

const P = '320102198805050013';
const OTHER = '11010519491231002X';
const code = (...a: Parameters<typeof partyLookupRefusal>) => partyLookupRefusal(...a)?.code;

describe('who may look up a party, for what', () => {
  it.each(['officer', 'team_lead'] as const)('a %s: their case’s party; any while the case is worked; none without a case', (role) => {
    expect(code(role, P, false, null)).toBe('PARTY_LOOKUP_CASE_REQUIRED');
    expect(code(role, P, true, null)).toBe('CASE_NOT_FOUND');
    expect(code(role, P, true, { partyId: P, state: 'closed', ownTeam: true })).toBeUndefined();
    for (const state of ['resolved_on_site', 'decided', 'closed', 'dismissed']) expect(code(role, OTHER, true, { partyId: P, state, ownTeam: true }), state).toBe('PARTY_NOT_OF_CASE');
    for (const state of ['accepted', 'on_site', 'decision_proposed', 'returned']) expect(code(role, OTHER, true, { partyId: null, state, ownTeam: true }), state).toBeUndefined();
    // A case their team works beside the team holding it: only the party it names.
    expect(code(role, OTHER, true, { partyId: null, state: 'accepted', ownTeam: false })).toBe('PARTY_NOT_OF_CASE');
    expect(code(role, P, true, { partyId: P, state: 'accepted', ownTeam: false })).toBeUndefined();
  });

  it('a reviewer: only the party the case at their post names', () => {
    expect(code('reviewer', P, false, null)).toBe('PARTY_LOOKUP_CASE_REQUIRED');
    expect(code('reviewer', P, true, { partyId: P, state: 'under_review', ownTeam: false })).toBeUndefined();
    expect(code('reviewer', OTHER, true, { partyId: P, state: 'under_review', ownTeam: false })).toBe('PARTY_NOT_OF_CASE');
  });

  it('the agency head: with a case, or without one for a purpose they give, but not a case that is not there', () => {
    expect(code('agency_head', OTHER, false, null, 'complaint about an officer')).toBeUndefined();
    expect(code('agency_head', OTHER, false, null)).toBe('PARTY_LOOKUP_PURPOSE_REQUIRED');
    expect(code('agency_head', OTHER, false, null, '  ')).toBe('PARTY_LOOKUP_PURPOSE_REQUIRED');
    expect(code('agency_head', OTHER, true, { partyId: P, state: 'closed', ownTeam: true })).toBeUndefined();
    expect(code('agency_head', P, true, null)).toBe('CASE_NOT_FOUND');
  });
});
