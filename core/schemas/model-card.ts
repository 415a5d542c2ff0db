import { Type, type Static } from '@sinclair/typebox';

/** Per-class held-out figures. */
const ClassMetrics = Type.Object({
  precision: Type.Number({ minimum: 0, maximum: 1 }),
  recall: Type.Number({ minimum: 0, maximum: 1 }),
  f1: Type.Number({ minimum: 0, maximum: 1 }),
  support: Type.Integer({ minimum: 0 }),
});

const Evaluation = Type.Object({
  description: Type.String(),
  samples: Type.Integer({ minimum: 1 }),
  accuracy: Type.Number({ minimum: 0, maximum: 1 }),
  perClass: Type.Record(Type.String(), ClassMetrics),
  /** confusion[i][j]: true label i predicted as j, in `labels` order. */
  confusion: Type.Array(Type.Array(Type.Integer({ minimum: 0 }))),
});

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
    }),
    { minItems: 1 },
  ),
  outputs: Type.Array(
    Type.Object({ name: Type.String(), shape: Type.Array(Type.Union([Type.Integer(), Type.String()])) }),
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
    heldOut: Evaluation,
  }),
});
export type ModelCard = Static<typeof ModelCard>;
