import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { PartyCase } from './legal.js';

/** What the screens look up around their work: colleagues, reviewers, a party's history, the operations overview. */
export const Colleague = Type.Object({
  userId: Type.String(),
  name: Type.String(),
  nameZh: Nullable(Type.String({ description: 'the name in Chinese, shown by the Chinese UI (null: `name` is shown)' })),
  role: Type.String(),
  certificateNo: Nullable(Type.String({ description: 'the certificate in force today (it may have expired), or before any has begun the first to come' })),
  certificateValidFrom: Nullable(Type.String({ description: 'YYYY-MM-DD' })),
  certificateValidUntil: Nullable(Type.String({ description: 'YYYY-MM-DD, included' })),
  domains: Type.Array(Type.String()),
});
export type Colleague = Static<typeof Colleague>;


export const Overview = Type.Object({
  devices: Type.Object({ online: Type.Integer(), offline: Type.Integer(), total: Type.Integer() }),
  readingsPerHour: Type.Array(Type.Object({ hour: Type.String({ format: 'date-time' }), readings: Type.Integer() })),
  alertsPerHour: Type.Array(Type.Object({ hour: Type.String({ format: 'date-time' }), alerts: Type.Integer() })),
  openByState: Type.Array(Type.Object({ state: Type.String(), cases: Type.Integer() })),
  slaBreaches: Type.Array(Type.Object({
    caseId: Type.String(), number: Type.Integer(), deadline: Type.String(), dueAt: Type.String({ format: 'date-time' }), teamId: Nullable(Type.String()), title: Type.String(),
    teamName: Nullable(Type.String()), teamNameZh: Nullable(Type.String()), titleZh: Nullable(Type.String()),
  })),
  fallbackQueue: Type.Array(Type.Object({ caseId: Type.String(), number: Type.Integer(), title: Type.String(), titleZh: Nullable(Type.String()), zoneName: Type.String(), zoneNameZh: Nullable(Type.String()), createdAt: Type.String({ format: 'date-time' }) })),
});
export type Overview = Static<typeof Overview>;


export const ClientConfig = Type.Object({ grafanaUrl: Type.String({ description: 'GRAFANA_URL' }) });
export const PartyCasesParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]*$' }) });
export const ColleagueList = Type.Array(Colleague);
/** One shape for a party's cases, whichever path lists them (legal.ts). */
export const PartyCaseList = Type.Array(PartyCase);
