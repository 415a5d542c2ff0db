import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Case } from '../../contract/http/cases.js';
import type { AdHocBody, Inspection, OpenBody, PublicResult, Refusal, ResultBody } from '../../contract/http/inspections.js';
import type { Position } from '../../contract/http/legal.js';
import { reject, type Actor, type Rejection } from '../domain/case-lifecycle.js';
import { openingRefusal } from '../domain/inspection-rules.js';
import { routeCase, type RoutableTeam } from '../domain/routing.js';
import { inTransaction } from '../../core/db/transaction.js';
import { appendEvent } from '../cases/events.js';
import { openReportDeadlines } from '../cases/deadlines.js';
import { appendLiveEvent } from '../live.js';
import { distanceM } from '../legal/presence.js';
import { checklistOn, registration } from './checklist.js';

/**
 * Inspections from planned (drawn or assigned) to closed: the opening checked by the rules of
 * domain/inspection-rules.ts (a refusal is recorded in `inspection_refusals`), the second inspector's
 * confirmation from their own session, the result, and a follow-up case opened from the findings.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export interface InspectionSettings {
  repeatDays: number;
  confirmMinutes: number;
  maxDistanceM: number;
}

const SELECT = `SELECT s.id, s.number::int AS number, s.plan_id AS "planId", p.number::int AS "planNumber", s.entity_id AS "entityId",
  e.name AS "entityName", e.kind AS "entityKind", z.name AS "zoneName", e.address, s.item_code AS "itemCode", s.reason,
  s.complaint_ref AS "complaintRef", s.justifying_case_id AS "justifyingCaseId", s.state,
  coalesce((SELECT json_agg(json_build_object('userId', u.id, 'name', u.display_name, 'certificateNo', i.certificate_no) ORDER BY a.n)
    FROM unnest(s.assigned) WITH ORDINALITY a(uid, n) JOIN users u ON u.id = a.uid LEFT JOIN inspectors i ON i.user_id = u.id), '[]'::json) AS assigned,
  s.lead_inspector AS "leadInspector", s.second_inspector AS "secondInspector", s.opened_at AS "openedAt",
  CASE WHEN s.state = 'opened' THEN s.opened_at + make_interval(mins => $1::int) END AS "confirmBy",
  s.second_confirmed_at AS "secondConfirmedAt", s.outcome, s.findings, s.summary, s.follow_up_case_id AS "followUpCaseId",
  s.closed_at AS "closedAt", s.created_at AS "createdAt"
  FROM inspections s JOIN market_entities e ON e.id = s.entity_id JOIN zones z ON z.id = e.zone_id LEFT JOIN inspection_plans p ON p.id = s.plan_id`;

type Row = Omit<Inspection, 'item'>;

async function withItems(db: Queryable, rows: Row[], day: string): Promise<Inspection[]> {
  const items = new Map((await checklistOn(db, day)).map((i) => [i.code, i]));
  return rows.map((r) => ({ ...r, item: items.get(r.itemCode) ?? null }));
}

/**
 * Who sees an inspection: an officer those they are assigned to or inspect; a team lead those of their
 * team (an assigned or inspecting officer of it); operators and admins all. `me` the parameter holding
 * the viewer's id when only their own, `team` the one holding the team when only the team's.
 */
const visible = (me: string, team: string) => `(${me}::text IS NULL OR ${me} = ANY(s.assigned) OR s.lead_inspector = ${me} OR s.second_inspector = ${me})
  AND (${team}::text IS NULL OR EXISTS (SELECT 1 FROM users tu WHERE tu.team_id = ${team}
    AND (tu.id = ANY(s.assigned) OR tu.id = s.lead_inspector OR tu.id = s.second_inspector)))`;
const visibility = (viewer: Actor, mine = false): [string | null, string | null] => [
  mine || viewer.role === 'officer' ? viewer.id : null,
  viewer.role === 'team_lead' ? viewer.teamId ?? '' : null,
];

export async function listInspections(db: Queryable, viewer: Actor, q: { state?: string; mine?: boolean }, s: InspectionSettings, day: string): Promise<Inspection[]> {
  const r = await db.query<Row>(
    `${SELECT} WHERE ($2::text IS NULL OR s.state = $2) AND ${visible('$3', '$4')}
     ORDER BY CASE s.state WHEN 'opened' THEN 0 WHEN 'in_progress' THEN 1 WHEN 'planned' THEN 2 ELSE 3 END, s.number DESC LIMIT 500`,
    [s.confirmMinutes, q.state ?? null, ...visibility(viewer, q.mine === true)],
  );
  return withItems(db, r.rows, day);
}

