import { Type, type Static } from '@sinclair/typebox';

/**
 * MQTT contract v1 telemetry payloads (DESIGN §3). Every payload has `ts` (ISO-8601 or epoch ms, device
 * clock) and `seq` (monotonic per device). Location, zone and site come from the registry, never from here.
 */
/** IEC 61260 nominal 1/3-octave centre frequencies of a noise reading's `bands`, 20 Hz – 20 kHz (31 bands). */
export const BAND_CENTRES_HZ: readonly number[] = [
  20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1250, 1600,
  2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000,
];
export const BAND_COUNT = BAND_CENTRES_HZ.length;

export const STREAMS = ['noise', 'people', 'tracks', 'smoke', 'status'] as const;
export type Stream = (typeof STREAMS)[number];

/**
 * The streams each kind of device in the registry measures; every device also sends `status`. A sound
 * level meter has no people counts to give, nor a smoke detector person tracks: a device publishing
 * another kind's stream is refused like any topic outside its own. Riverside AI cameras count the
 * people in view besides tracking them. An unknown kind sends `status` only.
 */
export const STREAMS_OF_KIND: Readonly<Record<string, readonly Stream[]>> = {
  sound_level_meter: ['noise'],
  people_counter: ['people'],
  camera: ['tracks', 'people'],
  smoke_detector: ['smoke'],
};

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

/** The part of a noise reading the noise model reads (the simulator's sound meter produces it). */
export type NoiseFrame = Pick<NoisePayload, 'bands' | 'laeq' | 'lamax'>;

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

/** The part of a track reading the fishing model reads (the simulator's cameras produce it). */
export type TrackObservation = Pick<TracksPayload, 'dwellS' | 'waterlineM' | 'rodScore' | 'speedMps'>;

/**
 * A smoke (and heat) detector's reading: optical obscuration in %/m (UL 268 / EN 54-7 detectors alarm
 * between about 0.7 and 13 %/m), the sensing chamber's temperature, and optionally the rate of rise the
 * device measured itself (°C/min; without it the platform derives it from the device's own readings).
 */
export const SmokePayload = Type.Object({
  ...Header,
  obscuration: Type.Number({ minimum: 0, maximum: 100, description: '%/m' }),
  temperatureC: Type.Number({ minimum: -60, maximum: 200 }),
  rateOfRiseCPerMin: Type.Optional(Type.Number({ minimum: -100, maximum: 200, description: 'temperature rate of rise measured by the device, °C/min' })),
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
