import { reject, type Rejection, type TransitionOf } from './case-lifecycle.js';
import { calendarDaysBetween, localDate } from './calendar.js';

/**
 * Extensions of the decision deadline (APL art. 60: a general-procedure decision within 90 days of
 * filing, unless the law provides otherwise). The procedure rules of city-management enforcement allow
 * one extension, of at most 30 days, approved by the agency head; a further extension only when the
 * agency's leaders decided it by collective discussion (集体讨论), recorded with its date, who took
 * part and the minutes, one discussion for each such extension. Both figures are settings (DECISION_EXTENSION_MAX_DAYS,
 * DECISION_EXTENSIONS_WITHOUT_DISCUSSION). Pure: the caller loads how many extensions the case had.
 */

export interface ExtensionSettings {
  /** Timezone whose calendar days the extension is counted in. */
  timezone: string;
  /** The longest single extension of the decision deadline, in calendar days. */
  extensionMaxDays: number;
  /** Extensions the agency head approves alone; each further one needs a collective discussion on record. */
  extensionsWithoutDiscussion: number;
}

export interface ExtensionFacts {
  now: Date;
  filedAt: Date;
  /** The decision deadline now in force (the statutory one, or the last extension's). */
  decisionDueAt: Date;
  /** Extensions the case already had. */
  extensionsSoFar: number;
  /** The minutes (minutesRef) of the collective discussions that decided its earlier extensions. */
  discussionMinutesSoFar: readonly string[];
}

/** Why this extension may not be approved; undefined = it may. */
export function extensionProblem(f: ExtensionFacts, fields: TransitionOf<'extend_deadline'>['fields'], settings: ExtensionSettings): Rejection | undefined {
  const next = new Date(fields.newDueAt);
  if (!(next > f.decisionDueAt)) return reject(422, 'EXTENSION_NOT_LATER', `the new deadline must be after the current one, ${f.decisionDueAt.toISOString()}`);
  if (next <= f.now) return reject(422, 'EXTENSION_NOT_LATER', 'the new deadline must lie in the future');
  // Counted as the deadline is: calendar days of the district, from the current deadline's day.
  const days = calendarDaysBetween(f.decisionDueAt, next, settings.timezone);
  if (days > settings.extensionMaxDays) {
    return reject(422, 'EXTENSION_TOO_LONG', `an extension is at most ${settings.extensionMaxDays} days; this one is ${days} days (from ${localDate(f.decisionDueAt, settings.timezone)} to ${localDate(next, settings.timezone)}): extend again later, if need be, by collective discussion`);
  }
  const discussion = fields.collectiveDiscussion;
  if (discussion === undefined) {
    return f.extensionsSoFar >= settings.extensionsWithoutDiscussion
      ? reject(422, 'COLLECTIVE_DISCUSSION_REQUIRED', `the case was already extended ${f.extensionsSoFar} time(s); the agency head alone approves ${settings.extensionsWithoutDiscussion}: a further extension needs the collective discussion (集体讨论) of the agency's leaders on record (collectiveDiscussion: heldOn, participants, minutesRef)`)
      : undefined;
  }
  const today = localDate(f.now, settings.timezone);
  const filedOn = localDate(f.filedAt, settings.timezone);
  if (discussion.heldOn > today || discussion.heldOn < filedOn) {
    return reject(422, 'COLLECTIVE_DISCUSSION_INVALID', `the collective discussion of ${discussion.heldOn} cannot have decided this extension: it is held after the filing (${filedOn}) and by today (${today})`);
  }
  // A discussion decides one extension (of at most extensionMaxDays): its minutes do not chain several.
  const minutes = discussion.minutesRef.trim();
  if (f.discussionMinutesSoFar.some((m) => m.trim() === minutes)) {
    return reject(422, 'COLLECTIVE_DISCUSSION_REUSED', `the collective discussion of minutes ${minutes} already decided an earlier extension of this case: a further one is decided by a discussion of its own`);
  }
  return undefined;
}
