import { localClock } from '../../core/domain/local-time.js';
import type { NoiseLimit } from '../../core/domain/noise-limits.js';
import type { ComplaintCategory, SensorRecord } from '../../contract/http/complaints.js';

/**
 * What the zone's stored readings say about a complaint, around its time: the record confirms it
 * (an exceedance was measured), questions it (sensors were there and measured none) or has nothing
 * to say (no sensor of that kind reported, or no sensor measures the category). Pure: the repository
 * reads the per-minute levels and the limits; this judges them.
 */

/** One minute of one sound level meter: energetic LAeq and max LAmax of its readings. */
export interface NoiseMinute {
  minute: Date;
  deviceId: string;
  laeq: number;
  lamax: number;
}

/** One minute of a zone's people count (the sum of its counters' maxima). */
export interface PeopleMinute {
  minute: Date;
  count: number;
}

const fmt = (n: number) => (Math.round(n * 10) / 10).toString();
const hhmm = (at: Date, tz: string) => {
  const c = localClock(at, tz);
  return `${String(c.hour).padStart(2, '0')}:${String(c.minute).padStart(2, '0')}`;
};

/** Noise: the minute furthest above its limit (LAeq, or LAmax for a night event), else the loudest minute. */
export function judgeNoise(minutes: readonly NoiseMinute[], limitAt: (at: Date) => NoiseLimit, tz: string, from: Date, to: Date): SensorRecord {
  const span = { from: from.toISOString(), to: to.toISOString() };
  const window = `${hhmm(from, tz)}–${hhmm(to, tz)}`;
  if (minutes.length === 0) return { verdict: 'no_data', text: `no noise readings in the zone ${window}`, ...span };
  let worst: { m: NoiseMinute; limit: NoiseLimit; over: number; by: 'laeq' | 'lamax' } | null = null;
  let loudest: { m: NoiseMinute; limit: NoiseLimit } | null = null;
  for (const m of minutes) {
    const limit = limitAt(m.minute);
    if (!loudest || m.laeq - limit.laeq > loudest.m.laeq - loudest.limit.laeq) loudest = { m, limit };
    const overLaeq = m.laeq - limit.laeq;
    const overLamax = limit.lamax === null ? -Infinity : m.lamax - limit.lamax;
    const [over, by] = overLaeq > 0 || overLaeq >= overLamax ? [overLaeq, 'laeq' as const] : [overLamax, 'lamax' as const];
    if (over > 0 && (!worst || over > worst.over)) worst = { m, limit, over, by };
  }
  const devices = new Set(minutes.map((m) => m.deviceId)).size;
  if (worst) {
    const { m, limit } = worst;
    const text = worst.by === 'laeq'
      ? `LAeq ${fmt(m.laeq)} dB(A) at ${hhmm(m.minute, tz)}, ${limit.period} limit ${fmt(limit.laeq)}`
      : `LAmax ${fmt(m.lamax)} dB(A) at ${hhmm(m.minute, tz)}, night limit for sudden events ${fmt(limit.lamax ?? 0)}`;
    return { verdict: 'confirms', text, ...span };
  }
  const { m, limit } = loudest!;
  return {
    verdict: 'questions',
    text: `no exceedance measured: highest LAeq ${fmt(m.laeq)} dB(A) at ${hhmm(m.minute, tz)}, ${limit.period} limit ${fmt(limit.laeq)} (${devices} meter${devices === 1 ? '' : 's'}, ${window})`,
    ...span,
  };
}

/** Crowding: the zone's highest count against its capacity. */
export function judgeCrowding(minutes: readonly PeopleMinute[], capacity: number | null, tz: string, from: Date, to: Date): SensorRecord {
  const span = { from: from.toISOString(), to: to.toISOString() };
  if (minutes.length === 0 || capacity === null) {
    return { verdict: 'no_data', text: capacity === null ? 'the zone has no capacity to measure against' : `no people counts in the zone ${hhmm(from, tz)}–${hhmm(to, tz)}`, ...span };
  }
  const peak = minutes.reduce((a, b) => (b.count > a.count ? b : a));
  return peak.count > capacity
    ? { verdict: 'confirms', text: `${peak.count} people at ${hhmm(peak.minute, tz)}, capacity ${capacity}`, ...span }
    : { verdict: 'questions', text: `no crowding measured: at most ${peak.count} people at ${hhmm(peak.minute, tz)}, capacity ${capacity}`, ...span };
}

/** Fishing: camera tracks that looked like fishing (a rod at the waterline) in the window. */
export function judgeFishing(tracks: { seen: number; fishingLike: number; firstAt: Date | null }, tz: string, from: Date, to: Date): SensorRecord {
  const span = { from: from.toISOString(), to: to.toISOString() };
  if (tracks.seen === 0) return { verdict: 'no_data', text: `no camera tracks in the zone ${hhmm(from, tz)}–${hhmm(to, tz)}`, ...span };
  if (tracks.fishingLike > 0 && tracks.firstAt) {
    return { verdict: 'confirms', text: `${tracks.fishingLike} person track${tracks.fishingLike === 1 ? '' : 's'} with a rod at the waterline from ${hhmm(tracks.firstAt, tz)}`, ...span };
  }
  return { verdict: 'questions', text: `no fishing seen: ${tracks.seen} track${tracks.seen === 1 ? '' : 's'}, none with a rod at the waterline`, ...span };
}

/** Categories no sensor measures. */
export function unmeasured(category: ComplaintCategory, from: Date, to: Date): SensorRecord {
  return { verdict: 'no_data', text: `no sensor measures ${category} complaints`, from: from.toISOString(), to: to.toISOString() };
}

/** A track looks like fishing above this rod score, within this distance of the water. */
export const ROD_SCORE_MIN = 0.6;
export const WATERLINE_MAX_M = 3;
