import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { readFile } from 'node:fs/promises';
import { Rng } from '../../core/rng.js';
import { ModelCard } from '../../contract/model-card.js';
import { NOISE_CLASSES, NoiseSource } from '../../simulator/spectra.js';
import { NOISE_WINDOW_FEATURE_COUNT, noiseWindowFeatures, type NoiseFrame } from '../../inference/features/noise.js';
import { OnnxModel } from '../../inference/onnx-model.js';
import { AUDIO, spectraWindows } from '../../inference/train/recipes-noise.js';
import { audioWindows } from '../../inference/train/audio-windows.js';
import { loadOrBuild, type DataSet, type DataSetSpec } from '../../inference/train/dataset-io.js';
import { MODELS, f1, loadTampered, scoreSet, shuffled } from './model-helpers.js';

const F = NOISE_WINDOW_FEATURE_COUNT;
const K = NOISE_CLASSES.length;
const SEED = 5150; // neither a training (20240612) nor a held-out (90210418) seed

/**
 * 6 new 10-second scenes per class synthesised as audio and metered through the FFT filter bank: the
 * slowest fixture of the suite (one to several seconds per scene on a busy machine). Built once in the
 * hook (which has the longer budget) and kept in inference/train/.data until the audio chain changes.
 */
const AUDIO_CHECK: DataSetSpec = {
  model: 'noise-window',
  split: 'check',
  seed: SEED + 2,
  featureCount: F,
  labels: NOISE_CLASSES,
  multiLabel: false,
  description: 'fresh simulator/audio.ts scenes, 6 per class, scored by test/unit/model-noise-window.test.ts',
  sources: AUDIO,
  params: { perClass: 6 },
  build: (seed) => audioWindows(seed, 6),
};

function argmax(p: Float32Array, row: number): number {
  let best = 0;
  for (let j = 1; j < K; j++) if ((p[row * K + j] as number) > (p[row * K + best] as number)) best = j;
  return best;
}

