/**
 * `npm run bench:inference`: throughput of the noise-window model on one core.
 *
 * For each batch size, on identical batches of real windows (simulated 10-second reading streams):
 * - raw:     `session.run` on ready-made feature tensors (the floor),
 * - wrapper: `OnnxModel.run` on the same feature arrays (the loader's checks and tensor handling),
 * - worker:  what the worker does per batch: `noiseWindowFeatures` for every window into one buffer,
 *            then `OnnxModel.run`.
 * Methods are interleaved in rounds and the median round counts, so a busy machine affects all alike.
 * Overhead = raw rate / method rate − 1. A second table compares intra-op thread counts.
 */
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import { Rng } from '../core/rng.js';
import { NOISE_CLASSES, NoiseSource } from '../simulator/spectra.js';
import { NOISE_WINDOW, NOISE_WINDOW_FEATURE_COUNT, noiseWindowFeatures, type NoiseFrame } from '../inference/features/noise.js';
import { OnnxModel, SESSION_OPTIONS } from '../inference/onnx-model.js';
import { MODELS_DIR } from '../inference/train/dataset-io.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const F = NOISE_WINDOW_FEATURE_COUNT;
const BATCHES = [1, 8, 32, 128, 256, 1024];
const ROUNDS = 7;
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 150);
const POOL = 4096;

/** A pool of windows: streams of each class, a window ending at every second. */
function windows(): NoiseFrame[][] {
  const rng = new Rng(7);
  const out: NoiseFrame[][] = [];
  while (out.length < POOL) {
    for (const cls of NOISE_CLASSES) {
      const src = new NoiseSource(cls, rng);
      const level = rng.uniform(45, 75);
      const frames = Array.from({ length: 40 }, () => src.nextFree(level));
      for (let end = NOISE_WINDOW; end <= frames.length; end++) out.push(frames.slice(end - NOISE_WINDOW, end));
    }
  }
  return out.slice(0, POOL);
}

/** Windows per second of `step` (which handles `batch` windows), run for about ROUND_MS. */
async function rate(batch: number, step: (start: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  let start = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ROUND_MS) {
    await step(start);
    done += batch;
    start = (start + batch) % (POOL - batch + 1);
  }
  return (done * 1000) / (performance.now() - t0);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US').padStart(12);

async function main(): Promise<void> {
  const pool = windows();
  const features = new Float32Array(POOL * F);
  pool.forEach((w, i) => noiseWindowFeatures(w, features, i * F));
  const model = await OnnxModel.load(MODELS_DIR, 'noise-window', F);
  const session = model.session;
  const input = session.inputNames[0] ?? 'features';
  const buffers = new Map<number, Float32Array>(BATCHES.map((b) => [b, new Float32Array(b * F)]));

  console.log(`noise-window@${model.card.version}: ${F} features, MLP; onnxruntime-node ${ort.env.versions.common}; one session, ` +
    `intraOpNumThreads ${SESSION_OPTIONS.intraOpNumThreads}, ${SESSION_OPTIONS.executionMode}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per method and batch size; windows per second\n`);
  console.log(`${'batch'.padStart(6)}${'raw run'.padStart(12)}${'OnnxModel'.padStart(12)}${'overhead'.padStart(10)}${'worker path'.padStart(12)}${'overhead'.padStart(10)}${'features only'.padStart(14)}`);
  for (const batch of BATCHES) {
    const raw: number[] = [];
    const wrapped: number[] = [];
    const worker: number[] = [];
    const featuresOnly: number[] = [];
    const buf = buffers.get(batch) as Float32Array;
    for (let r = 0; r < ROUNDS; r++) {
      raw.push(await rate(batch, (s) => session.run({ [input]: new ort.Tensor('float32', features.subarray(s * F, (s + batch) * F), [batch, F]) })));
      wrapped.push(await rate(batch, (s) => model.run(features.subarray(s * F, (s + batch) * F), batch)));
      worker.push(await rate(batch, (s) => {
        for (let i = 0; i < batch; i++) noiseWindowFeatures(pool[s + i] as NoiseFrame[], buf, i * F);
        return model.run(buf, batch);
      }));
      featuresOnly.push(await rate(batch, (s) => {
        for (let i = 0; i < batch; i++) noiseWindowFeatures(pool[s + i] as NoiseFrame[], buf, i * F);
        return Promise.resolve();
      }));
    }
    const [r, w, k, f] = [median(raw), median(wrapped), median(worker), median(featuresOnly)];
    console.log(`${String(batch).padStart(6)}${fmt(r)}${fmt(w)}${`${((r / w - 1) * 100).toFixed(1)} %`.padStart(10)}${fmt(k)}${`${((r / k - 1) * 100).toFixed(0)} %`.padStart(10)}${fmt(f).padStart(14)}`);
  }

  console.log('\nintra-op threads (raw session.run, windows per second):');
  const bytes = await readFile(join(MODELS_DIR, model.card.file));
  console.log(`${'batch'.padStart(6)}${'1 thread'.padStart(12)}${'2 threads'.padStart(12)}`);
  const two = await ort.InferenceSession.create(bytes, { ...SESSION_OPTIONS, intraOpNumThreads: 2 });
  for (const batch of [32, 256, 1024]) {
    const one: number[] = [];
    const both: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t = (s: number) => new ort.Tensor('float32', features.subarray(s * F, (s + batch) * F), [batch, F]);
      one.push(await rate(batch, (s) => session.run({ [input]: t(s) })));
      both.push(await rate(batch, (s) => two.run({ [input]: t(s) })));
    }
    console.log(`${String(batch).padStart(6)}${fmt(median(one))}${fmt(median(both))}`);
  }
  await two.release();
  await model.close();
}

await main();
