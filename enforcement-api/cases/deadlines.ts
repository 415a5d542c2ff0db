import type pg from 'pg';
import type { CaseState } from '../domain/case-lifecycle.js';
import { dueStatus, escalationEvent, filingDeadlines, reportDeadlines, settlementOf, type MatterSla } from '../domain/sla.js';
import { appendEvent, type CaseEvent } from './events.js';
import { CaseDeadline } from '../../contract/http/cases.js';
import {
  cancelDeadlines,
  deadlinesOf,
  dueDeadlines,
  filingFacts,
  insertDeadlines,
  lockCaseForEscalation,
  lockDueDeadline,
  markEscalated,
  reachDeadlines,
  reportFacts,
  teamLeads,
} from './deadline-repository.js';

/**
 * The SLAs' part of intake, transitions and escalation (the rules are pure, in
 * enforcement-api/domain/sla.ts; the SQL is in deadline-repository.ts): deadlines written on the case
 * inside the intake's and the transition's transactions (only through their client), and the
 * escalation of a missed one with its case event in one transaction.
 */

export { CaseDeadline, deadlinesOf, dueDeadlines };

/** At intake, in its transaction: the accept and on-site deadlines from the case's report time. */
export async function openReportDeadlines(client: pg.PoolClient, caseId: string): Promise<void> {
  const c = await reportFacts(client, caseId);
  if (!c) throw new Error(`case ${caseId} vanished inside its transaction`);
  const matter: MatterSla | null = c.acceptSlaMinutes !== null && c.slaMinutes !== null ? { acceptSlaMinutes: c.acceptSlaMinutes, slaMinutes: c.slaMinutes } : null;
  await insertDeadlines(client, caseId, reportDeadlines(c.createdAt, matter));
}

/**
 * In a transition's transaction, after the case row is updated: meets, misses (reached late) or
 * cancels the deadlines the new state settles, and at filing (`filed`) adds the decision deadline and its warnings.
 */
export async function settleDeadlines(client: pg.PoolClient, caseId: string, to: CaseState, at: string, warnings: { days: readonly number[]; timeZone: string }, filed = false): Promise<void> {
  const s = settlementOf(to);
  if (s.meets.length > 0) {
    await reachDeadlines(client, caseId, s.meets, at);
  }
  if (s.cancelRest || s.cancelWarnings) {
    await cancelDeadlines(client, caseId, s.cancelRest);
  }
  if (filed) {
    const c = await filingFacts(client, caseId);
    if (c?.filedAt && c.decisionDueAt) await insertDeadlines(client, caseId, filingDeadlines(c.filedAt, c.decisionDueAt, warnings.days, warnings.timeZone));
  }
}

export interface Escalation {
  caseId: string;
  teamId: string | null;
  deadline: CaseDeadline;
  event: CaseEvent;
  /** The case's matter kind (alert kind), for the metric. */
  kind: string;
}

/**
 * Escalates one deadline if it is still open and due: marks it (missed / reached), records whom it
 * went to and appends `sla.escalated` (or `sla.warning`) to the case's chain, in one transaction. Returns
 * null when someone else (another process, the stage being reached) settled it first.
 */
export async function escalateDeadline(client: pg.PoolClient, caseId: string, name: string, now: Date): Promise<Escalation | null> {
  const c = await lockCaseForEscalation(client, caseId);
  if (!c) return null;
  const d = await lockDueDeadline(client, caseId, name, now);
  if (!d) return null;
  const leads = c.teamId === null ? [] : await teamLeads(client, c.teamId);
  const at = now.toISOString();
  const status = dueStatus(d.kind);
  await markEscalated(client, caseId, name, status, at, leads);
  const event = await appendEvent(client, caseId, 'system', escalationEvent(d.kind), {
    deadline: d.name,
    stage: d.stage,
    dueAt: new Date(d.dueAt).toISOString(),
    state: c.state,
    teamId: c.teamId,
    escalatedTo: leads,
    ...(leads.length === 0 ? { fallback: 'operations centre' } : {}),
  }, at);
  return { caseId, teamId: c.teamId, kind: c.kind, event, deadline: { ...d, status, escalatedAt: at, escalatedTo: leads } };
}
