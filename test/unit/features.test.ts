import { describe, it, expect } from 'vitest';
import { Rng } from '../../core/rng.js';
import { NoiseSource } from '../../simulator/spectra.js';
import { NOISE_WINDOW, NOISE_WINDOW_FEATURE_COUNT, noiseWindowFeatures, type NoiseFrame } from '../../inference/features/noise.js';
import { FISHING_FEATURE_COUNT, FISHING_HISTORY, fishingFeatures, type TrackObservation } from '../../inference/features/fishing.js';
import { isTrackSummary, newTrackSummary, observeTrack, summariseTrack, trackSummaryFeatures } from '../../inference/features/track-summary.js';
import { CROWD_FEATURE_COUNT, CROWD_HISTORY_MIN, crowdFeatures } from '../../inference/features/crowding.js';

const stream = (cls: 'music' | 'traffic', seed: number, n = 12): NoiseFrame[] => {
  const src = new NoiseSource(cls, new Rng(seed));
  return Array.from({ length: n }, () => src.nextFree(60));
};
const copy = (f: NoiseFrame): NoiseFrame => ({ bands: [...f.bands], laeq: f.laeq, lamax: f.lamax });
const louder = (f: NoiseFrame, db: number): NoiseFrame => ({ bands: f.bands.map((b) => b + db), laeq: f.laeq + db, lamax: f.lamax + db });

describe('noise window features', () => {
  it('has the advertised width and is level-invariant', () => {
    const frames = stream('music', 1, 10);
    const a = noiseWindowFeatures(frames);
    const b = noiseWindowFeatures(frames.map((f) => louder(f, 17)));
    expect(a).toHaveLength(NOISE_WINDOW_FEATURE_COUNT);
    for (let i = 0; i < NOISE_WINDOW_FEATURE_COUNT; i++) expect(b[i]).toBeCloseTo(a[i] as number, 4);
  });

  it('pads a short window with its oldest frame and uses the newest frames of a long one', () => {
    const frames = stream('traffic', 2, 14);
    const padded = noiseWindowFeatures(frames.slice(0, 3));
    const repeated = noiseWindowFeatures([...Array<NoiseFrame>(NOISE_WINDOW - 2).fill(frames[0] as NoiseFrame), frames[1] as NoiseFrame, frames[2] as NoiseFrame]);
    expect(Array.from(padded.subarray(0, NOISE_WINDOW_FEATURE_COUNT - 1))).toEqual(Array.from(repeated.subarray(0, NOISE_WINDOW_FEATURE_COUNT - 1)));
    expect(padded[NOISE_WINDOW_FEATURE_COUNT - 1]).toBeCloseTo(0.3, 6); // real frames / 10
    expect(Array.from(noiseWindowFeatures(frames))).toEqual(Array.from(noiseWindowFeatures(frames.slice(-NOISE_WINDOW))));
  });

  it('gives the same features for fresh copies as for cached frame objects (sliding windows)', () => {
    const frames = stream('music', 3, 12);
    noiseWindowFeatures(frames.slice(0, 10)); // fills the per-frame cache
    const cached = noiseWindowFeatures(frames.slice(2, 12));
    const fresh = noiseWindowFeatures(frames.slice(2, 12).map(copy));
    expect(Array.from(cached)).toEqual(Array.from(fresh));
  });

  it('separates a song from road traffic: tonal bands and band movement', () => {
    const music = noiseWindowFeatures(stream('music', 4, 10));
    const traffic = noiseWindowFeatures(stream('traffic', 4, 10));
    const bandStd = (x: Float32Array): number => x.subarray(31, 62).reduce((s, v) => s + v, 0);
    expect(bandStd(music)).toBeGreaterThan(bandStd(traffic));
    expect(music.some((v, i) => Math.abs(v - (traffic[i] as number)) > 0.3)).toBe(true);
  });

  it('writes at an offset into a batch buffer and rejects bad input', () => {
    const frames = stream('music', 5, 10);
    const batch = new Float32Array(3 * NOISE_WINDOW_FEATURE_COUNT);
    noiseWindowFeatures(frames, batch, NOISE_WINDOW_FEATURE_COUNT);
    expect(Array.from(batch.subarray(NOISE_WINDOW_FEATURE_COUNT, 2 * NOISE_WINDOW_FEATURE_COUNT))).toEqual(Array.from(noiseWindowFeatures(frames)));
    expect(batch.subarray(0, NOISE_WINDOW_FEATURE_COUNT).every((v) => v === 0)).toBe(true);
    expect(() => noiseWindowFeatures([])).toThrow(RangeError);
    expect(() => noiseWindowFeatures(frames, batch, 2 * NOISE_WINDOW_FEATURE_COUNT + 1)).toThrow(/buffer too small/);
    expect(() => noiseWindowFeatures([{ bands: [1, 2], laeq: 50, lamax: 55 }])).toThrow(/31 bands/);
    expect(() => noiseWindowFeatures([{ ...copy(frames[0] as NoiseFrame), laeq: NaN }])).toThrow(RangeError);
  });
});

