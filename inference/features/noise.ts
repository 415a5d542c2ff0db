/**
 * Features of the `noise-window` model: a window of NOISE_WINDOW consecutive 1-second sound level
 * meter readings (31 unweighted 1/3-octave bands, LAeq, LAFmax; DESIGN §3 `noise` payload) of one
 * device. Shared by training-data generation and the worker, so training and serving never drift.
 *
 * Every feature describes *shape*, never absolute level: bands are taken relative to the frame's
 * A-weighted level computed from the bands themselves, level statistics are spreads and differences.
 * Adding a constant to every band, LAeq and LAmax of the window leaves the features unchanged — the
 * legal limit, not the model, judges loudness. Over the window the features show
 * - the average spectral shape (bass-heavy music, traffic's low hump, speech formants, 2–4 kHz impacts),
 * - how each band moves with time (chords and melody change the tonal bands of music every second or
 *   two; a pass-by moves all bands together; speech moves its formant bands),
 * - tonality (1/3-octave bands standing out of their neighbours, as in ISO 1996-2 annex K),
 * - the level's temporal structure (spread, step size, lag-1/lag-2 autocorrelation: pass-bys are slow
 *   and smooth, syllables and impacts jumpy, songs steady with periodic bar/chord changes) and the
 *   crest LAFmax − LAeq within each second (beats, impacts),
 * - the shape of a pass-by (a train, a helicopter, an aircraft): the level rising or falling along a
 *   line or an arch, the spectral centroid sweeping with it (distance and Doppler), every band drifting
 *   the same way, and a rotor or engine tone held in one band — where music holds its level and
 *   changes its spectrum in steps.
 */
import { A_WEIGHTING_DB, BAND_COUNT } from '../../core/domain/decibel.js';
import type { NoiseFrame } from '../../contract/mqtt/telemetry.js';

export const NOISE_WINDOW = 10;

export type { NoiseFrame };

const B = BAND_COUNT;
const SCALARS = 32;
/** 31 mean band shapes + 31 band standard deviations + 32 window statistics. */
export const NOISE_WINDOW_FEATURE_COUNT: number = 2 * B + SCALARS;

