/**
 * The cross-generator validation windows of the noise-window model: 10-second scenes of each class
 * synthesised as audio by `simulator/audio.ts` and metered by `simulator/sound-meter.ts`, in their own
 * file so that the (slow) data set is rebuilt only when the audio chain or the features change.
 */
import { Rng } from '../../core/rng.js';
import { NOISE_CLASSES, type NoiseClass } from '../../simulator/spectra.js';
import { audioWindow } from '../../simulator/audio.js';
import { NOISE_WINDOW, NOISE_WINDOW_FEATURE_COUNT, noiseWindowFeatures, type NoiseFrame } from '../features/noise.js';
import { Rows, type DataSet } from './dataset-io.js';

/**
 * `perClass` audio scenes of every class; `vary` (when given) alters the metered frames of a scene,
 * e.g. with a field frequency-response error.
 */
export function audioWindows(seed: number, perClass: number, vary?: (frames: NoiseFrame[], rng: Rng) => NoiseFrame[]): DataSet {
  return sceneWindows(seed, perClass, (cls, laeq, rng) => {
    const frames = audioWindow(cls, NOISE_WINDOW, laeq, rng);
    return vary ? vary(frames, rng) : frames;
  });
}

/**
 * One window per scene, `perClass` scenes of every class in turn, at a scene LAeq drawn uniformly from
 * 45–78 dB(A) (background 35–48): the frame of every audio-derived set, whatever makes the sound.
 */
export function sceneWindows(seed: number, perClass: number, scene: (cls: NoiseClass, laeq: number, rng: Rng) => NoiseFrame[]): DataSet {
  const rng = new Rng(seed);
  const rows = new Rows(NOISE_WINDOW_FEATURE_COUNT);
  for (let k = 0; k < perClass; k++) {
    NOISE_CLASSES.forEach((cls, label) => {
      const laeq = cls === 'background' ? rng.uniform(35, 48) : rng.uniform(45, 78);
      const { out, offset } = rows.slot();
      noiseWindowFeatures(scene(cls, laeq, rng), out, offset);
      rows.label(label);
    });
  }
  return rows.finish();
}
