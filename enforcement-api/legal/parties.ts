import type pg from 'pg';
import type { Party, PartyCase, PartyLookup } from '../../contract/http/legal.js';
import type { Actor } from '../domain/case-lifecycle.js';
import { caseCondition } from '../domain/jurisdiction.js';
import type { LookupCase } from '../domain/party-access.js';

/**
 * Parties (当事人) as an entity: one row per normalised identifier, written when a case names the
 * party (on-site resolution, decision proposal), and their history across every case — what the
 * first-violation rule and the later credit work read; and the party access log of lookups.
 */

export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Records (or refreshes) the party a transition names; fields carry the normalised id and its type. */
export async function recordParty(
  client: pg.PoolClient,
  fields: { partyId?: string; partyIdType?: string; partyKind?: 'individual' | 'unit' },
  name: string | null,
  at: string,
): Promise<void> {
  if (fields.partyId === undefined) return;
  await client.query(
    `INSERT INTO parties (id, id_type, kind, name, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (id) DO UPDATE SET last_seen_at = greatest(parties.last_seen_at, EXCLUDED.last_seen_at), name = coalesce(EXCLUDED.name, parties.name)`,
    [fields.partyId, fields.partyIdType ?? 'resident_id', fields.partyKind ?? 'individual', name, at],
  );
}

export async function partyById(db: Queryable, id: string): Promise<Party | null> {
  const r = await db.query<Party>(
    `SELECT id, id_type AS "idType", kind, name, first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt" FROM parties WHERE id = $1`,
    [id],
  );
  return r.rows[0] ?? null;
}

/** Every case naming the party (the newest `limit` when given), oldest act first, with how it ended. */
export async function partyHistory(db: Queryable, id: string, limit: number | null = null): Promise<PartyCase[]> {
  const r = await db.query<PartyCase>(
    `SELECT * FROM (
       SELECT c.id AS "caseId", c.number::int AS number, c.matter_code AS "matterCode", c.state, c.team_id AS "teamId",
         c.created_at AS "createdAt", i.first_alert_at AS "actAt", p.party,
         coalesce(c.resolution->>'outcome', array_to_string(p.penalties, ',')) AS outcome, coalesce(p.penalties, '{}') AS penalties,
         p.fine_yuan AS "fineYuan", c.decision_no AS "decisionNo"
       FROM cases c JOIN incidents i ON i.id = c.incident_id
       LEFT JOIN LATERAL (SELECT party, penalties, fine_yuan FROM case_proposals cp WHERE cp.case_id = c.id ORDER BY cp.revision DESC LIMIT 1) p ON true
       WHERE c.party_id = $1 ORDER BY i.first_alert_at DESC, c.number DESC LIMIT $2) h
     ORDER BY "actAt", number`,
    [id, limit],
  );
  return r.rows;
}

/** The case named as a party lookup's purpose, as the actor sees it (jurisdiction): null when missing or not theirs. */
export async function lookupCase(db: Queryable, actor: Actor, caseId: string): Promise<LookupCase | null> {
  const params: unknown[] = [caseId];
  const visible = caseCondition(actor, params, 'c');
  params.push(actor.teamId);
  return (await db.query<LookupCase>(
    `SELECT c.party_id AS "partyId", c.state, coalesce(c.team_id = $${params.length}::text, false) AS "ownTeam" FROM cases c WHERE c.id = $1 AND ${visible}`, params,
  )).rows[0] ?? null;
}

/** One row of the party access log (`party_lookups`, append-only). */
export async function recordLookup(db: Queryable, l: Omit<PartyLookup, 'id' | 'at'>): Promise<void> {
  await db.query(
    `INSERT INTO party_lookups (user_id, role, party_id, case_id, purpose, route, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [l.userId, l.role, l.partyId, l.caseId, l.purpose, l.route, l.outcome],
  );
}

/** The party access log, newest first, of one party or one person when given. */
export async function lookupLog(db: Queryable, q: { partyId?: string; userId?: string; limit: number }): Promise<PartyLookup[]> {
  const r = await db.query<PartyLookup>(
    `SELECT id::int AS id, at, user_id AS "userId", role, party_id AS "partyId", case_id AS "caseId", purpose, route, outcome
     FROM party_lookups WHERE ($1::text IS NULL OR party_id = $1) AND ($2::text IS NULL OR user_id = $2) ORDER BY id DESC LIMIT $3`,
    [q.partyId ?? null, q.userId ?? null, q.limit],
  );
  return r.rows;
}
