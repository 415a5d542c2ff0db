import type { Presence } from '../contract/mqtt/presence.js';

/** Device presence (contract/mqtt/presence.ts): reads a status message's payload. */

/** The state a status payload announces, or null when it is neither (a rejected message). */
export function parsePresence(payload: Uint8Array): Presence | null {
  if (payload.byteLength === 0) return 'cleared';
  if (payload.byteLength > 32) return null;
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8').trim();
  return text === 'online' || text === 'offline' ? text : null;
}
