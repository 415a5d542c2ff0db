import { lang, t } from './i18n';

export const locale = (): string => (lang() === 'zh' ? 'zh-CN' : 'en-GB');

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

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return clock(iso, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

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
