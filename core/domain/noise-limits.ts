import { localClock } from './local-time.js';

/**
 * Environmental noise limits (GB 3096-2008 / GB 22337-2008), LAeq in dB(A).
 * Day is 06:00–22:00 and night 22:00–06:00 local time of the zone.
 */
import { NOISE_ZONE_CLASSES, type NoiseZoneClass } from '../../contract/http/registry.js';

export { NOISE_ZONE_CLASSES, type NoiseZoneClass };

export const NOISE_LIMITS: Readonly<Record<NoiseZoneClass, { day: number; night: number }>> = {
  '0': { day: 50, night: 40 },
  '1': { day: 55, night: 45 },
  '2': { day: 60, night: 50 },
  '3': { day: 65, night: 55 },
  '4a': { day: 70, night: 55 },
  '4b': { day: 70, night: 60 },
};

/** At night a single sudden event whose LAmax exceeds the night limit by more than this is an exceedance. */
export const NIGHT_LAMAX_MARGIN_DB = 15;

export type Period = 'day' | 'night';

export function periodAt(at: Date, timeZone: string): Period {
  const { hour } = localClock(at, timeZone);
  return hour >= 22 || hour < 6 ? 'night' : 'day';
}

export interface NoiseLimit {
  period: Period;
  /** LAeq limit in dB(A). */
  laeq: number;
  /** LAmax limit for sudden events (night only), dB(A). */
  lamax: number | null;
}

export function noiseLimitAt(zoneClass: NoiseZoneClass, at: Date, timeZone: string): NoiseLimit {
  const limits = NOISE_LIMITS[zoneClass];
  const period = periodAt(at, timeZone);
  return period === 'night'
    ? { period, laeq: limits.night, lamax: limits.night + NIGHT_LAMAX_MARGIN_DB }
    : { period, laeq: limits.day, lamax: null };
}

export type Exceedance = 'laeq' | 'lamax' | null;

/** Which rule a measured level breaks, if any. */
export function exceedance(limit: NoiseLimit, laeq: number, lamax: number): Exceedance {
  if (laeq > limit.laeq) return 'laeq';
  if (limit.lamax !== null && lamax > limit.lamax) return 'lamax';
  return null;
}
