import { describe, it, expect } from 'vitest';
import { Rng } from '../../core/rng.js';
import { A_WEIGHTING_DB, BAND_CENTRES_HZ, energeticMean, energeticSum } from '../../core/domain/decibel.js';
import { EXACT_CENTRES_HZ, FS, addNote, addSine, aFilterDb, pink, type Wave } from '../../simulator/audio-dsp.js';
import { METER_MARGIN, meter } from '../../simulator/sound-meter.js';
import { audioWindow, traffic } from '../../simulator/audio.js';

const signal = (seconds: number): Float64Array => new Float64Array(seconds * FS + 2 * METER_MARGIN);

describe('software sound level meter', () => {
  it('reads a 1 kHz tone of 1 Pa rms as 94 dB in the 1 kHz band, LAeq and LAFmax', () => {
    const x = signal(2);
    addSine(x, 0, x.length, () => 1000, () => Math.SQRT2);
    for (const f of meter(x, 2)) {
      expect(f.bands[17]).toBeCloseTo(94, 1);
      expect(energeticSum(f.bands)).toBeCloseTo(94, 1);
      expect(f.laeq).toBeCloseTo(94, 1);
      expect(f.lamax - f.laeq).toBeLessThan(0.2);
    }
  });

  it('A-weights per IEC 61672-1 (within 0.8 dB from 20 Hz to 10 kHz) and meters a 100 Hz tone 19 dB down', () => {
    BAND_CENTRES_HZ.forEach((f, i) => {
      if (f <= 10_000) expect(Math.abs(aFilterDb(EXACT_CENTRES_HZ[i] as number) - (A_WEIGHTING_DB[i] as number))).toBeLessThan(0.8);
    });
    const x = signal(2);
    addSine(x, 0, x.length, () => 100, () => Math.SQRT2);
    expect(meter(x, 2)[1]?.laeq).toBeCloseTo(94 - 19.1, 0);
  });

  it('gives pink noise flat 1/3-octave levels and a short burst a high LAFmax over its LAeq', () => {
    const p = pink(new Rng(1), 3 * FS + 2 * METER_MARGIN);
    const bands = meter(p, 3)[2]?.bands ?? [];
    const mid = bands.slice(8, 28); // 125 Hz – 10 kHz
    expect(Math.max(...mid) - Math.min(...mid)).toBeLessThan(3);
    const x = signal(2);
    const start = METER_MARGIN + FS + FS / 2;
    addSine(x, start, start + FS / 20, () => 1000, () => 1);
    const f = meter(x, 2)[1];
    expect((f?.lamax ?? 0) - (f?.laeq ?? 0)).toBeGreaterThan(6);
  });
});

describe('oscillators of the music synthesiser', () => {
  /** 1/3-octave levels of a steady 250 Hz note: bands 250 Hz (fundamental), 500 Hz (2nd), 800 Hz (3rd harmonic, 750 Hz). */
  const harmonics = (wave: Wave): { second: number; third: number } => {
    const x = signal(2);
    addNote(x, { from: 0, to: x.length, freq: 250, amp: 1, wave });
    const b = meter(x, 2)[1]?.bands ?? [];
    const at = (hz: number): number => b[BAND_CENTRES_HZ.indexOf(hz)] as number;
    return { second: at(500) - at(250), third: at(800) - at(250) };
  };

  it('gives square and triangle waves odd harmonics only (1/n and 1/n²), a sawtooth every harmonic', () => {
    const square = harmonics('square');
    expect(square.third).toBeCloseTo(-20 * Math.log10(3), 0); // -9.5 dB
    expect(square.second).toBeLessThan(-30);
    const triangle = harmonics('triangle');
    expect(triangle.third).toBeCloseTo(-40 * Math.log10(3), 0); // -19.1 dB
    expect(triangle.second).toBeLessThan(-30);
    const saw = harmonics('saw');
    expect(saw.second).toBeCloseTo(-20 * Math.log10(2), 0); // -6 dB
    expect(harmonics('sine').third).toBeLessThan(-40);
  });
});

describe('synthesised audio scenes', () => {
  it('calibrates a window to the requested LAeq, deterministically, with payload-valid bands', () => {
    const w = audioWindow('traffic', 4, 62, new Rng(5));
    expect(w).toHaveLength(4);
    expect(energeticMean(w.map((f) => f.laeq))).toBeCloseTo(62, 0);
    expect(w).toEqual(audioWindow('traffic', 4, 62, new Rng(5)));
    for (const f of w) {
      expect(f.bands).toHaveLength(31);
      expect(f.bands.every((b) => b >= -30 && b <= 160)).toBe(true);
      expect(f.lamax).toBeGreaterThanOrEqual(f.laeq);
    }
    expect(() => audioWindow('jazz' as 'music', 2, 60, new Rng(1))).toThrow(RangeError);
  });

  it('makes music bass-heavy compared with voices (as a rule: some bands play little bass), and construction impulsive compared with traffic', () => {
    const rngs = { music: new Rng(6), voices: new Rng(7) };
    const low = (cls: 'music' | 'voices'): number => {
      const w = audioWindow(cls, 2, 65, rngs[cls]);
      return energeticMean(w.map((f) => energeticSum(f.bands.slice(3, 8)) - f.laeq)); // 40–100 Hz re LA
    };
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1] as number;
    const scenes = (cls: 'music' | 'voices'): number[] => Array.from({ length: 9 }, () => low(cls));
    expect(median(scenes('music')) - median(scenes('voices'))).toBeGreaterThan(6);
    const rng = new Rng(8);
    const crest = (cls: 'construction' | 'traffic'): number => Math.max(...audioWindow(cls, 6, 70, rng).map((f) => f.lamax - f.laeq));
    expect(crest('construction')).toBeGreaterThan(crest('traffic'));
  });
});

describe('road scenes', () => {
  it('stay finite when no vehicle passes within earshot (the distant flow alone)', () => {
    // Every draw near 1: the road is far, traffic sparse, and the first arrival long after the scene.
    class Late extends Rng {
      override next(): number {
        return 1 - 1e-12;
      }
    }
    const x = traffic(new Late(1), 2 * FS);
    expect(x.every(Number.isFinite)).toBe(true);
    expect(x.some((v) => v !== 0)).toBe(true);
  });
});
