import { describe, expect, it } from 'vitest';
import { ZoneSchedule, inSeason, ruleProblem, type ZoneRule } from '../../core/domain/zone-rules.js';

/** Shanghai is UTC+8 with no daylight saving: local 12:30 on 2026-05-04 is 04:30Z. */
const TZ = 'Asia/Shanghai';
const at = (local: string) => new Date(`${local}+08:00`);
const park = { zoneId: 'z-park', timezone: TZ, noiseClass: '1' as const, fishingBan: false, capacity: 100 };

function rule(r: Partial<ZoneRule> & Pick<ZoneRule, 'id' | 'kind' | 'params'>): ZoneRule {
  return { zoneId: 'z-park', name: r.id, days: [], start: '00:00', end: '00:00', from: null, until: null, priority: 0, ...r };
}

const midday = rule({ id: 'midday-rest', kind: 'noise', start: '12:00', end: '14:00', params: { laeq: 45 } });
const holidayEvening = rule({ id: 'holiday-evening', kind: 'noise', days: ['holiday'], start: '19:00', end: '01:00', params: { laeq: 60 } });
// 2026-05-01 … 05-05 is the Labour Day holiday; 2026-05-04 is a Monday.
const calendars = new Map([['CN', new Set(['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05'])]]);
const zoneCalendars = new Map([['z-park', 'CN']]);

