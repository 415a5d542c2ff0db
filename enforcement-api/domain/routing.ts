/**
 * Case routing as data + a pure function: the zone gives the street; the matter catalogue gives the
 * handling level and department; a street-level matter goes to the street's integrated team, a
 * district-level one to the district team holding the matter's domain. Nobody → null (fallback queue).
 */
export interface RoutableTeam {
  id: string;
  kind: 'street' | 'district';
  streetId: string | null;
  domains: readonly string[];
}

export interface RoutableMatter {
  handlingLevel: 'street' | 'district';
  domain: string;
}

export interface Route {
  teamId: string | null;
  reason: string;
}

export function routeCase(zoneStreetId: string, matter: RoutableMatter | null, teams: readonly RoutableTeam[]): Route {
  const streetTeam = teams.find((t) => t.kind === 'street' && t.streetId === zoneStreetId);
  if (!matter) {
    return streetTeam
      ? { teamId: streetTeam.id, reason: 'no matter in the catalogue: street team of the zone' }
      : { teamId: null, reason: 'no matter and no street team for the zone' };
  }
  if (matter.handlingLevel === 'district') {
    const districtTeam = teams.find((t) => t.kind === 'district' && t.domains.includes(matter.domain));
    if (districtTeam) return { teamId: districtTeam.id, reason: `district team for ${matter.domain}` };
    return streetTeam
      ? { teamId: streetTeam.id, reason: `no district team for ${matter.domain}: street team as first responder` }
      : { teamId: null, reason: `no team for ${matter.domain}` };
  }
  return streetTeam
    ? { teamId: streetTeam.id, reason: 'street team of the zone (delegated power)' }
    : { teamId: null, reason: 'no street team for the zone' };
}