/** Human-readable normalisation, carried verbatim in the model card. */
export const NOISE_WINDOW_NORMALISATION =
  `Window of ${NOISE_WINDOW} consecutive 1 s readings, oldest first (fewer: padded by repeating the oldest; more: the newest ${NOISE_WINDOW}). ` +
  'Per frame t: LA_t = 10 log10 sum 10^((bands[i] + A[i])/10) (IEC 61672-1 A weights at the band centres), LZ_t = 10 log10 sum 10^(bands[i]/10), ' +
  'r_t[i] = clamp(bands[i] - LA_t, -80, 40), c_t = clamp(lamax - laeq, 0, 30). ' +
  'x[0..30] = mean_t r_t[i] / 20; x[31..61] = min(std_t r_t[i], 18) / 6; ' +
  'x[62] = std LA / 5; x[63] = (max LA - min LA) / 10; x[64] = mean |LA_t - LA_t-1| / 5; x[65], x[66] = lag-1, lag-2 autocorrelation of LA_t; ' +
  'x[67] = mean c / 10; x[68] = std c / 5; x[69] = max c / 10; x[70] = clamp(max lamax - energetic mean laeq, 0, 40) / 10; ' +
  'x[71] = mean (LA - LZ) / 10 (clamped -40..10); x[72] = std (LA - LZ) / 5; ' +
  'x[73..75] = spectral flux mean_t rms_i(r_t[i] - r_t-1[i]) / 5 over bands 20-160 Hz, 200 Hz-2 kHz, 2.5-20 kHz; ' +
  'x[76], x[77] = spectral distance at lags 2 and 4 divided by the lag-1 distance (periodic bars/chords), clamped 0..3, / 2; ' +
  'x[78] = mean count of tonal bands (exceeding both neighbours by >= 15 dB at 25-125 Hz, 8 dB at 160-400 Hz, 5 dB from 500 Hz; ISO 1996-2 annex K) / 5; x[79] = mean largest prominence, clamped 0..30, / 10; ' +
  'x[80] = mean_t of r_t in 40-125 Hz minus r_t in 250 Hz-2 kHz (bass excess) / 20; x[81] = lag-1 autocorrelation of c_t; ' +
  'x[82] = std over t of the bass excess / 5; ' +
  'pass-by shape (a vehicle or aircraft passing: level and spectrum sweep smoothly, all bands together; music holds its level and changes its spectrum in steps): ' +
  'x[83] = R^2 of a straight line fitted to LA_t over t (0 when std LA < 0.3 dB), x[84] = R^2 of a parabola (0 when std LA < 0.3 dB), x[85] = rms residual of the parabola / 3; ' +
  'with the spectral centroid k_t = sum_i i 10^(r_t[i]/10) / sum_i 10^(r_t[i]/10) (band index, 50 Hz-10 kHz): x[86] = std k / 3, x[87] = R^2 of a straight line fitted to k_t (0 when std k < 0.05), ' +
  'x[88] = correlation of k_t with LA_t (0 when either is flat); ' +
  'x[89] = mean over 50 Hz-10 kHz bands of |correlation of r_t[i] with t| (monotonic spectral drift); ' +
  'x[90] = common-mode share var LA / (var LA + mean over 50 Hz-10 kHz of var r[i]); ' +
  'with the most prominent band m_t of each frame (prominence >= 3 dB, else none): x[91] = share of consecutive frames with m_t within one band of m_t-1 (a persistent tone: rotor, engine, saw), ' +
  'x[92] = distinct m_t / 10; x[93] = real frames / 10 (1 for a full window). Level-invariant.';

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const A_LIN = Float64Array.from(A_WEIGHTING_DB, (a) => 10 ** (a / 10));
const LN10_10 = Math.LN10 / 10;
/** ISO 1996-2 annex K: a 1/3-octave band is tonal when it exceeds both neighbours by 15 dB (25–125 Hz), 8 dB (160–400 Hz) or 5 dB (500 Hz up). */
const TONAL_DB = Float64Array.from({ length: B }, (_, i) => (i <= 8 ? 15 : i <= 13 ? 8 : 5));
const LOW = [0, 10] as const; // 20–160 Hz
const MID = [10, 21] as const; // 200 Hz–2 kHz
const HIGH = [21, B] as const; // 2.5–20 kHz

// Scratch buffers (the function is synchronous and single-threaded per process).
const rel = new Float64Array(NOISE_WINDOW * B);
const la = new Float64Array(NOISE_WINDOW);
const tilt = new Float64Array(NOISE_WINDOW);
const crest = new Float64Array(NOISE_WINDOW);
const bass = new Float64Array(NOISE_WINDOW);
const centroid = new Float64Array(NOISE_WINDOW);
const peakBand = new Int32Array(NOISE_WINDOW);
/** Bands of the pass-by shape features: 50 Hz-10 kHz (ambience and the meter's floor rule the bands outside). */
const SHAPE = [4, 28] as const;
const series = new Float64Array(NOISE_WINDOW);
const time = Float64Array.from({ length: NOISE_WINDOW }, (_, t) => t);

function autocorr(x: Float64Array, n: number, lag: number): number {
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t] as number;
  mean /= n;
  let num = 0;
  let den = 0;
  for (let t = 0; t < n; t++) {
    const d = (x[t] as number) - mean;
    den += d * d;
    if (t >= lag) num += d * ((x[t - lag] as number) - mean);
  }
  return den < 1e-6 ? 0 : clamp(num / den, -1, 1);
}

