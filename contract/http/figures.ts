import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { ComplaintFigure } from './complaints.js';

/** GET /api/v1/figures: the bureau's figures (enforcement-api/figures.ts says how each is computed). */

export const FigureFilter = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'cases reported at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'cases reported before' })),
  kind: Type.Optional(Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z_]+$', description: 'alert kind: noise, fishing, crowding' })),
  teamId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' })),
});
export type FigureFilter = Static<typeof FigureFilter>;

export const Disposal = Type.Object({
  kind: Type.String(),
  teamId: Nullable(Type.String()),
  disposed: Type.Integer({ description: 'cases disposed of (resolved on site or decided; dismissed false alarms are not)' }),
  falseAlarms: Type.Integer({ description: 'cases dismissed (false alarms): not disposals' }),
  medianS: Type.Number({ description: 'median discovery-to-disposal time, seconds' }),
  p90S: Type.Number({ description: '90th percentile (continuous) of discovery-to-disposal time, seconds' }),
  withDeadline: Type.Integer({ description: 'disposed cases that had a deadline' }),
  onTime: Type.Integer({ description: 'of those, disposed by it' }),
  onTimeRate: Nullable(Type.Number({ description: 'onTime / withDeadline (null when none had one)' })),
});

export const Discretion = Type.Object({
  matterCode: Type.String(),
  partyKind: Type.String(),
  tier: Type.String(),
  count: Type.Integer(),
  minFineYuan: Type.Integer(),
  maxFineYuan: Type.Integer(),
  medianFineYuan: Type.Number(),
  meanFineYuan: Type.Number(),
  cv: Type.Number({ description: 'coefficient of variation: population standard deviation / mean (0 = every fine alike)' }),
  outsideBenchmark: Type.Integer({ description: 'fines outside the range of their stated tier' }),
});

/** The reference deployment cut discovery-to-disposal time by more than this (DESIGN §1). */
export const TARGET_REDUCTION_PCT = 40;

export const Baseline = Type.Object({
  kind: Type.String(),
  baselineMedianS: Type.Number({ description: 'discovery-to-disposal median before the platform (DISPOSAL_BASELINE_MIN)' }),
  targetMedianS: Type.Number({ description: `the target: ${TARGET_REDUCTION_PCT} % below the baseline` }),
  measuredMedianS: Nullable(Type.Number({ description: 'median over every team in the period (null: nothing disposed)' })),
  disposed: Type.Integer(),
  reductionPct: Nullable(Type.Number({ description: '100 × (1 − measured / baseline)' })),
  meetsTarget: Nullable(Type.Boolean()),
});

export const Figures = Type.Object({
  filter: Type.Object({ from: Nullable(Type.String()), to: Nullable(Type.String()), kind: Nullable(Type.String()), teamId: Nullable(Type.String()) }),
  disposal: Type.Array(Disposal, { description: 'per kind and team, cases reported in the period' }),
  baseline: Type.Array(Baseline, { description: 'per kind with a configured baseline: the measured median beside it and the −40 % target' }),
  falseAlarms: Type.Integer({ description: 'cases dismissed as false alarms in the period (not disposals)' }),
  onTime: Type.Object({ withDeadline: Type.Integer(), onTime: Type.Integer(), rate: Nullable(Type.Number()) }, { description: 'on-time closure over every kind and team' }),
  discretion: Type.Array(Discretion, { description: 'spread of the fines decided within one matter, party kind and tier' }),
  complaints: Type.Array(ComplaintFigure, { description: 'citizen complaints received in the period, per team and matter: on-time closure (a reply — handled, handled in stages or not handled — by COMPLAINT_REPLY_DUE_H); team null = the coordination queue' }),
  openByState: Type.Array(Type.Object({ state: Type.String(), count: Type.Integer() }), { description: 'cases not closed or dismissed now (kind and team filters apply, the period does not)' }),
});
export type Figures = Static<typeof Figures>;

