import type pg from 'pg';
import type { CatalogueChange } from '../../contract/http/legal.js';
import type { ChecklistItem, ChecklistItemBody, Inspector, InspectorBody } from '../../contract/http/inspections.js';
import { reject, type Rejection } from '../domain/case-lifecycle.js';
import type { InspectorRegistration } from '../domain/inspection-rules.js';
import { inTransaction } from '../../core/db/transaction.js';
import { recordChange } from '../legal/catalogue-admin-repository.js';

/**
 * The published inspection checklist (versions by effective date) and the registered inspectors.
 * Every write goes on the catalogue's change log (`catalogue_changes`, append-only) in the same
 * transaction, as the legal catalogue's do.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;
type Change = { ok: true; change: CatalogueChange };

const ITEM_COLUMNS = `v.code, to_char(v.effective_from, 'YYYY-MM-DD') AS "effectiveFrom", v.matter_code AS "matterCode", v.title, v.title_zh AS "titleZh",
  v.checks, v.checks_zh AS "checksZh", v.legal_basis AS "legalBasis", v.legal_basis_zh AS "legalBasisZh", v.inspector_domain AS "inspectorDomain", v.entity_kinds AS "entityKinds"`;

/** The items in force on a day (the latest version from on or before it, unless it withdraws the item). */
export async function checklistOn(db: Queryable, day: string, code?: string): Promise<ChecklistItem[]> {
  const r = await db.query<ChecklistItem>(
    `SELECT ${ITEM_COLUMNS} FROM inspection_item_versions v
     WHERE v.effective_from = (SELECT max(x.effective_from) FROM inspection_item_versions x WHERE x.code = v.code AND x.effective_from <= $1::date)
       AND NOT v.withdrawn AND ($2::text IS NULL OR v.code = $2) ORDER BY v.code`,
    [day, code ?? null],
  );
  return r.rows;
}

export async function itemVersions(db: Queryable, code: string): Promise<(ChecklistItem & { withdrawn: boolean })[]> {
  const r = await db.query<ChecklistItem & { withdrawn: boolean }>(`SELECT ${ITEM_COLUMNS}, v.withdrawn FROM inspection_item_versions v WHERE v.code = $1 ORDER BY v.effective_from`, [code]);
  return r.rows;
}

/** The change log of one item, without who made the changes (what the public sees). */
export async function itemChanges(db: Queryable, code: string): Promise<{ effectiveFrom: string; changedAt: string; before: unknown; after: unknown; reason: string | null }[]> {
  const r = await db.query<{ effectiveFrom: string; changedAt: string; before: unknown; after: unknown; reason: string | null }>(
    `SELECT to_char(effective_from, 'YYYY-MM-DD') AS "effectiveFrom", changed_at AS "changedAt", before, after, reason
     FROM catalogue_changes WHERE entity = 'inspection_item' AND key = $1 ORDER BY id`,
    [code],
  );
  return r.rows;
}

/**
 * The Chinese texts of a new version: those given, else the previous version's where the English text
 * they translate is unchanged — never a translation of an English text that has changed.
 */
function chineseTexts(body: ChecklistItemBody, before: ChecklistItem | null): Pick<ChecklistItem, 'titleZh' | 'checksZh' | 'legalBasisZh'> {
  const same = (a: readonly string[] | undefined, b: readonly string[]) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
  return {
    titleZh: body.titleZh ?? (before?.title === body.title ? before.titleZh : null),
    checksZh: body.checksZh ?? (same(before?.checks, body.checks) ? before!.checksZh : null),
    legalBasisZh: body.legalBasisZh ?? (before?.legalBasis === body.legalBasis ? before.legalBasisZh : null),
  };
}

