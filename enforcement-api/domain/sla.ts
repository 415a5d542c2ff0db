import type { CaseState } from './case-lifecycle.js';
import { decisionWarningAt } from './legal-rules.js';

/**
 * Service levels of DESIGN §3 Enforcement as data and pure functions: which deadlines a case carries,
 * when each is due, and which stage of the lifecycle meets (or cancels) it. The minutes per matter
 * are columns of `matters` (migration 10): `accept_sla_minutes` (a team takes the case) and
 * `sla_minutes` (officers on site: drowning/crowding 10, fishing 30, noise 60), both counted from the
 * report (the case opening); the 90-day decision deadline and its warnings run from filing.
 *
 * A deadline is `open` until its stage is reached (`met`, or `missed` when reached late), it becomes
 * impossible (`cancelled`: dismissed, disposed of on site, closed), or the escalation service finds it
 * past due (`missed`, escalated to the team lead once). A warning is `reached` when crossed (pushed once).
 */

import { DEADLINE_STATUSES, type DeadlineStatus } from '../../contract/http/cases.js';

export { DEADLINE_STATUSES, type DeadlineStatus };

/** `deadline`: missing it escalates; `warning`: crossing it is recorded and pushed (no one missed anything yet). */
export type DeadlineKind = 'deadline' | 'warning';

export interface DeadlineSpec {
  /** Unique per case: `accept`, `on_site`, `decision`, `decision_warning_60`, … */
  name: string;
  kind: DeadlineKind;
  /** The state whose reaching meets the deadline (for a warning: the state that makes it moot). */
  stage: CaseState;
  dueAt: Date;
}

export interface MatterSla {
  /** Minutes from the report within which a team must accept the case. */
  acceptSlaMinutes: number;
  /** Minutes from the report within which officers must be on site. */
  slaMinutes: number;
}

const MINUTE_MS = 60_000;

/** Deadlines a case gets when it is reported (opened). A case without a matter gets none. */
export function reportDeadlines(reportedAt: Date, matter: MatterSla | null): DeadlineSpec[] {
  if (!matter) return [];
  const at = (min: number) => new Date(reportedAt.getTime() + min * MINUTE_MS);
  return [
    { name: 'accept', kind: 'deadline', stage: 'accepted', dueAt: at(matter.acceptSlaMinutes) },
    { name: 'on_site', kind: 'deadline', stage: 'on_site', dueAt: at(matter.slaMinutes) },
  ];
}

/**
 * Deadlines a case gets at filing (accept): the decision deadline and the warnings before it, each at
 * the start of its local calendar day in `timeZone` (legal-rules.ts `decisionWarningAt`).
 */
export function filingDeadlines(filedAt: Date, decisionDueAt: Date, warningDays: readonly number[], timeZone = 'UTC'): DeadlineSpec[] {
  const warnings = [...new Set(warningDays)]
    .map((day) => ({ day, dueAt: decisionWarningAt(filedAt, day, timeZone) }))
    .filter((w) => w.dueAt < decisionDueAt)
    .sort((a, b) => a.day - b.day)
    .map((w): DeadlineSpec => ({ name: `decision_warning_${w.day}`, kind: 'warning', stage: 'decided', dueAt: w.dueAt }));
  return [...warnings, { name: 'decision', kind: 'deadline', stage: 'decided', dueAt: decisionDueAt }];
}

/** What reaching a state does to the open deadlines of a case. */
export interface Settlement {
  /** Deadlines met by this state (missed instead when reached after their due time). */
  meets: readonly string[];
  /** Every other open deadline is cancelled (the case can no longer reach it). */
  cancelRest: boolean;
  /** Open warnings are cancelled (their deadline is met). */
  cancelWarnings: boolean;
}

const NONE: Settlement = { meets: [], cancelRest: false, cancelWarnings: false };

/** Pure: which deadlines a transition into `to` settles. Exhaustive over the states. */
export function settlementOf(to: CaseState): Settlement {
  switch (to) {
    case 'accepted':
      return { ...NONE, meets: ['accept'] };
    case 'on_site':
      return { ...NONE, meets: ['accept', 'on_site'] };
    case 'decided':
      return { meets: ['decision'], cancelRest: false, cancelWarnings: true };
    case 'resolved_on_site':
    case 'dismissed':
    case 'closed':
      // Disposed of on site or dismissed: no decision will follow; closed: nothing is left to do.
      return { meets: [], cancelRest: true, cancelWarnings: true };
    case 'reported':
    case 'dispatched':
    case 'decision_proposed':
    case 'under_review':
    case 'approved':
    case 'returned':
      return NONE;
    default: {
      const never: never = to;
      throw new Error(`unknown state ${String(never)}`);
    }
  }
}

/** The status a deadline takes when its stage is reached at `at`. */
export const metStatus = (dueAt: Date, at: Date): DeadlineStatus => (at.getTime() <= dueAt.getTime() ? 'met' : 'missed');

/** The status a due deadline takes when the escalation service finds it still open. */
export const dueStatus = (kind: DeadlineKind): DeadlineStatus => (kind === 'warning' ? 'reached' : 'missed');

/** The case event an escalation appends. */
export const escalationEvent = (kind: DeadlineKind) => (kind === 'warning' ? 'sla.warning' : 'sla.escalated');
