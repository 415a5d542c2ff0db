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

/** IEC 61260 nominal 1/3-octave centre frequencies, 20 Hz – 20 kHz (31 bands). */
export const BAND_CENTRES_HZ: readonly number[] = [
  20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600,
  2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000,
];
export const BAND_COUNT = BAND_CENTRES_HZ.length;

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
