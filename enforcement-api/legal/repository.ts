import type pg from 'pg';
import type { Actor } from '../domain/case-lifecycle.js';
import { localDate, type LegalSettings } from '../domain/legal-rules.js';
import { CatalogueAdmin } from './catalogue-admin.js';
import { benchmarkInForce, benchmarkVersions, boundsInForce, boundsVersions } from './catalogue.js';
import type { BenchmarkTier } from '../domain/legal-rules.js';
import { PartyLookups } from './party-lookups.js';
import { confirmPresence, presenceRequests, type Position, type PresenceOutcome } from './presence.js';
import type { PresenceRequest } from '../../contract/http/legal.js';
import type { StatutoryBound } from './statutory-bounds.js';

/** The legal catalogue, parties and presence confirmations behind one object the API takes. */
export class LegalRepository {
  readonly catalogue: CatalogueAdmin;
  /** Parties looked up by identifier, on the party access log. */
  readonly parties: PartyLookups;

  constructor(
    private readonly pool: pg.Pool,
    readonly settings: LegalSettings,
  ) {
    this.catalogue = new CatalogueAdmin(pool, settings.timezone);
    this.parties = new PartyLookups(pool);
  }

  /** Today's date on the district's calendar (the legal rules' timezone). */
  today(now = new Date()): string {
    return localDate(now, this.settings.timezone);
  }

  boundsInForce(matterCode: string | null, on: string): Promise<StatutoryBound[]> {
    return boundsInForce(this.pool, matterCode, on);
  }

  benchmarkInForce(matterCode: string | null, on: string): Promise<BenchmarkTier[]> {
    return benchmarkInForce(this.pool, matterCode, on);
  }

  async versions(matterCode: string): Promise<{ boundsVersions: StatutoryBound[]; benchmarkVersions: BenchmarkTier[] }> {
    return { boundsVersions: await boundsVersions(this.pool, matterCode), benchmarkVersions: await benchmarkVersions(this.pool, matterCode) };
  }

  presenceRequests(officerId: string): Promise<PresenceRequest[]> {
    return presenceRequests(this.pool, officerId, this.settings);
  }

  confirmPresence(caseId: string, actor: Actor, at: Position): Promise<PresenceOutcome> {
    return confirmPresence(this.pool, caseId, actor, at, this.settings);
  }
}
