import { describe, expect, it } from 'vitest';
import { SmokeDetector, type SmokeRuleConfig, type SmokeSample, type SmokeStep } from '../../inference/rules/smoke.js';

const CFG: SmokeRuleConfig = { alarmObscuration: 10, clearObscuration: 3, fixedTempC: 57, rateOfRiseCPerMin: 8.3, confirmReadings: 2, persistReadings: 4, persistS: 20, clearReadings: 3 };
const T0 = Date.UTC(2026, 6, 1, 12, 0, 0);

/** Readings every `stepS` seconds from T0 + `fromS`: [obscuration, temperature] pairs. */
const series = (pairs: [number, number][], fromS = 0, stepS = 5): SmokeSample[] =>
  pairs.map(([obscuration, temperatureC], i) => ({ t: T0 + (fromS + i * stepS) * 1000, obscuration, temperatureC }));
const quiet = (n: number, fromS = 0) => series(Array.from({ length: n }, () => [0.4, 24] as [number, number]), fromS);
const run = (d: SmokeDetector, samples: SmokeSample[]): SmokeStep[] => samples.map((s) => d.observe(s));
const alarms = (steps: SmokeStep[]) => steps.filter((s) => s.event === 'alarm');

describe('smoke rule', () => {
  it('raises a fire within seconds: smoke corroborated by the temperature rising faster than 8.3 °C/min', () => {
    const d = new SmokeDetector(CFG);
    run(d, quiet(12)); // a minute of clean air: the rate of rise has its baseline
    // Flaming fire: obscuration climbs, the temperature rises 1.5 °C every 5 s (18 °C/min).
    const fire = series([[2, 25.5], [6, 27], [12, 28.5], [18, 30], [25, 31.5], [30, 33]], 60);
    const steps = run(d, fire);
    const alarm = steps.findIndex((s) => s.event === 'alarm');
    expect(alarm, 'alarm at the second corroborated reading').toBe(3);
    const a = steps[alarm] as Extract<SmokeStep, { event: 'alarm' }>;
    expect(a.basis).toBe('smoke_and_heat');
    expect(a.rateOfRise).toBeGreaterThan(8.3);
    expect(a.startedAt).toBe(T0 + 65_000); // the run started with the first reading rising faster than 8.3 °C/min
    expect(alarms(steps)).toHaveLength(1); // one alert per episode
  });

  it('takes the device\'s own rate of rise when it reports one', () => {
    const d = new SmokeDetector(CFG);
    const steps = run(d, [0, 5].map((s) => ({ t: T0 + s * 1000, obscuration: 14, temperatureC: 30, rateOfRiseCPerMin: 12 })));
    expect(steps[1]).toMatchObject({ event: 'alarm', basis: 'smoke_and_heat', rateOfRise: 12 });
  });

  it('ignores a dust puff and a steam spike (no heat, too short to persist)', () => {
    const d = new SmokeDetector(CFG);
    run(d, quiet(12));
    const dust = series([[45, 24], [8, 24], [0.5, 24]], 60);
    const steam = series([[18, 25.5], [22, 26], [15, 25.5], [2, 24.5], [0.5, 24]], 120);
    expect(alarms(run(d, [...dust, ...steam]))).toHaveLength(0);
    expect(d.alarmed).toBe(false);
  });

  it('raises smouldering smoke without heat only once it persists for the configured readings and time', () => {
    const d = new SmokeDetector(CFG);
    run(d, quiet(12));
    const steps = run(d, series([[11, 24], [12, 24], [13, 24], [14, 24], [15, 24]], 60));
    // Four readings span 15 s (< 20 s): the fifth, 20 s after the first, raises it.
    expect(steps.map((s) => s.event)).toEqual([null, null, null, null, 'alarm']);
    expect(steps[4]).toMatchObject({ basis: 'persistent_smoke' });
  });

  it('raises heat at the fixed temperature without smoke', () => {
    const d = new SmokeDetector(CFG);
    const steps = run(d, [{ t: T0, obscuration: 1, temperatureC: 58 }, { t: T0 + 5000, obscuration: 1, temperatureC: 59 }]);
    expect(steps[1]).toMatchObject({ event: 'alarm', basis: 'heat' });
  });

  it('keeps one alarm while smoke thins and thickens (hysteresis) and clears only below the lower threshold', () => {
    const d = new SmokeDetector(CFG);
    const first = run(d, series([[12, 24], [12, 24], [12, 24], [12, 24], [12, 24]]));
    expect(alarms(first)).toHaveLength(1);
    // Thins to 5 %/m (below the alarm level, above the clear level) and thickens again: same episode.
    const wavering = run(d, series([[5, 24], [5, 24], [5, 24], [5, 24], [14, 24], [5, 24]], 25));
    expect(wavering.every((s) => s.event === 'ongoing')).toBe(true);
    // Two clean readings then smoke again: the clear needs three in a row.
    expect(run(d, series([[1, 24], [1, 24], [6, 24]], 55)).map((s) => s.event)).toEqual(['ongoing', 'ongoing', 'ongoing']);
    const cleared = run(d, series([[1, 24], [1, 24], [1, 24]], 70));
    expect(cleared.at(-1)).toMatchObject({ event: 'cleared', startedAt: T0 });
    // A new rise after the clear is a new alarm.
    const again = run(d, series([[12, 24], [12, 24], [12, 24], [12, 24], [12, 24]], 90));
    expect(alarms(again)).toHaveLength(1);
    expect((alarms(again)[0] as Extract<SmokeStep, { event: 'alarm' }>).startedAt).toBe(T0 + 90_000);
  });

  it('ignores repeated and late readings, and restarts its counts after a long silence', () => {
    const d = new SmokeDetector(CFG);
    const s = { t: T0, obscuration: 12, temperatureC: 24 };
    expect(d.observe(s).event).toBeNull();
    expect(d.observe(s).event).toBeNull();
    expect(d.observe({ ...s, t: T0 - 1000 }).event).toBeNull();
    // Three more smoky readings, but after a 3-minute gap: the persistence count starts again.
    const steps = run(d, series([[12, 24], [12, 24], [12, 24]], 180));
    expect(alarms(steps)).toHaveLength(0);
    expect(d.recent.map((r) => r.t), 'the evidence starts after the gap').toEqual([180, 185, 190].map((x) => T0 + x * 1000));
  });

  it('gives the same verdicts whatever other detectors do (state is per instance, time is the readings\')', () => {
    const samples = [...quiet(12), ...series([[2, 25.5], [6, 27], [12, 28.5], [18, 30]], 60)];
    const a = run(new SmokeDetector(CFG), samples);
    const other = new SmokeDetector(CFG);
    run(other, series([[50, 80], [50, 80]], 500));
    const b = run(new SmokeDetector(CFG), samples);
    expect(b).toEqual(a);
  });
});
