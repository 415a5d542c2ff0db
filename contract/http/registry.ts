import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

/** Noise zone classes of GB 3096-2008 (a zone's `noiseClass`). */
export const NOISE_ZONE_CLASSES = ['0', '1', '2', '3', '4a', '4b'] as const;
export type NoiseZoneClass = (typeof NOISE_ZONE_CLASSES)[number];

export const DEVICE_KINDS = ['sound_level_meter', 'people_counter', 'camera', 'smoke_detector'] as const;

export const Zone = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameZh: Nullable(Type.String({ description: 'the name in Chinese (null: `name` is shown)' })),
  siteId: Type.String(),
  siteName: Type.String(),
  siteNameZh: Nullable(Type.String({ description: 'the site\'s name in Chinese (null: `siteName` is shown)' })),
  siteKind: Type.String(),
  streetId: Type.String(),
  streetName: Type.String(),
  streetNameZh: Nullable(Type.String({ description: 'the street\'s name in Chinese (null: `streetName` is shown)' })),
  noiseClass: Type.String(),
  timezone: Type.String(),
  capacity: Type.Union([Type.Integer(), Type.Null()]),
  fishingBan: Type.Boolean(),
  geometry: Type.Unknown({ description: 'GeoJSON polygon' }),
});
export type Zone = Static<typeof Zone>;

/** A device as the registry shows it. */
export const Device = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  hasSpeaker: Type.Boolean(),
  placement: Type.Unknown(),
  placementPublished: Type.Boolean(),
  calibrationCert: Type.Union([Type.String(), Type.Null()]),
  calibrationValidUntil: Type.Union([Type.String(), Type.Null()]),
  simulated: Type.Boolean(),
  lastSeenAt: Nullable(Type.String({ description: 'last reading received' })),
  online: Type.Boolean({ description: 'connected now (presence: retained status, last will offline)' }),
});
export type Device = Static<typeof Device>;

/** What services need to know about a device: its registry placement and its zone's rules. */
export const DeviceContext = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  zoneId: Type.String(),
  noiseClass: Type.Union(NOISE_ZONE_CLASSES.map((c) => Type.Literal(c))),
  timezone: Type.String(),
  capacity: Nullable(Type.Integer()),
  fishingBan: Type.Boolean(),
  hasSpeaker: Type.Boolean(),
  calibrationValidUntil: Nullable(Type.String()),
  placementPublished: Type.Boolean(),
});
export type DeviceContext = Static<typeof DeviceContext>;

/** A device as stored: the registry's view, its zone's context and its timestamps. */
export const DeviceRecord = Type.Composite([
  DeviceContext,
  Device,
  Type.Object({ createdAt: Type.String() }),
]);
export type DeviceRecord = Static<typeof DeviceRecord>;

export const NewDevice = Type.Object({
  id: Type.Optional(Type.String({ pattern: '^(?!svc-)[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'also the MQTT username and client id (`svc-` ids are reserved for services)' })),
  zoneId: Type.String({ minLength: 1 }),
  kind: Type.Union(DEVICE_KINDS.map((k) => Type.Literal(k))),
  hasSpeaker: Type.Optional(Type.Boolean()),
  placement: Type.Optional(Type.Object({ lon: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -90, maximum: 90 }), description: Type.Optional(Type.String({ maxLength: 200 })) })),
  placementPublished: Type.Optional(Type.Boolean()),
  calibrationCert: Type.Optional(Type.String({ maxLength: 100 })),
  calibrationValidUntil: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
}, { additionalProperties: false, description: 'only these fields: `simulated` and the rest of the registry are the server’s' });
export type NewDevice = Static<typeof NewDevice>;

/** Calibration and placement of a registered device (admins and operators); omitted fields stay. */
export const DevicePatch = Type.Object({
  placement: Type.Optional(Type.Object({ lon: Type.Number({ minimum: -180, maximum: 180 }), lat: Type.Number({ minimum: -90, maximum: 90 }), description: Type.Optional(Type.String({ maxLength: 200 })) })),
  placementPublished: Type.Optional(Type.Boolean()),
  calibrationCert: Type.Optional(Type.String({ maxLength: 100 })),
  calibrationValidUntil: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' })),
}, { additionalProperties: false, minProperties: 1 });
export type DevicePatch = Static<typeof DevicePatch>;

export const DeviceCreated = Type.Object({
  device: Device,
  secret: Type.String(),
  mqtt: Type.Object({ port: Type.Integer(), username: Type.String(), password: Type.String(), publishPrefix: Type.String(), commandsFilter: Type.String() }),
});
export type DeviceCreated = Static<typeof DeviceCreated>;

export const SecretRotation = Type.Object({
  graceS: Type.Integer({ minimum: 0, maximum: 604_800, default: 86_400, description: 'seconds the old secret keeps working (0: it stops at once)' }),
}, { additionalProperties: false });
export type SecretRotation = Static<typeof SecretRotation>;

export const RotatedSecret = Type.Object({
  deviceId: Type.String(),
  secret: Type.String({ description: 'shown once; only its hash is stored' }),
  previousSecretValidUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type RotatedSecret = Static<typeof RotatedSecret>;

/**
 * A device in the registry's list, with its health: the newest status reading it sent (battery, signal,
 * when), and the flags an operator acts on (DEVICE_SILENT_S, DEVICE_LOW_BATTERY_PCT).
 */
export const DeviceListItem = Type.Composite([
  Device,
  Type.Object({
    battery: Nullable(Type.Number({ description: 'battery (%) in the newest status reading (null: none, or it did not report one)' })),
    signal: Nullable(Type.Number({ description: 'signal in the newest status reading, as the device sends it (dBm when negative, else %)' })),
    statusAt: Nullable(Type.String({ description: 'time (device clock) of the newest status reading' })),
    silent: Type.Boolean({ description: 'nothing received for DEVICE_SILENT_S, counted from lastSeenAt or, never seen, from registration' }),
    lowBattery: Type.Boolean({ description: 'battery at or below DEVICE_LOW_BATTERY_PCT' }),
  }),
]);
export type DeviceListItem = Static<typeof DeviceListItem>;

export const ZoneList = Type.Array(Zone);
export const DeviceList = Type.Array(DeviceListItem);
