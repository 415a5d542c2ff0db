import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { readFile } from 'node:fs/promises';
import { Rng } from '../../core/rng.js';
import { ModelCard } from '../../contract/model-card.js';
import { TrackSource, type TrackObservation, type TrackRole } from '../../simulator/anglers.js';
import { FISHING_FEATURE_COUNT, fishingFeatures } from '../../inference/features/fishing.js';
import { newTrackSummary, observeTrack } from '../../inference/features/track-summary.js';
import { OnnxModel } from '../../inference/onnx-model.js';
import { anglerTracks } from '../../inference/train/recipes-fishing.js';
import { MODELS, f1, loadTampered, scoreSet, shuffled } from './model-helpers.js';

const F = FISHING_FEATURE_COUNT;
const SEED = 6161; // neither the training (20240613) nor the held-out (90210419) seed

/** P(fishing) after each report of one person's track (the newest observations and the whole track, as the pipeline keeps them). */
async function trace(model: OnnxModel, role: TrackRole, rng: Rng, hour: number, minutes: number, dt: number): Promise<number[]> {
  const src = new TrackSource(role, rng, { localHour: hour, camera: { rodGain: 1, rodNoise: 0, falsePositiveRate: 1, speedJitter: 0.08, waterlineBias: 0.15, restartsPerHour: 0, nightVisibility: 0.7 } });
  const obs: TrackObservation[] = [];
  for (let t = 0; t < minutes * 60 && !src.ended; t += dt) obs.push(src.next(dt));
  const features = new Float32Array(obs.length * F);
  const whole = newTrackSummary();
  obs.forEach((o, k) => {
    observeTrack(whole, o);
    fishingFeatures(obs.slice(Math.max(0, k - 29), k + 1), hour, features, k * F, whole);
  });
  const p = await model.run(features, obs.length);
  return obs.map((_, k) => p[2 * k + 1] as number);
}

describe('fishing model', () => {
  let model: OnnxModel;
  let predicted: boolean[];
  let truth: boolean[];

  beforeAll(async () => {
    model = await OnnxModel.load(MODELS, 'fishing', F);
    const set = anglerTracks(SEED, 1500);
    const p = await scoreSet(model, set);
    truth = Array.from(set.labels, (l) => l === 1);
    predicted = truth.map((_, i) => (p[2 * i + 1] as number) >= 0.5);
  });

  afterAll(async () => {
    await model?.close();
  });

  it('carries a schema-valid card with the agreed labels and thresholds', async () => {
    const raw: unknown = JSON.parse(await readFile(`${MODELS}/fishing.card.json`, 'utf8'));
    expect(Value.Check(ModelCard, raw)).toBe(true);
    expect(model.card.version).toBe('1.2.0');
    expect(model.card.labels).toEqual(['other', 'fishing']);
    expect(model.card.thresholds).toEqual({ 'fishing.on': 0.8, 'fishing.off': 0.4 });
    expect(model.card.outputs[0]?.shape).toEqual(['N', 2]);
    expect(model.labelIndex('fishing')).toBe(1);
  });

  it('recognises fishing at fresh moments of fresh tracks with F1 ≥ 0.9', () => {
    expect(f1(predicted, truth).f1).toBeGreaterThanOrEqual(0.9);
  });

  it('tells anglers from walkers, joggers, sitters and photographers over their tracks', async () => {
    const rng = new Rng(SEED + 1);
    let anglersFlagged = 0;
    let othersFlagged = 0;
    const N = 12;
    for (let k = 0; k < N; k++) {
      const angler = await trace(model, 'angler', rng, 6 + (k % 3) * 6, 30, 10);
      if (angler.slice(-10).every((p) => p >= 0.7)) anglersFlagged++;
      for (const role of ['walker', 'jogger', 'sitter', 'photographer'] as const) {
        const other = await trace(model, role, rng, 9 + (k % 3) * 4, 30, 10);
        // A false alarm needs P(fishing) ≥ 0.7 for three minutes (18 reports) in a row, as the worker's minimum duration would.
        if (other.some((_, i) => i >= 17 && other.slice(i - 17, i + 1).every((p) => p >= 0.7))) othersFlagged++;
      }
    }
    expect(anglersFlagged / N).toBeGreaterThanOrEqual(0.8);
    expect(othersFlagged / (4 * N)).toBeLessThanOrEqual(0.1);
  });

  it('depends on its input: against shuffled labels the same answers score near chance', () => {
    const real = f1(predicted, truth).f1;
    const chance = f1(predicted, shuffled(truth, 2)).f1;
    expect(real - chance).toBeGreaterThan(0.35);
    expect(predicted.some((p) => p) && predicted.some((p) => !p)).toBe(true);
  });

  it('rejects a tampered ONNX file', async () => {
    expect(String(await loadTampered('fishing', F))).toMatch(/sha256 mismatch/);
  });
});