describe('zone rules', () => {
  it('falls back to the zone class limits when no rule applies', () => {
    const s = new ZoneSchedule([midday]);
    expect(s.noiseLimit(park, at('2026-05-11T15:00:00'))).toEqual({ period: 'day', laeq: 55, lamax: null });
    expect(s.noiseLimit(park, at('2026-05-11T23:00:00'))).toEqual({ period: 'night', laeq: 45, lamax: 60 });
  });

  it('applies a daily window, and cites the rule', () => {
    const s = new ZoneSchedule([midday]);
    expect(s.noiseLimit(park, at('2026-05-11T12:30:00'))).toEqual({ period: 'day', laeq: 45, lamax: null, rule: { id: 'midday-rest', name: 'midday-rest' } });
    expect(s.noiseLimit(park, at('2026-05-11T14:00:00')).laeq).toBe(55); // end is exclusive
    expect(s.noiseLimit(park, at('2026-05-11T11:59:00')).laeq).toBe(55);
  });

  it('has several windows per day and only the zone it names', () => {
    const evening = rule({ id: 'evening', kind: 'noise', start: '19:00', end: '21:00', params: { laeq: 50 } });
    const s = new ZoneSchedule([midday, evening]);
    expect(s.noiseLimit(park, at('2026-05-11T12:10:00')).laeq).toBe(45);
    expect(s.noiseLimit(park, at('2026-05-11T20:00:00')).laeq).toBe(50);
    expect(s.noiseLimit(park, at('2026-05-11T17:00:00')).laeq).toBe(55);
    expect(s.noiseLimit({ ...park, zoneId: 'z-other' }, at('2026-05-11T12:10:00')).laeq).toBe(55);
  });

  it('tells holidays from weekdays through the zone calendar, past midnight too', () => {
    const weekday = rule({ id: 'weekday', kind: 'noise', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '19:00', end: '22:00', params: { laeq: 50 } });
    const s = new ZoneSchedule([holidayEvening, weekday], calendars, zoneCalendars);
    // Monday 2026-05-04 is a holiday: the holiday rule, not the Monday one.
    expect(s.noiseLimit(park, at('2026-05-04T20:00:00')).rule?.id).toBe('holiday-evening');
    // Monday 2026-05-11 is an ordinary Monday.
    expect(s.noiseLimit(park, at('2026-05-11T20:00:00')).rule?.id).toBe('weekday');
    // 00:30 on Wednesday 05-06 belongs to the window that began on the holiday 05-05.
    expect(s.noiseLimit(park, at('2026-05-06T00:30:00'))).toMatchObject({ period: 'night', laeq: 60, lamax: 75, rule: { id: 'holiday-evening' } });
    // 00:30 on 05-01 (a holiday) began on 04-30, which was not.
    expect(s.noiseLimit(park, at('2026-05-01T00:30:00')).rule).toBeUndefined();
    // Without the calendar nothing is a holiday.
    expect(new ZoneSchedule([holidayEvening, weekday]).noiseLimit(park, at('2026-05-04T20:00:00')).rule?.id).toBe('weekday');
  });

  it('keeps seasons, yearly and dated, across the new year', () => {
    expect(inSeason({ year: 2026, month: 4, day: 1 }, '03-01', '06-30')).toBe(true);
    expect(inSeason({ year: 2026, month: 7, day: 1 }, '03-01', '06-30')).toBe(false);
    expect(inSeason({ year: 2027, month: 1, day: 15 }, '12-01', '02-28')).toBe(true);
    expect(inSeason({ year: 2026, month: 11, day: 30 }, '12-01', '02-28')).toBe(false);
    expect(inSeason({ year: 2026, month: 5, day: 1 }, '2026-04-01', null)).toBe(true);
    expect(inSeason({ year: 2025, month: 5, day: 1 }, '2026-04-01', null)).toBe(false);
    const spawning = rule({ id: 'spawning-ban', kind: 'fishing', zoneId: null, from: '03-01', until: '06-30', params: { fishingBan: true } });
    const s = new ZoneSchedule([spawning]);
    expect(s.fishingBan(park, at('2026-04-10T09:00:00'))).toEqual({ banned: true, rule: { id: 'spawning-ban', name: 'spawning-ban' } });
    expect(s.fishingBan(park, at('2026-08-10T09:00:00'))).toEqual({ banned: false });
  });

  it('lets the highest priority win, then the zone over the district', () => {
    const district = rule({ id: 'district', zoneId: null, kind: 'crowding', params: { capacity: 80 } });
    const own = rule({ id: 'own', kind: 'crowding', params: { capacity: 90 } });
    const event = rule({ id: 'event', zoneId: null, kind: 'crowding', priority: 5, days: ['holiday'], params: { capacity: 60 } });
    const s = new ZoneSchedule([district, own, event], calendars, zoneCalendars);
    expect(s.capacity(park, at('2026-05-11T10:00:00')).capacity).toBe(90);
    expect(new ZoneSchedule([own, district]).capacity(park, at('2026-05-11T10:00:00')).capacity).toBe(90);
    expect(s.capacity(park, at('2026-05-02T10:00:00')).capacity).toBe(60);
    expect(s.capacity({ ...park, zoneId: 'z-other' }, at('2026-05-11T10:00:00')).capacity).toBe(80);
  });

  it('names what is wrong with a bad rule', () => {
    const ok = { kind: 'noise' as const, start: '12:00', end: '14:00', from: null, until: null, params: { laeq: 45 } };
    expect(ruleProblem(ok)).toBeNull();
    expect(ruleProblem({ ...ok, start: '25:00' })).toMatch(/HH:MM/);
    expect(ruleProblem({ ...ok, from: '2026-13-01' })).toMatch(/YYYY-MM-DD/);
    expect(ruleProblem({ ...ok, params: {} })).toMatch(/laeq/);
    expect(ruleProblem({ ...ok, params: { laeq: 50, lamax: 40 } })).toMatch(/lamax/);
    expect(ruleProblem({ ...ok, kind: 'fishing', params: {} })).toMatch(/fishingBan/);
    expect(ruleProblem({ ...ok, kind: 'crowding', params: { capacity: 0 } })).toMatch(/capacity/);
  });

  it('closes a zone in its closed hours (past midnight too), opens it otherwise, and a rule can open a closed stretch', () => {
    const night = rule({ id: 'night-closure', kind: 'closure', start: '22:00', end: '06:00', params: { closed: true } });
    const festival = rule({ id: 'lantern-night', kind: 'closure', days: ['holiday'], start: '22:00', end: '23:30', priority: 10, params: { closed: false } });
    const s = new ZoneSchedule([night, festival], calendars, zoneCalendars);
    expect(s.closed(park, at('2026-05-11T15:00:00'))).toEqual({ closed: false });
    expect(s.closed(park, at('2026-05-11T23:00:00'))).toEqual({ closed: true, rule: { id: 'night-closure', name: 'night-closure' } });
    expect(s.closed(park, at('2026-05-12T05:59:00')).closed).toBe(true);
    expect(s.closed(park, at('2026-05-12T06:00:00')).closed).toBe(false);
    // On a holiday evening the higher-priority rule keeps the bank open until 23:30.
    expect(s.closed(park, at('2026-05-04T22:30:00'))).toEqual({ closed: false, rule: { id: 'lantern-night', name: 'lantern-night' } });
    expect(s.closed(park, at('2026-05-04T23:45:00')).closed).toBe(true);
    // Another zone's closure does not close this one.
    expect(new ZoneSchedule([{ ...night, zoneId: 'z-other' }]).closed(park, at('2026-05-11T23:00:00')).closed).toBe(false);
    const ok = { kind: 'closure' as const, start: '22:00', end: '06:00', from: null, until: null };
    expect(ruleProblem({ ...ok, params: {} })).toMatch(/closed/);
    expect(ruleProblem({ ...ok, params: { closed: true } })).toBeNull();
  });
});
