import { describe, it, expect } from 'vitest';
import { Rng } from '../../core/rng.js';
import { energeticMean } from '../../core/domain/decibel.js';
import { NOISE_CLASSES, NoiseSource, type NoiseClass } from '../../simulator/spectra.js';

const levels = (cls: NoiseClass, seed: number, seconds: number, mean = 60): number[] => {
  const src = new NoiseSource(cls, new Rng(seed));
  return Array.from({ length: seconds }, () => src.nextFree(mean).laeq);
};
const spread = (xs: number[]): number => Math.max(...xs) - Math.min(...xs);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

describe('noise streams at natural level dynamics (nextFree)', () => {
  it('stays near the scene level on average and is deterministic', () => {
    for (const cls of NOISE_CLASSES) {
      const xs = levels(cls, 1, 120);
      expect(Math.abs(energeticMean(xs) - 60)).toBeLessThan(6);
      expect(xs).toEqual(levels(cls, 1, 120));
    }
  });

  it('lets pass-bys, pauses and songs move the level as a meter sees it', () => {
    const typical = (cls: NoiseClass): number => median(Array.from({ length: 12 }, (_, s) => spread(levels(cls, 10 + s, 60))));
    expect(typical('traffic')).toBeGreaterThan(3); // vehicles passing
    expect(typical('other')).toBeGreaterThan(typical('background')); // barks, bells and sirens come and go
    // A song stream has silent gaps between songs: some second within 10 minutes drops far below the rest.
    const song = levels('music', 3, 600);
    expect(median(song) - Math.min(...song)).toBeGreaterThan(10);
  });

  it('keeps next(target) exact while nextFree draws the same scene', () => {
    const src = new NoiseSource('voices', new Rng(4));
    for (let k = 0; k < 20; k++) expect(src.next(58).laeq).toBeCloseTo(58, 1);
  });
});
