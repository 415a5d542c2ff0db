/**
 * Case routing as data + a pure function: the zone gives the street; the matter catalogue gives the
 * handling level and department; a street-level matter goes to the street's integrated team, a
 * district-level one to the district team holding the matter's domain. Nobody → null (fallback queue).
 * A matter with a support domain (a safety incident: intrusion at the water's edge) also brings in
 * the district team holding that domain (emergency management), which works the case beside the team
 * holding it (jurisdiction.ts lets it see and act on the case).
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
  /** A district team of this domain works the case too. */
  supportDomain?: string | null;
}

export interface Route {
  teamId: string | null;
  reason: string;
  supportTeamId?: string | null;
}

/** The case's route with its support team: the district team of the matter's support domain, if it is not the team holding it. */
export function routeWithSupport(zoneStreetId: string, matter: RoutableMatter | null, teams: readonly RoutableTeam[]): Route & { supportTeamId: string | null } {
  const route = routeCase(zoneStreetId, matter, teams);
  const domain = matter?.supportDomain ?? null;
  if (!domain) return { ...route, supportTeamId: null };
  const support = teams.find((t) => t.kind === 'district' && t.domains.includes(domain) && t.id !== route.teamId);
  if (!support) return { ...route, supportTeamId: null };
  return { ...route, supportTeamId: support.id, reason: `${route.reason}; with the district team for ${domain}` };
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
