/**
 * Generator 1 of the noise-window data: windows cut from continuous 1-second reading streams of
 * `simulator/spectra.ts` sources at their natural level dynamics (`NoiseSource.nextFree`), the scene
 * level drifting slowly; 30 % of source streams carry a second, 6–20 dB quieter source of another
 * class; 80 % get a field frequency-response error; 10 % add an early window with 1–9 real frames.
 */
import { Rng } from '../../core/rng.js';
import { NOISE_CLASSES, NoiseSource, type NoiseClass, type NoiseSample } from '../../simulator/spectra.js';
import { NOISE_WINDOW, type NoiseFrame } from '../features/noise.js';
import type { DataSet } from './dataset-io.js';
import { fieldVariation } from './field-variation.js';
import { sceneWindowRows, type MeteredScene } from './metered-scenes.js';

export const STREAM_S = 40;
const e10 = (db: number): number => 10 ** (db / 10);
const db10 = (e: number): number => 10 * Math.log10(e);

/** Scene level range (LAeq, dB(A)): ambience alone is quiet, sources span quiet to very loud. */
export const levelRange = (cls: NoiseClass): [number, number] => (cls === 'background' ? [33, 50] : [42, 80]);

/** Energetic mix of two readings of the same second. */
export function mix(a: NoiseSample, b: NoiseSample): NoiseFrame {
  return {
    bands: a.bands.map((v, i) => db10(e10(v) + e10(b.bands[i] ?? -100))),
    laeq: db10(e10(a.laeq) + e10(b.laeq)),
    lamax: Math.max(db10(e10(a.lamax) + e10(b.laeq)), db10(e10(a.laeq) + e10(b.lamax))),
  };
}

/** One stream of STREAM_S seconds of `cls`, possibly with a quieter second source. */
export function spectraStream(cls: NoiseClass, rng: Rng, mixShare: number): NoiseFrame[] {
  const [lo, hi] = levelRange(cls);
  const level0 = rng.uniform(lo, hi);
  const source = new NoiseSource(cls, rng);
  const others = NOISE_CLASSES.filter((c) => c !== cls && c !== 'background');
  const second = cls !== 'background' && rng.next() < mixShare ? new NoiseSource(rng.pick(others), rng) : null;
  const rel = rng.uniform(-20, -6);
  let level = level0;
  const frames: NoiseFrame[] = [];
  for (let t = 0; t < STREAM_S + 3; t++) {
    level = Math.min(level0 + 6, Math.max(level0 - 6, level + rng.normal(0, 0.3)));
    const a = source.nextFree(level);
    const frame = second ? mix(a, second.nextFree(level + rel)) : a;
    if (t >= 3) frames.push(frame); // a few seconds of warm-up
  }
  return rng.next() < 0.8 ? fieldVariation(frames, rng) : frames;
}

/** `streamsPerClass` streams of every class in turn, with the readings their windows end at. */
export function spectraScenes(seed: number, streamsPerClass: number, stride: number): MeteredScene[] {
  const rng = new Rng(seed);
  const out: MeteredScene[] = [];
  for (let s = 0; s < streamsPerClass; s++) {
    NOISE_CLASSES.forEach((cls, label) => {
      const frames = spectraStream(cls, rng, 0.3);
      const ends: number[] = [];
      for (let end = NOISE_WINDOW - 1 + rng.int(0, stride - 1); end < frames.length; end += stride) ends.push(end);
      if (rng.next() < 0.1) ends.push(rng.int(0, NOISE_WINDOW - 2));
      out.push({ frames, label, ends });
    });
  }
  return out;
}

/** Feature rows of `spectraScenes`. */
export const spectraWindows = (seed: number, streamsPerClass: number, stride: number): DataSet => sceneWindowRows(spectraScenes(seed, streamsPerClass, stride));

