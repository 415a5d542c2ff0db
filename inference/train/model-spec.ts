/**
 * What `train.py` needs to know about a model besides its data: identity, labels, thresholds, the
 * network, and the texts that go into the model card. One `ModelSpec` per model, beside its data
 * recipes (`recipes-*.ts`); `make-datasets.ts` writes them to `.data/<model>.model.json`.
 */
import type { DataSetSpec } from './dataset-io.js';

export interface ModelSpec {
  name: string;
  version: string;
  task: string;
  labels: readonly string[];
  /** softmax: one label per sample; sigmoid: independent labels. */
  activation: 'softmax' | 'sigmoid';
  thresholds: Record<string, number>;
  featureCount: number;
  normalisation: string;
  featureFunction: string;
  hidden: readonly number[];
  /** Training hyper-parameters (train.py defaults when absent). */
  epochs?: number;
  learningRate?: number;
  weightDecay?: number;
  batch?: number;
  /** The positive classes the acceptance targets are about. */
  positive: readonly string[];
  seed: number;
  /**
   * `realTrain` (optional): real recordings added to `train` (rows repeated `realWeight` times);
   * `realHeldOut` (optional): other real recordings, held out whole, tagged per sample for per-source figures.
   */
  data: { train: DataSetSpec; heldOut: DataSetSpec; validation: DataSetSpec; realTrain?: DataSetSpec; realHeldOut?: DataSetSpec };
  realWeight?: number;
  /** Real training rows of these labels count this many times as much as the other real rows (on top of `realWeight`; 1 when absent). */
  realClassWeight?: Record<string, number>;
  /** Share of the generated `train` rows kept when real rows are added (1 when absent). */
  generatedShare?: number;
  /** Why the generated rows are weighed as they are (goes into the card). */
  generatedNote?: string;
  /**
   * Hard examples (real rows only): a first network is trained, the real training windows it gets wrong
   * by a margin (p(positive) >= threshold on another class, < 1 - threshold on the positive class) are
   * repeated `weight` more times, and the network is trained again with the same recipe.
   */
  hardNegatives?: { threshold: number; weight: number };
  /** Networks trained from consecutive seeds on the same data (after the hard examples), their probabilities averaged in the exported graph (default 1). */
  ensemble?: number;
  /**
   * How train.py chooses the enforced label's threshold (recorded on the card as `metrics.thresholdChoice`):
   * the highest recall with precision at least `precision` on `set` (default the cross-generator
   * validation split), taking it as the card's `<label>.on` only with `apply`; or a threshold chosen
   * elsewhere, with the reason.
   */
  thresholdRule?: { rule: 'maxRecallAtPrecision'; precision: number; set?: 'validation' | 'heldOut'; apply?: boolean } | { rule: 'fixed'; reason: string };
  /**
   * The committed version this one replaces (git commit holding its ONNX): train.py scores both on the
   * same data. `featureCount`: that version's input width when this one only appended features (it is
   * given the first `featureCount` columns); `columns`: the columns of this version's input that were
   * that version's input, in its order (when features were inserted rather than appended).
   */
  compareWith?: { version: string; commit: string; featureCount?: number; columns?: readonly number[] };
}

/** The JSON given to train.py (data specs reduced to their descriptions). */
export function modelJson(m: ModelSpec): Record<string, unknown> {
  const { data, ...rest } = m;
  return {
    ...rest,
    data: Object.fromEntries(Object.entries(data).flatMap(([split, d]) => (d ? [[split, { file: `${m.name}-${split}.json`, seed: d.seed, description: d.description }]] : []))),
  };
}
