/**
 * Field variation of the generated noise data: a smooth frequency-response error standing for
 * microphones, mounting, propagation and meters, applied to metered readings. In its own file so the
 * cached metered scenes (`metered-scenes.ts`) that use it are made again exactly when it changes.
 */
import type { Rng } from '../../core/rng.js';
import { BAND_CENTRES_HZ, aWeightedLevel } from '../../core/domain/decibel.js';
import type { NoiseFrame } from '../features/noise.js';

/**
 * Field variation of a whole stream: the same smooth frequency-response error applied to every
 * reading — microphone, windscreen and mounting (±1.5 dB/octave tilt, curvature), propagation over
 * grass and water (ground dip, air absorption), a different meter's low-frequency response — so the
 * model cannot lean on the exact band shape of one generator. LAeq is recomputed from the bands, LAFmax
 * moves with it.
 */
export function fieldVariation(frames: NoiseFrame[], rng: Rng): NoiseFrame[] {
  const [tilt, curve, low, high] = [rng.uniform(-1.5, 1.5), rng.uniform(-0.3, 0.3), rng.uniform(-10, 6), rng.uniform(-8, 4)];
  const [dipAt, dipDb] = [rng.uniform(200, 800), rng.next() < 0.5 ? rng.uniform(0, 6) : 0];
  const eq = BAND_CENTRES_HZ.map((f) => {
    const o = Math.log2(f / 1000);
    return tilt * o + curve * o * o + low / (1 + (f / 40) ** 2) + high / (1 + (8000 / f) ** 2) - dipDb * Math.exp(-0.5 * (Math.log2(f / dipAt) / 0.4) ** 2);
  });
  // Fine temporal structure differs between sources of one class and between meters: up to 1.5 dB
  // of extra band-level jitter per second (twice that below 100 Hz, where wind and few averages rule).
  const jitter = rng.uniform(0, 1.5);
  return frames.map((fr) => {
    const bands = fr.bands.map((b, i) => b + (eq[i] ?? 0) + jitter * (i < 7 ? 2 : 1) * rng.normal(0, 1));
    const laeq = aWeightedLevel(bands);
    return { bands, laeq, lamax: fr.lamax + laeq - fr.laeq };
  });
}

/** Half of the audio scenes get a field frequency-response error too (the audio chain has one microphone). */
export const audioVariation = (frames: NoiseFrame[], rng: Rng): NoiseFrame[] => (rng.next() < 0.5 ? fieldVariation(frames, rng) : frames);

