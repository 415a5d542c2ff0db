/**
 * Runtime loader for every model of the platform: reads `<modelsDir>/<name>.card.json`, validates it
 * against the ModelCard schema, checks the ONNX file's SHA-256 against the card, the input width
 * against the caller's feature function and the output width against the card's labels, and runs
 * onnxruntime-node single-threaded (bench/inference.ts: for these small MLPs a second intra-op thread
 * is slower; the worker scales out by processes). A field-trained model replaces a default by dropping
 * in a new card + .onnx pair; no code changes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Value } from '@sinclair/typebox/value';
import { ModelCard } from '../contract/model-card.js';

/** Session options used by every model; exported so the benchmark measures the same session. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
};

/** Reads and validates a card; every problem is reported with the card's path. */
export async function readModelCard(cardPath: string): Promise<ModelCard> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(cardPath, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read model card ${cardPath}: ${(err as Error).message}`);
  }
  if (!Value.Check(ModelCard, raw)) {
    const problems = [...Value.Errors(ModelCard, raw)].map((e) => `${e.path || '/'}: ${e.message}`);
    throw new Error(`invalid model card ${cardPath}:\n  ${problems.slice(0, 20).join('\n  ')}`);
  }
  return raw;
}

export class OnnxModel {
  private constructor(
    readonly card: ModelCard,
    /** The underlying session, for benchmarks comparing against raw `session.run`. */
    readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
    private readonly featureCount: number,
  ) {}

  /** Loads `<modelsDir>/<name>.card.json` and the ONNX file it names; `featureCount` is the width the caller's feature function produces. */
  static async load(modelsDir: string, name: string, featureCount: number): Promise<OnnxModel> {
    const cardPath = join(modelsDir, `${name}.card.json`);
    const card = await readModelCard(cardPath);
    if (card.name !== name) throw new Error(`model card ${cardPath}: names model ${card.name}, expected ${name}`);
    if (basename(card.file) !== card.file) throw new Error(`model card ${cardPath}: file must be a plain file name, got ${card.file}`);
    const input = card.inputs[0];
    const output = card.outputs[0];
    if (!input || !output || card.inputs.length !== 1 || card.outputs.length !== 1) {
      throw new Error(`model card ${cardPath}: expected exactly one input and one output, got ${card.inputs.length} and ${card.outputs.length}`);
    }
    if (input.shape.length !== 2 || input.shape[1] !== featureCount) {
      throw new Error(
        `model card ${cardPath}: input ${input.name} has shape ${JSON.stringify(input.shape)}, ` +
          `but the feature function produces ${featureCount} features per row`,
      );
    }
    if (output.shape.length !== 2 || output.shape[1] !== card.labels.length) {
      throw new Error(`model card ${cardPath}: output ${output.name} shape ${JSON.stringify(output.shape)} does not match ${card.labels.length} labels`);
    }
    if (new Set(card.labels).size !== card.labels.length) throw new Error(`model card ${cardPath}: duplicate labels ${card.labels.join(', ')}`);

    const modelPath = join(modelsDir, card.file);
    let bytes: Buffer;
    try {
      bytes = await readFile(modelPath);
    } catch (err) {
      throw new Error(`cannot read model ${modelPath} named by ${cardPath}: ${(err as Error).message}`);
    }
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== card.sha256) {
      throw new Error(`model ${modelPath}: sha256 mismatch (file ${sha256}, card ${card.sha256}); the model file was altered or does not belong to this card`);
    }
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
    } catch (err) {
      throw new Error(`model ${modelPath}: onnxruntime cannot load it: ${(err as Error).message}`);
    }
    if (!session.inputNames.includes(input.name) || !session.outputNames.includes(output.name)) {
      await session.release();
      throw new Error(
        `model ${modelPath}: graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], ` +
          `card names ${input.name} → ${output.name}`,
      );
    }
    return new OnnxModel(card, session, input.name, output.name, featureCount);
  }

  /** Scores for `n` rows of features (row-major, featureCount each): n × labels.length, row-major. */
  async run(features: Float32Array, n: number): Promise<Float32Array> {
    const k = this.card.labels.length;
    const width = this.featureCount;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`row count must be a non-negative integer, got ${n}`);
    if (features.length < n * width) throw new RangeError(`features hold ${features.length} floats, need ${n * width} for ${n} rows of ${width}`);
    if (n === 0) return new Float32Array(0);
    const data = features.length === n * width ? features : features.subarray(0, n * width);
    const result = await this.session.run({ [this.inputName]: new ort.Tensor('float32', data, [n, width]) });
    const out = result[this.outputName];
    if (!out || !(out.data instanceof Float32Array) || out.data.length !== n * k) {
      throw new Error(`model ${this.card.name} returned no ${n}×${k} float32 output ${this.outputName}`);
    }
    return out.data;
  }

  /** Column of `label` in the output; throws for a label the model does not know. */
  labelIndex(label: string): number {
    const i = this.card.labels.indexOf(label);
    if (i < 0) throw new RangeError(`model ${this.card.name} has no label ${label} (labels: ${this.card.labels.join(', ')})`);
    return i;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
