import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CatalogueChange } from '../../contract/http/legal.js';
import type { CreditComputation, MarketEntity, MarketEntityBody } from '../../contract/http/inspections.js';
import { reject, type Rejection } from '../domain/case-lifecycle.js';
import { creditColour, type CreditPolicy, type CreditRecord } from '../domain/credit.js';
import { inTransaction } from '../../core/db/transaction.js';
import { recordChange } from '../legal/catalogue-admin-repository.js';

/**
 * Market entities (vendors, restaurants, construction sites, boat operators) linked to the parties of
 * cases, and their credit: the record read from the cases naming their party within the lookback
 * window, the colour from the pure rule (domain/credit.ts), every computation kept.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const CREDIT_COLUMNS = `colour, points, record, reasons, trigger, period, computed_at AS "computedAt"`;
const ENTITY_SELECT = `SELECT e.id, e.name, e.name_zh AS "nameZh", e.kind, e.zone_id AS "zoneId", z.name AS "zoneName", z.name_zh AS "zoneNameZh",
  e.address, e.address_zh AS "addressZh", e.party_id AS "partyId",
  (SELECT row_to_json(x) FROM (SELECT ${CREDIT_COLUMNS} FROM entity_credit ec WHERE ec.entity_id = e.id ORDER BY ec.id DESC LIMIT 1) x) AS credit
  FROM market_entities e JOIN zones z ON z.id = e.zone_id`;

export async function entities(db: Queryable, colour?: string): Promise<MarketEntity[]> {
  const r = await db.query<MarketEntity>(`SELECT * FROM (${ENTITY_SELECT}) m WHERE $1::text IS NULL OR m.credit->>'colour' = $1 ORDER BY m.id`, [colour ?? null]);
  return r.rows;
}

export async function entity(db: Queryable, id: string): Promise<MarketEntity | null> {
  return (await db.query<MarketEntity>(`${ENTITY_SELECT} WHERE e.id = $1`, [id])).rows[0] ?? null;
}

export async function creditHistory(db: Queryable, id: string): Promise<CreditComputation[]> {
  return (await db.query<CreditComputation>(`SELECT ${CREDIT_COLUMNS} FROM entity_credit WHERE entity_id = $1 ORDER BY id DESC`, [id])).rows;
}

/** Creates (id null) or changes an entity; the party id arrives normalised. */
export async function putEntity(pool: pg.Pool, id: string | null, body: MarketEntityBody, party: { id: string; idType: string; kind: string } | null, by: string, day: string): Promise<(Change & { id: string }) | Rejection> {
  return inTransaction(pool, async (client) => {
    const zone = await client.query('SELECT 1 FROM zones WHERE id = $1', [body.zoneId]);
    if ((zone.rowCount ?? 0) === 0) return reject(422, 'ZONE_NOT_FOUND', `no zone ${body.zoneId}`);
    if (party) {
      // A party is known once a case names it; an entity may be registered first.
      await client.query(
        `INSERT INTO parties (id, id_type, kind, name, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, now(), now()) ON CONFLICT (id) DO NOTHING`,
        [party.id, party.idType, party.kind, body.name],
      );
    }
    const key = id ?? `me-${randomUUID().slice(0, 8)}`;
    const before = id ? (await entity(client, id)) : null;
    if (id && !before) return reject(404, 'ENTITY_NOT_FOUND', `no market entity ${id}`);
    await client.query(
      // A Chinese text left out is kept only while the English it translates stays the same.
      `INSERT INTO market_entities (id, name, kind, party_id, zone_id, address, name_zh, address_zh) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (id) DO UPDATE SET name = $2, kind = $3, party_id = $4, zone_id = $5, address = $6,
         name_zh = coalesce($7, CASE WHEN market_entities.name = $2 THEN market_entities.name_zh END),
         address_zh = coalesce($8, CASE WHEN market_entities.address IS NOT DISTINCT FROM $6 THEN market_entities.address_zh END)`,
      [key, body.name, body.kind, party?.id ?? null, body.zoneId, body.address ?? null, body.nameZh ?? null, body.addressZh ?? null],
    );
    const after = await entity(client, key);
    const strip = (e: MarketEntity | null) => e && { ...e, credit: undefined };
    return { ok: true, id: key, change: await recordChange(client, { entity: 'market_entity', key, effectiveFrom: day, before: strip(before), after: strip(after), reason: body.reason, by }) };
  });
}
type Change = { ok: true; change: CatalogueChange };

