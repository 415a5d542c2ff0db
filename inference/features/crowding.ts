/**
 * Features of the `crowding` model: a zone's people count for each of the last CROWD_HISTORY_MIN
 * minutes (oldest first; the caller resamples and forward-fills), the zone's capacity and the local
 * hour. Shared by training-data generation and the worker.
 *
 * Counts are taken relative to capacity, so one model serves a 60-person jetty and a 3,000-person
 * lawn. Besides the normalised series itself the features give what a dispatcher would read off the
 * chart: the current level (robust to a glitch), trends over 5, 15 and 30 minutes as the change they
 * project over the next 15 minutes, their acceleration, the counting noise, the time of day
 * (afternoon build-ups, evening events), and (since crowding 1.4.0) how much of the headroom left
 * 1–3 minutes ago the latest rise took (a surge's first minutes near capacity).
 */

export const CROWD_HISTORY_MIN = 30;
const SERIES = CROWD_HISTORY_MIN;
export const CROWD_FEATURE_COUNT: number = SERIES + 20;
/** Index of x32, the least-squares trend of the newest 15 minutes as the change it projects over 15 (share of capacity). */
export const CROWD_TREND_15 = SERIES + 2;

export const CROWD_NORMALISATION =
  `Counts of the last ${CROWD_HISTORY_MIN} minutes, oldest first (fewer: padded by repeating the oldest; more: the newest ${CROWD_HISTORY_MIN}), ` +
  'c_k = clamp(count_k / capacity, 0, 3). x[0..29] = c_k; x30 = median of the newest 3 c; ' +
  'x31, x32, x33 = least-squares slope of c over the newest 5, 15, 30 minutes times 15 (projected 15-minute change), clamped -2..2; ' +
  'x34 = x31 - x32 (acceleration); x35 = clamp(x30 + x32, 0, 4) (15-minute linear projection); x36 = max c; x37 = min c; ' +
  'x38 = rms residual of c about the 15-minute line * 10; x39, x40 = sin, cos(2 pi localHour / 24); x41 = log10(capacity) / 4; ' +
  `x42 = real minutes / ${CROWD_HISTORY_MIN}; ` +
  'x43 = clamp(quadratic least-squares fit of c over the 30 minutes extrapolated 15 minutes ahead, 0, 4); x44 = clamp(its curvature term over 15 minutes (q * 225), -2, 2); ' +
  'x45 = clamp(mean of the positive minute-to-minute rises of c over the newest 10 minutes * 15, 0, 2) (arrivals); ' +
  'x46 = clamp(largest rise of c over 3 minutes within the newest 10, -1, 2) (a surge); ' +
  'x47, x48, x49 = clamp((c_now - c_(now-k)) / max(0.05, 1 - c_(now-k)), -2, 2) for k = 1, 2, 3 minutes, c_now the newest c (since 1.4.0: the share of the headroom left k minutes ago that the latest rise took).';

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

/** Least-squares c ≈ a + b t + q t² over the whole series (t in minutes, 0 = now): its value 15 minutes ahead and q's share of it. */
function quadratic(): { at15: number; curve15: number } {
  // Normal equations M [a b q]' = v on t = -(SERIES-1)..0, solved by Cramer's rule.
  const m = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  const v = [0, 0, 0];
  for (let k = 0; k < SERIES; k++) {
    const t = k - (SERIES - 1);
    const p = [1, t, t * t];
    for (let i = 0; i < 3; i++) {
      v[i] = (v[i] as number) + (p[i] as number) * (c[k] as number);
      for (let j = 0; j < 3; j++) (m[i] as number[])[j] = ((m[i] as number[])[j] as number) + (p[i] as number) * (p[j] as number);
    }
  }
  const det3 = (x: number[][]) => {
    const [r0, r1, r2] = x as [number[], number[], number[]];
    const g = (r: number[], i: number) => r[i] as number;
    return g(r0, 0) * (g(r1, 1) * g(r2, 2) - g(r1, 2) * g(r2, 1)) - g(r0, 1) * (g(r1, 0) * g(r2, 2) - g(r1, 2) * g(r2, 0)) + g(r0, 2) * (g(r1, 0) * g(r2, 1) - g(r1, 1) * g(r2, 0));
  };
  const det = det3(m);
  const solve = (col: number) => det3(m.map((row, i) => row.map((x, j) => (j === col ? (v[i] as number) : x)))) / det;
  const [a, b, q] = [solve(0), solve(1), solve(2)];
  return { at15: a + 15 * b + 225 * q, curve15: 225 * q };
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
  const q = quadratic();
  target[o++] = clamp(q.at15, 0, 4);
  target[o++] = clamp(q.curve15, -2, 2);
  let rises = 0;
  let surge = -Infinity;
  for (let k = SERIES - 10; k < SERIES; k++) rises += Math.max(0, (c[k] as number) - (c[k - 1] as number));
  for (let k = SERIES - 10; k + 3 < SERIES; k++) surge = Math.max(surge, (c[k + 3] as number) - (c[k] as number));
  target[o++] = clamp((rises / 10) * 15, 0, 2);
  target[o++] = clamp(surge, -1, 2);
  for (let k = 1; k <= 3; k++) {
    const before = c[SERIES - 1 - k] as number;
    target[o++] = clamp((a - before) / Math.max(0.05, 1 - before), -2, 2);
  }
  return target;
}
