import { Type, type Static } from '@sinclair/typebox';

/** Per-class (or per-label) figures: precision, recall and F1 of that label as the positive class. */
const ClassMetrics = Type.Object({
  precision: Type.Number({ minimum: 0, maximum: 1 }),
  recall: Type.Number({ minimum: 0, maximum: 1 }),
  f1: Type.Number({ minimum: 0, maximum: 1 }),
  support: Type.Integer({ minimum: 0 }),
});

const Count = Type.Integer({ minimum: 0 });

const ThresholdMetrics = Type.Intersect([ClassMetrics, Type.Object({ tp: Count, fp: Count, fn: Count })]);

/**
 * How far a score can be read as a probability, on one labelled set: the reliability curve (windows
 * binned by predicted probability: mean predicted vs observed share of the label) and the
 * precision / recall trade-off of the threshold, so operators can choose a threshold knowingly.
 */
export const Calibration = Type.Object({
  label: Type.String(),
  /** The metrics entry the curve was computed on, e.g. "realHeldOut". */
  set: Type.String(),
  brier: Type.Number({ minimum: 0 }),
  reliability: Type.Array(Type.Object({ from: Type.Number(), to: Type.Number(), count: Count, meanPredicted: Type.Number(), observed: Type.Number() })),
  thresholds: Type.Array(Type.Object({ threshold: Type.Number(), precision: Type.Number(), recall: Type.Number(), f1: Type.Number() })),
});
export type Calibration = Static<typeof Calibration>;

/**
 * Figures of a model on one labelled set. Single-label (softmax) models carry `confusion`;
 * multi-label (independent sigmoid) models carry `confusionPerLabel` instead, and their `accuracy` is
 * the share of samples with every label right.
 */
export const Evaluation = Type.Object({
  description: Type.String(),
  samples: Type.Integer({ minimum: 1 }),
  accuracy: Type.Number({ minimum: 0, maximum: 1 }),
  perClass: Type.Record(Type.String(), ClassMetrics),
  /** confusion[i][j]: true label i predicted as j, in `labels` order (argmax decision). */
  confusion: Type.Optional(Type.Array(Type.Array(Count))),
  /** Per label, at the label's decision threshold: [[TN, FP], [FN, TP]]. */
  confusionPerLabel: Type.Optional(Type.Record(Type.String(), Type.Tuple([Type.Tuple([Count, Count]), Type.Tuple([Count, Count])]))),
  /** Decision rule the figures were computed with, e.g. "argmax" or "p(fishing) >= 0.5". */
  decision: Type.Optional(Type.String()),
  /** The enforced class decided at its `.on` threshold (with the counts behind the figures). */
  atThreshold: Type.Optional(Type.Intersect([Type.Object({ label: Type.String(), threshold: Type.Number() }), ThresholdMetrics])),
  /** The enforced class at its threshold by period of the day (levels relative to the day or night limit). */
  byPeriod: Type.Optional(Type.Record(Type.String(), ThresholdMetrics)),
  /** Per source of real recordings: its true label, windows, files, share called the enforced class, accuracy. */
  perSource: Type.Optional(Type.Record(Type.String(), Type.Record(Type.String(), Type.Union([Type.String(), Type.Number()])))),
  /** Where the data came from: packages with version and licence. */
  packages: Type.Optional(Type.Array(Type.Object({ name: Type.String(), licence: Type.String(), version: Type.Union([Type.String(), Type.Null()]) }))),
});
export type Evaluation = Static<typeof Evaluation>;

/** The model card that travels with every ONNX file (`<name>.card.json`). */
export const ModelCard = Type.Object({
  name: Type.String({ minLength: 1 }),
  version: Type.String({ minLength: 1 }),
  task: Type.String(),
  file: Type.String({ description: 'ONNX file name, relative to the card' }),
  sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  inputs: Type.Array(
    Type.Object({
      name: Type.String(),
      shape: Type.Array(Type.Union([Type.Integer(), Type.String()])),
      dtype: Type.Literal('float32'),
      normalisation: Type.String(),
      /** Source file of the feature function that produces this input (training and serving share it). */
      featureFunction: Type.Optional(Type.String()),
    }),
    { minItems: 1 },
  ),
  outputs: Type.Array(
    Type.Object({
      name: Type.String(),
      shape: Type.Array(Type.Union([Type.Integer(), Type.String()])),
      /** softmax: one label per row (probabilities sum to 1); sigmoid: independent probability per label. */
      activation: Type.Optional(Type.Union([Type.Literal('softmax'), Type.Literal('sigmoid')])),
    }),
    { minItems: 1 },
  ),
  labels: Type.Array(Type.String(), { minItems: 2 }),
  thresholds: Type.Record(Type.String(), Type.Number()),
  training: Type.Object({
    seed: Type.Integer(),
    samples: Type.Integer({ minimum: 1 }),
    description: Type.String(),
    command: Type.String(),
  }),
  metrics: Type.Object({
    /** Held-out scenarios from the training generators with fresh seeds. */
    heldOut: Evaluation,
    /** Data made a different way than the training data (cross-generator check). */
    validation: Type.Optional(Evaluation),
    /** Real recordings held out whole from training (per source, by day and night). */
    realHeldOut: Type.Optional(Evaluation),
    calibration: Type.Optional(Calibration),
  }),
});
export type ModelCard = Static<typeof ModelCard>;
