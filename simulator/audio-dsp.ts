/**
 * Signal-processing parts of the audio synthesiser (`audio.ts`) and a software sound level meter:
 * white/pink noise, RBJ biquad filters, band-limited oscillators, and a meter that turns a pressure
 * signal (Pa, 48 kHz) into the DESIGN §3 `noise` reading of each second — 31 unweighted 1/3-octave
 * band levels from an FFT filter bank with IEC 61260-1 base-10 band edges, LAeq from the A-weighted
 * signal (IEC 61672-1 analogue A-weighting, bilinear transform with pre-warped poles) and LAFmax from
 * its Fast (125 ms) exponential time weighting. None of this shares code with `spectra.ts`: the
 * validation spectra are made from waveforms, the training spectra from band energies.
 */
import type { Rng } from '../core/rng.js';

export const FS = 48_000;
export const P0 = 20e-6;
/** Exact IEC 61260-1 base-10 mid-band frequencies of the 31 bands, 20 Hz–20 kHz (x = −17 … 13). */
export const EXACT_CENTRES_HZ: readonly number[] = Array.from({ length: 31 }, (_, k) => 1000 * 10 ** ((k - 17) / 10));

// ---------------------------------------------------------------- noise
/** White noise, unit variance (uniform amplitude: band levels do not care about the distribution). */
export function white(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() - 0.5) * 3.4641016;
  return out;
}

/** Pink noise (−3 dB/octave: equal energy per 1/3 octave), Paul Kellet's refined filter. */
export function pink(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  let [b0, b1, b2, b3, b4, b5, b6] = [0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const w = (rng.next() - 0.5) * 3.4641016;
    b0 = 0.99886 * b0 + w * 0.0555179;
    b1 = 0.99332 * b1 + w * 0.0750759;
    b2 = 0.969 * b2 + w * 0.153852;
    b3 = 0.8665 * b3 + w * 0.3104856;
    b4 = 0.55 * b4 + w * 0.5329522;
    b5 = -0.7616 * b5 - w * 0.016898;
    out[i] = (b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362) * 0.11;
    b6 = w * 0.115926;
  }
  return out;
}

// ---------------------------------------------------------------- filters
export type FilterKind = 'lowpass' | 'highpass' | 'bandpass' | 'peak';

/** RBJ audio-EQ-cookbook biquad, applied in place (direct form I). */
export function biquad(x: Float64Array, kind: FilterKind, f0: number, q: number, gainDb = 0): Float64Array {
  const w0 = (2 * Math.PI * Math.min(f0, FS * 0.49)) / FS;
  const [cw, alpha] = [Math.cos(w0), Math.sin(w0) / (2 * q)];
  const A = 10 ** (gainDb / 40);
  let b: [number, number, number];
  let a: [number, number, number];
  switch (kind) {
    case 'lowpass':
      b = [(1 - cw) / 2, 1 - cw, (1 - cw) / 2];
      a = [1 + alpha, -2 * cw, 1 - alpha];
      break;
    case 'highpass':
      b = [(1 + cw) / 2, -(1 + cw), (1 + cw) / 2];
      a = [1 + alpha, -2 * cw, 1 - alpha];
      break;
    case 'bandpass': // constant 0 dB peak gain
      b = [alpha, 0, -alpha];
      a = [1 + alpha, -2 * cw, 1 - alpha];
      break;
    case 'peak':
      b = [1 + alpha * A, -2 * cw, 1 - alpha * A];
      a = [1 + alpha / A, -2 * cw, 1 - alpha / A];
      break;
  }
  return iir(x, b, a);
}

function iir(x: Float64Array, b: readonly number[], a: readonly number[]): Float64Array {
  const [b0, b1, b2] = b.map((v) => v / (a[0] as number)) as [number, number, number];
  const [a1, a2] = [(a[1] as number) / (a[0] as number), (a[2] as number) / (a[0] as number)];
  let x1 = 0;
  let x2 = 0;
  let y1 = 0;
  let y2 = 0;
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i] as number;
    const y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
    x[i] = y0;
    x2 = x1;
    x1 = x0;
    y2 = y1;
    y1 = y0;
  }
  return x;
}

