/**
 * The audio-derived windows of the noise-window model: 10-second scenes of each class synthesised as
 * audio by `simulator/audio.ts` and metered by `simulator/sound-meter.ts`, in their own file so that
 * the (slow) scenes are made again only when the audio chain changes (`metered-scenes.ts` caches them).
 */
import { Rng } from '../../core/rng.js';
import { NOISE_CLASSES, type NoiseClass } from '../../simulator/spectra.js';
import { audioWindow } from '../../simulator/audio.js';
import { NOISE_WINDOW, type NoiseFrame } from '../features/noise.js';
import type { DataSet } from './dataset-io.js';
import { sceneWindowRows, type MeteredScene } from './metered-scenes.js';

/**
 * `perClass` audio scenes of every class; `vary` (when given) alters the metered frames of a scene,
 * e.g. with a field frequency-response error.
 */
export function audioScenes(seed: number, perClass: number, vary?: (frames: NoiseFrame[], rng: Rng) => NoiseFrame[]): MeteredScene[] {
  return scenes(seed, perClass, (cls, laeq, rng) => {
    const frames = audioWindow(cls, NOISE_WINDOW, laeq, rng);
    return vary ? vary(frames, rng) : frames;
  });
}

/** Feature rows of `audioScenes` (one window per scene). */
export const audioWindows = (seed: number, perClass: number, vary?: (frames: NoiseFrame[], rng: Rng) => NoiseFrame[]): DataSet =>
  sceneWindowRows(audioScenes(seed, perClass, vary));

/**
 * One window per scene, `perClass` scenes of every class in turn, at a scene LAeq drawn uniformly from
 * 45–78 dB(A) (background 35–48): the frame of every audio-derived set, whatever makes the sound.
 */
export function scenes(seed: number, perClass: number, scene: (cls: NoiseClass, laeq: number, rng: Rng) => NoiseFrame[]): MeteredScene[] {
  const rng = new Rng(seed);
  const out: MeteredScene[] = [];
  for (let k = 0; k < perClass; k++) {
    NOISE_CLASSES.forEach((cls, label) => {
      const laeq = cls === 'background' ? rng.uniform(35, 48) : rng.uniform(45, 78);
      const frames = scene(cls, laeq, rng);
      out.push({ frames, label, ends: [frames.length - 1] });
    });
  }
  return out;
}
