import { Type, type Static } from '@sinclair/typebox';
import { ALERT_KINDS } from '../mqtt/alert.js';

/** An alert as stored by the intake, with its case, verdict and the device commands it caused. */
export const AlertRecord = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  deviceId: Type.Union([Type.String(), Type.Null()]),
  startedAt: Type.String({ format: 'date-time' }),
  detectedAt: Type.String({ format: 'date-time' }),
  modelVersion: Type.Union([Type.String(), Type.Null()]),
  summary: Type.Union([Type.String(), Type.Null()]),
  summaryZh: Type.Union([Type.String(), Type.Null()], { description: 'the summary in Chinese (null: summary)' }),
  evidence: Type.Unknown(),
  incidentId: Type.Union([Type.String(), Type.Null()]),
  caseId: Type.Union([Type.String(), Type.Null()]),
  verdict: Type.Union([Type.String(), Type.Null()]),
  verdictReason: Type.Union([Type.String(), Type.Null()]),
  commands: Type.Array(Type.Unknown()),
});
export type AlertRecord = Static<typeof AlertRecord>;
export const AlertList = Type.Array(AlertRecord);

export const AlertQuery = Type.Object({
  kind: Type.Optional(Type.Union(ALERT_KINDS.map((k) => Type.Literal(k)))),
  zoneId: Type.Optional(Type.String({ maxLength: 64 })),
  deviceId: Type.Optional(Type.String({ maxLength: 64 })),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  before: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});

export const VerdictBody = Type.Object({ verdict: Type.Union([Type.Literal('confirmed'), Type.Literal('false_alarm')]), reason: Type.Optional(Type.String({ minLength: 3, maxLength: 1000 })) });

/** A registered model version with its card and the officers' precision. */
export const ModelVersion = Type.Object({
  name: Type.String(),
  version: Type.String(),
  card: Type.Unknown(),
  verdicts: Type.Object({ confirmed: Type.Integer(), falseAlarms: Type.Integer(), precision: Type.Union([Type.Number(), Type.Null()]) }),
});
export const ModelVersionList = Type.Array(ModelVersion);
/** A model version as inference registered it (without the officers' figures). */
export const RegisteredModel = Type.Omit(ModelVersion, ['verdicts']);
export type RegisteredModel = Static<typeof RegisteredModel>;

export const ModelParams = Type.Object({ name: Type.String({ maxLength: 64 }) });

/**
 * A shadow version against the active one over the time it ran: what each raised, what both raised
 * (same kind and device — or zone — starting within 5 minutes of each other), and the officers'
 * precision of each where verdicts tell (a shadow alert is judged by the verdict on the active alert
 * it matches; one raised only by the shadow has no verdict).
 */
export const ShadowComparison = Type.Object({
  shadowVersion: Type.String(),
  activeVersions: Type.Array(Type.String()),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  shadowAlerts: Type.Integer(),
  activeAlerts: Type.Integer(),
  both: Type.Integer(),
  onlyShadow: Type.Integer(),
  onlyActive: Type.Integer(),
  /** both / (both + onlyShadow + onlyActive). */
  agreement: Type.Number(),
  active: Type.Object({ confirmed: Type.Integer(), falseAlarms: Type.Integer(), precision: Type.Union([Type.Number(), Type.Null()]) }),
  shadow: Type.Object({ confirmed: Type.Integer(), falseAlarms: Type.Integer(), unverified: Type.Integer(), precision: Type.Union([Type.Number(), Type.Null()]) }),
});
export type ShadowComparison = Static<typeof ShadowComparison>;
export const ShadowComparisonList = Type.Array(ShadowComparison);
export const RolloutBody = Type.Object({ active: Type.String({ maxLength: 32 }), shadow: Type.Union([Type.Null(), Type.String({ maxLength: 32 })], { default: null }) });
export const RolloutResult = Type.Object({ name: Type.String(), active: Type.String(), shadow: Type.Union([Type.String(), Type.Null()]) });
