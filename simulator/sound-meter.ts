/**
 * A software class-1-style sound level meter for synthesised pressure signals (Pa at 48 kHz): per
 * second, 31 unweighted 1/3-octave band levels from an FFT filter bank and A-weighted LAeq / LAFmax
 * from the time signal — the DESIGN §3 `noise` reading.
 *
 * Filter bank: each second is analysed with a Tukey window (flat over the second, 0.18 s cosine
 * tapers into its neighbours, 65,536 points, 0.73 Hz bins); a band's mean-square pressure is the
 * power of the bins between its IEC 61260-1 base-10 edges fm·10^(±1/20), normalised by the window's
 * energy (Parseval). Two seconds share one complex FFT (one as the real, one as the imaginary part).
 * LAeq: mean square of the A-weighted signal over the second; LAFmax: maximum of its exponential
 * Fast (τ = 125 ms) time weighting within the second.
 */
import { EXACT_CENTRES_HZ, FS, P0, aWeight } from './audio-dsp.js';
import type { NoiseFrame } from '../contract/mqtt/telemetry.js';

const N = 65_536;
/** Samples of context needed before the first and after the last analysed second. */
export const METER_MARGIN = (N - FS) / 2;

const cosT = new Float64Array(N / 2);
const sinT = new Float64Array(N / 2);
for (let k = 0; k < N / 2; k++) {
  cosT[k] = Math.cos((2 * Math.PI * k) / N);
  sinT[k] = -Math.sin((2 * Math.PI * k) / N);
}
const rev = new Uint32Array(N);
for (let i = 0, bits = Math.log2(N); i < N; i++) {
  let r = 0;
  for (let b = 0, v = i; b < bits; b++, v >>= 1) r = (r << 1) | (v & 1);
  rev[i] = r;
}
const window = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const t = Math.min(i, N - 1 - i);
  window[i] = t >= METER_MARGIN ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * t) / METER_MARGIN);
}
const windowEnergy = window.reduce((s, w) => s + w * w, 0);
/** First and one-past-last FFT bin of each band. */
const BAND_BINS = EXACT_CENTRES_HZ.map((fm) => [Math.ceil((fm * 10 ** -0.05 * N) / FS), Math.ceil((fm * 10 ** 0.05 * N) / FS)] as const);

/** In-place iterative radix-2 complex FFT of length N. */
function fft(re: Float64Array, im: Float64Array): void {
  for (let i = 0; i < N; i++) {
    const j = rev[i] as number;
    if (j > i) {
      const tr = re[i] as number;
      re[i] = re[j] as number;
      re[j] = tr;
      const ti = im[i] as number;
      im[i] = im[j] as number;
      im[j] = ti;
    }
  }
  for (let size = 2; size <= N; size <<= 1) {
    const half = size >> 1;
    const step = N / size;
    for (let k = 0; k < half; k++) {
      const c = cosT[k * step] as number;
      const s = sinT[k * step] as number;
      for (let a = k; a < N; a += size) {
        const b = a + half;
        const rb = re[b] as number;
        const ib = im[b] as number;
        const tr = rb * c - ib * s;
        const ti = rb * s + ib * c;
        const ra = re[a] as number;
        const ia = im[a] as number;
        re[b] = ra - tr;
        im[b] = ia - ti;
        re[a] = ra + tr;
        im[a] = ia + ti;
      }
    }
  }
}

const re = new Float64Array(N);
const im = new Float64Array(N);
const toDb = (ms: number): number => 10 * Math.log10(Math.max(ms, 1e-30) / (P0 * P0));

/** Band mean-square pressures of two seconds at once (b may be -1 for none). */
function bandsOf(x: Float64Array, startA: number, startB: number): [number[], number[]] {
  for (let i = 0; i < N; i++) {
    const w = window[i] as number;
    re[i] = w * (x[startA - METER_MARGIN + i] as number);
    im[i] = startB < 0 ? 0 : w * (x[startB - METER_MARGIN + i] as number);
  }
  fft(re, im);
  const scale = 2 / (N * windowEnergy); // one-sided spectrum, Parseval, window energy
  const outA: number[] = [];
  const outB: number[] = [];
  for (const [lo, hi] of BAND_BINS) {
    let pa = 0;
    let pb = 0;
    for (let k = lo; k < hi; k++) {
      const [zr, zi] = [re[k] as number, im[k] as number];
      const [cr, ci] = [re[N - k] as number, -(im[N - k] as number)]; // conj(Z[N-k])
      pa += ((zr + cr) / 2) ** 2 + ((zi + ci) / 2) ** 2;
      pb += ((zi - ci) / 2) ** 2 + ((zr - cr) / 2) ** 2;
    }
    outA.push(pa * scale);
    outB.push(pb * scale);
  }
  return [outA, outB];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Meters `seconds` consecutive seconds of `x` (Pa, FS) starting at sample `METER_MARGIN`; `x` must
 * hold METER_MARGIN samples of context on each side. Values are rounded to 0.1 dB like a device's payload.
 */
export function meter(x: Float64Array, seconds: number): NoiseFrame[] {
  if (x.length < seconds * FS + 2 * METER_MARGIN) throw new RangeError(`signal too short for ${seconds} s plus margins`);
  const a = aWeight(x);
  const alpha = 1 - Math.exp(-1 / (0.125 * FS));
  let fast = 0;
  for (let i = 0; i < METER_MARGIN; i++) fast += ((a[i] as number) ** 2 - fast) * alpha;
  const frames: NoiseFrame[] = [];
  for (let s = 0; s < seconds; s += 2) {
    const startA = METER_MARGIN + s * FS;
    const startB = s + 1 < seconds ? startA + FS : -1;
    const pair = bandsOf(x, startA, startB);
    for (let k = 0; k < (startB < 0 ? 1 : 2); k++) {
      const start = startA + k * FS;
      let sum = 0;
      let max = 0;
      for (let i = start; i < start + FS; i++) {
        const p2 = (a[i] as number) ** 2;
        sum += p2;
        fast += (p2 - fast) * alpha;
        if (fast > max) max = fast;
      }
      const laeq = toDb(sum / FS);
      frames.push({ bands: (pair[k] as number[]).map((ms) => round1(toDb(ms))), laeq: round1(laeq), lamax: round1(Math.max(toDb(max), laeq)) });
    }
  }
  return frames;
}
