import type pg from 'pg';
import type { Case } from '../../contract/http/cases.js';
import type { AdHocBody, Inspection, OpenBody, PublicResult, Refusal, ResultBody } from '../../contract/http/inspections.js';
import type { Position } from '../../contract/http/legal.js';
import type { Actor, Rejection } from '../domain/case-lifecycle.js';
import type { RoutableTeam } from '../domain/routing.js';
import { caseCondition } from '../domain/jurisdiction.js';
import { checklistOn } from './checklist-repository.js';

/**
 * Inspections' SQL: the lists and one inspection as the viewer may see them, refusals, published
 * results, and the reads and writes of the steps workflow.ts takes them through in one transaction.
 */

export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export interface InspectionSettings {
  repeatDays: number;
  confirmMinutes: number;
  maxDistanceM: number;
}

const SELECT = `SELECT s.id, s.number::int AS number, s.plan_id AS "planId", p.number::int AS "planNumber", s.entity_id AS "entityId",
  e.name AS "entityName", e.name_zh AS "entityNameZh", e.kind AS "entityKind", z.name AS "zoneName", z.name_zh AS "zoneNameZh",
  e.address, e.address_zh AS "addressZh", s.item_code AS "itemCode", s.reason,
  s.complaint_ref AS "complaintRef", s.justifying_case_id AS "justifyingCaseId", s.state,
  coalesce((SELECT json_agg(json_build_object('userId', u.id, 'name', u.display_name, 'nameZh', u.name_zh, 'certificateNo', i.certificate_no) ORDER BY a.n)
    FROM unnest(s.assigned) WITH ORDINALITY a(uid, n) JOIN users u ON u.id = a.uid
    LEFT JOIN LATERAL (SELECT r.certificate_no FROM inspector_registrations r WHERE r.user_id = u.id
      ORDER BY r.valid_from <= coalesce(s.opened_at, s.created_at)::date DESC, r.valid_from DESC, r.id DESC LIMIT 1) i ON true), '[]'::json) AS assigned,
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
export async function sees(db: Queryable, id: string, viewer: Actor): Promise<boolean> {
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

/** A planned inspection, locked for its opening. */
export async function plannedForUpdate(db: Queryable, id: string) {
  return (await db.query<{ id: string; entityId: string; itemCode: string; state: string; assigned: string[]; reason: string }>(
    `SELECT id, entity_id AS "entityId", item_code AS "itemCode", state, assigned, reason FROM inspections WHERE id = $1 FOR UPDATE`, [id],
  )).rows[0];
}

/** Serialises openings of one entity's item, until the transaction ends. */
export async function lockOpening(db: Queryable, entityId: string, itemCode: string): Promise<void> {
  await db.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inspection|${entityId}|${itemCode}`]);
}

export async function entityForOpening(db: Queryable, entityId: string) {
  return (await db.query<{ id: string; kind: string; partyId: string | null }>('SELECT id, kind, party_id AS "partyId" FROM market_entities WHERE id = $1', [entityId])).rows[0];
}

/** When the entity's item was last inspected (opened). */
export async function lastOpenedAt(db: Queryable, entityId: string, itemCode: string): Promise<Date | null> {
  const last = await db.query<{ at: Date }>(`SELECT max(opened_at) AS at FROM inspections WHERE entity_id = $1 AND item_code = $2 AND opened_at IS NOT NULL`, [entityId, itemCode]);
  return last.rows[0]?.at ?? null;
}

/** The case an inspection is opened for: its party and state. */
/**
 * The case named to justify an inspection, when the actor may see it (domain/jurisdiction.ts): another
 * team's case is null exactly as a missing one is, so naming ids tells nobody which cases exist.
 */
export async function justifyingCase(db: Queryable, caseId: string, actor: Actor) {
  const params: unknown[] = [caseId];
  const visible = caseCondition(actor, params, 'c');
  return (await db.query<{ id: string; partyId: string | null; state: string }>(`SELECT c.id, c.party_id AS "partyId", c.state FROM cases c WHERE c.id = $1 AND ${visible}`, params)).rows[0] ?? null;
}

