/**
 * The one feature function for the noise-source classifier, shared by training-data generation
 * (`inference/train/make-dataset.ts`) and the live inference worker, so training and serving can
 * never drift apart.
 *
 * Features describe spectral *shape*, not level: every band is expressed relative to the A-weighted
 * level computed from the bands themselves, so the same loudspeaker at 50 or at 65 dB(A) gives the
 * same features. Whether a level is too loud is decided by the legal limit, never by the model.
 *
 * The reference is the A-weighted band sum rather than the unweighted (Z) sum on purpose: outdoors,
 * wind on the windscreen and distant rumble often dominate LZ in the 20–63 Hz bands; referencing
 * to LA confines such disturbances to the low-band features instead of shifting all 31 of them.
 */
import { BAND_COUNT, aWeightedLevel, energeticSum } from '../core/domain/decibel.js';

/** 31 band features + spectral tilt (LA − LZ) + crest (LAmax − LAeq). */
export const NOISE_FEATURE_COUNT: number = BAND_COUNT + 2;

/** Human-readable normalisation, carried verbatim in the model card's `inputs[0].normalisation`. */
export const NOISE_NORMALISATION =
  'x[i] = clamp(bands[i] - LA, -80, 40) / 20 for i = 0..30 (31 unweighted 1/3-octave band levels, ' +
  '20 Hz-20 kHz, dB re 20 uPa, 1 s); x[31] = clamp(LA - LZ, -40, 10) / 10; ' +
  'x[32] = clamp(lamax - laeq, 0, 30) / 10; where LA = 10*log10(sum 10^((bands[i] + A[i])/10)) is the ' +
  'A-weighted level computed from the bands (IEC 61672-1 weights A[i]) and LZ = 10*log10(sum 10^(bands[i]/10)). ' +
  'Level-invariant: adding a constant to every band leaves x unchanged.';

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/**
 * Computes the NOISE_FEATURE_COUNT features of one 1-second reading. When `out` is given the features
 * are written at `offset` into it (for batching many devices into one tensor) and `out` is returned.
 */
export function noiseFeatures(
  bands: readonly number[],
  laeq: number,
  lamax: number,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  if (bands.length !== BAND_COUNT) throw new RangeError(`expected ${BAND_COUNT} bands, got ${bands.length}`);
  for (const b of bands) if (!Number.isFinite(b)) throw new RangeError('band levels must be finite numbers');
  if (!Number.isFinite(laeq) || !Number.isFinite(lamax)) throw new RangeError('laeq and lamax must be finite');
  const target = out ?? new Float32Array(NOISE_FEATURE_COUNT);
  if (offset < 0 || offset + NOISE_FEATURE_COUNT > target.length) {
    throw new RangeError(`feature buffer too small: need ${offset + NOISE_FEATURE_COUNT}, have ${target.length}`);
  }
  const la = aWeightedLevel(bands);
  const lz = energeticSum(bands);
  bands.forEach((b, i) => {
    target[offset + i] = clamp(b - la, -80, 40) / 20;
  });
  target[offset + BAND_COUNT] = clamp(la - lz, -40, 10) / 10;
  target[offset + BAND_COUNT + 1] = clamp(lamax - laeq, 0, 30) / 10;
  return target;
}
