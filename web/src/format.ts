import { lang, t } from './i18n';

export const locale = (): string => (lang() === 'zh' ? 'zh-CN' : 'en-GB');

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(locale(), { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
}

export function date(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString(locale(), { year: 'numeric', month: '2-digit', day: '2-digit' });
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
