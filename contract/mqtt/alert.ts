import { Type, type Static } from '@sinclair/typebox';

/** Alert kinds (DESIGN §1): the three first violations plus device and citizen sources. */
export const ALERT_KINDS = ['noise', 'fishing', 'crowding', 'intrusion', 'smoke', 'complaint'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Published on `v1/alerts/{zoneId}/{kind}` (QoS 1). `id` is stable so every consumer is idempotent. */
export const Alert = Type.Object({
  id: Type.String({ pattern: '^[0-9a-f]{32}$' }),
  kind: Type.Union(ALERT_KINDS.map((k) => Type.Literal(k))),
  zoneId: Type.String({ minLength: 1 }),
  deviceId: Type.Optional(Type.String()),
  startedAt: Type.String({ description: 'ISO-8601: first reading of the episode (device clock)' }),
  detectedAt: Type.String({ description: 'ISO-8601: reading that completed the minimum duration' }),
  modelVersion: Type.Optional(Type.String()),
  summary: Type.String(),
  /** The summary in Chinese, for the district's officers and desks (optional: older publishers send none). */
  summaryZh: Type.Optional(Type.String()),
  evidence: Type.Record(Type.String(), Type.Unknown()),
});
export type Alert = Static<typeof Alert>;