export async function markOpened(db: Queryable, id: string, leadId: string, body: OpenBody, at: string): Promise<void> {
  await db.query(
    `UPDATE inspections SET state = 'opened', lead_inspector = $2, second_inspector = $3, opened_at = $4, opened_location = $5, justifying_case_id = $6 WHERE id = $1`,
    [id, leadId, body.secondInspectorId, at, JSON.stringify(body.location), body.justifyingCaseId ?? null],
  );
}

export async function insertOpenedAdHoc(db: Queryable, id: string, leadId: string, a: AdHocBody, at: string): Promise<void> {
  await db.query(
    `INSERT INTO inspections (id, entity_id, item_code, reason, justifying_case_id, complaint_ref, assigned, state, lead_inspector, second_inspector,
       opened_at, opened_location, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'opened', $8, $9, $10, $11, $8, $10)`,
    [id, a.entityId, a.itemCode, a.reason, a.justifyingCaseId ?? null, a.complaintRef ?? null, [leadId, a.secondInspectorId], leadId, a.secondInspectorId, at, JSON.stringify(a.location)],
  );
}

/** An inspection's state and inspectors, locked for a step on it. */
export async function stepForUpdate(db: Queryable, id: string) {
  return (await db.query<{ state: string; lead: string | null; second: string | null; openedAt: Date | null; location: Position | null }>(
    `SELECT state, lead_inspector AS lead, second_inspector AS second, opened_at AS "openedAt", opened_location AS location FROM inspections WHERE id = $1 FOR UPDATE`, [id],
  )).rows[0];
}

export async function markInProgress(db: Queryable, id: string, at: string): Promise<void> {
  await db.query(`UPDATE inspections SET state = 'in_progress', second_confirmed_at = $2 WHERE id = $1`, [id, at]);
}

export async function close(db: Queryable, id: string, body: ResultBody, at: string): Promise<void> {
  await db.query(
    `UPDATE inspections SET state = 'closed', outcome = $2, findings = $3, summary = $4, closed_at = $5 WHERE id = $1`,
    [id, body.outcome, JSON.stringify(body.findings), body.summary ?? null, at],
  );
}

/** What a follow-up case is made from: the inspection, its entity, zone and street, locked. */
export async function followUpSourceForUpdate(db: Queryable, id: string) {
  return (await db.query<{ state: string; lead: string | null; second: string | null; outcome: string | null; caseId: string | null; entityId: string;
    entityName: string; entityNameZh: string | null; zoneId: string; partyId: string | null; itemCode: string; findings: unknown; number: number; streetId: string; openedAt: Date | null }>(
    `SELECT s.state, s.lead_inspector AS lead, s.second_inspector AS second, s.outcome, s.follow_up_case_id AS "caseId", s.entity_id AS "entityId",
       e.name AS "entityName", e.name_zh AS "entityNameZh", e.zone_id AS "zoneId", e.party_id AS "partyId", s.item_code AS "itemCode", s.findings, s.number::int AS number,
       si.street_id AS "streetId", s.opened_at AS "openedAt"
     FROM inspections s JOIN market_entities e ON e.id = s.entity_id JOIN zones z ON z.id = e.zone_id JOIN sites si ON si.id = z.site_id
     WHERE s.id = $1 FOR UPDATE OF s`, [id],
  )).rows[0];
}

/** The matter of a checklist item, and the teams a case of it may be routed to. */
export async function routing(db: Queryable, matterCode: string | null): Promise<{ matter: { code: string; handlingLevel: 'street' | 'district'; domain: string; slaMinutes: number } | null; teams: RoutableTeam[] }> {
  const matter = (await db.query<{ code: string; handlingLevel: 'street' | 'district'; domain: string; slaMinutes: number }>(
    `SELECT code, handling_level AS "handlingLevel", domain, sla_minutes AS "slaMinutes" FROM matters WHERE code = $1`, [matterCode ?? ''],
  )).rows[0] ?? null;
  const teams = await db.query<RoutableTeam>('SELECT id, kind, street_id AS "streetId", domains FROM teams');
  return { matter, teams: teams.rows };
}