/** One-pole low-pass (−6 dB/octave above fc), in place. */
export function onePole(x: Float64Array, fc: number): Float64Array {
  const k = 1 - Math.exp((-2 * Math.PI * fc) / FS);
  let y = 0;
  for (let i = 0; i < x.length; i++) x[i] = y += k * ((x[i] as number) - y);
  return x;
}

// ---------------------------------------------------------------- oscillators
/** polyBLEP correction for a discontinuity at phase 0 (phase in cycles, dt = f/FS). */
function blep(t: number, dt: number): number {
  if (t < dt) {
    const u = t / dt;
    return u + u - u * u - 1;
  }
  if (t > 1 - dt) {
    const u = (t - 1) / dt;
    return u * u + u + u + 1;
  }
  return 0;
}

/** Adds a band-limited sawtooth (amplitude `amp`, frequency `freq(i)` Hz) to `out` over [from, to). */
export function addSaw(out: Float64Array, from: number, to: number, freq: (i: number) => number, amp: (i: number) => number, phase0 = 0): void {
  let ph = phase0;
  for (let i = Math.max(0, from); i < Math.min(to, out.length); i++) {
    const dt = freq(i) / FS;
    out[i] = (out[i] as number) + amp(i) * (2 * ph - 1 - blep(ph, dt));
    ph += dt;
    if (ph >= 1) ph -= 1;
  }
}

/** Adds a sine (amplitude `amp(i)`, frequency `freq(i)`) to `out` over [from, to). */
export function addSine(out: Float64Array, from: number, to: number, freq: (i: number) => number, amp: (i: number) => number, phase0 = 0): void {
  let ph = phase0;
  for (let i = Math.max(0, from); i < Math.min(to, out.length); i++) {
    out[i] = (out[i] as number) + amp(i) * Math.sin(2 * Math.PI * ph);
    ph += freq(i) / FS;
  }
}

/** A note for `addNote`: times in samples, frequency in Hz. */
export interface Note {
  from: number;
  to: number;
  freq: number;
  /** Frequency at the end relative to the start (linear glide), default 1. */
  glide?: number;
  amp: number;
  /** Linear attack and release, samples (default 48 each). */
  attack?: number;
  release?: number;
  /** Exponential decay time constant, s (default none). */
  decayS?: number;
  /** Vibrato rate (Hz) and relative depth. */
  vibratoHz?: number;
  vibrato?: number;
  phase?: number;
  /** Waveform: band-limited sawtooth (default) or square, triangle (odd harmonics falling as 1/n²), sine. */
  wave?: Wave;
}

export type Wave = 'saw' | 'square' | 'triangle' | 'sine';

/** One sample of `wave` at phase `ph` (cycles), band-limited by polyBLEP where it has jumps. */
function oscillator(wave: Wave, ph: number, dt: number): number {
  switch (wave) {
    case 'saw':
      return 2 * ph - 1 - blep(ph, dt);
    case 'square': {
      const ph2 = ph < 0.5 ? ph + 0.5 : ph - 0.5;
      return (ph < 0.5 ? 1 : -1) + blep(ph, dt) - blep(ph2, dt);
    }
    case 'triangle':
      return 1 - 4 * Math.abs(ph - 0.5);
    case 'sine':
      return Math.sin(2 * Math.PI * ph);
    default: {
      const never: never = wave;
      throw new Error(`unknown wave ${String(never)}`);
    }
  }
}

