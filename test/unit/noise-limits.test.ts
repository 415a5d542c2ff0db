import { describe, expect, it } from 'vitest';
import { exceedance, NOISE_LIMITS, noiseLimitAt, periodAt } from '../../core/domain/noise-limits.js';
import { localClock } from '../../core/domain/local-time.js';

// 2026-07-01 in Shanghai (UTC+8, no DST): local hh:mm → UTC instant.
const sh = (hh: number, mm = 0) => new Date(Date.UTC(2026, 6, 1, hh - 8, mm));

describe('noise limits by zone class and local time', () => {
  it('has the GB 3096-2008 table', () => {
    expect(NOISE_LIMITS).toEqual({
      '0': { day: 50, night: 40 },
      '1': { day: 55, night: 45 },
      '2': { day: 60, night: 50 },
      '3': { day: 65, night: 55 },
      '4a': { day: 70, night: 55 },
      '4b': { day: 70, night: 60 },
    });
  });

  it('uses the zone’s local time: day 06:00–22:00, night 22:00–06:00', () => {
    expect(periodAt(sh(5, 59), 'Asia/Shanghai')).toBe('night');
    expect(periodAt(sh(6, 0), 'Asia/Shanghai')).toBe('day');
    expect(periodAt(sh(21, 59), 'Asia/Shanghai')).toBe('day');
    expect(periodAt(sh(22, 0), 'Asia/Shanghai')).toBe('night');
    // The same instant is 16:30 in Berlin (UTC+2 in July): day there.
    expect(periodAt(sh(22, 30), 'Europe/Berlin')).toBe('day');
    expect(localClock(sh(22, 30), 'Asia/Shanghai')).toMatchObject({ hour: 22, minute: 30, day: 1, month: 7 });
  });

  it('gives class 1 night 45 dB(A) with the LAmax + 15 dB rule, and day 55 dB(A) without it', () => {
    expect(noiseLimitAt('1', sh(22, 30), 'Asia/Shanghai')).toEqual({ period: 'night', laeq: 45, lamax: 60 });
    expect(noiseLimitAt('1', sh(15, 0), 'Asia/Shanghai')).toEqual({ period: 'day', laeq: 55, lamax: null });
    expect(noiseLimitAt('4b', sh(3, 0), 'Asia/Shanghai')).toEqual({ period: 'night', laeq: 60, lamax: 75 });
  });

  it('names the rule a level breaks', () => {
    const night = noiseLimitAt('1', sh(23), 'Asia/Shanghai');
    expect(exceedance(night, 62, 65)).toBe('laeq');
    expect(exceedance(night, 45, 60)).toBeNull(); // at the limit is not above it
    expect(exceedance(night, 44, 61)).toBe('lamax'); // a sudden event > 15 dB over the night limit
    const day = noiseLimitAt('1', sh(15), 'Asia/Shanghai');
    expect(exceedance(day, 50, 80)).toBeNull(); // no LAmax rule by day
    expect(exceedance(day, 55.1, 58)).toBe('laeq');
  });
});
