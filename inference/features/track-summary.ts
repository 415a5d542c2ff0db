/**
 * A whole-track summary of one camera track, kept up to date observation by observation, for the
 * `fishing` features: the newest 30 observations are 90 s of a camera that reports every 3 s, too
 * little to tell an angler who has fished for 40 minutes from a photographer who set up a tripod two
 * minutes ago. The summary remembers the whole track in a few numbers:
 *
 * - the current spot: when the person last walked somewhere (a sustained movement: more than
 *   RELOCATE_M metres within about a minute while moving), and since then how long they have stayed,
 *   how still, how near the water, how persistently something rod-like was seen and how much the
 *   score varies (a rod in a holder flickers and peaks while casting; an umbrella or a tripod is
 *   steadily seen), how often they burst into movement (cast-net throws, re-casts) and how often the
 *   rod score peaks;
 * - the whole track: relocations, time near the water, rod-like object persistence.
 *
 * Everything is weighed by time (the dwell between observations), so it does not depend on how often
 * the camera reports. The state is a plain object: the pipeline keeps it per track and an alert stores
 * it beside the observation window, so a verdict rebuilds the same features.
 */
import type { TrackObservation } from '../../contract/mqtt/telemetry.js';

/** Metres of movement within about a minute (decaying sum of speed × time) that mean the person walked off. */
export const RELOCATE_M = 15;
const DECAY_S = 60;
/** The longest gap between two observations weighed as observed time. */
const MAX_STEP_S = 60;

export interface TrackSummary {
  lastDwellS: number | null;
  totalS: number;
  nearS: number;
  rodS: number;
  rodOverS: number;
  travelM: number;
  moving: boolean;
  relocations: number;
  spotS: number;
  spotStillS: number;
  spotRodS: number;
  spotRod2S: number;
  spotRodOverS: number;
  spotWaterS: number;
  spotBursts: number;
  spotPeaks: number;
  rodEma: number;
  inBurst: boolean;
  inPeak: boolean;
}

export function newTrackSummary(): TrackSummary {
  return {
    lastDwellS: null, totalS: 0, nearS: 0, rodS: 0, rodOverS: 0, travelM: 0, moving: false, relocations: 0,
    spotS: 0, spotStillS: 0, spotRodS: 0, spotRod2S: 0, spotRodOverS: 0, spotWaterS: 0, spotBursts: 0, spotPeaks: 0,
    rodEma: 0, inBurst: false, inPeak: false,
  };
}

/** A stored summary (e.g. read back from an alert's evidence) with every field of the right type. */
export function isTrackSummary(x: unknown): x is TrackSummary {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return Object.entries(newTrackSummary()).every(([k, v]) =>
    typeof v === 'boolean' ? typeof r[k] === 'boolean' : k === 'lastDwellS' ? r[k] === null || Number.isFinite(r[k]) : Number.isFinite(r[k]));
}

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

function newSpot(s: TrackSummary): void {
  Object.assign(s, { spotS: 0, spotStillS: 0, spotRodS: 0, spotRod2S: 0, spotRodOverS: 0, spotWaterS: 0, spotBursts: 0, spotPeaks: 0 });
}

/** Takes one observation (in the track's order) into the summary `s`, in place. */
export function observeTrack(s: TrackSummary, o: TrackObservation): void {
  const dwell = Math.max(0, o.dwellS);
  const first = s.lastDwellS === null;
  const dt = s.lastDwellS === null ? 0 : clamp(dwell - s.lastDwellS, 0, MAX_STEP_S);
  s.lastDwellS = dwell;
  const speed = clamp(o.speedMps, 0, 10);
  const rod = clamp(o.rodScore, 0, 1);
  const water = clamp(o.waterlineM, 0, 100);
  s.travelM = s.travelM * Math.exp(-dt / DECAY_S) + speed * dt;
  if (s.travelM > RELOCATE_M && speed >= 0.5) {
    if (!s.moving && s.spotS > 60) s.relocations++;
    s.moving = true;
    newSpot(s);
  } else if (speed < 0.5) s.moving = false;
  s.totalS += dt;
  if (water < 3) s.nearS += dt;
  s.rodS += rod * dt;
  if (rod > 0.3) s.rodOverS += dt;
  s.spotS += dt;
  if (speed < 0.3) s.spotStillS += dt;
  s.spotRodS += rod * dt;
  s.spotRod2S += rod * rod * dt;
  if (rod > 0.3) s.spotRodOverS += dt;
  s.spotWaterS += water * dt;
  const burst = speed >= 0.4;
  if (burst && !s.inBurst && !s.moving) s.spotBursts++;
  s.inBurst = burst;
  const peak = !first && rod > s.rodEma + 0.25;
  if (peak && !s.inPeak) s.spotPeaks++;
  s.inPeak = peak;
  s.rodEma = first ? rod : s.rodEma + (rod - s.rodEma) * (1 - Math.exp(-dt / 120));
}

/** A summary of `history` alone (oldest first): what the features fall back on without a kept summary. */
export function summariseTrack(history: readonly TrackObservation[]): TrackSummary {
  const s = newTrackSummary();
  for (const o of history) observeTrack(s, o);
  return s;
}

export const TRACK_SUMMARY_FEATURES = 13;

export const TRACK_SUMMARY_NORMALISATION =
  'Whole-track summary (inference/features/track-summary.ts; time-weighted by dwell steps of at most 60 s; the spot restarts when the decaying ' +
  `(60 s) sum of speed x time exceeds ${RELOCATE_M} m while moving at >= 0.5 m/s): ` +
  'y0 = ln(1 + spot s) / 8; y1 = spot share still (speed < 0.3); y2 = spot mean rod; y3 = spot share rod > 0.3; y4 = spot rod std; ' +
  'y5 = min(movement bursts per 10 min at the spot, 10) / 5; y6 = min(rod peaks (> 2-min average + 0.25) per 10 min at the spot, 10) / 5; ' +
  'y7 = ln(1 + spot mean waterline) / 3; y8 = ln(1 + relocations) / 2; y9 = track share within 3 m of the water; y10 = track mean rod; ' +
  'y11 = track share rod > 0.3; y12 = ln(1 + seconds at the spot with rod > 0.3) / 8 (all 0 while no time has passed).';

/** Writes the TRACK_SUMMARY_FEATURES features of `s` at `offset` into `out`. */
export function trackSummaryFeatures(s: TrackSummary, out: Float32Array, offset: number): void {
  const spot = s.spotS;
  const per10 = (n: number) => (spot > 0 ? Math.min((n * 600) / Math.max(spot, 60), 10) / 5 : 0);
  const mean = spot > 0 ? s.spotRodS / spot : 0;
  let o = offset;
  out[o++] = Math.log1p(spot) / 8;
  out[o++] = spot > 0 ? s.spotStillS / spot : 0;
  out[o++] = mean;
  out[o++] = spot > 0 ? s.spotRodOverS / spot : 0;
  out[o++] = spot > 0 ? Math.sqrt(Math.max(0, s.spotRod2S / spot - mean * mean)) : 0;
  out[o++] = per10(s.spotBursts);
  out[o++] = per10(s.spotPeaks);
  out[o++] = spot > 0 ? Math.log1p(s.spotWaterS / spot) / 3 : 0;
  out[o++] = Math.log1p(s.relocations) / 2;
  out[o++] = s.totalS > 0 ? s.nearS / s.totalS : 0;
  out[o++] = s.totalS > 0 ? s.rodS / s.totalS : 0;
  out[o++] = s.totalS > 0 ? s.rodOverS / s.totalS : 0;
  out[o++] = Math.log1p(s.spotRodOverS) / 8;
}
