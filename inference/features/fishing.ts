/**
 * Features of the `fishing` model: one camera track's recent observations (DESIGN §3 `tracks`
 * payload) and the local hour. Shared by training-data generation and the worker.
 *
 * What separates an angler from everyone else on a riverbank is the combination, not one number: a
 * long, nearly motionless stay close to the water with a rod detector that is noisy but mostly high
 * (and peaks while casting). Sitters stay long without a rod, photographers stand at the edge with a
 * rod-like tripod for minutes, walkers' umbrellas and sticks fire the detector while they move.
 * So the features summarise dwell, distance to the water, stillness and the rod score's level,
 * persistence and peaks over the history, plus the time of day (anglers favour dawn, dusk and night).
 * They use fractions and robust statistics so they do not depend on how often the camera reports.
 */

import type { TrackObservation } from '../../contract/mqtt/telemetry.js';
import { summariseTrack, trackSummaryFeatures, TRACK_SUMMARY_FEATURES, TRACK_SUMMARY_NORMALISATION, type TrackSummary } from './track-summary.js';

export type { TrackObservation };

/** The newest observations used; the worker need not keep more per track. */
export const FISHING_HISTORY = 30;
const WINDOW_FEATURES = 22;
export const FISHING_FEATURE_COUNT = WINDOW_FEATURES + TRACK_SUMMARY_FEATURES;

export const FISHING_NORMALISATION =
  `History of one track, oldest first, the newest ${FISHING_HISTORY} observations used (at least 1). ` +
  'x0 = ln(1 + dwellS_last) / 8; x1 = ln(1 + waterline_last) / 3; x2 = ln(1 + mean waterline) / 3; x3 = ln(1 + min waterline) / 3; ' +
  'x4 = min(std waterline, 5) / 2; x5 = min(speed_last, 10) / 3; x6 = min(mean speed, 10) / 3; x7 = min(max speed, 10) / 3; ' +
  'x8 = share of observations with speed < 0.3 m/s; x9 = mean rod; x10 = std rod; x11 = max rod; x12 = share rod > 0.5; ' +
  'x13 = share rod > 0.3; x14 = mean rod of the newest 5; x15 = median rod; x16 = mean rod while still (speed < 0.3; 0 if never); ' +
  'x17, x18 = sin, cos(2 pi localHour / 24); x19 = observations used / 30; x20 = ln(1 + dwellS_last * share still) / 8; ' +
  'x21 = share of observations within 3 m of the water. rodScore clamped to 0..1, distances and speeds to >= 0. ' +
  `x22..x34 = y0..y12 of the track's whole history. ${TRACK_SUMMARY_NORMALISATION}`;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const rods = new Float64Array(FISHING_HISTORY);

function check(o: TrackObservation): void {
  if (!Number.isFinite(o.dwellS) || !Number.isFinite(o.waterlineM) || !Number.isFinite(o.rodScore) || !Number.isFinite(o.speedMps)) {
    throw new RangeError('track observation fields must be finite numbers');
  }
}

/**
 * Computes the FISHING_FEATURE_COUNT features of a track at its newest observation. When `out` is
 * given the features are written at `offset` into it (for batching many tracks into one tensor).
 * `whole` is the summary of the track's whole history up to and including that observation
 * (track-summary.ts); without it the summary of `history` alone stands in.
 */
export function fishingFeatures(history: readonly TrackObservation[], localHour: number, out?: Float32Array, offset = 0, whole?: TrackSummary): Float32Array {
  if (history.length === 0) throw new RangeError('a track needs at least one observation');
  if (!Number.isFinite(localHour)) throw new RangeError('localHour must be finite');
  const target = out ?? new Float32Array(FISHING_FEATURE_COUNT);
  if (!Number.isInteger(offset) || offset < 0 || offset + FISHING_FEATURE_COUNT > target.length) {
    throw new RangeError(`feature buffer too small: need ${offset + FISHING_FEATURE_COUNT}, have ${target.length}`);
  }
  const n = Math.min(history.length, FISHING_HISTORY);
  const first = history.length - n;
  let wSum = 0;
  let w2 = 0;
  let wMin = Infinity;
  let sSum = 0;
  let sMax = 0;
  let still = 0;
  let rSum = 0;
  let r2 = 0;
  let rMax = 0;
  let over5 = 0;
  let over3 = 0;
  let stillRod = 0;
  let near = 0;
  let recent = 0;
  for (let k = 0; k < n; k++) {
    const o = history[first + k] as TrackObservation;
    check(o);
    const w = Math.max(0, o.waterlineM);
    const s = Math.max(0, o.speedMps);
    const rod = clamp(o.rodScore, 0, 1);
    rods[k] = rod;
    wSum += w;
    w2 += w * w;
    if (w < wMin) wMin = w;
    sSum += s;
    if (s > sMax) sMax = s;
    if (s < 0.3) {
      still++;
      stillRod += rod;
    }
    if (w < 3) near++;
    rSum += rod;
    r2 += rod * rod;
    if (rod > rMax) rMax = rod;
    if (rod > 0.5) over5++;
    if (rod > 0.3) over3++;
    if (k >= n - 5) recent += rod;
  }
  const last = history[history.length - 1] as TrackObservation;
  const wMean = wSum / n;
  const rMean = rSum / n;
  const sorted = rods.subarray(0, n).slice().sort();
  const median = n % 2 === 1 ? (sorted[(n - 1) / 2] as number) : ((sorted[n / 2 - 1] as number) + (sorted[n / 2] as number)) / 2;
  const dwell = Math.max(0, last.dwellS);
  const stillShare = still / n;
  const angle = (2 * Math.PI * (((localHour % 24) + 24) % 24)) / 24;

  let o = offset;
  target[o++] = Math.log1p(dwell) / 8;
  target[o++] = Math.log1p(Math.max(0, last.waterlineM)) / 3;
  target[o++] = Math.log1p(wMean) / 3;
  target[o++] = Math.log1p(wMin) / 3;
  target[o++] = Math.min(Math.sqrt(Math.max(0, w2 / n - wMean * wMean)), 5) / 2;
  target[o++] = Math.min(Math.max(0, last.speedMps), 10) / 3;
  target[o++] = Math.min(sSum / n, 10) / 3;
  target[o++] = Math.min(sMax, 10) / 3;
  target[o++] = stillShare;
  target[o++] = rMean;
  target[o++] = Math.sqrt(Math.max(0, r2 / n - rMean * rMean));
  target[o++] = rMax;
  target[o++] = over5 / n;
  target[o++] = over3 / n;
  target[o++] = recent / Math.min(5, n);
  target[o++] = median;
  target[o++] = still > 0 ? stillRod / still : 0;
  target[o++] = Math.sin(angle);
  target[o++] = Math.cos(angle);
  target[o++] = n / FISHING_HISTORY;
  target[o++] = Math.log1p(dwell * stillShare) / 8;
  target[o++] = near / n;
  trackSummaryFeatures(whole ?? summariseTrack(history.slice(first)), target, o);
  return target;
}