/** Adds one note (band-limited sawtooth, square, triangle or sine) with an attack/decay/release envelope to `out`. */
export function addNote(out: Float64Array, note: Note): void {
  const from = Math.max(0, note.from);
  const to = Math.min(out.length, note.to);
  const len = Math.max(1, note.to - note.from);
  const attack = note.attack ?? 48;
  const release = note.release ?? 48;
  const decay = note.decayS ? Math.exp(-1 / (note.decayS * FS)) : 1;
  const glide = ((note.glide ?? 1) - 1) / len;
  const vib = note.vibrato ?? 0;
  const vw = (2 * Math.PI * (note.vibratoHz ?? 0)) / FS;
  const wave = note.wave ?? 'saw';
  let ph = note.phase ?? 0;
  let env = note.amp * decay ** (from - note.from);
  let dt = 0;
  for (let i = from; i < to; i++) {
    const k = i - note.from;
    if ((k & 31) === 0 || i === from) dt = (note.freq * (1 + glide * k) * (vib ? 1 + vib * Math.sin(vw * k) : 1)) / FS;
    const shape = Math.min(1, (k + 1) / attack, (note.to - i) / release);
    const v = oscillator(wave, ph, dt);
    out[i] = (out[i] as number) + env * shape * v;
    env *= decay;
    ph += dt;
    if (ph >= 1) ph -= 1;
  }
}

export function addInto(out: Float64Array, x: Float64Array, gain: number, at = 0): void {
  for (let i = 0; i < x.length && at + i < out.length; i++) if (at + i >= 0) out[at + i] = (out[at + i] as number) + gain * (x[i] as number);
}

export function rms(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) ** 2;
  return Math.sqrt(s / Math.max(1, x.length));
}

// ---------------------------------------------------------------- A-weighting
const A_POLES_HZ = [20.598997, 107.65265, 737.86223, 12194.217];
const prewarp = (f: number): number => 2 * FS * Math.tan((Math.PI * f) / FS);

/** Digital A-weighting: s²/(s+ω1)² · s²/((s+ω2)(s+ω3)) · 1/(s+ω4)², bilinear with pre-warped poles, 0 dB at 1 kHz. */
const A_SECTIONS: { b: number[]; a: number[] }[] = (() => {
  const [w1, w2, w3, w4] = A_POLES_HZ.map(prewarp) as [number, number, number, number];
  const K = 2 * FS;
  const bil = (b: number[], a: number[]) => {
    const [b0, b1, b2] = b as [number, number, number];
    const [a0, a1, a2] = a as [number, number, number];
    return {
      b: [b0 * K * K + b1 * K + b2, 2 * b2 - 2 * b0 * K * K, b0 * K * K - b1 * K + b2],
      a: [a0 * K * K + a1 * K + a2, 2 * a2 - 2 * a0 * K * K, a0 * K * K - a1 * K + a2],
    };
  };
  const sections = [bil([1, 0, 0], [1, 2 * w1, w1 * w1]), bil([1, 0, 0], [1, w2 + w3, w2 * w3]), bil([0, 0, 1], [1, 2 * w4, w4 * w4])];
  const g = sections.reduce((acc, s) => acc * magnitude(s.b, s.a, 1000), 1);
  const first = sections[0] as { b: number[]; a: number[] };
  first.b = first.b.map((v) => v / g);
  return sections;
})();

function magnitude(b: readonly number[], a: readonly number[], f: number): number {
  const w = (2 * Math.PI * f) / FS;
  const ev = (c: readonly number[]) => {
    const re = (c[0] as number) + (c[1] as number) * Math.cos(w) + (c[2] as number) * Math.cos(2 * w);
    const im = -(c[1] as number) * Math.sin(w) - (c[2] as number) * Math.sin(2 * w);
    return Math.hypot(re, im);
  };
  return ev(b) / ev(a);
}

/** Response of the digital A-weighting filter at f, dB (for tests against IEC 61672-1). */
export function aFilterDb(f: number): number {
  return 20 * Math.log10(A_SECTIONS.reduce((acc, s) => acc * magnitude(s.b, s.a, f), 1));
}

export function aWeight(x: Float64Array): Float64Array {
  const y = Float64Array.from(x);
  for (const s of A_SECTIONS) iir(y, s.b, s.a);
  return y;
}
