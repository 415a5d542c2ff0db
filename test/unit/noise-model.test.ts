import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../core/rng.js';
import { NOISE_CLASSES, sampleNoise, type NoiseClass } from '../../simulator/spectra.js';
import { NOISE_FEATURE_COUNT, noiseFeatures } from '../../inference/noise-features.js';
import { NoiseModel } from '../../inference/noise-model.js';

const MODELS = 'inference/models';
const PER_CLASS = 100;
const SEED = 4242; // not a training (20240611) or held-out (90210417) seed

function argmax(p: Float32Array, row: number, k: number): number {
  let best = 0;
  for (let j = 1; j < k; j++) if ((p[row * k + j] ?? 0) > (p[row * k + best] ?? 0)) best = j;
  return best;
}

describe('noise-source model', () => {
  let model: NoiseModel;
  const truth: number[] = [];
  let predicted: number[] = [];

  beforeAll(async () => {
    model = await NoiseModel.load(MODELS);
    const rng = new Rng(SEED);
    const n = PER_CLASS * NOISE_CLASSES.length;
    const features = new Float32Array(n * NOISE_FEATURE_COUNT);
    for (let i = 0; i < n; i++) {
      const cls: NoiseClass = NOISE_CLASSES[i % NOISE_CLASSES.length] ?? 'background';
      const s = sampleNoise(cls, rng.uniform(45, 75), rng);
      noiseFeatures(s.bands, s.laeq, s.lamax, features, i * NOISE_FEATURE_COUNT);
      truth.push(i % NOISE_CLASSES.length);
    }
    const probs = await model.classify(features, n);
    expect(probs).toHaveLength(n * model.card.labels.length);
    predicted = truth.map((_, i) => argmax(probs, i, model.card.labels.length));
  });

  afterAll(async () => {
    await model?.close();
  });

  it('carries a card with the expected labels, input width and thresholds', () => {
    expect(model.card.labels).toEqual([...NOISE_CLASSES]);
    expect(model.card.inputs[0]?.shape[1]).toBe(NOISE_FEATURE_COUNT);
    expect(model.card.thresholds['music.on']).toBeGreaterThan(model.card.thresholds['music.off'] ?? 1);
    expect(model.labelIndex('music')).toBe(2);
    expect(() => model.labelIndex('jazz')).toThrow(/no label jazz/);
  });

  it('classifies fresh samples (levels 45–75 dB(A)) with accuracy ≥ 0.9 and music recall ≥ 0.9', () => {
    const accuracy = predicted.filter((p, i) => p === truth[i]).length / truth.length;
    const music = model.labelIndex('music');
    const musicRows = truth.map((t, i) => [t, i] as const).filter(([t]) => t === music);
    const musicRecall = musicRows.filter(([, i]) => predicted[i] === music).length / musicRows.length;
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(musicRecall).toBeGreaterThanOrEqual(0.9);
  });

  it('depends on its input (a model ignoring it would fail this)', () => {
    const music = model.labelIndex('music');
    const voices = model.labelIndex('voices');
    const onMusic = predicted.filter((_, i) => truth[i] === music);
    const onVoices = predicted.filter((_, i) => truth[i] === voices);
    const differ = onMusic.filter((p, i) => p !== onVoices[i]).length / onMusic.length;
    expect(differ).toBeGreaterThan(0.9);
    // Against shuffled labels the same predictions score near 1/6.
    const rng = new Rng(1);
    const shuffled = [...truth];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [shuffled[i], shuffled[j]] = [shuffled[j] ?? 0, shuffled[i] ?? 0];
    }
    const chance = predicted.filter((p, i) => p === shuffled[i]).length / predicted.length;
    expect(chance).toBeLessThan(0.35);
    // Every class is predicted for someone: no constant output.
    expect(new Set(predicted).size).toBe(NOISE_CLASSES.length);
  });

  it('classifies the same source identically at 50 and at 65 dB(A)', async () => {
    const rng = new Rng(SEED + 1);
    const s = sampleNoise('music', 50, rng);
    const batch = new Float32Array(2 * NOISE_FEATURE_COUNT);
    noiseFeatures(s.bands, s.laeq, s.lamax, batch, 0);
    noiseFeatures(s.bands.map((b) => b + 15), s.laeq + 15, s.lamax + 15, batch, NOISE_FEATURE_COUNT);
    const p = await model.classify(batch, 2);
    const k = model.card.labels.length;
    for (let j = 0; j < k; j++) expect(p[k + j]).toBeCloseTo(p[j] ?? NaN, 5);
  });

  it('rejects a tampered model file and an invalid card', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'noise-model-'));
    try {
      const card = JSON.parse(await readFile(join(MODELS, 'noise-source.card.json'), 'utf8')) as { file: string };
      await copyFile(join(MODELS, 'noise-source.card.json'), join(dir, 'noise-source.card.json'));
      const onnx = await readFile(join(MODELS, card.file));
      onnx[onnx.length - 10] = (onnx[onnx.length - 10] ?? 0) ^ 0xff;
      await writeFile(join(dir, card.file), onnx);
      await expect(NoiseModel.load(dir)).rejects.toThrow(/sha256 mismatch/);

      await writeFile(join(dir, 'noise-source.card.json'), JSON.stringify({ ...card, sha256: 'nope', labels: 'music' }));
      await expect(NoiseModel.load(dir)).rejects.toThrow(/invalid model card[\s\S]*\/sha256[\s\S]*\/labels|invalid model card[\s\S]*\/labels[\s\S]*\/sha256/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
