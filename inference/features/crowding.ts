/**
 * Features of the `crowding` model: a zone's people count for each of the last CROWD_HISTORY_MIN
 * minutes (oldest first; the caller resamples and forward-fills), the zone's capacity and the local
 * hour. Shared by training-data generation and the worker.
 *
 * Counts are taken relative to capacity, so one model serves a 60-person jetty and a 3,000-person
 * lawn. Besides the normalised series itself the features give what a dispatcher would read off the
 * chart: the current level (robust to a glitch), trends over 5, 15 and 30 minutes as the change they
 * project over the next 15 minutes, their acceleration, the counting noise, and the time of day
 * (afternoon build-ups, evening events).
 */

export const CROWD_HISTORY_MIN = 30;
const SERIES = CROWD_HISTORY_MIN;
export const CROWD_FEATURE_COUNT: number = SERIES + 13;

export const CROWD_NORMALISATION =
  `Counts of the last ${CROWD_HISTORY_MIN} minutes, oldest first (fewer: padded by repeating the oldest; more: the newest ${CROWD_HISTORY_MIN}), ` +
  'c_k = clamp(count_k / capacity, 0, 3). x[0..29] = c_k; x30 = median of the newest 3 c; ' +
  'x31, x32, x33 = least-squares slope of c over the newest 5, 15, 30 minutes times 15 (projected 15-minute change), clamped -2..2; ' +
  'x34 = x31 - x32 (acceleration); x35 = clamp(x30 + x32, 0, 4) (15-minute linear projection); x36 = max c; x37 = min c; ' +
  'x38 = rms residual of c about the 15-minute line * 10; x39, x40 = sin, cos(2 pi localHour / 24); x41 = log10(capacity) / 4; ' +
  `x42 = real minutes / ${CROWD_HISTORY_MIN}.`;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const c = new Float64Array(SERIES);

/** Least-squares slope (per minute) of c over its newest `m` values, and the rms residual about the line. */
function fit(m: number): { slope: number; rms: number } {
  const start = SERIES - m;
  const tMean = (m - 1) / 2;
  let yMean = 0;
  for (let k = 0; k < m; k++) yMean += c[start + k] as number;
  yMean /= m;
  let sxy = 0;
  let sxx = 0;
  for (let k = 0; k < m; k++) {
    sxy += (k - tMean) * ((c[start + k] as number) - yMean);
    sxx += (k - tMean) ** 2;
  }
  const slope = sxy / sxx;
  let r2 = 0;
  for (let k = 0; k < m; k++) r2 += ((c[start + k] as number) - (yMean + slope * (k - tMean))) ** 2;
  return { slope, rms: Math.sqrt(r2 / m) };
}

/**
 * Computes the CROWD_FEATURE_COUNT features of a zone now. When `out` is given the features are
 * written at `offset` into it (for batching many zones into one tensor).
 */
export function crowdFeatures(countsPerMinute: readonly number[], capacity: number, localHour: number, out?: Float32Array, offset = 0): Float32Array {
  if (countsPerMinute.length === 0) throw new RangeError('crowd features need at least one count');
  if (!Number.isFinite(capacity) || capacity <= 0) throw new RangeError('capacity must be a positive number');
  if (!Number.isFinite(localHour)) throw new RangeError('localHour must be finite');
  const target = out ?? new Float32Array(CROWD_FEATURE_COUNT);
  if (!Number.isInteger(offset) || offset < 0 || offset + CROWD_FEATURE_COUNT > target.length) {
    throw new RangeError(`feature buffer too small: need ${offset + CROWD_FEATURE_COUNT}, have ${target.length}`);
  }
  const real = Math.min(countsPerMinute.length, SERIES);
  const first = countsPerMinute.length - real;
  const pad = SERIES - real;
  for (let k = 0; k < SERIES; k++) {
    const v = countsPerMinute[first + Math.max(0, k - pad)] as number;
    if (!Number.isFinite(v) || v < 0) throw new RangeError('counts must be finite and non-negative');
    c[k] = clamp(v / capacity, 0, 3);
  }
  const a = c[SERIES - 1] as number;
  const b = c[SERIES - 2] as number;
  const d = c[SERIES - 3] as number;
  const now = Math.max(Math.min(a, b), Math.min(Math.max(a, b), d)); // median of three
  const s5 = fit(5);
  const s15 = fit(15);
  const s30 = fit(30);
  let max = 0;
  let min = Infinity;
  for (let k = 0; k < SERIES; k++) {
    const v = c[k] as number;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const angle = (2 * Math.PI * (((localHour % 24) + 24) % 24)) / 24;
  const slope5 = clamp(s5.slope * 15, -2, 2);
  const slope15 = clamp(s15.slope * 15, -2, 2);

  let o = offset;
  for (let k = 0; k < SERIES; k++) target[o++] = c[k] as number;
  target[o++] = now;
  target[o++] = slope5;
  target[o++] = slope15;
  target[o++] = clamp(s30.slope * 15, -2, 2);
  target[o++] = slope5 - slope15;
  target[o++] = clamp(now + slope15, 0, 4);
  target[o++] = max;
  target[o++] = min;
  target[o++] = Math.min(s15.rms * 10, 5);
  target[o++] = Math.sin(angle);
  target[o++] = Math.cos(angle);
  target[o++] = Math.log10(capacity) / 4;
  target[o++] = real / SERIES;
  return target;
}
