import { Type, type Static } from '@sinclair/typebox';
import type pg from 'pg';
import { PARTY_ID_TYPES } from './party-ids.js';

/**
 * Parties (当事人) as an entity: one row per normalised identifier, written when a case names the
 * party (on-site resolution, decision proposal), and their history across every case — what the
 * first-violation rule and the later credit work read.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const Party = Type.Object({
  id: Type.String({ description: 'normalised identifier' }),
  idType: Type.Union(PARTY_ID_TYPES.map((t) => Type.Literal(t))),
  kind: Type.Union([Type.Literal('individual'), Type.Literal('unit')]),
  name: Nullable(Type.String()),
  firstSeenAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
});
export type Party = Static<typeof Party>;

export const PartyCase = Type.Object({
  caseId: Type.String(),
  number: Type.Integer(),
  matterCode: Nullable(Type.String()),
  state: Type.String(),
  actAt: Type.String({ format: 'date-time', description: 'the first alert of the case (when the act occurred)' }),
  outcome: Nullable(Type.String({ description: 'corrected / warning_issued / … on site, or the decided penalties' })),
  fineYuan: Nullable(Type.Integer()),
  decisionNo: Nullable(Type.String()),
});
export type PartyCase = Static<typeof PartyCase>;

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

/** Every case naming the party, oldest act first, with how it ended. */
export async function partyHistory(db: Queryable, id: string): Promise<PartyCase[]> {
  const r = await db.query<PartyCase>(
    `SELECT c.id AS "caseId", c.number::int AS number, c.matter_code AS "matterCode", c.state, i.first_alert_at AS "actAt",
       coalesce(c.resolution->>'outcome', array_to_string(p.penalties, ',')) AS outcome, p.fine_yuan AS "fineYuan", c.decision_no AS "decisionNo"
     FROM cases c JOIN incidents i ON i.id = c.incident_id
     LEFT JOIN LATERAL (SELECT penalties, fine_yuan FROM case_proposals cp WHERE cp.case_id = c.id ORDER BY cp.revision DESC LIMIT 1) p ON true
     WHERE c.party_id = $1 ORDER BY i.first_alert_at, c.number`,
    [id],
  );
  return r.rows;
}
