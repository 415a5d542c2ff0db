import type pg from 'pg';
import type { CaseLegalView, Extension } from '../../contract/http/cases.js';
import { localDate } from '../domain/legal-rules.js';
import { actDateOf, benchmarkInForce, boundsInForce } from './catalogue.js';

/** What the case detail shows of the legal catalogue and the steps it records: as in force on the day of the act. */

export async function caseLegalView(db: Pick<pg.Pool, 'query'>, caseId: string, matterCode: string | null, timezone: string): Promise<CaseLegalView> {
  const actDate = await actDateOf(db, caseId, timezone);
  const on = actDate ?? localDate(new Date(), timezone);
  const bounds = matterCode ? await boundsInForce(db, matterCode, on) : [];
  const benchmark = matterCode ? await benchmarkInForce(db, matterCode, on) : [];
  const ext = await db.query<Extension>(
    `SELECT approved_by AS "approvedBy", reason, previous_due_at AS "previousDueAt", new_due_at AS "newDueAt",
       collective_discussion AS "collectiveDiscussion", at FROM case_extensions WHERE case_id = $1 ORDER BY id`,
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
