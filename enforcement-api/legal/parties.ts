import type pg from 'pg';
import type { Party, PartyCase } from '../../contract/http/legal.js';

/**
 * Parties (当事人) as an entity: one row per normalised identifier, written when a case names the
 * party (on-site resolution, decision proposal), and their history across every case — what the
 * first-violation rule and the later credit work read.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

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
