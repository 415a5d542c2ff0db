import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Alert } from '../../contract/mqtt/alert.js';
import type { Case } from '../../contract/http/cases.js';
import { inTransaction } from '../../core/db/transaction.js';
import { routeWithSupport } from '../domain/routing.js';
import { appendLiveEvent } from '../live.js';
import { appendEvent } from './events.js';
import { openReportDeadlines } from './deadlines.js';
import { attachAlert, caseById, caseTeamId, insertAlert, lockZoneKind, openIncidentAndCase, openIncidentNear, routingFacts } from './intake-repository.js';

/**
 * Alert → incident → case: an alert recorded once, merged into an incident, or opening one with its
 * case routed to a team (routing rules in domain/routing.ts). The whole step is one transaction,
 * through intake-repository.ts.
 */

export type IntakeResult =
  | { outcome: 'duplicate' }
  | { outcome: 'attached'; caseId: string; incidentId: string }
  | { outcome: 'opened'; case: Case; route: string };

/**
 * Records an alert idempotently and merges it into an incident: an open incident of the same kind in
 * the same zone whose alerts span to within `windowMin` of this one takes it (on either side: an alert
 * delivered late, e.g. from a device's back-fill, joins the incident of its own time, not a later
 * one); otherwise a new incident opens one case, routed to a team (or left in the fallback queue
 * when nobody can take it).
 */
export async function intakeAlert(pool: pg.Pool, alert: Alert, windowMin: number): Promise<IntakeResult> {
  const result = await inTransaction(pool, (client) => intakeStep(client, alert, windowMin));
  if (result.outcome !== 'opened') return result;
  // Read back after the transaction's connection is released (the embedded pool has one).
  const row = await caseById(pool, result.caseId);
  if (!row) throw new Error(`case ${result.caseId} vanished after commit`);
  return { outcome: 'opened', case: row, route: result.route };
}

async function intakeStep(client: pg.PoolClient, alert: Alert, windowMin: number): Promise<Exclude<IntakeResult, { outcome: 'opened' }> | { outcome: 'opened'; caseId: string; route: string }> {
  await lockZoneKind(client, alert.zoneId, alert.kind);
  // A known alert id changes nothing (the transaction wrote nothing).
  if (!(await insertAlert(client, alert))) return { outcome: 'duplicate' };
  const existing = await openIncidentNear(client, alert.zoneId, alert.kind, alert.detectedAt, windowMin);
  if (existing) {
    await attachAlert(client, alert, existing);
    await appendEvent(client, existing.caseId, 'system', 'alert.attached', { alertId: alert.id });
    await appendLiveEvent(client, { type: 'case.updated', teamId: await caseTeamId(client, existing.caseId), caseId: existing.caseId, reason: 'alert.attached' });
    return { outcome: 'attached', caseId: existing.caseId, incidentId: existing.id };
  }
  const facts = await routingFacts(client, alert.zoneId, alert.kind);
  const route = facts.streetId
    ? routeWithSupport(facts.streetId, facts.matter, facts.teams)
    : { teamId: null, supportTeamId: null, reason: `zone ${alert.zoneId} has no street` };
  const incidentId = randomUUID();
  const caseId = randomUUID();
  await openIncidentAndCase(client, alert, {
    incidentId, caseId, matterCode: facts.matter?.code ?? null, teamId: route.teamId, supportTeamId: route.supportTeamId,
    state: route.teamId ? 'dispatched' : 'reported', slaMinutes: facts.matter?.slaMinutes ?? null,
  });
  await openReportDeadlines(client, caseId);
  await appendEvent(client, caseId, 'system', 'reported', { alertId: alert.id, kind: alert.kind, zoneId: alert.zoneId });
  if (route.teamId) await appendEvent(client, caseId, 'system', 'dispatched', { teamId: route.teamId, reason: route.reason, ...(route.supportTeamId ? { supportTeamId: route.supportTeamId } : {}) });
  else await appendEvent(client, caseId, 'system', 'unroutable', { reason: route.reason });
  // The live stream's event in this transaction (outbox): it exists iff the case does.
  await appendLiveEvent(client, { type: 'case.opened', teamId: route.teamId, case: (await caseById(client, caseId))! });
  return { outcome: 'opened', caseId, route: route.reason };
}