/** The record of each entity (or one) from the cases naming its party whose act lies in the window. */
export async function creditRecords(db: Queryable, since: Date, entityId: string | null): Promise<(CreditRecord & { id: string })[]> {
  const r = await db.query<CreditRecord & { id: string }>(
    `SELECT e.id,
       count(c.id) FILTER (WHERE c.decision_no IS NOT NULL AND EXISTS (SELECT 1 FROM unnest(p.penalties) x WHERE x <> 'no_penalty'))::int AS "decidedCases",
       count(c.id) FILTER (WHERE c.state <> 'dismissed' AND coalesce(c.resolution->>'outcome', '') <> 'no_violation_found'
         AND EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = c.incident_id AND a.device_id IS NOT NULL))::int AS "sensorViolations",
       count(c.id) FILTER (WHERE c.resolution->>'outcome' = 'corrected' OR (c.decision_no IS NOT NULL AND p.penalties = ARRAY['no_penalty']))::int AS corrections,
       0 AS "complaintsUpheld"
     FROM market_entities e
     LEFT JOIN (cases c JOIN incidents i ON i.id = c.incident_id AND i.first_alert_at >= $1)
       ON e.party_id IS NOT NULL AND c.party_id = e.party_id
     LEFT JOIN LATERAL (SELECT penalties FROM case_proposals cp WHERE cp.case_id = c.id ORDER BY cp.revision DESC LIMIT 1) p ON true
     WHERE $2::text IS NULL OR e.id = $2
     GROUP BY e.id ORDER BY e.id`,
    [since.toISOString(), entityId],
  );
  return r.rows;
}

export interface RecomputeOptions {
  trigger: 'schedule' | 'demand';
  period: string;
  by: string | null;
  lookbackDays: number;
  policy: CreditPolicy;
  /** Complaints upheld per entity id; absent entities have none (complaints are not recorded yet). */
  complaintsUpheld?: ReadonlyMap<string, number>;
  now?: Date;
}

/** Computes and records the colour of every entity (or one); returns how many and how many changed colour. */
export async function recomputeCredit(pool: pg.Pool, entityId: string | null, o: RecomputeOptions): Promise<{ computed: number; changed: number }> {
  const now = o.now ?? new Date();
  return inTransaction(pool, async (client) => {
    if (o.trigger === 'schedule') {
      // One scheduled run per period, whichever process gets here first.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`credit|${o.period}`]);
      const done = await client.query(`SELECT 1 FROM entity_credit WHERE trigger = 'schedule' AND period = $1 LIMIT 1`, [o.period]);
      if ((done.rowCount ?? 0) > 0) return { computed: 0, changed: 0 };
    }
    const records = await creditRecords(client, new Date(now.getTime() - o.lookbackDays * 86_400_000), entityId);
    let changed = 0;
    for (const rec of records) {
      const record: CreditRecord = { decidedCases: rec.decidedCases, sensorViolations: rec.sensorViolations, corrections: rec.corrections, complaintsUpheld: o.complaintsUpheld?.get(rec.id) ?? 0 };
      const credit = creditColour(record, o.policy);
      const previous = await client.query<{ colour: string }>('SELECT colour FROM entity_credit WHERE entity_id = $1 ORDER BY id DESC LIMIT 1', [rec.id]);
      if (previous.rows[0]?.colour !== credit.colour) changed++;
      await client.query(
        `INSERT INTO entity_credit (entity_id, colour, points, record, reasons, trigger, period, computed_by, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [rec.id, credit.colour, credit.points, JSON.stringify(record), JSON.stringify(credit.reasons), o.trigger, o.period, o.by, now.toISOString()],
      );
    }
    return { computed: records.length, changed };
  });
}
