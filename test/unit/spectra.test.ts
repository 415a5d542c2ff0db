import { describe, it, expect } from 'vitest';
import { Rng } from '../../core/rng.js';
import { BAND_CENTRES_HZ, BAND_COUNT, aWeightedLevel, energeticSum } from '../../core/domain/decibel.js';
import { NOISE_CLASSES, NoiseSource, sampleNoise, type NoiseClass, type NoiseSample } from '../../simulator/spectra.js';

/** Energy below 125 Hz (bands 20–100 Hz) relative to the A-weighted level. */
const lowRelA = (s: NoiseSample): number =>
  energeticSum(s.bands.filter((_, i) => (BAND_CENTRES_HZ[i] ?? 0) < 125)) - s.laeq;

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('noise spectra generators', () => {
  it('gives 31 finite bands whose A-weighted sum is laeq, at the requested level, with lamax ≥ laeq', () => {
    const rng = new Rng(11);
    for (const cls of NOISE_CLASSES) {
      for (const level of [35, 42, 55, 68, 80, 95]) {
        const source = new NoiseSource(cls, rng);
        for (let k = 0; k < 5; k++) {
          const s = source.next(level);
          expect(s.bands).toHaveLength(BAND_COUNT);
          expect(s.bands.every(Number.isFinite)).toBe(true);
          expect(Math.abs(s.laeq - aWeightedLevel(s.bands))).toBeLessThanOrEqual(0.05);
          expect(Math.abs(s.laeq - level)).toBeLessThanOrEqual(0.05);
          expect(s.lamax).toBeGreaterThanOrEqual(s.laeq);
        }
        const one = sampleNoise(cls, level, rng);
        expect(Math.abs(one.laeq - aWeightedLevel(one.bands))).toBeLessThanOrEqual(0.05);
        expect(one.lamax).toBeGreaterThanOrEqual(one.laeq);
      }
    }
  });

  it('is deterministic for the same seed and differs for another', () => {
    const run = (seed: number): NoiseSample[] => {
      const rng = new Rng(seed);
      return NOISE_CLASSES.flatMap((c) => {
        const source = new NoiseSource(c, rng);
        return [source.next(60), source.next(61), sampleNoise(c, 55, rng)];
      });
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('has source-typical crest factors (construction impulsive, traffic smooth)', () => {
    const rng = new Rng(12);
    const crest = (cls: NoiseClass): number =>
      mean(Array.from({ length: 200 }, () => sampleNoise(cls, 70, rng)).map((s) => s.lamax - s.laeq));
    expect(crest('construction')).toBeGreaterThan(6);
    expect(crest('traffic')).toBeLessThan(3);
    const music = crest('music');
    expect(music).toBeGreaterThan(1.5);
    expect(music).toBeLessThan(6);
  });

  it('gives music clearly more energy below 125 Hz relative to its A level than voices', () => {
    const rng = new Rng(13);
    const low = (cls: NoiseClass): number => mean(Array.from({ length: 200 }, () => lowRelA(sampleNoise(cls, 65, rng))));
    expect(low('music') - low('voices')).toBeGreaterThan(10);
  });

  it('keeps a song correlated from one second to the next', () => {
    const source = new NoiseSource('music', new Rng(14));
    const a = source.next(60);
    const b = source.next(60);
    const other = sampleNoise('music', 60, new Rng(99));
    const dist = (x: NoiseSample, y: NoiseSample): number => mean(x.bands.map((v, i) => Math.abs(v - (y.bands[i] ?? 0))));
    expect(dist(a, b)).toBeLessThan(dist(a, other));
  });

});