describe('noise-window model', () => {
  let model: OnnxModel;
  let set: DataSet;
  let predicted: number[];
  let truth: number[];
  let audio: DataSet;

  beforeAll(async () => {
    audio = loadOrBuild(AUDIO_CHECK);
    model = await OnnxModel.load(MODELS, 'noise-window', F);
    set = spectraWindows(SEED, 12, 8); // fresh streams, ~50 windows per class, same recipe as held-out
    const probs = await scoreSet(model, set);
    truth = Array.from(set.labels);
    predicted = truth.map((_, i) => argmax(probs, i));
  });

  afterAll(async () => {
    await model?.close();
  });

  it('carries a schema-valid card: version, labels, thresholds, input width, held-out and real-recording evaluations', async () => {
    const raw: unknown = JSON.parse(await readFile(`${MODELS}/noise-window.card.json`, 'utf8'));
    expect(Value.Check(ModelCard, raw)).toBe(true);
    expect(model.card.version).toBe('6.0.1');
    expect(model.card.labels).toEqual(['background', 'traffic', 'music', 'voices', 'construction', 'other']);
    expect(model.card.thresholds).toEqual({ 'music.on': 0.9, 'music.off': 0.4 });
    expect(model.card.inputs[0]?.shape).toEqual(['N', F]);
    expect(model.card.outputs[0]?.activation).toBe('softmax');
    expect(model.card.metrics.heldOut.samples).toBeGreaterThan(1000);
    expect(model.card.metrics.realHeldOut?.samples).toBeGreaterThan(400);
    expect(model.card.metrics.validation?.samples).toBeGreaterThan(100);
    expect(model.card.metrics.calibration?.reliability.length).toBeGreaterThan(3);
    expect(model.card.metrics.realHeldOut?.packages?.every((p) => p.version !== null && p.licence.length > 0)).toBe(true);
    expect(model.labelIndex('music')).toBe(2);
  });

  it('recognises music in fresh held-out windows (F1 ≥ 0.9) with accuracy ≥ 0.9', () => {
    const music = model.labelIndex('music');
    const accuracy = predicted.filter((p, i) => p === truth[i]).length / truth.length;
    const m = f1(predicted.map((p) => p === music), truth.map((t) => t === music));
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(m.f1).toBeGreaterThanOrEqual(0.9);
  });

  // 5.0.0 trades some of the synthesised-audio generator for real recordings: it was trained on 16
  // synthesised scenes per class (4.0.0: 100) plus real ones, and finds 4 of these 6 music scenes (4.0.0:
  // 6 of 6; on the real held-out recordings music recall 0.93 against 0.42). Recall ≥ 0.6 here.
  it('finds music in spectra metered from synthesised audio, fresh scenes (precision ≥ 0.8, recall ≥ 0.6)', async () => {
    const probs = await scoreSet(model, audio);
    const music = model.labelIndex('music');
    const truthA = Array.from(audio.labels, (l) => l === music);
    const m = f1(truthA.map((_, i) => argmax(probs, i) === music), truthA);
    expect(m.precision).toBeGreaterThanOrEqual(0.8);
    expect(m.recall).toBeGreaterThanOrEqual(0.6);
  });

  it('reports in its card how it does on the independent generator, where it finds most music and rarely invents it', () => {
    const music = model.card.metrics.validation?.perClass.music;
    expect(model.card.metrics.validation?.samples).toBeGreaterThanOrEqual(180);
    expect(music?.recall).toBeGreaterThanOrEqual(0.7);
    expect(music?.precision).toBeGreaterThanOrEqual(0.9);
    expect(model.card.metrics.previous?.validation?.samples).toBe(model.card.metrics.validation?.samples);
  });

  it('reports in its card how it does on real recordings held out whole, by day and night, against 5.0.0 on the same windows', () => {
    const real = model.card.metrics.realHeldOut;
    const previous = model.card.metrics.previous;
    expect(real?.atThreshold?.label).toBe('music');
    // At music.on 0.9 (6.0.1): windows P 0.988 / R 0.885; whole cases replayed through the pipeline lose
    // no music case to the higher threshold (README, Models: `npm run models:noise-cases`).
    expect(real?.atThreshold?.threshold).toBe(model.card.thresholds['music.on']);
    expect(real?.atThreshold?.precision).toBeGreaterThanOrEqual(0.97);
    expect(real?.atThreshold?.recall).toBeGreaterThanOrEqual(0.88);
    for (const period of ['day', 'night']) expect(real?.byPeriod?.[period]?.support).toBeGreaterThan(50);
    expect(Object.keys(real?.perSource ?? {}).length).toBeGreaterThan(30);
    expect(previous?.version).toBe('5.0.0');
    expect(previous?.realHeldOut?.samples).toBe(real?.samples);
    expect(previous?.realHeldOut?.atThreshold?.f1).toBeLessThan(real?.atThreshold?.f1 ?? 0);
    expect(previous?.heldOut.samples).toBe(model.card.metrics.heldOut.samples);
  });

  it('records how its music threshold was chosen, on a split that is not the real held-out, and shows it on the trade-off', () => {
    const choice = model.card.metrics.thresholdChoice;
    expect(choice?.label).toBe('music');
    expect(choice?.key).toBe('music.on');
    expect(choice?.set).toBe('validation');
    expect(choice?.samples).toBe(model.card.metrics.validation?.samples);
    expect(choice?.rule).toMatch(/highest recall of music with precision >= 0\.97/);
    expect(choice?.inForce).toBe(model.card.thresholds['music.on']);
    if (choice?.targetMet) expect(choice.precision).toBeGreaterThanOrEqual(choice.targetPrecision ?? 1);
    const cal = model.card.metrics.calibration;
    expect(cal?.inForce).toBe(model.card.thresholds['music.on']);
    expect(cal?.chosen).toBe(choice?.threshold);
    expect(cal?.thresholds.some((t) => t.threshold === cal.chosen)).toBe(true);
    expect(cal?.thresholds.some((t) => t.threshold === cal.inForce)).toBe(true);
  });

  it('depends on its input: a model ignoring it would fail here', () => {
    const music = model.labelIndex('music');
    // Music windows and non-music windows get different answers …
    const onMusic = predicted.filter((_, i) => truth[i] === music);
    const onOthers = predicted.filter((_, i) => truth[i] !== music);
    expect(onMusic.filter((p) => p === music).length / onMusic.length).toBeGreaterThan(0.9);
    expect(onOthers.filter((p) => p === music).length / onOthers.length).toBeLessThan(0.1);
    // … every class is predicted for someone, and against shuffled labels the same answers score near 1/6.
    expect(new Set(predicted).size).toBe(K);
    const chance = predicted.filter((p, i) => p === shuffled(truth, 1)[i]).length / predicted.length;
    expect(chance).toBeLessThan(0.35);
  });

  it('gives the same probabilities for a window 15 dB louder and pads short windows', async () => {
    const src = new NoiseSource('music', new Rng(SEED + 1));
    const frames = Array.from({ length: 10 }, () => src.nextFree(55));
    const loud: NoiseFrame[] = frames.map((f) => ({ bands: f.bands.map((b) => b + 15), laeq: f.laeq + 15, lamax: f.lamax + 15 }));
    const batch = new Float32Array(3 * F);
    noiseWindowFeatures(frames, batch, 0);
    noiseWindowFeatures(loud, batch, F);
    noiseWindowFeatures(frames.slice(-3), batch, 2 * F);
    const p = await model.run(batch, 3);
    for (let j = 0; j < K; j++) expect(p[K + j]).toBeCloseTo(p[j] as number, 4);
    for (let j = 0; j < 3 * K; j++) expect(Number.isFinite(p[j])).toBe(true);
  });

  it('rejects a tampered ONNX file', async () => {
    const err = await loadTampered('noise-window', F);
    expect(String(err)).toMatch(/sha256 mismatch/);
  });
});
