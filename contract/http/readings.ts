import { Type } from '@sinclair/typebox';
import { STREAMS } from '../mqtt/telemetry.js';

/** Time buckets of a device's readings: raw, per minute / per hour (noise), per 5 minutes (people). */
export const BUCKETS = ['raw', '1m', '1h', '5m'] as const;
export type Bucket = (typeof BUCKETS)[number];

export const ReadingsQuery = Type.Object({
  stream: Type.Union(STREAMS.map((s) => Type.Literal(s))),
  bucket: Type.Union(BUCKETS.map((b) => Type.Literal(b)), { default: 'raw' }),
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000 }),
  cursor: Type.Optional(Type.String({ maxLength: 200 })),
});

export const ReadingsPage = Type.Object({
  deviceId: Type.String(),
  stream: Type.String(),
  bucket: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  rows: Type.Array(Type.Record(Type.String(), Type.Unknown())),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const TimeRangeQuery = Type.Object({ from: Type.Optional(Type.String({ format: 'date-time' })), to: Type.Optional(Type.String({ format: 'date-time' })) });

export const ZoneNoiseHour = Type.Object({
  ts: Type.String({ format: 'date-time' }),
  period: Type.String(),
  laeq: Type.Number(),
  lamax: Type.Number(),
  samples: Type.Integer(),
  devices: Type.Integer(),
  limit: Type.Number(),
  exceeded: Type.Boolean(),
});
export const ZoneNoiseHourly = Type.Array(ZoneNoiseHour);
