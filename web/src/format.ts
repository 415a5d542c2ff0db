import { lang, t } from './i18n';

export const locale = (): string => (lang() === 'zh' ? 'zh-CN' : 'en-GB');

/** A catalogue or district name in the user's language: the row's Chinese name in the Chinese UI where it has one. */
export const localName = (name: string | null | undefined, nameZh: string | null | undefined): string => (lang() === 'zh' && nameZh ? nameZh : name ?? '—');

/**
 * Times are shown in the district's local time (its zones' timezone), as its rules and the officers on
 * site read them, whatever the clock zone of the device showing them (a wall screen or a desktop set to
 * UTC would otherwise put a night-time case at 14:00). Kept on the device for when it opens offline.
 */
const TZ_KEY = 'rp.tz';
let timeZone: string | undefined = localStorage.getItem(TZ_KEY) ?? undefined;

/** Sets the district's timezone; true when it changed what is shown. */
export function setTimeZone(tz: string): boolean {
  if (tz === timeZone) return false;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: tz });
  } catch {
    return false;
  }
  timeZone = tz;
  localStorage.setItem(TZ_KEY, tz);
  return true;
}

/** An instant in the district's local time, with the parts asked for. */
export const clock = (at: string | number, parts: Intl.DateTimeFormatOptions): string => new Date(at).toLocaleString(locale(), { ...parts, timeZone });

/**
 * An instant as day and time in the district's local time, with the year when it is not the district's
 * current year — or always (`withYear`), as in a case's record, where a list of history spans years.
 */
export function when(iso: string | null | undefined, withYear = false, now = Date.now()): string {
  if (!iso) return '—';
  const year = withYear || clock(iso, { year: 'numeric' }) !== clock(now, { year: 'numeric' });
  return clock(iso, { ...(year ? { year: 'numeric' } : {}), month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

/** Today's date (YYYY-MM-DD) on the district's calendar: what certificates and calibrations are valid on. */
export const today = (now = Date.now()): string => new Date(now).toLocaleDateString('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });

/**
 * Whole days left until `dueIso` as the server counts them: from today's date to the due date on the
 * district's calendar (negative once past), so a list and the case page say the same.
 */
export const calendarDaysUntil = (dueIso: string, now = Date.now()): number =>
  Math.round((Date.parse(today(Date.parse(dueIso))) - Date.parse(today(now))) / 86_400_000);

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  // A calendar date (YYYY-MM-DD) is that day wherever it is shown; an instant is the district's day.
  return new Date(iso).toLocaleDateString(locale(), { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: /^\d{4}-\d{2}-\d{2}$/.test(iso) ? 'UTC' : timeZone });
}

/** "12:05 left" / "overdue 3:10", for SLA countdowns (refreshed every second). */
export function countdown(dueIso: string | null, now = Date.now()): { text: string; level: 'ok' | 'soon' | 'over' | 'none' } {
  if (!dueIso) return { text: '', level: 'none' };
  const ms = new Date(dueIso).getTime() - now;
  const abs = Math.abs(ms);
  const hms = abs >= 3_600_000
    ? `${Math.floor(abs / 3_600_000)}:${String(Math.floor((abs % 3_600_000) / 60_000)).padStart(2, '0')}:${String(Math.floor((abs % 60_000) / 1000)).padStart(2, '0')}`
    : `${Math.floor(abs / 60_000)}:${String(Math.floor((abs % 60_000) / 1000)).padStart(2, '0')}`;
  if (ms < 0) return { text: t('overdue', { t: hms }), level: 'over' };
  return { text: t('timeLeft', { t: hms }), level: ms < 5 * 60_000 ? 'soon' : 'ok' };
}

export const yuan = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : `¥${n.toLocaleString(locale())}`);

/** The names a case detail carries of the colleagues it names, and their Chinese names. */
export interface Names {
  people?: Readonly<Record<string, unknown>>;
  peopleZh?: Readonly<Record<string, unknown>>;
}

/**
 * A colleague's name from the names the case detail carries, in the Chinese UI the Chinese one where
 * there is one; the platform's own steps as such; the id only when no name came with it (a detail
 * cached by an older version).
 */
export function person(names: Names | undefined, id: string | null | undefined): string {
  if (!id) return '—';
  const zh = lang() === 'zh' ? names?.peopleZh?.[id] : undefined;
  const name = typeof zh === 'string' ? zh : names?.people?.[id];
  return typeof name === 'string' ? name : id === 'system' ? t('actorSystem') : id;
}