/** A version of an item from its effective date (replacing a version of the same date). */
export async function putItem(pool: pg.Pool, code: string, body: ChecklistItemBody, by: string): Promise<Change | Rejection> {
  return inTransaction(pool, async (client) => {
    const matter = await client.query('SELECT 1 FROM matters WHERE code = $1', [body.matterCode]);
    if ((matter.rowCount ?? 0) === 0) return reject(422, 'MATTER_NOT_FOUND', `no matter ${body.matterCode} in the catalogue`);
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inspection_item|${code}`]);
    if (body.checksZh && body.checksZh.length !== body.checks.length) {
      return reject(400, 'VALIDATION', `checksZh has ${body.checksZh.length} checks where checks has ${body.checks.length}: one Chinese text per check, in the same order`);
    }
    const before = (await checklistOn(client, body.effectiveFrom, code))[0] ?? null;
    const zh = chineseTexts(body, before);
    await client.query(
      `INSERT INTO inspection_item_versions (code, effective_from, matter_code, title, checks, legal_basis, inspector_domain, entity_kinds, withdrawn, title_zh, checks_zh, legal_basis_zh)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (code, effective_from) DO UPDATE SET matter_code = $3, title = $4, checks = $5, legal_basis = $6, inspector_domain = $7,
         entity_kinds = $8, withdrawn = $9, title_zh = $10, checks_zh = $11, legal_basis_zh = $12`,
      [code, body.effectiveFrom, body.matterCode, body.title, body.checks, body.legalBasis, body.inspectorDomain, body.entityKinds, body.withdrawn ?? false, zh.titleZh, zh.checksZh, zh.legalBasisZh],
    );
    const after = body.withdrawn ? { code, withdrawn: true } : (await checklistOn(client, body.effectiveFrom, code))[0] ?? null;
    return { ok: true, change: await recordChange(client, { entity: 'inspection_item', key: code, effectiveFrom: body.effectiveFrom, before, after, reason: body.reason, by }) };
  });
}

/**
 * Each inspector's registration in force on `day` (an SQL date expression): the version with the
 * latest `valid_from` on or before it (of equal `valid_from`, the later recorded; it may have ended),
 * or, before any has begun, the first to come.
 */
export const registrationsOn = (day: string) => `(SELECT DISTINCT ON (r.user_id) r.* FROM inspector_registrations r
  ORDER BY r.user_id, r.valid_from <= ${day} DESC, CASE WHEN r.valid_from <= ${day} THEN r.valid_from END DESC, r.valid_from, r.id DESC)`;

const INSPECTOR_COLUMNS = `i.user_id AS "userId", u.display_name AS name, u.name_zh AS "nameZh", u.team_id AS "teamId", i.certificate_no AS "certificateNo",
  to_char(i.valid_from, 'YYYY-MM-DD') AS "validFrom", to_char(i.valid_until, 'YYYY-MM-DD') AS "validUntil", i.items`;

/** The registered inspectors with their registration in force on `day`. */
export async function inspectors(db: Queryable, day: string): Promise<Inspector[]> {
  const r = await db.query<Inspector>(
    `SELECT ${INSPECTOR_COLUMNS}, (i.valid_from <= $1::date AND $1::date <= i.valid_until) AS "validToday"
     FROM ${registrationsOn('$1::date')} i JOIN users u ON u.id = i.user_id ORDER BY i.certificate_no`,
    [day],
  );
  return r.rows;
}

const REGISTRATION_COLUMNS = `i.user_id AS "userId", i.certificate_no AS "certificateNo", to_char(i.valid_from, 'YYYY-MM-DD') AS "validFrom",
  to_char(i.valid_until, 'YYYY-MM-DD') AS "validUntil", i.items`;

/** The user's registration in force on `day` (inspection-rules.ts judges whether it is valid then). */
export async function registration(db: Queryable, userId: string | null, day: string): Promise<InspectorRegistration | null> {
  if (!userId) return null;
  const r = await db.query<InspectorRegistration>(`SELECT ${REGISTRATION_COLUMNS} FROM ${registrationsOn('$2::date')} i WHERE i.user_id = $1`, [userId, day]);
  return r.rows[0] ?? null;
}

/**
 * Registers an inspector or changes the registration (certificate, validity, items) from `validFrom`:
 * a version appended to the history, earlier days keep the version then in force; the same
 * `validFrom` as an earlier version replaces it (how a registration is corrected or cut short).
 */
export async function putInspector(pool: pg.Pool, userId: string, body: InspectorBody, by: string): Promise<Change | Rejection> {
  if (body.validUntil < body.validFrom) return reject(422, 'INVALID_VALIDITY', 'validUntil is before validFrom');
  return inTransaction(pool, async (client) => {
    const user = await client.query<{ role: string }>('SELECT role FROM users WHERE id = $1', [userId]);
    if (!user.rows[0]) return reject(404, 'USER_NOT_FOUND', `no user ${userId}`);
    if (!['officer', 'team_lead'].includes(user.rows[0].role)) return reject(422, 'NOT_AN_OFFICER', `a ${user.rows[0].role} cannot be registered as an inspector`);
    const listed = await client.query<{ code: string }>('SELECT DISTINCT code FROM inspection_item_versions WHERE code = ANY($1)', [body.items]);
    const unknown = body.items.filter((c) => !listed.rows.some((r) => r.code === c));
    if (unknown.length > 0) return reject(422, 'ITEM_NOT_LISTED', `not on the checklist: ${unknown.join(', ')}`);
    const taken = await client.query('SELECT 1 FROM inspector_registrations WHERE certificate_no = $1 AND user_id <> $2', [body.certificateNo, userId]);
    if ((taken.rowCount ?? 0) > 0) return reject(409, 'CERTIFICATE_TAKEN', `certificate ${body.certificateNo} is registered to another inspector`);
    // Serialises changes of one inspector's registrations (the history itself is append-only).
    await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId]);
    const before = await registration(client, userId, body.validFrom);
    const after = (await client.query<InspectorRegistration>(
      `WITH i AS (INSERT INTO inspector_registrations (user_id, certificate_no, valid_from, valid_until, items, reason, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *)
       SELECT ${REGISTRATION_COLUMNS} FROM i`,
      [userId, body.certificateNo, body.validFrom, body.validUntil, body.items, body.reason ?? null, by],
    )).rows[0]!;
    return { ok: true, change: await recordChange(client, { entity: 'inspector', key: userId, effectiveFrom: body.validFrom, before, after, reason: body.reason, by }) };
  });
}
