import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { AdHocBody, OpenBody, ResultBody } from '../../contract/http/inspections.js';
import type { Position } from '../../contract/http/legal.js';
import { inTransaction } from '../../core/db/transaction.js';
import { reject, type Actor, type Rejection } from '../domain/case-lifecycle.js';
import { openingRefusal } from '../domain/inspection-rules.js';
import { routeCase } from '../domain/routing.js';
import { appendEvent } from '../cases/events.js';
import { openReportDeadlines } from '../cases/deadlines.js';
import { appendLiveEvent } from '../live.js';
import { distanceM } from '../legal/presence.js';
import { checklistOn, registration } from './checklist-repository.js';
import * as repo from './inspection-repository.js';
import type { InspectionSettings } from './inspection-repository.js';

/**
 * Inspections from planned (drawn or assigned) to closed: the opening checked by the rules of
 * domain/inspection-rules.ts (a refusal is recorded in `inspection_refusals`), the second inspector's
 * confirmation from their own session, the result, and a follow-up case opened from the findings.
 * Each step reads and writes through the repositories inside one transaction.
 */

type Opening = { ok: true; id: string } | Rejection;

/**
 * Opens an inspection: a planned one (`id`) or one on the spot for a complaint or a case (`adHoc`).
 * The checks and the write happen in one transaction holding the entity's lock.
 */
export async function openInspection(pool: pg.Pool, actor: Actor, target: { id: string; body: OpenBody } | { adHoc: AdHocBody }, s: InspectionSettings, day: string, now = new Date()): Promise<Opening> {
  return inTransaction(pool, async (client): Promise<Opening> => {
    let planned: Awaited<ReturnType<typeof repo.plannedForUpdate>>;
    const body: OpenBody = 'adHoc' in target ? target.adHoc : target.body;
    if ('id' in target) {
      planned = await repo.plannedForUpdate(client, target.id);
      if (!planned || !(await repo.sees(client, planned.id, actor))) return reject(404, 'INSPECTION_NOT_FOUND', 'no such inspection');
      if (planned.state !== 'planned') return reject(409, 'INSPECTION_NOT_PLANNED', `the inspection is ${planned.state}`);
    }
    const entityId = planned?.entityId ?? ('adHoc' in target ? target.adHoc.entityId : '');
    const itemCode = planned?.itemCode ?? ('adHoc' in target ? target.adHoc.itemCode : '');
    if ('adHoc' in target && target.adHoc.reason === 'complaint' && !target.adHoc.complaintRef) return reject(400, 'COMPLAINT_REF_REQUIRED', 'an inspection for a complaint names the complaint (complaintRef)');
    if ('adHoc' in target && target.adHoc.reason === 'case' && !target.adHoc.justifyingCaseId) return reject(400, 'CASE_REQUIRED', 'an inspection for a case names the case (justifyingCaseId)');
    await repo.lockOpening(client, entityId, itemCode);
    const entity = await repo.entityForOpening(client, entityId);
    if (!entity) return reject(404, 'ENTITY_NOT_FOUND', `no market entity ${entityId}`);
    const lastOpenedAt = await repo.lastOpenedAt(client, entityId, itemCode);
    const justifying = body.justifyingCaseId ? await repo.justifyingCase(client, body.justifyingCaseId, actor) : null;
    // One answer for a case that does not exist and one the actor may not see (another team's).
    if (body.justifyingCaseId && !justifying) return reject(422, 'CASE_NOT_FOUND', 'no such case among those you may see');
    const refusal = openingRefusal({
      day, itemCode, now,
      item: (await checklistOn(client, day, itemCode))[0] ?? null,
      entity,
      lead: { userId: actor.id, registration: await registration(client, actor.id, day) },
      second: { userId: body.secondInspectorId, registration: await registration(client, body.secondInspectorId, day) },
      assigned: planned?.assigned ?? [],
      lastOpenedAt,
      repeatDays: s.repeatDays,
      justifyingCase: justifying,
    });
    if (refusal) return refusal;
    const id = planned?.id ?? randomUUID();
    const at = now.toISOString();
    if (planned) await repo.markOpened(client, id, actor.id, body, at);
    else if ('adHoc' in target) await repo.insertOpenedAdHoc(client, id, actor.id, target.adHoc, at);
    return { ok: true, id };
  });
}