function stats(x: Float64Array, n: number): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let t = 0; t < n; t++) {
    const v = x[t] as number;
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / n;
  let v2 = 0;
  for (let t = 0; t < n; t++) v2 += ((x[t] as number) - mean) ** 2;
  return { mean, std: Math.sqrt(v2 / n), min, max };
}

/** R^2 of a least-squares polynomial of degree 1 or 2 in t fitted to x, and the rms residual. */
function polyFit(x: Float64Array, degree: 1 | 2): { r2: number; resid: number } {
  const n = NOISE_WINDOW;
  const mid = (n - 1) / 2;
  // Orthogonal polynomials on t = 0..n-1: p1 = t - mid, p2 = p1^2 - (n^2 - 1)/12.
  let mean = 0;
  for (let t = 0; t < n; t++) mean += x[t] as number;
  mean /= n;
  // Their squared norms, sums of p1^2 and p2^2 (exact in floating point for the window's n).
  const n1 = (n * (n * n - 1)) / 12;
  const n2 = (n * (n * n - 1) * (n * n - 4)) / 180;
  let tot = 0;
  let c1 = 0;
  let c2 = 0;
  for (let t = 0; t < n; t++) {
    const d = (x[t] as number) - mean;
    const p1 = t - mid;
    tot += d * d;
    c1 += d * p1;
    c2 += d * (p1 * p1 - (n * n - 1) / 12);
  }
  const explained = (c1 * c1) / n1 + (degree === 2 ? (c2 * c2) / n2 : 0);
  const r2 = tot < 1e-9 ? 0 : clamp(explained / tot, 0, 1);
  return { r2, resid: Math.sqrt(Math.max(0, tot - explained) / n) };
}

function correlation(a: Float64Array, b: Float64Array, n: number): number {
  let ma = 0;
  let mb = 0;
  for (let t = 0; t < n; t++) {
    ma += a[t] as number;
    mb += b[t] as number;
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let t = 0; t < n; t++) {
    const da = (a[t] as number) - ma;
    const db = (b[t] as number) - mb;
    ab += da * db;
    aa += da * da;
    bb += db * db;
  }
  return aa < 1e-6 || bb < 1e-6 ? 0 : clamp(ab / Math.sqrt(aa * bb), -1, 1);
}

/** Mean over t ≥ lag of the rms difference between r_t and r_{t-lag} over bands [lo, hi). */
function distance(lag: number, lo: number, hi: number): number {
  let s = 0;
  for (let t = lag; t < NOISE_WINDOW; t++) {
    let d2 = 0;
    for (let i = lo; i < hi; i++) d2 += ((rel[t * B + i] as number) - (rel[(t - lag) * B + i] as number)) ** 2;
    s += Math.sqrt(d2 / (hi - lo));
  }
  return s / (NOISE_WINDOW - lag);
}

interface FrameInfo {
  la: number;
  tilt: number;
  bass: number;
  rel: Float64Array;
}

/**
 * Per-frame quantities, cached per frame object: a device's sliding window shares nine of its ten
 * frames with the previous window, so only the newest frame is computed. Frames are read, never
 * changed, by the feature function; a caller that mutates a frame in place must pass a new object.
 */
const cache = new WeakMap<NoiseFrame, FrameInfo>();

function frameInfo(f: NoiseFrame): FrameInfo {
  const hit = cache.get(f);
  if (hit && hit.rel.length === B) return hit;
  checkFrame(f);
  let ea = 0;
  let ez = 0;
  for (let i = 0; i < B; i++) {
    const e = Math.exp((f.bands[i] as number) * LN10_10);
    ez += e;
    ea += e * (A_LIN[i] as number);
  }
  const lat = (10 * Math.log(ea)) / Math.LN10;
  const r = new Float64Array(B);
  let lowSum = 0;
  let midSum = 0;
  for (let i = 0; i < B; i++) {
    const v = clamp((f.bands[i] as number) - lat, -80, 40);
    r[i] = v;
    if (i >= 3 && i <= 8) lowSum += v; // 40–125 Hz
    else if (i >= 11 && i <= 20) midSum += v; // 250 Hz–2 kHz
  }
  const info = { la: lat, tilt: clamp(lat - (10 * Math.log(ez)) / Math.LN10, -40, 10), bass: lowSum / 6 - midSum / 10, rel: r };
  cache.set(f, info);
  return info;
}

