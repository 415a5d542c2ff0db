import { BAND_CENTRES_HZ, BAND_COUNT } from '../../contract/mqtt/telemetry.js';

/**
 * Decibel arithmetic. Levels are averaged and summed energetically, never arithmetically.
 */

/** 10·log10(mean(10^(L/10))) — the energetic mean of levels in dB. */
export function energeticMean(levels: readonly number[]): number {
  if (levels.length === 0) throw new RangeError('energeticMean of no levels');
  let sum = 0;
  for (const l of levels) sum += 10 ** (l / 10);
  return 10 * Math.log10(sum / levels.length);
}

/** 10·log10(Σ 10^(L/10)) — the level of several incoherent sources together. */
export function energeticSum(levels: readonly number[]): number {
  if (levels.length === 0) throw new RangeError('energeticSum of no levels');
  let sum = 0;
  for (const l of levels) sum += 10 ** (l / 10);
  return 10 * Math.log10(sum);
}

/** The band centres and count are the contract's (a noise reading's `bands`). */
export { BAND_CENTRES_HZ, BAND_COUNT };

/** A-weighting (IEC 61672-1) at frequency f in Hz, in dB. */
export function aWeightingDb(f: number): number {
  const f2 = f * f;
  const ra =
    (12194 ** 2 * f2 * f2) /
    ((f2 + 20.6 ** 2) * Math.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2)) * (f2 + 12194 ** 2));
  return 20 * Math.log10(ra) + 2.0;
}

export const A_WEIGHTING_DB: readonly number[] = BAND_CENTRES_HZ.map(aWeightingDb);

/** A-weighted overall level from unweighted (Z) 1/3-octave band levels. */
export function aWeightedLevel(bandsZ: readonly number[]): number {
  if (bandsZ.length !== BAND_COUNT) throw new RangeError(`expected ${BAND_COUNT} bands, got ${bandsZ.length}`);
  return energeticSum(bandsZ.map((l, i) => l + (A_WEIGHTING_DB[i] ?? 0)));
}