/** The second inspector confirms presence from their own session, near the opening position and in time. */
export async function confirmSecond(pool: pg.Pool, id: string, actor: Actor, at: Position, s: InspectionSettings, now = new Date()): Promise<{ ok: true; distanceM: number | null } | Rejection> {
  return inTransaction(pool, async (client) => {
    const r = await repo.stepForUpdate(client, id);
    if (!r || r.second !== actor.id) return reject(404, 'INSPECTION_NOT_FOUND', 'no inspection names you as its second inspector');
    if (r.state !== 'opened') return reject(409, 'INSPECTION_NOT_OPENED', `the inspection is ${r.state}`);
    const deadline = (r.openedAt?.getTime() ?? 0) + s.confirmMinutes * 60_000;
    if (now.getTime() > deadline) return reject(422, 'PRESENCE_WINDOW_PASSED', `presence is confirmed within ${s.confirmMinutes} minutes of the opening`);
    const d = r.location ? distanceM(r.location, at) : null;
    if (d !== null && d > s.maxDistanceM) return reject(422, 'TOO_FAR_FROM_OPENING', `your position is ${Math.round(d)} m from where the inspection was opened (at most ${s.maxDistanceM} m)`);
    await repo.markInProgress(client, id, now.toISOString());
    return { ok: true, distanceM: d === null ? null : Math.round(d) };
  });
}

/** The result with its findings: by either inspector, once both are confirmed present. */
export async function recordResult(pool: pg.Pool, id: string, actor: Actor, body: ResultBody, now = new Date()): Promise<{ ok: true } | Rejection> {
  return inTransaction(pool, async (client) => {
    const r = await repo.stepForUpdate(client, id);
    if (!r || (r.lead !== actor.id && r.second !== actor.id)) return reject(404, 'INSPECTION_NOT_FOUND', 'no inspection you are inspecting');
    if (r.state === 'opened') return reject(422, 'TWO_INSPECTORS_REQUIRED', 'the second inspector has not confirmed presence yet');
    if (r.state !== 'in_progress') return reject(409, 'INSPECTION_NOT_IN_PROGRESS', `the inspection is ${r.state}`);
    const failed = body.findings.filter((f) => !f.compliant).length;
    if (body.outcome === 'compliant' && failed > 0) return reject(422, 'OUTCOME_CONTRADICTS_FINDINGS', `${failed} finding(s) are not compliant`);
    if (body.outcome === 'violations' && failed === 0) return reject(422, 'OUTCOME_CONTRADICTS_FINDINGS', 'violations need at least one finding that is not compliant');
    await repo.close(client, id, body, now.toISOString());
    return { ok: true };
  });
}

/**
 * A follow-up case from the violations found: a case of the item's matter in the entity's zone, its
 * party the entity's, routed like an alert's, the findings its first evidence record.
 */
export async function openFollowUpCase(pool: pg.Pool, id: string, actor: Actor, note: string | undefined, day: string, now = new Date()): Promise<{ ok: true; caseId: string; number: number; teamId: string | null } | Rejection> {
  return inTransaction(pool, async (client) => {
    const s = await repo.followUpSourceForUpdate(client, id);
    if (!s || (s.lead !== actor.id && s.second !== actor.id)) return reject(404, 'INSPECTION_NOT_FOUND', 'no inspection you inspected');
    if (s.state !== 'closed' || s.outcome !== 'violations') return reject(409, 'NO_VIOLATIONS_RECORDED', 'a follow-up case is opened from a result with violations');
    if (s.caseId) return reject(409, 'CASE_ALREADY_OPENED', `case ${s.caseId} follows this inspection`);
    const item = (await checklistOn(client, day, s.itemCode))[0];
    const { matter, teams } = await repo.routing(client, item?.matterCode ?? null);
    const route = routeCase(s.streetId, matter, teams);
    const caseId = randomUUID();
    const title = `Inspection #${s.number}: ${item?.title ?? s.itemCode} — ${s.entityName}`;
    const titleZh = `检查 #${s.number}：${item?.titleZh ?? item?.title ?? s.itemCode} — ${s.entityNameZh ?? s.entityName}`;
    await repo.insertFollowUpCase(client, {
      caseId, incidentId: randomUUID(), alertId: `inspection-${id}`, zoneId: s.zoneId, at: (s.openedAt ?? now).toISOString(), title, titleZh,
      evidence: { summary: title, summaryZh: titleZh, inspectionId: id, inspectionNumber: s.number, itemCode: s.itemCode, findings: s.findings, note: note ?? null, inspectors: [s.lead, s.second] },
      matterCode: matter?.code ?? null, slaMinutes: matter?.slaMinutes ?? null, teamId: route.teamId, state: route.teamId ? 'dispatched' : 'reported', partyId: s.partyId,
    });
    await openReportDeadlines(client, caseId);
    await appendEvent(client, caseId, actor.id, 'reported', { inspectionId: id, entityId: s.entityId, itemCode: s.itemCode, findings: s.findings, note: note ?? null });
    if (route.teamId) await appendEvent(client, caseId, 'system', 'dispatched', { teamId: route.teamId, reason: route.reason });
    else await appendEvent(client, caseId, 'system', 'unroutable', { reason: route.reason });
    await repo.linkFollowUpCase(client, id, caseId);
    const opened = await repo.openedCase(client, caseId);
    await appendLiveEvent(client, { type: 'case.opened', teamId: route.teamId, case: opened });
    return { ok: true, caseId, number: opened.number, teamId: route.teamId };
  });
}
