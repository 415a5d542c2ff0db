import { describe, expect, it } from 'vitest';
import { routeCase, routeWithSupport, type RoutableTeam } from '../../enforcement-api/domain/routing.js';

const teams: RoutableTeam[] = [
  { id: 't-east', kind: 'street', streetId: 's-east', domains: ['ecology', 'emergency'] },
  { id: 't-river', kind: 'street', streetId: 's-river', domains: ['ecology', 'emergency'] },
  { id: 't-fish', kind: 'district', streetId: null, domains: ['fisheries'] },
  { id: 't-emergency', kind: 'district', streetId: null, domains: ['emergency'] },
];

describe('case routing', () => {
  it('sends a street-level matter to the zone’s street team', () => {
    expect(routeCase('s-east', { handlingLevel: 'street', domain: 'ecology' }, teams).teamId).toBe('t-east');
    expect(routeCase('s-river', { handlingLevel: 'street', domain: 'ecology' }, teams).teamId).toBe('t-river');
  });

  it('sends a district-level matter to the district team of its domain', () => {
    expect(routeCase('s-river', { handlingLevel: 'district', domain: 'fisheries' }, teams).teamId).toBe('t-fish');
  });

  it('falls back to the street team as first responder when no district team holds the domain', () => {
    const r = routeCase('s-river', { handlingLevel: 'district', domain: 'culture_market' }, teams);
    expect(r.teamId).toBe('t-river');
    expect(r.reason).toMatch(/first responder/);
  });

  it('returns no team (the fallback queue) when nobody can take the case', () => {
    expect(routeCase('s-unknown', { handlingLevel: 'street', domain: 'ecology' }, teams).teamId).toBeNull();
    expect(routeCase('s-unknown', { handlingLevel: 'district', domain: 'mining' }, teams).teamId).toBeNull();
    expect(routeCase('s-unknown', null, teams).teamId).toBeNull();
    expect(routeCase('s-east', null, teams).teamId).toBe('t-east');
  });

  it('brings in the district team of a matter\'s support domain beside the team holding the case', () => {
    const intrusion = { handlingLevel: 'street' as const, domain: 'emergency', supportDomain: 'emergency' };
    expect(routeWithSupport('s-river', intrusion, teams)).toMatchObject({ teamId: 't-river', supportTeamId: 't-emergency' });
    // Smoke: handled by emergency management itself, so no second team.
    expect(routeWithSupport('s-east', { handlingLevel: 'district', domain: 'emergency', supportDomain: 'emergency' }, teams)).toMatchObject({ teamId: 't-emergency', supportTeamId: null });
    expect(routeWithSupport('s-east', { handlingLevel: 'street', domain: 'ecology' }, teams).supportTeamId).toBeNull();
    expect(routeWithSupport('s-east', intrusion, teams.filter((t) => t.id !== 't-emergency')).supportTeamId).toBeNull();
  });
});
