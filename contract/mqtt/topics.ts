import { STREAMS, type Stream } from './telemetry.js';
import { ALERT_KINDS, type AlertKind } from './alert.js';

/**
 * Every MQTT topic of contract v1 (DESIGN §3), as builders, subscription filters and parsers. No other
 * module spells a topic: they import from here (test/unit/contract-boundary.test.ts checks it).
 *
 *   v1/devices/{deviceId}/telemetry/{stream}   device → platform, QoS 1, JSON reading or batch
 *   v1/devices/{deviceId}/status               device presence, retained, last will `offline`
 *   v1/devices/{deviceId}/commands/{name}      platform → device (e.g. `speaker.play`)
 *   v1/devices/{deviceId}/commands/{name}/ack  device → platform, the command's acknowledgement
 *   v1/alerts/{zoneId}/{kind}                  inference → enforcement, QoS 1, stable ids
 *   v1/control/models/{name}                   retained model rollout (which version alerts, which shadows)
 *   v1/control/rules                           zone rules changed: reload them now
 */
const V = 'v1';
const DEVICES = `${V}/devices`;

export const topics = {
  /** What a device may publish under (and nothing else). */
  devicePrefix: (deviceId: string): string => `${DEVICES}/${deviceId}/`,
  telemetry: (deviceId: string, stream: Stream): string => `${DEVICES}/${deviceId}/telemetry/${stream}`,
  presence: (deviceId: string): string => `${DEVICES}/${deviceId}/status`,
  command: (deviceId: string, name: string): string => `${DEVICES}/${deviceId}/commands/${name}`,
  commandAck: (deviceId: string, name: string): string => `${DEVICES}/${deviceId}/commands/${name}/ack`,
  /** The only filter a device may subscribe to: its own commands. */
  deviceCommands: (deviceId: string): string => `${DEVICES}/${deviceId}/commands/#`,
  alert: (zoneId: string, kind: AlertKind): string => `${V}/alerts/${zoneId}/${kind}`,
  rollout: (modelName: string): string => `${V}/control/models/${modelName}`,
  rulesChanged: `${V}/control/rules`,
} as const;

/** Subscription filters of the services. */
export const filters = {
  /** Every telemetry stream of every device (ingest). */
  telemetry: `${DEVICES}/+/telemetry/+`,
  /** One telemetry stream of every device (inference subscribes to the streams its models read). */
  telemetryOf: (stream: Stream): string => `${DEVICES}/+/telemetry/${stream}`,
  presence: `${DEVICES}/+/status`,
  commandAcks: `${DEVICES}/+/commands/+/ack`,
  alerts: `${V}/alerts/#`,
  rollouts: `${V}/control/models/+`,
  rulesChanged: `${V}/control/rules`,
  /** A filter as a shared subscription of `group` (MQTT 5 §4.8.2, offered to 3.1.1 clients by Mosquitto 2 and EMQX): each message goes to one member. */
  shared: (group: string, filter: string): string => `$share/${group}/${filter}`,
} as const;

/** Suffixes a device may publish after its own prefix, besides `commands/{name}/ack`: with `streams`, its telemetry of those streams only. */
export function devicePublishSuffixes(streams: readonly Stream[] = STREAMS): ReadonlySet<string> {
  return new Set<string>(['status', 'telemetry/status', ...streams.map((s) => `telemetry/${s}`)]);
}
const DEVICE_PUBLISH_SUFFIXES = devicePublishSuffixes();
const COMMAND_ACK_SUFFIX = /^commands\/[A-Za-z0-9_.-]{1,64}\/ack$/;

/**
 * Whether `topic` is one a device with this prefix may publish to (its status, telemetry, command
 * acks); `suffixes` narrows its telemetry to the streams of its kind (devicePublishSuffixes).
 */
export function isDevicePublishTopic(prefix: string, topic: string, suffixes: ReadonlySet<string> = DEVICE_PUBLISH_SUFFIXES): boolean {
  if (!topic.startsWith(prefix)) return false;
  const suffix = topic.slice(prefix.length);
  return suffixes.has(suffix) || COMMAND_ACK_SUFFIX.test(suffix);
}

const STREAM_SET = new Set<string>(STREAMS);
const KIND_SET = new Set<string>(ALERT_KINDS);

/** A topic, taken apart: which of the contract's topics it is, with its parameters. */
export type ParsedTopic =
  | { type: 'telemetry'; deviceId: string; stream: Stream }
  | { type: 'presence'; deviceId: string }
  | { type: 'command'; deviceId: string; name: string }
  | { type: 'commandAck'; deviceId: string; name: string }
  | { type: 'alert'; zoneId: string; kind: AlertKind }
  | { type: 'rollout'; modelName: string }
  | { type: 'rulesChanged' };

/** Any contract topic → its parts, or null for a topic outside the contract. */
export function parseTopic(topic: string): ParsedTopic | null {
  const p = topic.split('/');
  if (p[0] !== V) return null;
  if (p[1] === 'devices') {
    const deviceId = p[2];
    if (!deviceId) return null;
    if (p.length === 4 && p[3] === 'status') return { type: 'presence', deviceId };
    if (p.length === 5 && p[3] === 'telemetry') return STREAM_SET.has(p[4] ?? '') ? { type: 'telemetry', deviceId, stream: p[4] as Stream } : null;
    if (p[3] === 'commands' && p[4]) {
      if (p.length === 5) return { type: 'command', deviceId, name: p[4] };
      if (p.length === 6 && p[5] === 'ack') return { type: 'commandAck', deviceId, name: p[4] };
    }
    return null;
  }
  if (p[1] === 'alerts' && p.length === 4 && p[2] && KIND_SET.has(p[3] ?? '')) return { type: 'alert', zoneId: p[2], kind: p[3] as AlertKind };
  if (p[1] === 'control') {
    if (p.length === 3 && p[2] === 'rules') return { type: 'rulesChanged' };
    if (p.length === 4 && p[2] === 'models' && p[3]) return { type: 'rollout', modelName: p[3] };
  }
  return null;
}

/** `v1/devices/{deviceId}/telemetry/{stream}` → its parts, or null. */
export function parseTelemetryTopic(topic: string): { deviceId: string; stream: Stream } | null {
  const t = parseTopic(topic);
  return t?.type === 'telemetry' ? { deviceId: t.deviceId, stream: t.stream } : null;
}

/** `v1/devices/{deviceId}/status` → the device id, or null for any other topic. */
export function presenceTopicDevice(topic: string): string | null {
  const t = parseTopic(topic);
  return t?.type === 'presence' ? t.deviceId : null;
}
