import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

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
  disposed: Type.Integer({ description: 'cases disposed of (resolved on site, decided or dismissed)' }),
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

export const Figures = Type.Object({
  filter: Type.Object({ from: Nullable(Type.String()), to: Nullable(Type.String()), kind: Nullable(Type.String()), teamId: Nullable(Type.String()) }),
  disposal: Type.Array(Disposal, { description: 'per kind and team, cases reported in the period' }),
  onTime: Type.Object({ withDeadline: Type.Integer(), onTime: Type.Integer(), rate: Nullable(Type.Number()) }, { description: 'on-time closure over every kind and team' }),
  discretion: Type.Array(Discretion, { description: 'spread of the fines decided within one matter, party kind and tier' }),
  openByState: Type.Array(Type.Object({ state: Type.String(), count: Type.Integer() }), { description: 'cases not closed or dismissed now (kind and team filters apply, the period does not)' }),
});
export type Figures = Static<typeof Figures>;

