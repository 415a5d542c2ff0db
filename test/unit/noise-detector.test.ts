import { describe, expect, it } from 'vitest';
import { NoiseEpisodeDetector, type DetectorConfig } from '../../inference/noise-detector.js';
import { noiseLimitAt } from '../../core/domain/noise-limits.js';

const cfg: DetectorConfig = { minDurationS: 60, leqWindowS: 10, gapS: 30, musicOn: 0.6, musicOff: 0.4, smoothing: 5 };
const zone = (at: Date) => noiseLimitAt('1', at, 'Asia/Shanghai');
const MUSIC = 2; // label index of music
const night = Date.UTC(2026, 6, 1, 14, 30); // 22:30 in Shanghai
const day = Date.UTC(2026, 6, 1, 7, 0); // 15:00 in Shanghai
const probs = (pMusic: number) => [0, 0, pMusic, 1 - pMusic, 0, 0];

function feed(d: NoiseEpisodeDetector, start: number, seconds: number, laeq: number, pMusic: number) {
  const episodes = [];
  for (let i = 0; i < seconds; i++) {
    const e = d.observe({ ts: new Date(start + i * 1000), laeq, lamax: laeq + 3, probabilities: probs(pMusic) });
    if (e) episodes.push(e);
  }
  return episodes;
}

describe('noise episode rules', () => {
  it('alerts once when music exceeds the night limit for the minimum duration', () => {
    const d = new NoiseEpisodeDetector(cfg, zone, MUSIC);
    const episodes = feed(d, night, 300, 62, 0.9);
    expect(episodes).toHaveLength(1);
    const e = episodes[0]!;
    expect(e.limit).toMatchObject({ period: 'night', laeq: 45 });
    expect(e.rule).toBe('laeq');
    expect((e.detectedAt.getTime() - e.startedAt.getTime()) / 1000).toBeGreaterThanOrEqual(60);
    expect(e.laeq).toBeCloseTo(62, 5);
    expect(e.meanProbabilities[MUSIC]).toBeCloseTo(0.9, 5);
    expect(e.levels.length).toBeGreaterThanOrEqual(60);
  });

  it('does not alert before the minimum duration', () => {
    const d = new NoiseEpisodeDetector(cfg, zone, MUSIC);
    expect(feed(d, night, 58, 62, 0.9)).toHaveLength(0);
  });

  it('does not alert under the limit, nor for loud sound that is not music', () => {
    expect(feed(new NoiseEpisodeDetector(cfg, zone, MUSIC), day, 300, 50, 0.95)).toHaveLength(0);
    expect(feed(new NoiseEpisodeDetector(cfg, zone, MUSIC), night, 300, 70, 0.1)).toHaveLength(0);
  });

  it('keeps an episode through a short pause and starts a new one after a long one', () => {
    const d = new NoiseEpisodeDetector(cfg, zone, MUSIC);
    expect(feed(d, night, 90, 62, 0.9)).toHaveLength(1);
    expect(feed(d, night + 90_000, 15, 40, 0.9)).toHaveLength(0); // 15 s under the limit: same episode
    expect(feed(d, night + 105_000, 120, 62, 0.9)).toHaveLength(0);
    expect(feed(d, night + 225_000, 60, 40, 0.9)).toHaveLength(0); // a minute of quiet ends it
    expect(feed(d, night + 285_000, 90, 62, 0.9)).toHaveLength(1);
  });

  it('applies hysteresis to the music score', () => {
    const d = new NoiseEpisodeDetector(cfg, zone, MUSIC);
    feed(d, night, 10, 62, 0.9);
    expect(d.musicActive).toBe(true);
    feed(d, night + 10_000, 10, 62, 0.5); // between off (0.4) and on (0.6): stays on
    expect(d.musicActive).toBe(true);
    feed(d, night + 20_000, 10, 62, 0.2);
    expect(d.musicActive).toBe(false);
    feed(d, night + 30_000, 10, 62, 0.55); // below on: stays off
    expect(d.musicActive).toBe(false);
  });

  it('uses the readings’ own timestamps: late and repeated readings change nothing', () => {
    const d = new NoiseEpisodeDetector(cfg, zone, MUSIC);
    expect(feed(d, night, 120, 62, 0.9)).toHaveLength(1);
    expect(feed(d, night, 120, 62, 0.9)).toHaveLength(0);
  });

  it('flags a sudden night event through LAmax even when the running LAeq is under the limit', () => {
    const d = new NoiseEpisodeDetector(cfg, zone, MUSIC);
    let episodes = 0;
    for (let i = 0; i < 120; i++) {
      if (d.observe({ ts: new Date(night + i * 1000), laeq: 44, lamax: 62, probabilities: probs(0.9) })) episodes++;
    }
    expect(episodes).toBe(1);
  });
});
