import { Type, type Static } from '@sinclair/typebox';
import { BAND_COUNT } from '../domain/decibel.js';

/**
 * MQTT contract v1 telemetry payloads (DESIGN §3). Every payload has `ts` (ISO-8601 or epoch ms, device
 * clock) and `seq` (monotonic per device). Location, zone and site come from the registry, never from here.
 */
export const STREAMS = ['noise', 'people', 'tracks', 'smoke', 'status'] as const;
export type Stream = (typeof STREAMS)[number];

const Level = Type.Number({ minimum: 0, maximum: 160 });
const Header = {
  ts: Type.Union([Type.String({ minLength: 10, maxLength: 40 }), Type.Number({ minimum: 0 })]),
  seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
};

export const NoisePayload = Type.Object({
  ...Header,
  laeq: Level,
  lamax: Level,
  intervalS: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 3600 })),
  bands: Type.Array(Type.Number({ minimum: -30, maximum: 160 }), { minItems: BAND_COUNT, maxItems: BAND_COUNT }),
});
export type NoisePayload = Static<typeof NoisePayload>;

export const PeoplePayload = Type.Object({ ...Header, count: Type.Integer({ minimum: 0, maximum: 100_000 }) });
export type PeoplePayload = Static<typeof PeoplePayload>;

export const TracksPayload = Type.Object({
  ...Header,
  id: Type.String({ minLength: 1, maxLength: 64 }),
  dwellS: Type.Number({ minimum: 0, maximum: 86_400 }),
  waterlineM: Type.Number({ minimum: 0, maximum: 10_000 }),
  rodScore: Type.Number({ minimum: 0, maximum: 1 }),
  speedMps: Type.Number({ minimum: 0, maximum: 100 }),
  snapshot: Type.Optional(Type.String({ maxLength: 512 })),
});
export type TracksPayload = Static<typeof TracksPayload>;

export const SmokePayload = Type.Object({
  ...Header,
  obscuration: Type.Number({ minimum: 0, maximum: 100 }),
  temperatureC: Type.Number({ minimum: -60, maximum: 200 }),
});
export type SmokePayload = Static<typeof SmokePayload>;

export const StatusPayload = Type.Object({
  ...Header,
  battery: Type.Optional(Type.Number({ minimum: 0, maximum: 100 })),
  signal: Type.Optional(Type.Number({ minimum: -200, maximum: 100 })),
  firmware: Type.Optional(Type.String({ maxLength: 64 })),
  calibrationDue: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
});
export type StatusPayload = Static<typeof StatusPayload>;

export const PAYLOAD_SCHEMAS = {
  noise: NoisePayload,
  people: PeoplePayload,
  tracks: TracksPayload,
  smoke: SmokePayload,
  status: StatusPayload,
} as const;

/** A validated reading of any stream, with its parsed timestamp. */
export type Reading =
  | { stream: 'noise'; deviceId: string; ts: Date; seq: number; payload: NoisePayload }
  | { stream: 'people'; deviceId: string; ts: Date; seq: number; payload: PeoplePayload }
  | { stream: 'tracks'; deviceId: string; ts: Date; seq: number; payload: TracksPayload }
  | { stream: 'smoke'; deviceId: string; ts: Date; seq: number; payload: SmokePayload }
  | { stream: 'status'; deviceId: string; ts: Date; seq: number; payload: StatusPayload };