const obs = (o: Partial<TrackObservation>): TrackObservation => ({ dwellS: 60, waterlineM: 1, rodScore: 0.7, speedMps: 0.05, ...o });

describe('fishing features', () => {
  it('has the advertised width, uses only the newest observations and writes at an offset', () => {
    const old = Array.from({ length: 50 }, (_, k) => obs({ dwellS: k * 10, rodScore: 0 }));
    const recent = Array.from({ length: FISHING_HISTORY }, (_, k) => obs({ dwellS: 600 + k * 10 }));
    const a = fishingFeatures([...old, ...recent], 6);
    expect(a).toHaveLength(FISHING_FEATURE_COUNT);
    expect(Array.from(a)).toEqual(Array.from(fishingFeatures(recent, 6)));
    const batch = new Float32Array(2 * FISHING_FEATURE_COUNT);
    fishingFeatures(recent, 6, batch, FISHING_FEATURE_COUNT);
    expect(Array.from(batch.subarray(FISHING_FEATURE_COUNT))).toEqual(Array.from(a));
  });

  it('describes a still person at the water with a rod differently from a walker with an umbrella', () => {
    const angler = fishingFeatures(Array.from({ length: 20 }, (_, k) => obs({ dwellS: 1200 + 10 * k, rodScore: k % 4 === 0 ? 0.1 : 0.75 })), 5);
    const walker = fishingFeatures(Array.from({ length: 4 }, (_, k) => obs({ dwellS: 10 * k, waterlineM: 8, speedMps: 1.3, rodScore: 0.6 })), 15);
    expect(angler[0]).toBeGreaterThan(walker[0] as number); // dwell
    expect(angler[8]).toBeGreaterThan(walker[8] as number); // share still
    expect(angler[21]).toBeGreaterThan(walker[21] as number); // share near the water
  });

  it('rejects bad input', () => {
    expect(() => fishingFeatures([], 12)).toThrow(RangeError);
    expect(() => fishingFeatures([obs({ rodScore: NaN })], 12)).toThrow(RangeError);
    expect(() => fishingFeatures([obs({})], Infinity)).toThrow(RangeError);
    expect(() => fishingFeatures([obs({})], 12, new Float32Array(5))).toThrow(/buffer too small/);
  });
});

describe('whole-track summary', () => {
  /** A person's observations every `dt` s: `plan` is [seconds, speed, rod] segments. */
  const track = (dt: number, plan: [number, number, number][]) => {
    const out: TrackObservation[] = [];
    let t = 0;
    for (const [s, speedMps, rodScore] of plan) for (let k = 0; k * dt < s; k++, t += dt) out.push(obs({ dwellS: t, speedMps, rodScore }));
    return out;
  };

  it('knows how long a person has stayed at the current spot, whatever the report interval', () => {
    // Still 5 min with a tripod, walks 40 s to another spot, still 4 min there.
    const plan: [number, number, number][] = [[300, 0.05, 0.6], [40, 1.2, 0.6], [240, 0.05, 0.6]];
    for (const dt of [3, 15]) {
      const s = summariseTrack(track(dt, plan));
      expect(s.relocations).toBe(1);
      expect(s.spotS).toBeGreaterThan(200);
      expect(s.spotS).toBeLessThan(260);
    }
    const f3 = fishingFeatures(track(3, plan).slice(-30), 12, undefined, 0, summariseTrack(track(3, plan)));
    const f15 = fishingFeatures(track(15, plan).slice(-30), 12, undefined, 0, summariseTrack(track(15, plan)));
    for (const i of [22, 23, 24, 25, 31, 32, 33]) expect(f3[i]).toBeCloseTo(f15[i] as number, 1);
  });

  it('tells a rod that flickers and peaks from an object seen steadily', () => {
    const angler = summariseTrack(track(5, Array.from({ length: 60 }, (_, k): [number, number, number] => (k % 6 === 0 ? [10, 0.4, 0.95] : [50, 0.05, 0.3 + 0.3 * (k % 2)]))));
    const tripod = summariseTrack(track(5, [[3000, 0.05, 0.7]]));
    const a = new Float32Array(13);
    const b = new Float32Array(13);
    trackSummaryFeatures(angler, a, 0);
    trackSummaryFeatures(tripod, b, 0);
    expect(a[4]).toBeGreaterThan(b[4] as number); // rod score spread at the spot
    expect(a[6]).toBeGreaterThan(b[6] as number); // rod peaks per 10 min
    expect(a[5]).toBeGreaterThan(b[5] as number); // bursts of movement (casts)
    expect(angler.relocations).toBe(0);
  });

  it('is what the pipeline keeps: observing one by one equals summarising at once, and stored copies validate', () => {
    const history = track(8, [[120, 1.1, 0], [600, 0.05, 0.7]]);
    const s = newTrackSummary();
    for (const o of history) observeTrack(s, o);
    expect(s).toEqual(summariseTrack(history));
    expect(isTrackSummary(JSON.parse(JSON.stringify(s)))).toBe(true);
    expect(isTrackSummary({ ...s, spotS: 'x' })).toBe(false);
    expect(isTrackSummary(null)).toBe(false);
  });
});

