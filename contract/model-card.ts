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

/**
 * How far a score can be taken at its word, per label on one labelled set: the reliability curve
 * (samples binned by predicted probability: their mean prediction against the share that was truly
 * positive) and the precision / recall each decision threshold would give, so a zone's operators can
 * choose a threshold knowingly.
 */
export const Calibration = Type.Object({
  label: Type.String(),
  set: Type.String({ description: 'which labelled set (e.g. heldOut)' }),
  samples: Type.Integer({ minimum: 1 }),
  /** Expected calibration error: sample-weighted mean |observed − predicted| over the bins. */
  ece: Type.Number({ minimum: 0, maximum: 1 }),
  /** Mean squared error of the probability against the truth (where computed). */
  brier: Type.Optional(Type.Number({ minimum: 0 })),
  reliability: Type.Array(Type.Object({
    from: Type.Number(),
    to: Type.Number(),
    samples: Count,
    meanPredicted: Type.Number(),
    observed: Type.Number(),
  })),
  thresholds: Type.Array(Type.Object({
    threshold: Type.Number(),
    precision: Type.Number(),
    recall: Type.Number(),
    f1: Type.Number(),
    /** Share of all samples flagged at this threshold. */
    flagged: Type.Number(),
  })),
  /** The label's threshold in force on the card (`<label>.on`), and the one its rule chose (`metrics.thresholdChoice`). */
  inForce: Type.Optional(Type.Number()),
  chosen: Type.Optional(Type.Number()),
});
export type Calibration = Static<typeof Calibration>;

/**
 * How the enforced label's operating threshold was chosen: the rule, the split it was applied on (never
 * a held-out set the card reports as a test), and what the chosen threshold gives there.
 */
export const ThresholdChoice = Type.Intersect([
  Type.Object({
    label: Type.String(),
    /** The card threshold it is about, e.g. `music.on`. */
    key: Type.String(),
    rule: Type.String(),
    set: Type.String(),
    samples: Count,
    support: Count,
    threshold: Type.Number(),
    /** The threshold the card runs with (differs from `threshold` when the rule's choice was not applied). */
    inForce: Type.Number(),
    targetPrecision: Type.Optional(Type.Number()),
    targetMet: Type.Optional(Type.Boolean()),
  }),
  ThresholdMetrics,
]);
export type ThresholdChoice = Static<typeof ThresholdChoice>;

/**
 * Figures of the whole detector (features, model, decision rules, per-device time) on scenes made by
 * a generator that shares no code with the training one, replayed as devices would send them.
 */
export const SceneEvaluation = Type.Object({
  description: Type.String(),
  generator: Type.String({ description: 'source files of the independent generator' }),
  seeds: Type.String({ description: 'the evaluation seeds, and which (other) seeds any tuning looked at' }),
  command: Type.String(),
  /** The headline figures (e.g. precision, recall, f1; warnedInTime, leadMedianMin, falseAlarmRate). */
  figures: Type.Record(Type.String(), Type.Number()),
  /** Per behaviour or day type: cases and how many raised an alert. */
  breakdown: Type.Record(Type.String(), Type.Object({ cases: Count, alerted: Count, positive: Type.Boolean() })),
  /** The same figures at other decision thresholds of the detector's main score. */
  thresholds: Type.Optional(Type.Array(Type.Record(Type.String(), Type.Number()))),
  targets: Type.Optional(Type.Record(Type.String(), Type.String())),
});
export type SceneEvaluation = Static<typeof SceneEvaluation>;

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
    /** How the enforced label's threshold was chosen (train.py `thresholdRule`). */
    thresholdChoice: Type.Optional(ThresholdChoice),
    /** The version this one replaced, scored by the training command on exactly the same data. */
    previous: Type.Optional(
      Type.Object({
        version: Type.String(),
        /** Git commit holding that version's ONNX file. */
        commit: Type.String(),
        heldOut: Evaluation,
        validation: Type.Optional(Evaluation),
        realHeldOut: Type.Optional(Evaluation),
        calibration: Type.Optional(Calibration),
      }),
    ),
  }),
  /** Reliability curves and threshold trade-offs of the enforced labels. */
  calibration: Type.Optional(Type.Array(Calibration)),
  /** The detector on independently generated scenes. */
  scenes: Type.Optional(SceneEvaluation),
  /** A version retrained from officers' verdicts (`npm run models:retrain`): the previous and this version on the same held-out data. */
  retraining: Type.Optional(
    Type.Object({
      previousVersion: Type.String(),
      officers: Type.Object({ train: Count, heldOut: Count, confirmed: Count, falseAlarms: Count }),
      comparison: Type.Object({
        previous: Evaluation,
        next: Evaluation,
        previousOnOfficers: Type.Optional(Evaluation),
        nextOnOfficers: Type.Optional(Evaluation),
      }),
    }),
  ),
});
export type ModelCard = Static<typeof ModelCard>;
