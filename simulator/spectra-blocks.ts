/**
 * Building blocks of the band-energy noise generators (`spectra.ts`): spectra as band energies on
 * the IEC 61260 1/3-octave centres, humps, tilts and filters on a log-frequency axis, pure tones and
 * harmonic series as 1/3-octave filters see them, and the park/riverside ambience every source sits on.
 */
import type { Rng } from '../core/rng.js';
import { A_WEIGHTING_DB, BAND_CENTRES_HZ } from '../core/domain/decibel.js';

// ---------------------------------------------------------------- spectral building blocks
/** Band energies, linear (10^(L/10)) against an arbitrary common reference. */
export type Spectrum = number[];
/** One second of a source: band energies, its own LAFmax − LAeq, its level modulation (pass-by, dynamics) in dB. */
/**
 * One second of a source: band energies, its own LAFmax − LAeq, a clamped level modulation used for
 * its ratio to the ambience (`gainDb`), and its natural level change relative to its mean (`levelDb`,
 * pauses and pass-bys included) used by streams at natural dynamics.
 */
export interface Frame { e: Spectrum; crest: number; gainDb: number; levelDb?: number }
export interface Generator { step(rng: Rng): Frame }

export const F = BAND_CENTRES_HZ;
export const e10 = (db: number): number => 10 ** (db / 10);
export const db10 = (e: number): number => 10 * Math.log10(e);
export const oct = (f: number, ref: number): number => Math.log2(f / ref);
export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
/** Gaussian hump on a log-frequency axis (energy domain): peakDb at fc, sigma in octaves. */
export const bump = (f: number, fc: number, sigma: number, peakDb: number): number => peakDb - 2.1715 * (oct(f, fc) / sigma) ** 2;
/** Additive dB emphasis (e.g. vocal effort): `db` at fc, fading over sigma octaves. */
export const emphasis = (f: number, fc: number, sigma: number, db: number): number => db * Math.exp(-0.5 * (oct(f, fc) / sigma) ** 2);
export const lowpass = (f: number, fc: number, order: number): number => -10 * Math.log10(1 + (f / fc) ** (2 * order));
export const highpass = (f: number, fc: number, order: number): number => -10 * Math.log10(1 + (fc / f) ** (2 * order));
export const shape = (fn: (f: number, i: number) => number): Spectrum => F.map((f, i) => e10(fn(f, i)));
export const sum = (...parts: Spectrum[]): Spectrum => F.map((_, i) => parts.reduce((s, p) => s + (p[i] ?? 0), 0));
export const filtered = (e: Spectrum, fn: (f: number) => number): Spectrum => e.map((v, i) => v * e10(fn(F[i] ?? 1000)));
export const gain = (e: Spectrum, db: number): Spectrum => e.map((v) => v * e10(db));
export const aPower = (e: Spectrum): number => e.reduce((s, v, i) => s + v * e10(A_WEIGHTING_DB[i] ?? 0), 0);
export const midiHz = (m: number): number => 440 * 2 ** ((m - 69) / 12);

export function put(e: Spectrum, i: number, p: number): void {
  if (i >= 0 && i < e.length) e[i] = (e[i] ?? 0) + p;
}
/** A pure tone read through 1/3-octave filters: mostly its own band, split near band edges, −25 dB skirts. */
export function tone(e: Spectrum, freq: number, db: number): void {
  const pos = 3 * Math.log2(freq / 1000) + 17;
  const i = Math.round(pos);
  const side = pos >= i ? 1 : -1;
  const edge = 0.5 * (2 * Math.abs(pos - i)) ** 4;
  const p = e10(db);
  put(e, i, p * (1 - edge));
  put(e, i + side, p * (edge + 0.003));
  put(e, i - side, p * 0.003);
}
/** Harmonic series of f0: harmonic k at db − slope·log2(k), up to fMax. */
export function harmonics(e: Spectrum, f0: number, db: number, slope: number, fMax: number): void {
  for (let k = 1; k * f0 <= fMax; k++) tone(e, k * f0, db - slope * Math.log2(k));
}

// ---------------------------------------------------------------- park / riverside ambience
/**
 * Park/riverside ambience, ≈ 35–45 dB(A). Distant city traffic rumble (low frequencies propagate
 * furthest, hump 40–80 Hz); a pink-ish continuum falling 2.5–5 dB/octave above 100 Hz with air
 * absorption above ~10 kHz; water flow (broadband hump 0.5–1.5 kHz); leaves rustling (~4 kHz); gusts of
 * wind on the windscreen (steep low-frequency turbulence, AR(1) in time); occasional bird chirps 2–6 kHz.
 */
export class Ambience implements Generator {
  private readonly base: Spectrum;
  private readonly birdRate: number;
  private readonly chirpRef: number;
  private wind = 0;

  constructor(rng: Rng) {
    const slope = rng.uniform(-5, -2.5);
    const air = rng.uniform(8000, 12500);
    const [rumble, water, waterDb, leavesDb] = [rng.uniform(40, 80), rng.uniform(500, 1500), rng.uniform(-16, -8), rng.uniform(-28, -18)];
    this.base = sum(
      shape((f) => bump(f, rumble, 1.2, 0)),
      shape((f) => -4 + slope * Math.max(0, oct(f, 100)) + lowpass(f, air, 2)),
      shape((f) => bump(f, water, 1.3, waterDb)),
      shape((f) => bump(f, 4000, 1.0, leavesDb)),
    );
    this.birdRate = rng.uniform(0.05, 0.3);
    this.chirpRef = -4 + slope * oct(3000, 100);
    this.wind = rng.normal(0, 3);
  }

  /** Level of a frame relative to the calm ambience (wind gusts, chirps), dB(A). */
  levelDelta(e: Spectrum): number {
    return clamp(db10(aPower(e) / aPower(this.base)), 0, 10);
  }

  step(rng: Rng): Frame {
    this.wind = 0.8 * this.wind + rng.normal(0, 2.5);
    const windDb = Math.max(0, this.wind);
    const e = sum(this.base, shape((f) => windDb - 6 - 8 * oct(f, 20)));
    let crest = rng.uniform(0.8, 2);
    if (rng.next() < this.birdRate) {
      for (let n = rng.int(1, 2); n > 0; n--) tone(e, rng.uniform(2000, 6000), this.chirpRef + rng.uniform(-4, 6));
      crest += rng.uniform(1, 3);
    }
    return { e, crest, gainDb: 0 };
  }
}

