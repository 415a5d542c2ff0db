import { describe, expect, it } from 'vitest';
import { aWeightedLevel, aWeightingDb, BAND_CENTRES_HZ, energeticMean, energeticSum } from '../../core/domain/decibel.js';

describe('decibel arithmetic', () => {
  it('averages energetically, not arithmetically', () => {
    expect(energeticMean([60, 60, 60])).toBeCloseTo(60, 10);
    // 50 and 70 dB: arithmetic mean 60, energetic mean 67.03 dB
    expect(energeticMean([50, 70])).toBeCloseTo(67.03, 2);
    expect(energeticMean([40, 80, 80, 80])).toBeCloseTo(78.75, 2);
  });

  it('sums incoherent sources: two equal sources are +3 dB', () => {
    expect(energeticSum([60, 60])).toBeCloseTo(63.01, 2);
    expect(energeticSum([70, 50])).toBeCloseTo(70.04, 2);
  });

  it('refuses an empty list instead of returning -Infinity', () => {
    expect(() => energeticMean([])).toThrow(RangeError);
  });

  it('matches the IEC 61672 A-weighting table', () => {
    const table: [number, number][] = [[31.5, -39.4], [63, -26.2], [125, -16.1], [250, -8.6], [500, -3.2], [1000, 0], [2000, 1.2], [4000, 1.0], [8000, -1.1], [16000, -6.6]];
    for (const [f, a] of table) expect(aWeightingDb(f)).toBeCloseTo(a, 0);
  });

  it('computes LAeq from Z-weighted 1/3-octave bands', () => {
    expect(BAND_CENTRES_HZ).toHaveLength(31);
    const bands = BAND_CENTRES_HZ.map((f) => (f === 1000 ? 60 : -30));
    expect(aWeightedLevel(bands)).toBeCloseTo(60, 1);
    // The same energy at 63 Hz counts 26 dB less in dB(A).
    const bass = BAND_CENTRES_HZ.map((f) => (f === 63 ? 60 : -30));
    expect(aWeightedLevel(bass)).toBeCloseTo(33.8, 0);
    expect(() => aWeightedLevel([60])).toThrow(RangeError);
  });
});
