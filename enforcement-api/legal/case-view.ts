import { Type, type Static } from '@sinclair/typebox';
import type pg from 'pg';
import type { BenchmarkTier } from '../../core/domain/legal-rules.js';
import { actDateOf, benchmarkInForce, boundsInForce } from './catalogue.js';
import type { StatutoryBound } from './statutory-bounds.js';

/** What the case detail shows of the legal catalogue and the steps it records: as in force on the day of the act. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const StatutoryBoundSchema = Type.Object({
  matterCode: Type.String(),
  partyKind: Type.String(),
  effectiveFrom: Type.String({ description: 'first day of this version' }),
  fineRequired: Type.Boolean(),
  minFineYuan: Type.Integer(),
  maxFineYuan: Type.Integer(),
  mandatoryMeasures: Type.Array(Type.String()),
  legalBasis: Type.String(),
});

export const Extension = Type.Object({
  approvedBy: Type.String(),
  reason: Type.String(),
  previousDueAt: Type.String({ format: 'date-time' }),
  newDueAt: Type.String({ format: 'date-time' }),
  at: Type.String({ format: 'date-time' }),
});

export const CaseLegalView = Type.Object({
  actDate: Nullable(Type.String({ description: 'local date of the act (first alert): the catalogue in force that day judges the case' })),
  statutoryBounds: Type.Array(StatutoryBoundSchema, { description: "the law's penalties for the matter per kind of party, in force on the act date" }),
  extensions: Type.Array(Extension, { description: 'decision-deadline extensions approved by the agency head' }),
  presence: Nullable(Type.Object({
    secondOfficer: Type.String(),
    confirmedAt: Nullable(Type.String({ format: 'date-time' })),
    location: Nullable(Type.Unknown()),
  }, { description: 'the second officer on site and their own confirmation' })),
});
export type CaseLegalView = Static<typeof CaseLegalView>;

export async function caseLegalView(db: Pick<pg.Pool, 'query'>, caseId: string, matterCode: string | null, timezone: string): Promise<CaseLegalView & { benchmark: BenchmarkTier[] }> {
  const actDate = await actDateOf(db, caseId, timezone);
  const on = actDate ?? new Date().toISOString().slice(0, 10);
  const bounds: StatutoryBound[] = matterCode ? await boundsInForce(db, matterCode, on) : [];
  const benchmark = matterCode ? await benchmarkInForce(db, matterCode, on) : [];
  const ext = await db.query<Static<typeof Extension>>(
    `SELECT approved_by AS "approvedBy", reason, previous_due_at AS "previousDueAt", new_due_at AS "newDueAt", at FROM case_extensions WHERE case_id = $1 ORDER BY id`,
    [caseId],
  );
  const p = (await db.query<{ officers: string[] | null; confirmedAt: string | null; location: unknown }>(
    'SELECT on_site_officers AS officers, presence_confirmed_at AS "confirmedAt", presence_location AS location FROM cases WHERE id = $1',
    [caseId],
  )).rows[0];
  const second = p?.officers?.[1];
  return {
    actDate,
    statutoryBounds: bounds,
    benchmark,
    extensions: ext.rows,
    presence: second ? { secondOfficer: second, confirmedAt: p!.confirmedAt, location: p!.location ?? null } : null,
  };
}
