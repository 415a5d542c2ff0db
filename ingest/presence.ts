/**
 * Device presence (DESIGN §3 MQTT contract): `v1/devices/{deviceId}/status`, retained, payload
 * `online` from the device after it connects and `offline` as its last will (or on a clean exit).
 * An empty retained payload clears the topic and says nothing about the device.
 */
export type Presence = 'online' | 'offline' | 'cleared';

/** `v1/devices/{deviceId}/status` → the device id, or null for any other topic. */
export function presenceTopicDevice(topic: string): string | null {
  const parts = topic.split('/');
  if (parts.length !== 4 || parts[0] !== 'v1' || parts[1] !== 'devices' || parts[3] !== 'status' || !parts[2]) return null;
  return parts[2];
}

/** The state a status payload announces, or null when it is neither (a rejected message). */
export function parsePresence(payload: Uint8Array): Presence | null {
  if (payload.byteLength === 0) return 'cleared';
  if (payload.byteLength > 32) return null;
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8').trim();
  return text === 'online' || text === 'offline' ? text : null;
}
