import { DAY_TYPES, RULE_KINDS, type DayType, type RuleKind, type RuleParams, type ZoneRule } from '../../contract/http/zone-rules.js';
import { localClock, type LocalClock } from './local-time.js';
import { NIGHT_LAMAX_MARGIN_DB, noiseLimitAt, periodAt, type NoiseLimit, type NoiseZoneClass } from './noise-limits.js';

/**
 * Zone rules as data: what the detectors apply in a zone at a given local time, beyond the defaults
 * the zone itself carries (its GB 3096 noise class, its fishing-ban flag, its capacity).
 *
 * A rule applies to one zone (or, with no zone, to every zone), to one kind of violation, on some day
 * types — weekdays `mon`…`sun`, or `holiday` for the dates in the zone's holiday calendar (a holiday
 * is only a holiday: a rule for `sat` does not apply on a Saturday that is a holiday) — in a local time
 * window `start`–`end` (`HH:MM`; equal = all day; an end before the start runs past midnight, and the
 * part after midnight belongs to the day the window started), and optionally within a season: `from`
 * and `until` are inclusive local dates, `YYYY-MM-DD` for one period or `MM-DD` for every year
 * (`12-01`–`02-28` wraps the new year). Where several rules apply, the highest `priority` wins, then
 * a zone's own rule over a district-wide one, then the rule listed first.
 *
 * What a rule sets: `noise` — the LAeq limit and optionally the LAmax limit (default: none by day, the
 * LAeq limit + 15 dB at night); `fishing` — whether fishing is banned; `crowding` — the capacity
 * alerts are measured against; `closure` — whether the zone is closed to the public (a riverside zone's
 * closed hours, a flooded stretch): a person at the water's edge there then is an intrusion. Without a
 * matching closure rule a zone is open.
 */

export { DAY_TYPES, RULE_KINDS, type DayType, type RuleKind, type RuleParams, type ZoneRule };

/** The rule that set a value, as alerts cite it. */
export interface AppliedRule {
  id: string;
  name: string;
  /** The name in Chinese, where the rule has one. */
  nameZh?: string;
}

const applied = (rule: ZoneRule): AppliedRule => ({ id: rule.id, name: rule.name, ...(rule.nameZh ? { nameZh: rule.nameZh } : {}) });

