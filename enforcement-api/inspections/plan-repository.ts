import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PublicPlan } from '../../contract/http/inspections.js';
import { reject, type Rejection } from '../domain/case-lifecycle.js';
import { commitmentOf, drawPlan, type DrawInputs } from '../domain/draw.js';
import { periodKey, periodRange } from '../domain/credit.js';
import { inTransaction } from '../../core/db/transaction.js';
import { checklistOn, registrationsOn } from './checklist-repository.js';

/**
 * Random inspection plans: at creation the inputs (entities of the colour, checklist items in force,
 * certified inspectors) and the SHA-256 of a fresh seed are fixed and published; the draw publishes
 * the seed and its result (domain/draw.ts) and creates the planned inspections.
 */

export interface PlanRates {
  yellow: { rate: number; period: 'quarter' | 'month' };
  red: { rate: number; period: 'quarter' | 'month' };
}

const PLAN_SELECT = `SELECT p.id, p.number::int AS number, p.colour, p.period, to_char(p.period_from, 'YYYY-MM-DD') AS "periodFrom",
  to_char(p.period_to, 'YYYY-MM-DD') AS "periodTo", p.rate, 'hmac-sha256-bernoulli-fisher-yates-v1' AS algorithm, p.created_at AS "createdAt",
  p.commitment, p.inputs, coalesce((SELECT json_object_agg(e.id, e.name) FROM market_entities e
    WHERE e.id IN (SELECT x->>'id' FROM jsonb_array_elements(p.inputs->'population') x)), '{}'::json) AS "entityNames",
  coalesce((SELECT json_object_agg(e.id, e.name_zh) FROM market_entities e
    WHERE e.name_zh IS NOT NULL AND e.id IN (SELECT x->>'id' FROM jsonb_array_elements(p.inputs->'population') x)), '{}'::json) AS "entityNamesZh",
  p.seed, p.drawn_at AS "drawnAt", p.draw->'selected' AS selected
  FROM inspection_plans p`;

export async function publicPlans(db: Pick<pg.Pool, 'query'>, id?: string): Promise<PublicPlan[]> {
  // The seed stays secret until the draw: it is selected only once drawn_at is set.
  const r = await db.query<PublicPlan>(
    `SELECT * FROM (${PLAN_SELECT.replace('p.seed,', 'CASE WHEN p.drawn_at IS NULL THEN NULL ELSE p.seed END AS seed,')} WHERE $1::text IS NULL OR p.id = $1) x ORDER BY x.number DESC`,
    [id ?? null],
  );
  return r.rows;
}

export async function createPlan(pool: pg.Pool, colour: 'yellow' | 'red', on: Date, day: string, rates: PlanRates, by: string): Promise<{ ok: true; id: string } | Rejection> {
  const { rate, period } = rates[colour];
  // The period of the district's day, not of the UTC one.
  const dayStart = new Date(`${day}T00:00:00Z`);
  const key = periodKey(period, dayStart);
  const range = periodRange(period, dayStart);
  return inTransaction(pool, async (client) => {
    const exists = await client.query('SELECT id FROM inspection_plans WHERE colour = $1 AND period = $2', [colour, key]);
    if ((exists.rowCount ?? 0) > 0) return reject(409, 'PLAN_EXISTS', `the ${colour} plan of ${key} exists already`);
    const population = await client.query<{ id: string; kind: string }>(
      `SELECT e.id, e.kind FROM market_entities e
       WHERE (SELECT ec.colour FROM entity_credit ec WHERE ec.entity_id = e.id ORDER BY ec.id DESC LIMIT 1) = $1 ORDER BY e.id`,
      [colour],
    );
    const items = (await checklistOn(client, day)).map((i) => ({ code: i.code, entityKinds: i.entityKinds }));
    const inspectors = await client.query<{ certificateNo: string; items: string[] }>(
      `SELECT certificate_no AS "certificateNo", items FROM ${registrationsOn('$1::date')} i WHERE valid_from <= $1::date AND valid_until >= $1::date ORDER BY certificate_no`,
      [day],
    );
    const inputs: DrawInputs = { population: population.rows, items, inspectors: inspectors.rows };
    const seed = randomBytes(32).toString('hex');
    const id = randomUUID();
    await client.query(
      `INSERT INTO inspection_plans (id, colour, period, period_from, period_to, rate, inputs, commitment, seed, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [id, colour, key, range.from, range.to, rate, JSON.stringify(inputs), commitmentOf(seed), seed, by, on.toISOString()],
    );
    return { ok: true, id };
  });
}

/** Publishes the seed, draws, and creates the drawn inspections assigned to the drawn inspectors. */
export async function drawPlanNow(pool: pg.Pool, id: string, by: string, now = new Date()): Promise<{ ok: true; created: number } | Rejection> {
  return inTransaction(pool, async (client) => {
    const plan = (await client.query<{ seed: string; rate: number; inputs: DrawInputs; drawnAt: Date | null }>(
      `SELECT seed, rate, inputs, drawn_at AS "drawnAt" FROM inspection_plans WHERE id = $1 FOR UPDATE`, [id],
    )).rows[0];
    if (!plan) return reject(404, 'PLAN_NOT_FOUND', `no plan ${id}`);
    if (plan.drawnAt) return reject(409, 'PLAN_DRAWN', `the plan was drawn at ${plan.drawnAt.toISOString()}`);
    const result = drawPlan(id, plan.seed, plan.rate, plan.inputs);
    await client.query('UPDATE inspection_plans SET drawn_at = $2, draw = $3 WHERE id = $1', [id, now.toISOString(), JSON.stringify(result)]);
    let created = 0;
    for (const d of result.selected) {
      if (d.unstaffed || !d.itemCode) continue;
      const users = await client.query<{ userId: string }>(
        `SELECT "userId" FROM (SELECT DISTINCT ON (certificate_no) user_id AS "userId", certificate_no FROM inspector_registrations WHERE certificate_no = ANY($1)
         ORDER BY certificate_no, id DESC) r ORDER BY array_position($1, certificate_no)`, [d.inspectors],
      );
      await client.query(
        `INSERT INTO inspections (id, plan_id, entity_id, item_code, reason, assigned, state, created_by, created_at)
         VALUES ($1, $2, $3, $4, 'random', $5, 'planned', $6, $7)`,
        [randomUUID(), id, d.entityId, d.itemCode, users.rows.map((u) => u.userId), by, now.toISOString()],
      );
      created++;
    }
    return { ok: true, created };
  });
}
