import type pg from 'pg';
import type { Party, PartyCase, PartyLookup } from '../../contract/http/legal.js';
import { inTransaction } from '../../core/db/transaction.js';
import type { Actor, Rejection } from '../domain/case-lifecycle.js';
import { partyLookupRefusal } from '../domain/party-access.js';
import { lookupCase, lookupLog, partyById, partyHistory, recordLookup, type Queryable } from './parties.js';

/**
 * Looking up a party by identifier, as domain/party-access.ts allows it, with a row in the party access
 * log (`party_lookups`, append-only) for every lookup, answered or refused, written in the same
 * transaction as the read: no answer leaves without its trace.
 */

export interface LookupRequest {
  /** The normalised identifier. */
  partyId: string;
  caseId?: string;
  purpose?: string;
}

type Route = PartyLookup['route'];
type Answer<T> = { ok: true; value: T | null } | Rejection;

export class PartyLookups {
  constructor(private readonly pool: pg.Pool) {}

  /** A party and its cases across every team (null: no such party). */
  party(actor: Actor, r: LookupRequest): Promise<Answer<{ party: Party; cases: PartyCase[] }>> {
    return this.lookUp(actor, r, 'party', async (db) => {
      const party = await partyById(db, r.partyId);
      return party ? { party, cases: await partyHistory(db, r.partyId) } : null;
    });
  }

  /** The party's newest 50 cases, across teams (none for an unknown party). */
  cases(actor: Actor, r: LookupRequest): Promise<Answer<PartyCase[]>> {
    return this.lookUp(actor, r, 'cases', (db) => partyHistory(db, r.partyId, 50));
  }

  /** The access log, newest first. */
  log(q: { partyId?: string; userId?: string; limit: number }): Promise<PartyLookup[]> {
    return lookupLog(this.pool, q);
  }

  private lookUp<T>(actor: Actor, r: LookupRequest, route: Route, read: (db: Queryable) => Promise<T | null>): Promise<Answer<T>> {
    return inTransaction(this.pool, async (client) => {
      const found = r.caseId === undefined ? null : await lookupCase(client, actor, r.caseId);
      const refusal = partyLookupRefusal(actor.role, r.partyId, r.caseId !== undefined, found, r.purpose);
      const value = refusal ? null : await read(client);
      const outcome = refusal ? refusal.code : Array.isArray(value) ? (value.length ? 'shown' : 'not_found') : value ? 'shown' : 'not_found';
      await recordLookup(client, { userId: actor.id, role: actor.role, partyId: r.partyId, caseId: r.caseId ?? null, purpose: r.purpose ?? null, route, outcome });
      return refusal ?? { ok: true, value };
    });
  }
}