export async function getInspection(db: Queryable, id: string, viewer: Actor, s: InspectionSettings, day: string): Promise<Inspection | null> {
  const r = await db.query<Row>(`${SELECT} WHERE s.id = $2 AND ${visible('$3', '$4')}`, [s.confirmMinutes, id, ...visibility(viewer)]);
  const row = r.rows[0];
  return row ? (await withItems(db, [row], day))[0]! : null;
}

/** Whether the viewer sees the inspection (the rule of `visible`). */
async function sees(db: Queryable, id: string, viewer: Actor): Promise<boolean> {
  const r = await db.query(`SELECT 1 FROM inspections s WHERE s.id = $1 AND ${visible('$2', '$3')}`, [id, ...visibility(viewer)]);
  return (r.rowCount ?? 0) > 0;
}

export async function recordRefusal(db: Queryable, userId: string, r: Rejection, what: { inspectionId?: string | null; entityId?: string | null; itemCode?: string | null }): Promise<void> {
  await db.query(
    `INSERT INTO inspection_refusals (at, user_id, inspection_id, entity_id, item_code, code, message) VALUES (now(), $1, $2, $3, $4, $5, $6)`,
    [userId, what.inspectionId ?? null, what.entityId ?? null, what.itemCode ?? null, r.code, r.message],
  );
}

export async function refusals(db: Queryable, limit: number): Promise<Refusal[]> {
  const r = await db.query<Refusal>(
    `SELECT id::int, at, user_id AS "userId", inspection_id AS "inspectionId", entity_id AS "entityId", item_code AS "itemCode", code, message
     FROM inspection_refusals ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return r.rows;
}

type Opening = { ok: true; id: string } | Rejection;

/**
 * Opens an inspection: a planned one (`id`) or one on the spot for a complaint or a case (`adHoc`).
 * The checks and the write happen in one transaction holding the entity's lock.
 */
export async function openInspection(pool: pg.Pool, actor: Actor, target: { id: string; body: OpenBody } | { adHoc: AdHocBody }, s: InspectionSettings, day: string, now = new Date()): Promise<Opening> {
  return inTransaction(pool, async (client): Promise<Opening> => {
    let planned: { id: string; entityId: string; itemCode: string; state: string; assigned: string[]; reason: string } | undefined;
    const body: OpenBody = 'adHoc' in target ? target.adHoc : target.body;
    if ('id' in target) {
      planned = (await client.query<{ id: string; entityId: string; itemCode: string; state: string; assigned: string[]; reason: string }>(
        `SELECT id, entity_id AS "entityId", item_code AS "itemCode", state, assigned, reason FROM inspections WHERE id = $1 FOR UPDATE`, [target.id],
      )).rows[0];
      if (!planned || !(await sees(client, planned.id, actor))) return reject(404, 'INSPECTION_NOT_FOUND', 'no such inspection');
      if (planned.state !== 'planned') return reject(409, 'INSPECTION_NOT_PLANNED', `the inspection is ${planned.state}`);
    }
    const entityId = planned?.entityId ?? ('adHoc' in target ? target.adHoc.entityId : '');
    const itemCode = planned?.itemCode ?? ('adHoc' in target ? target.adHoc.itemCode : '');
    if ('adHoc' in target && target.adHoc.reason === 'complaint' && !target.adHoc.complaintRef) return reject(400, 'COMPLAINT_REF_REQUIRED', 'an inspection for a complaint names the complaint (complaintRef)');
    if ('adHoc' in target && target.adHoc.reason === 'case' && !target.adHoc.justifyingCaseId) return reject(400, 'CASE_REQUIRED', 'an inspection for a case names the case (justifyingCaseId)');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inspection|${entityId}|${itemCode}`]);
    const entity = (await client.query<{ id: string; kind: string; partyId: string | null }>('SELECT id, kind, party_id AS "partyId" FROM market_entities WHERE id = $1', [entityId])).rows[0];
    if (!entity) return reject(404, 'ENTITY_NOT_FOUND', `no market entity ${entityId}`);
    const last = await client.query<{ at: Date }>(`SELECT max(opened_at) AS at FROM inspections WHERE entity_id = $1 AND item_code = $2 AND opened_at IS NOT NULL`, [entityId, itemCode]);
    const justifying = body.justifyingCaseId
      ? (await client.query<{ id: string; partyId: string | null; state: string }>('SELECT id, party_id AS "partyId", state FROM cases WHERE id = $1', [body.justifyingCaseId])).rows[0] ?? null
      : null;
    if (body.justifyingCaseId && !justifying) return reject(422, 'CASE_NOT_FOUND', `no case ${body.justifyingCaseId}`);
    const refusal = openingRefusal({
      day, itemCode, now,
      item: (await checklistOn(client, day, itemCode))[0] ?? null,
      entity,
      lead: { userId: actor.id, registration: await registration(client, actor.id) },
      second: { userId: body.secondInspectorId, registration: await registration(client, body.secondInspectorId) },
      assigned: planned?.assigned ?? [],
      lastOpenedAt: last.rows[0]?.at ?? null,
      repeatDays: s.repeatDays,
      justifyingCase: justifying,
    });
    if (refusal) return refusal;
    const id = planned?.id ?? randomUUID();
    const at = now.toISOString();
    if (planned) {
      await client.query(
        `UPDATE inspections SET state = 'opened', lead_inspector = $2, second_inspector = $3, opened_at = $4, opened_location = $5, justifying_case_id = $6 WHERE id = $1`,
        [id, actor.id, body.secondInspectorId, at, JSON.stringify(body.location), body.justifyingCaseId ?? null],
      );
    } else if ('adHoc' in target) {
      const a = target.adHoc;
      await client.query(
        `INSERT INTO inspections (id, entity_id, item_code, reason, justifying_case_id, complaint_ref, assigned, state, lead_inspector, second_inspector,
           opened_at, opened_location, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'opened', $8, $9, $10, $11, $8, $10)`,
        [id, entityId, itemCode, a.reason, a.justifyingCaseId ?? null, a.complaintRef ?? null, [actor.id, a.secondInspectorId], actor.id, a.secondInspectorId, at, JSON.stringify(a.location)],
      );
    }
    return { ok: true, id };
  });
}

