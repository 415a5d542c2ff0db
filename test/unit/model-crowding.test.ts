import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { readFile } from 'node:fs/promises';
import { Rng } from '../../core/rng.js';
import { ModelCard } from '../../contract/model-card.js';
import { CrowdSource, type CrowdKind } from '../../simulator/crowds.js';
import { CROWD_FEATURE_COUNT, crowdFeatures } from '../../inference/features/crowding.js';
import { OnnxModel } from '../../inference/onnx-model.js';
import { crowdScenarios } from '../../inference/train/recipes-crowding.js';
import { MODELS, f1, loadTampered, scoreSet, shuffled } from './model-helpers.js';

const F = CROWD_FEATURE_COUNT;
const SEED = 7272; // neither the training (20240614) nor the held-out (90210420) seed

/** One day of a zone: noise-free counter readings and the model's P(exceed within 15 min) each minute. */
async function day(model: OnnxModel, kind: CrowdKind, capacity: number, rng: Rng, start: number, minutes: number): Promise<{ truth: number[]; p: number[] }> {
  const src = new CrowdSource(kind, capacity, rng, start);
  const counts: number[] = [];
  const truth: number[] = [];
  const features = new Float32Array(minutes * F);
  for (let m = 0; m < minutes; m++) {
    counts.push(src.next());
    truth.push(src.expectedCount);
    crowdFeatures(counts.slice(-30), capacity, (start + (m + 1) / 60) % 24, features, m * F);
  }
  const out = await model.run(features, minutes);
  return { truth, p: truth.map((_, m) => out[2 * m + 1] as number) };
}

describe('crowding model', () => {
  let model: OnnxModel;
  let exceedPred: boolean[];
  let exceedTrue: boolean[];
  let riskPred: boolean[];
  let riskTrue: boolean[];

  beforeAll(async () => {
    model = await OnnxModel.load(MODELS, 'crowding', F);
    const set = crowdScenarios(SEED, 200, 5);
    const p = await scoreSet(model, set);
    exceedTrue = Array.from({ length: set.samples }, (_, i) => set.labels[2 * i + 1] === 1);
    exceedPred = exceedTrue.map((_, i) => (p[2 * i + 1] as number) >= 0.5);
    riskTrue = Array.from({ length: set.samples }, (_, i) => set.labels[2 * i] === 1);
    riskPred = riskTrue.map((_, i) => (p[2 * i] as number) >= 0.5);
  });

  afterAll(async () => {
    await model?.close();
  });

  it('carries a schema-valid card with independent sigmoid outputs', async () => {
    const raw: unknown = JSON.parse(await readFile(`${MODELS}/crowding.card.json`, 'utf8'));
    expect(Value.Check(ModelCard, raw)).toBe(true);
    expect(model.card.labels).toEqual(['risk_now', 'exceed_15m']);
    expect(model.card.outputs[0]?.activation).toBe('sigmoid');
    expect(model.card.thresholds).toEqual({ 'exceed_15m.on': 0.22, 'exceed_15m.off': 0.2, 'exceed_15m.hold': 0.8, 'risk_now.on': 0.8 });
    expect(model.card.metrics.heldOut.confusionPerLabel?.exceed_15m).toBeDefined();
  });

  it('predicts exceeding capacity within 15 minutes on fresh days (F1 ≥ 0.85) and the risk now (F1 ≥ 0.85)', () => {
    expect(f1(exceedPred, exceedTrue).f1).toBeGreaterThanOrEqual(0.85);
    expect(f1(riskPred, riskTrue).f1).toBeGreaterThanOrEqual(0.85);
  });

  it('warns of a hot Sunday crowd around or before it exceeds capacity, and stays quiet on quiet weekdays', async () => {
    const rng = new Rng(SEED + 1);
    const leads: number[] = [];
    let quietAlarms = 0;
    for (let k = 0; k < 30; k++) {
      const capacity = 100 + 70 * k;
      const sunday = await day(model, 'hot_sunday', capacity, rng, 9, 600);
      const first = sunday.truth.findIndex((n) => n > capacity);
      if (first > 30) {
        const warning = sunday.p.findIndex((p, m) => m >= 29 && p >= 0.7);
        leads.push(warning < 0 ? -Infinity : first - warning);
      }
      const quiet = await day(model, 'quiet_weekday', capacity, rng, 8, 600);
      if (quiet.p.some((p, m) => m >= 29 && p >= 0.7 && !quiet.truth.slice(m + 1, m + 16).some((n) => n > capacity))) quietAlarms++;
    }
    // Every exceeding day is warned of (P ≥ exceed_15m.on); most ahead of the count crossing capacity.
    const sorted = [...leads].sort((a, b) => a - b);
    expect(leads.length).toBeGreaterThanOrEqual(6);
    expect(leads.every(Number.isFinite)).toBe(true);
    expect(leads.filter((l) => l >= 0).length / leads.length).toBeGreaterThanOrEqual(0.75);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeGreaterThanOrEqual(1);
    expect(quietAlarms).toBeLessThanOrEqual(2);
  });

  it('depends on its input: against shuffled labels the same answers score near chance', () => {
    const real = f1(exceedPred, exceedTrue).f1;
    expect(real - f1(exceedPred, shuffled(exceedTrue, 3)).f1).toBeGreaterThan(0.5);
  });

  it('rejects a tampered ONNX file', async () => {
    expect(String(await loadTampered('crowding', F))).toMatch(/sha256 mismatch/);
  });
});
