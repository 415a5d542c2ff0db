import { localClock } from '../../core/domain/local-time.js';

/**
 * The district's calendar: local dates of instants and the instants of local days, in a timezone.
 * Legal time limits (certificates, calibrations, the decision deadline and its extensions) are counted
 * in these calendar days.
 */

const DAY_MS = 86_400_000;

/** The calendar date (YYYY-MM-DD) of an instant in a timezone. */
export function localDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** The date `days` calendar days after `date` (both YYYY-MM-DD; pure date arithmetic). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The last instant (to the millisecond) of a local calendar date in a timezone. */
export function endOfLocalDay(date: string, timeZone: string): Date {
  // The next local midnight, found from a guess at UTC and corrected by the zone's offset there
  // (twice, for a change of offset between the guess and the answer), less one millisecond.
  const midnight = Date.parse(`${addDays(date, 1)}T00:00:00Z`);
  let at = midnight;
  for (let i = 0; i < 2; i++) {
    const c = localClock(new Date(at), timeZone);
    const shown = Date.UTC(c.year, c.month - 1, c.day, c.hour, c.minute);
    at -= shown - midnight;
  }
  return new Date(at - 1);
}

/** The first instant (local midnight, or whenever the day begins) of a local calendar date in a timezone. */
export function startOfLocalDay(date: string, timeZone: string): Date {
  return new Date(endOfLocalDay(addDays(date, -1), timeZone).getTime() + 1);
}

/** Calendar days from `from`'s local date to `to`'s (how deadlines in days are counted: the start day not included). */
export function calendarDaysBetween(from: Date, to: Date, timeZone: string): number {
  return Math.round((Date.parse(localDate(to, timeZone)) - Date.parse(localDate(from, timeZone))) / DAY_MS);
}