/** The second inspector confirms presence from their own session, near the opening position and in time. */
export async function confirmSecond(pool: pg.Pool, id: string, actor: Actor, at: Position, s: InspectionSettings, now = new Date()): Promise<{ ok: true; distanceM: number | null } | Rejection> {
  return inTransaction(pool, async (client) => {
    const r = (await client.query<{ state: string; second: string | null; openedAt: Date | null; location: Position | null }>(
      `SELECT state, second_inspector AS second, opened_at AS "openedAt", opened_location AS location FROM inspections WHERE id = $1 FOR UPDATE`, [id],
    )).rows[0];
    if (!r || r.second !== actor.id) return reject(404, 'INSPECTION_NOT_FOUND', 'no inspection names you as its second inspector');
    if (r.state !== 'opened') return reject(409, 'INSPECTION_NOT_OPENED', `the inspection is ${r.state}`);
    const deadline = (r.openedAt?.getTime() ?? 0) + s.confirmMinutes * 60_000;
    if (now.getTime() > deadline) return reject(422, 'PRESENCE_WINDOW_PASSED', `presence is confirmed within ${s.confirmMinutes} minutes of the opening`);
    const d = r.location ? distanceM(r.location, at) : null;
    if (d !== null && d > s.maxDistanceM) return reject(422, 'TOO_FAR_FROM_OPENING', `your position is ${Math.round(d)} m from where the inspection was opened (at most ${s.maxDistanceM} m)`);
    await client.query(`UPDATE inspections SET state = 'in_progress', second_confirmed_at = $2 WHERE id = $1`, [id, now.toISOString()]);
    return { ok: true, distanceM: d === null ? null : Math.round(d) };
  });
}