describe('crowd features', () => {
  it('has the advertised width and depends on counts relative to capacity', () => {
    const counts = Array.from({ length: CROWD_HISTORY_MIN }, (_, m) => 100 + 3 * m);
    const a = crowdFeatures(counts, 200, 15);
    const b = crowdFeatures(counts.map((c) => c * 4), 800, 15);
    expect(a).toHaveLength(CROWD_FEATURE_COUNT);
    for (let i = 0; i < CROWD_FEATURE_COUNT; i++) if (i !== 41) expect(b[i]).toBeCloseTo(a[i] as number, 5);
    expect(a[32]).toBeGreaterThan(0.2); // rising: +45 people in 15 min ≈ +0.22 capacity
  });

  it('extrapolates a bending trend and sees a surge', () => {
    // Rising and bending over: c = 0.8 - 0.0003 (t - 10)^2 (t = 0 now), peaking 10 minutes ahead.
    const bend = Array.from({ length: 30 }, (_, k) => 100 * (0.8 - 0.0003 * (k - 29 - 10) ** 2));
    const f = crowdFeatures(bend, 100, 12);
    expect(f[43]).toBeCloseTo(0.8 - 0.0003 * 25, 2); // where the quadratic puts it 15 minutes ahead
    expect(f[44]).toBeCloseTo(-0.0003 * 225, 2);
    expect(f[35]).toBeGreaterThan(f[43] as number); // the straight line overshoots the peak
    const surge = crowdFeatures([...Array(26).fill(40), 55, 70, 72, 72], 100, 12);
    expect(surge[46]).toBeCloseTo(0.32, 5); // 40 → 72 within 3 minutes
  });

  it('measures the latest rise against the headroom it leaves (since crowding 1.4.0)', () => {
    // 82 % for 27 minutes, then 89 % and 97 %: the last minute took 8 of the 11 % left, the last two 15 of 18 %.
    const f = crowdFeatures([...Array(28).fill(82), 89, 97], 100, 15);
    expect(f[47]).toBeCloseTo(0.08 / 0.11, 4);
    expect(f[48]).toBeCloseTo(0.15 / 0.18, 4);
    expect(f[49]).toBeCloseTo(0.15 / 0.18, 4);
    // The same rise far from capacity takes a small share of the headroom; at or over capacity the headroom floors at 5 %.
    expect(crowdFeatures([...Array(28).fill(30), 37, 45], 100, 15)[47]).toBeCloseTo(0.08 / 0.63, 4);
    expect(crowdFeatures([...Array(29).fill(100), 104], 100, 15)[47]).toBeCloseTo(0.8, 4);
    expect(crowdFeatures([...Array(29).fill(90), 60], 100, 15)[47]).toBe(-2); // a fall, clamped
  });

  it('pads short histories with the oldest count, uses the newest 30 minutes, and rejects bad input', () => {
    const short = crowdFeatures([50, 60], 100, 12);
    expect(Array.from(short.subarray(0, 30))).toEqual([...Array(29).fill(0.5), 0.6].map((v) => Math.fround(v)));
    expect(short[42]).toBeCloseTo(2 / 30, 6);
    // Arrivals and surge over the newest 10 minutes: one rise of 0.1.
    expect(short[45]).toBeCloseTo((0.1 / 10) * 15, 6);
    expect(short[46]).toBeCloseTo(0.1, 6);
    const long = Array.from({ length: 45 }, (_, m) => m);
    expect(Array.from(crowdFeatures(long, 100, 12))).toEqual(Array.from(crowdFeatures(long.slice(-30), 100, 12)));
    expect(() => crowdFeatures([], 100, 12)).toThrow(RangeError);
    expect(() => crowdFeatures([1, -2], 100, 12)).toThrow(RangeError);
    expect(() => crowdFeatures([1, 2], 0, 12)).toThrow(RangeError);
    expect(() => crowdFeatures([1, 2], 100, 12, new Float32Array(10), 0)).toThrow(/buffer too small/);
  });
});
