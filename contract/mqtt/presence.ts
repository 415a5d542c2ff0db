import { Type, type Static } from '@sinclair/typebox';

/**
 * Device presence on `v1/devices/{deviceId}/status` (retained): plain text `online` from the device after
 * it connects, `offline` as its last will (or on a clean exit). An empty retained payload clears the
 * topic and says nothing about the device.
 */
export const PresencePayload = Type.Union([Type.Literal('online'), Type.Literal('offline')]);
export type PresencePayload = Static<typeof PresencePayload>;
/** What a status message announces; `cleared` for the empty payload. */
export type Presence = PresencePayload | 'cleared';