/** The follow-up case's incident, its alert (the findings) and the case itself, linked from the inspection. */
export async function insertFollowUpCase(db: Queryable, c: {
  caseId: string; incidentId: string; alertId: string; zoneId: string; at: string; title: string; titleZh: string; evidence: Record<string, unknown>;
  matterCode: string | null; slaMinutes: number | null; teamId: string | null; state: 'dispatched' | 'reported'; partyId: string | null;
}): Promise<void> {
  await db.query(`INSERT INTO incidents (id, kind, zone_id, first_alert_at, last_alert_at, alert_count) VALUES ($1, 'inspection', $2, $3, $3, 1)`, [c.incidentId, c.zoneId, c.at]);
  await db.query(
    `INSERT INTO alerts (id, kind, zone_id, device_id, started_at, detected_at, evidence, incident_id) VALUES ($1, 'inspection', $2, NULL, $3, $3, $4, $5)`,
    [c.alertId, c.zoneId, c.at, JSON.stringify(c.evidence), c.incidentId],
  );
  await db.query(
    `INSERT INTO cases (id, incident_id, kind, zone_id, matter_code, team_id, state, title, sla_due_at, state_changed_at, dispatched_at, party_id, title_zh)
     VALUES ($1, $2, 'inspection', $3, $4, $5, $6, $7, CASE WHEN $8::int IS NULL THEN NULL ELSE now() + make_interval(mins => $8::int) END,
       now(), CASE WHEN $6 = 'dispatched' THEN now() END, $9, $10)`,
    [c.caseId, c.incidentId, c.zoneId, c.matterCode, c.teamId, c.state, c.title, c.slaMinutes, c.partyId, c.titleZh],
  );
}

export async function linkFollowUpCase(db: Queryable, id: string, caseId: string): Promise<void> {
  await db.query('UPDATE inspections SET follow_up_case_id = $2 WHERE id = $1', [id, caseId]);
}

/** The follow-up case as the live stream announces it. */
export async function openedCase(db: Queryable, caseId: string): Promise<Case> {
  const opened = await db.query<Case>(
    `SELECT c.id, c.number::int AS number, c.incident_id AS "incidentId", c.kind, c.zone_id AS "zoneId", z.name AS "zoneName", c.matter_code AS "matterCode",
       c.team_id AS "teamId", c.state, c.title, c.sla_due_at AS "slaDueAt", c.created_at AS "createdAt", c.updated_at AS "updatedAt", 1 AS "alertCount",
       c.assigned_to AS "assignedTo", c.state_changed_at AS "stateChangedAt", c.review_submitted_at AS "reviewSubmittedAt", c.dismissal_reason AS "dismissalReason",
       c.on_site_officers AS "onSiteOfficers", c.filed_at AS "filedAt", c.decision_due_at AS "decisionDueAt", c.decided_late AS "decidedLate",
       c.review_post_id AS "reviewPostId", c.review_level AS "reviewLevel", c.party_id AS "partyId", c.resolution
     FROM cases c JOIN zones z ON z.id = c.zone_id WHERE c.id = $1`, [caseId],
  );
  return opened.rows[0]!;
}

/** Closed inspections as published: entity, item, outcome, findings, follow-up case number; nobody's name or id. */
export async function publicResults(db: Queryable, day: string, limit: number): Promise<PublicResult[]> {
  const r = await db.query<Omit<PublicResult, 'itemTitle' | 'itemTitleZh' | 'findings'> & { findings: { check: string; compliant: boolean; note?: string }[] | null }>(
    `SELECT s.number::int AS number, p.number::int AS "planNumber", e.id AS "entityId", e.name AS "entityName", e.name_zh AS "entityNameZh", e.kind AS "entityKind",
       s.item_code AS "itemCode", s.reason, s.opened_at AS "openedAt", s.closed_at AS "closedAt", s.outcome, s.findings, s.summary,
       c.number::int AS "followUpCaseNumber"
     FROM inspections s JOIN market_entities e ON e.id = s.entity_id LEFT JOIN inspection_plans p ON p.id = s.plan_id
     LEFT JOIN cases c ON c.id = s.follow_up_case_id
     WHERE s.state = 'closed' ORDER BY s.closed_at DESC LIMIT $1`,
    [limit],
  );
  const items = new Map((await checklistOn(db, day)).map((i) => [i.code, i]));
  return r.rows.map((x) => ({ ...x, itemTitle: items.get(x.itemCode)?.title ?? null, itemTitleZh: items.get(x.itemCode)?.titleZh ?? null, findings: (x.findings ?? []).map((f) => ({ check: f.check, compliant: f.compliant, note: f.note ?? null })) }));
}