const WEEKDAY_TYPES: DayType[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const RULE_DATE = /^(\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

const minutes = (hhmm: string) => {
  const m = TIME.exec(hhmm);
  if (!m) throw new RangeError(`not a HH:MM time: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
};
const pad = (n: number) => String(n).padStart(2, '0');
const isoDate = (c: { year: number; month: number; day: number }) => `${c.year}-${pad(c.month)}-${pad(c.day)}`;

/** The local calendar date before `c` (no timezone involved: pure date arithmetic). */
function previousDay(c: LocalClock): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(c.year, c.month - 1, c.day - 1));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: c.weekday === 1 ? 7 : c.weekday - 1 };
}

/** Whether a local date lies in a rule's season. */
export function inSeason(date: { year: number; month: number; day: number }, from: string | null, until: string | null): boolean {
  if (from === null && until === null) return true;
  const full = isoDate(date);
  const md = full.slice(5);
  const yearly = (from === null || from.length === 5) && (until === null || until.length === 5);
  if (yearly) {
    const lo = from ?? '01-01';
    const hi = until ?? '12-31';
    return lo <= hi ? md >= lo && md <= hi : md >= lo || md <= hi;
  }
  // Mixed forms compare as full dates; a yearly bound is taken in the date's own year.
  const lo = from === null ? '0000-01-01' : from.length === 5 ? `${date.year}-${from}` : from;
  const hi = until === null ? '9999-12-31' : until.length === 5 ? `${date.year}-${until}` : until;
  return full >= lo && full <= hi;
}

/** Validates a rule's shape beyond its schema; returns the first problem, or null. */
export function ruleProblem(r: Pick<ZoneRule, 'kind' | 'start' | 'end' | 'from' | 'until' | 'params'>): string | null {
  if (!TIME.test(r.start) || !TIME.test(r.end)) return 'start and end must be HH:MM local times';
  for (const d of [r.from, r.until]) if (d !== null && !RULE_DATE.test(d)) return 'from and until must be YYYY-MM-DD or MM-DD';
  const p = r.params;
  if (r.kind === 'noise') {
    if (typeof p.laeq !== 'number') return 'a noise rule needs params.laeq (dB(A))';
    if (p.lamax !== undefined && p.lamax !== null && p.lamax < p.laeq) return 'params.lamax must not be below params.laeq';
  }
  if (r.kind === 'fishing' && typeof p.fishingBan !== 'boolean') return 'a fishing rule needs params.fishingBan (true or false)';
  if (r.kind === 'crowding' && (typeof p.capacity !== 'number' || p.capacity < 1)) return 'a crowding rule needs params.capacity (people, at least 1)';
  if (r.kind === 'closure' && typeof p.closed !== 'boolean') return 'a closure rule needs params.closed (true or false)';
  return null;
}

/** What a zone needs for the rules to be evaluated. */
export interface RuleZone {
  zoneId: string;
  timezone: string;
}

export class ZoneSchedule {
  private readonly byKind = new Map<RuleKind, ZoneRule[]>();

  constructor(
    rules: readonly ZoneRule[],
    /** Holiday dates per calendar name. */
    private readonly calendars: ReadonlyMap<string, ReadonlySet<string>> = new Map(),
    /** Calendar name per zone id. */
    private readonly zoneCalendars: ReadonlyMap<string, string> = new Map(),
  ) {
    for (const kind of RULE_KINDS) this.byKind.set(kind, []);
    for (const r of rules) this.byKind.get(r.kind)?.push(r);
  }

  static readonly EMPTY = new ZoneSchedule([]);

  get size(): number {
    let n = 0;
    for (const list of this.byKind.values()) n += list.length;
    return n;
  }

  private holidays(zoneId: string): ReadonlySet<string> {
    const name = this.zoneCalendars.get(zoneId);
    return (name && this.calendars.get(name)) || EMPTY_SET;
  }

  /** The rule of this kind that applies in the zone at this instant, or null (the zone's defaults). */
  match(kind: RuleKind, zoneId: string, at: Date, timezone: string): ZoneRule | null {
    const candidates = this.byKind.get(kind) ?? [];
    if (candidates.length === 0) return null;
    const now = localClock(at, timezone);
    const nowMin = now.hour * 60 + now.minute;
    const holidays = this.holidays(zoneId);
    const dayType = (d: { year: number; month: number; day: number; weekday: number }): DayType =>
      holidays.has(isoDate(d)) ? 'holiday' : (WEEKDAY_TYPES[d.weekday - 1] as DayType);
    const today = { ...now, type: dayType(now) };
    const before = previousDay(now);
    const yesterday = { ...before, type: dayType(before) };
    let best: ZoneRule | null = null;
    for (const r of candidates) {
      if (r.zoneId !== null && r.zoneId !== zoneId) continue;
      const start = minutes(r.start);
      const end = minutes(r.end);
      // The day whose window covers this instant, if any.
      let day: { year: number; month: number; day: number; type: DayType } | null = null;
      if (start === end) day = today;
      else if (start < end) day = nowMin >= start && nowMin < end ? today : null;
      else if (nowMin >= start) day = today;
      else if (nowMin < end) day = yesterday;
      if (!day) continue;
      if (r.days.length > 0 && !r.days.includes(day.type)) continue;
      if (!inSeason(day, r.from, r.until)) continue;
      if (!best || r.priority > best.priority || (r.priority === best.priority && best.zoneId === null && r.zoneId !== null)) best = r;
    }
    return best;
  }

  /** The noise limit in force: a matching rule's, else the zone class's GB 3096 limit. */
  noiseLimit(zone: RuleZone & { noiseClass: NoiseZoneClass }, at: Date): NoiseLimit & { rule?: AppliedRule } {
    const rule = this.match('noise', zone.zoneId, at, zone.timezone);
    if (!rule || rule.params.laeq === undefined) return noiseLimitAt(zone.noiseClass, at, zone.timezone);
    const period = periodAt(at, zone.timezone);
    const laeq = rule.params.laeq;
    const lamax = rule.params.lamax !== undefined ? rule.params.lamax : period === 'night' ? laeq + NIGHT_LAMAX_MARGIN_DB : null;
    return { period, laeq, lamax, rule: applied(rule) };
  }

  /** Whether fishing is banned: a matching rule's answer, else the zone's flag. */
  fishingBan(zone: RuleZone & { fishingBan: boolean }, at: Date): { banned: boolean; rule?: AppliedRule } {
    const rule = this.match('fishing', zone.zoneId, at, zone.timezone);
    if (!rule || rule.params.fishingBan === undefined) return { banned: zone.fishingBan };
    return { banned: rule.params.fishingBan, rule: applied(rule) };
  }

  /** The capacity crowding is measured against: a matching rule's, else the zone's (null = no rule). */
  capacity(zone: RuleZone & { capacity: number | null }, at: Date): { capacity: number | null; rule?: AppliedRule } {
    const rule = this.match('crowding', zone.zoneId, at, zone.timezone);
    if (!rule || rule.params.capacity === undefined) return { capacity: zone.capacity };
    return { capacity: rule.params.capacity, rule: applied(rule) };
  }

  /** Whether the zone is closed to the public now: a matching closure rule's answer, else open. */
  closed(zone: RuleZone, at: Date): { closed: boolean; rule?: AppliedRule } {
    const rule = this.match('closure', zone.zoneId, at, zone.timezone);
    if (!rule || rule.params.closed === undefined) return { closed: false };
    return { closed: rule.params.closed, rule: applied(rule) };
  }
}

const EMPTY_SET: ReadonlySet<string> = new Set();