/** The result with its findings: by either inspector, once both are confirmed present. */
export async function recordResult(pool: pg.Pool, id: string, actor: Actor, body: ResultBody, now = new Date()): Promise<{ ok: true } | Rejection> {
  return inTransaction(pool, async (client) => {
    const r = (await client.query<{ state: string; lead: string | null; second: string | null }>(
      `SELECT state, lead_inspector AS lead, second_inspector AS second FROM inspections WHERE id = $1 FOR UPDATE`, [id],
    )).rows[0];
    if (!r || (r.lead !== actor.id && r.second !== actor.id)) return reject(404, 'INSPECTION_NOT_FOUND', 'no inspection you are inspecting');
    if (r.state === 'opened') return reject(422, 'TWO_INSPECTORS_REQUIRED', 'the second inspector has not confirmed presence yet');
    if (r.state !== 'in_progress') return reject(409, 'INSPECTION_NOT_IN_PROGRESS', `the inspection is ${r.state}`);
    const failed = body.findings.filter((f) => !f.compliant).length;
    if (body.outcome === 'compliant' && failed > 0) return reject(422, 'OUTCOME_CONTRADICTS_FINDINGS', `${failed} finding(s) are not compliant`);
    if (body.outcome === 'violations' && failed === 0) return reject(422, 'OUTCOME_CONTRADICTS_FINDINGS', 'violations need at least one finding that is not compliant');
    await client.query(
      `UPDATE inspections SET state = 'closed', outcome = $2, findings = $3, summary = $4, closed_at = $5 WHERE id = $1`,
      [id, body.outcome, JSON.stringify(body.findings), body.summary ?? null, now.toISOString()],
    );
    return { ok: true };
  });
}

/**
 * A follow-up case from the violations found: a case of the item's matter in the entity's zone, its
 * party the entity's, routed like an alert's, the findings its first evidence record.
 */
