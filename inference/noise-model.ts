/**
 * Runtime loader for the noise-source classifier: reads `noise-source.card.json`, validates it
 * against the ModelCard schema, checks the ONNX file's SHA-256 against the card and the input width
 * against NOISE_FEATURE_COUNT, and runs onnxruntime-node single-threaded (the worker scales out by
 * processes, not threads). A field-trained model replaces the default by dropping in a new
 * card + .onnx pair; no code changes.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { Value } from '@sinclair/typebox/value';
import { ModelCard } from '../core/schemas/model-card.js';
import { NOISE_FEATURE_COUNT } from './noise-features.js';

export const NOISE_MODEL_NAME = 'noise-source';

export class NoiseModel {
  private constructor(
    readonly card: ModelCard,
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly outputName: string,
  ) {}

  /** Loads `<modelsDir>/noise-source.card.json` and the ONNX file it names. */
  static async load(modelsDir: string): Promise<NoiseModel> {
    const cardPath = join(modelsDir, `${NOISE_MODEL_NAME}.card.json`);
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
    const card = raw;
    if (basename(card.file) !== card.file) throw new Error(`model card ${cardPath}: file must be a plain file name, got ${card.file}`);
    const input = card.inputs[0];
    const output = card.outputs[0];
    if (!input || !output) throw new Error(`model card ${cardPath}: needs one input and one output`);
    if (card.inputs.length !== 1) throw new Error(`model card ${cardPath}: expected exactly one input, got ${card.inputs.length}`);
    if (input.shape.length !== 2 || input.shape[1] !== NOISE_FEATURE_COUNT) {
      throw new Error(
        `model card ${cardPath}: input ${input.name} has shape ${JSON.stringify(input.shape)}, ` +
          `but noiseFeatures() produces ${NOISE_FEATURE_COUNT} features per row`,
      );
    }
    if (output.shape.length !== 2 || output.shape[1] !== card.labels.length) {
      throw new Error(`model card ${cardPath}: output ${output.name} shape ${JSON.stringify(output.shape)} does not match ${card.labels.length} labels`);
    }

    const modelPath = join(modelsDir, card.file);
    const bytes = await readFile(modelPath);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== card.sha256) {
      throw new Error(`model ${modelPath}: sha256 mismatch (file ${sha256}, card ${card.sha256}); the model file was altered or does not belong to this card`);
    }
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    if (!session.inputNames.includes(input.name) || !session.outputNames.includes(output.name)) {
      await session.release();
      throw new Error(
        `model ${modelPath}: graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], ` +
          `card names ${input.name} → ${output.name}`,
      );
    }
    return new NoiseModel(card, session, input.name, output.name);
  }

  /** Probabilities for `n` rows of features (row-major, NOISE_FEATURE_COUNT each): n × labels, row-major. */
  async classify(features: Float32Array, n: number): Promise<Float32Array> {
    const k = this.card.labels.length;
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`row count must be a non-negative integer, got ${n}`);
    if (features.length < n * NOISE_FEATURE_COUNT) {
      throw new RangeError(`features hold ${features.length} floats, need ${n * NOISE_FEATURE_COUNT} for ${n} rows`);
    }
    if (n === 0) return new Float32Array(0);
    const input = new ort.Tensor('float32', features.subarray(0, n * NOISE_FEATURE_COUNT), [n, NOISE_FEATURE_COUNT]);
    const result = await this.session.run({ [this.inputName]: input });
    const out = result[this.outputName];
    if (!out || !(out.data instanceof Float32Array) || out.data.length !== n * k) {
      throw new Error(`model ${this.card.name} returned no ${n}×${k} float32 output ${this.outputName}`);
    }
    return out.data;
  }

  /** Column of `label` in the probabilities; throws for a label the model does not know. */
  labelIndex(label: string): number {
    const i = this.card.labels.indexOf(label);
    if (i < 0) throw new RangeError(`model ${this.card.name} has no label ${label} (labels: ${this.card.labels.join(', ')})`);
    return i;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
