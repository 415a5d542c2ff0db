/** Helpers shared by the model tests (not a test file itself). */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxModel } from '../../inference/onnx-model.js';
import type { DataSet } from '../../inference/train/dataset-io.js';
import { Rng } from '../../core/rng.js';

export const MODELS = 'inference/models';

export async function scoreSet(model: OnnxModel, set: DataSet): Promise<Float32Array> {
  return model.run(set.features, set.samples);
}

/** Binary precision / recall / F1 of `predicted` against `truth` for the positive value 1. */
export function f1(predicted: readonly boolean[], truth: readonly boolean[]): { precision: number; recall: number; f1: number } {
  let [tp, fp, fn] = [0, 0, 0];
  predicted.forEach((p, i) => {
    if (p && truth[i]) tp++;
    else if (p) fp++;
    else if (truth[i]) fn++;
  });
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
}

/** The same values in a seeded random order (a label permutation for "shuffled labels" guards). */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rng = new Rng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Copies a model's card and a byte-flipped ONNX file into a temporary directory and tries to load it. */
export async function loadTampered(name: string, featureCount: number): Promise<unknown> {
  const dir = await mkdtemp(join(tmpdir(), `${name}-`));
  try {
    const card = JSON.parse(await readFile(join(MODELS, `${name}.card.json`), 'utf8')) as { file: string };
    await copyFile(join(MODELS, `${name}.card.json`), join(dir, `${name}.card.json`));
    const onnx = await readFile(join(MODELS, card.file));
    onnx[onnx.length - 20] = (onnx[onnx.length - 20] ?? 0) ^ 0xff;
    await writeFile(join(dir, card.file), onnx);
    return await OnnxModel.load(dir, name, featureCount).then(
      async (m) => {
        await m.close();
        return null;
      },
      (err: unknown) => err,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