export async function openFollowUpCase(pool: pg.Pool, id: string, actor: Actor, note: string | undefined, day: string, now = new Date()): Promise<{ ok: true; caseId: string; number: number; teamId: string | null } | Rejection> {
  return inTransaction(pool, async (client) => {
    const s = (await client.query<{ state: string; lead: string | null; second: string | null; outcome: string | null; caseId: string | null; entityId: string;
      entityName: string; zoneId: string; partyId: string | null; itemCode: string; findings: unknown; number: number; streetId: string; openedAt: Date | null }>(
      `SELECT s.state, s.lead_inspector AS lead, s.second_inspector AS second, s.outcome, s.follow_up_case_id AS "caseId", s.entity_id AS "entityId",
         e.name AS "entityName", e.zone_id AS "zoneId", e.party_id AS "partyId", s.item_code AS "itemCode", s.findings, s.number::int AS number,
         si.street_id AS "streetId", s.opened_at AS "openedAt"
       FROM inspections s JOIN market_entities e ON e.id = s.entity_id JOIN zones z ON z.id = e.zone_id JOIN sites si ON si.id = z.site_id
       WHERE s.id = $1 FOR UPDATE OF s`, [id],
    )).rows[0];
    if (!s || (s.lead !== actor.id && s.second !== actor.id)) return reject(404, 'INSPECTION_NOT_FOUND', 'no inspection you inspected');
    if (s.state !== 'closed' || s.outcome !== 'violations') return reject(409, 'NO_VIOLATIONS_RECORDED', 'a follow-up case is opened from a result with violations');
    if (s.caseId) return reject(409, 'CASE_ALREADY_OPENED', `case ${s.caseId} follows this inspection`);
    const item = (await checklistOn(client, day, s.itemCode))[0];
    const matter = (await client.query<{ code: string; handlingLevel: 'street' | 'district'; domain: string; slaMinutes: number }>(
      `SELECT code, handling_level AS "handlingLevel", domain, sla_minutes AS "slaMinutes" FROM matters WHERE code = $1`, [item?.matterCode ?? ''],
    )).rows[0] ?? null;
    const teams = await client.query<RoutableTeam>('SELECT id, kind, street_id AS "streetId", domains FROM teams');
    const route = routeCase(s.streetId, matter, teams.rows);
    const at = (s.openedAt ?? now).toISOString();
    const alertId = `inspection-${id}`;
    const incidentId = randomUUID();
    const caseId = randomUUID();
    const title = `Inspection #${s.number}: ${item?.title ?? s.itemCode} — ${s.entityName}`;
    await client.query(`INSERT INTO incidents (id, kind, zone_id, first_alert_at, last_alert_at, alert_count) VALUES ($1, 'inspection', $2, $3, $3, 1)`, [incidentId, s.zoneId, at]);
    await client.query(
      `INSERT INTO alerts (id, kind, zone_id, device_id, started_at, detected_at, evidence, incident_id) VALUES ($1, 'inspection', $2, NULL, $3, $3, $4, $5)`,
      [alertId, s.zoneId, at, JSON.stringify({ summary: title, inspectionId: id, inspectionNumber: s.number, itemCode: s.itemCode, findings: s.findings, note: note ?? null, inspectors: [s.lead, s.second] }), incidentId],
    );
    const state = route.teamId ? 'dispatched' : 'reported';
    await client.query(
      `INSERT INTO cases (id, incident_id, kind, zone_id, matter_code, team_id, state, title, sla_due_at, state_changed_at, dispatched_at, party_id)
       VALUES ($1, $2, 'inspection', $3, $4, $5, $6, $7, CASE WHEN $8::int IS NULL THEN NULL ELSE now() + make_interval(mins => $8::int) END,
         now(), CASE WHEN $6 = 'dispatched' THEN now() END, $9)`,
      [caseId, incidentId, s.zoneId, matter?.code ?? null, route.teamId, state, title, matter?.slaMinutes ?? null, s.partyId],
    );
    await openReportDeadlines(client, caseId);
    await appendEvent(client, caseId, actor.id, 'reported', { inspectionId: id, entityId: s.entityId, itemCode: s.itemCode, findings: s.findings, note: note ?? null });
    if (route.teamId) await appendEvent(client, caseId, 'system', 'dispatched', { teamId: route.teamId, reason: route.reason });
    else await appendEvent(client, caseId, 'system', 'unroutable', { reason: route.reason });
    await client.query('UPDATE inspections SET follow_up_case_id = $2 WHERE id = $1', [id, caseId]);
    const opened = await client.query<Case>(
      `SELECT c.id, c.number::int AS number, c.incident_id AS "incidentId", c.kind, c.zone_id AS "zoneId", z.name AS "zoneName", c.matter_code AS "matterCode",
         c.team_id AS "teamId", c.state, c.title, c.sla_due_at AS "slaDueAt", c.created_at AS "createdAt", c.updated_at AS "updatedAt", 1 AS "alertCount",
         c.assigned_to AS "assignedTo", c.state_changed_at AS "stateChangedAt", c.review_submitted_at AS "reviewSubmittedAt", c.dismissal_reason AS "dismissalReason",
         c.on_site_officers AS "onSiteOfficers", c.filed_at AS "filedAt", c.decision_due_at AS "decisionDueAt", c.decided_late AS "decidedLate",
         c.review_post_id AS "reviewPostId", c.review_level AS "reviewLevel", c.party_id AS "partyId", c.resolution
       FROM cases c JOIN zones z ON z.id = c.zone_id WHERE c.id = $1`, [caseId],
    );
    await appendLiveEvent(client, { type: 'case.opened', teamId: route.teamId, case: opened.rows[0]! });
    return { ok: true, caseId, number: opened.rows[0]!.number, teamId: route.teamId };
  });
}

/** Closed inspections as published: entity, item, outcome, findings, follow-up case number; nobody's name or id. */
export async function publicResults(db: Queryable, day: string, limit: number): Promise<PublicResult[]> {
  const r = await db.query<Omit<PublicResult, 'itemTitle' | 'findings'> & { findings: { check: string; compliant: boolean; note?: string }[] | null }>(
    `SELECT s.number::int AS number, p.number::int AS "planNumber", e.id AS "entityId", e.name AS "entityName", e.kind AS "entityKind",
       s.item_code AS "itemCode", s.reason, s.opened_at AS "openedAt", s.closed_at AS "closedAt", s.outcome, s.findings, s.summary,
       c.number::int AS "followUpCaseNumber"
     FROM inspections s JOIN market_entities e ON e.id = s.entity_id LEFT JOIN inspection_plans p ON p.id = s.plan_id
     LEFT JOIN cases c ON c.id = s.follow_up_case_id
     WHERE s.state = 'closed' ORDER BY s.closed_at DESC LIMIT $1`,
    [limit],
  );
  const titles = new Map((await checklistOn(db, day)).map((i) => [i.code, i.title]));
  return r.rows.map((x) => ({ ...x, itemTitle: titles.get(x.itemCode) ?? null, findings: (x.findings ?? []).map((f) => ({ check: f.check, compliant: f.compliant, note: f.note ?? null })) }));
}