function checkFrame(f: NoiseFrame): void {
  if (f.bands.length !== B) throw new RangeError(`expected ${B} bands, got ${f.bands.length}`);
  for (const b of f.bands) if (!Number.isFinite(b)) throw new RangeError('band levels must be finite numbers');
  if (!Number.isFinite(f.laeq) || !Number.isFinite(f.lamax)) throw new RangeError('laeq and lamax must be finite');
}

/**
 * Computes the NOISE_WINDOW_FEATURE_COUNT features of a window (frames oldest first). When `out` is
 * given the features are written at `offset` into it (for batching many devices into one tensor).
 */
export function noiseWindowFeatures(frames: readonly NoiseFrame[], out?: Float32Array, offset = 0): Float32Array {
  if (frames.length === 0) throw new RangeError('a noise window needs at least one frame');
  const target = out ?? new Float32Array(NOISE_WINDOW_FEATURE_COUNT);
  if (!Number.isInteger(offset) || offset < 0 || offset + NOISE_WINDOW_FEATURE_COUNT > target.length) {
    throw new RangeError(`feature buffer too small: need ${offset + NOISE_WINDOW_FEATURE_COUNT}, have ${target.length}`);
  }
  const real = Math.min(frames.length, NOISE_WINDOW);
  const first = frames.length - real;
  const pad = NOISE_WINDOW - real;
  let laeqEnergy = 0;
  let lamaxMax = -Infinity;
  for (let t = 0; t < NOISE_WINDOW; t++) {
    const f = frames[first + Math.max(0, t - pad)] as NoiseFrame;
    const info = frameInfo(f);
    rel.set(info.rel, t * B);
    la[t] = info.la;
    tilt[t] = info.tilt;
    bass[t] = info.bass;
    crest[t] = clamp(f.lamax - f.laeq, 0, 30);
    laeqEnergy += Math.exp(f.laeq * LN10_10);
    if (f.lamax > lamaxMax) lamaxMax = f.lamax;
  }

  let o = offset;
  for (let i = 0; i < B; i++) {
    let s = 0;
    for (let t = 0; t < NOISE_WINDOW; t++) s += rel[t * B + i] as number;
    const mean = s / NOISE_WINDOW;
    let v = 0;
    for (let t = 0; t < NOISE_WINDOW; t++) v += ((rel[t * B + i] as number) - mean) ** 2;
    target[o + i] = mean / 20;
    target[o + B + i] = Math.min(Math.sqrt(v / NOISE_WINDOW), 18) / 6;
  }
  o += 2 * B;

  const L = stats(la, NOISE_WINDOW);
  let step = 0;
  for (let t = 1; t < NOISE_WINDOW; t++) step += Math.abs((la[t] as number) - (la[t - 1] as number));
  const C = stats(crest, NOISE_WINDOW);
  const T = stats(tilt, NOISE_WINDOW);
  const Bs = stats(bass, NOISE_WINDOW);
  const d1 = distance(1, 0, B);
  const lagRatio = (lag: number): number => (d1 < 0.05 ? 1 : clamp(distance(lag, 0, B) / d1, 0, 3));
  let tonalCount = 0;
  let prominence = 0;
  for (let t = 0; t < NOISE_WINDOW; t++) {
    let best = 0;
    for (let i = 1; i < B - 1; i++) {
      const r = rel[t * B + i] as number;
      const p = Math.min(r - (rel[t * B + i - 1] as number), r - (rel[t * B + i + 1] as number));
      if (p >= (TONAL_DB[i] as number)) tonalCount++;
      if (p > best) best = p;
    }
    prominence += Math.min(best, 30);
  }
  const leqWindow = (10 * Math.log(laeqEnergy / NOISE_WINDOW)) / Math.LN10;

  // Pass-by shape: level ramps and arches, spectral centroid sweep, monotonic drift, common mode, persistent tones.
  const line = polyFit(la, 1);
  const arch = polyFit(la, 2);
  let drift = 0;
  let bandVar = 0;
  for (let i = SHAPE[0]; i < SHAPE[1]; i++) {
    for (let t = 0; t < NOISE_WINDOW; t++) series[t] = rel[t * B + i] as number;
    drift += Math.abs(correlation(series, time, NOISE_WINDOW));
    bandVar += stats(series, NOISE_WINDOW).std ** 2;
  }
  drift /= SHAPE[1] - SHAPE[0];
  bandVar /= SHAPE[1] - SHAPE[0];
  for (let t = 0; t < NOISE_WINDOW; t++) {
    let num = 0;
    let den = 0;
    let best = 3;
    let at = -1;
    for (let i = SHAPE[0]; i < SHAPE[1]; i++) {
      const r = rel[t * B + i] as number;
      const e = Math.exp(r * LN10_10);
      num += i * e;
      den += e;
      const p = Math.min(r - (rel[t * B + i - 1] as number), r - (rel[t * B + i + 1] as number));
      if (p >= best) {
        best = p;
        at = i;
      }
    }
    centroid[t] = num / den;
    peakBand[t] = at;
  }
  const K = stats(centroid, NOISE_WINDOW);
  let held = 0;
  const distinct = new Set<number>();
  for (let t = 0; t < NOISE_WINDOW; t++) {
    const m = peakBand[t] as number;
    if (m >= 0) distinct.add(m);
    if (t > 0 && m >= 0 && (peakBand[t - 1] as number) >= 0 && Math.abs(m - (peakBand[t - 1] as number)) <= 1) held++;
  }

  target[o++] = L.std / 5;
  target[o++] = (L.max - L.min) / 10;
  target[o++] = step / (NOISE_WINDOW - 1) / 5;
  target[o++] = autocorr(la, NOISE_WINDOW, 1);
  target[o++] = autocorr(la, NOISE_WINDOW, 2);
  target[o++] = C.mean / 10;
  target[o++] = C.std / 5;
  target[o++] = C.max / 10;
  target[o++] = clamp(lamaxMax - leqWindow, 0, 40) / 10;
  target[o++] = T.mean / 10;
  target[o++] = T.std / 5;
  target[o++] = distance(1, LOW[0], LOW[1]) / 5;
  target[o++] = distance(1, MID[0], MID[1]) / 5;
  target[o++] = distance(1, HIGH[0], HIGH[1]) / 5;
  target[o++] = lagRatio(2) / 2;
  target[o++] = lagRatio(4) / 2;
  target[o++] = tonalCount / NOISE_WINDOW / 5;
  target[o++] = prominence / NOISE_WINDOW / 10;
  target[o++] = Bs.mean / 20;
  target[o++] = autocorr(crest, NOISE_WINDOW, 1);
  target[o++] = Bs.std / 5;
  target[o++] = L.std < 0.3 ? 0 : line.r2;
  target[o++] = L.std < 0.3 ? 0 : arch.r2;
  target[o++] = Math.min(arch.resid, 15) / 3;
  target[o++] = Math.min(K.std, 9) / 3;
  target[o++] = K.std < 0.05 ? 0 : polyFit(centroid, 1).r2;
  target[o++] = correlation(centroid, la, NOISE_WINDOW);
  target[o++] = drift;
  target[o++] = (L.std * L.std) / (L.std * L.std + bandVar + 1e-3);
  target[o++] = held / (NOISE_WINDOW - 1);
  target[o++] = distinct.size / NOISE_WINDOW;
  target[o++] = real / NOISE_WINDOW;
  return target;
}
