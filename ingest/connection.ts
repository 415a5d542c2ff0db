import mqtt, { type DoneCallback, type IPublishPacket, type MqttClient } from 'mqtt';
import type { Logger } from '../core/log.js';
import { brokerTargets, firstConnect, type ServiceConnection } from '../core/mqtt-client.js';
import { SERVICE_USER } from '../contract/mqtt/accounts.js';

/**
 * Ingest's MQTT session: a stable client id with `clean: false`, so the broker keeps the subscription
 * and queues QoS 1 telemetry while ingest is down, and re-delivers whatever was not acknowledged.
 *
 * Acknowledgements are ours to send. mqtt.js `customHandleAcks` would be the obvious hook, but it is
 * honoured only for MQTT 5 (client.js forces the default for 3.1.1, and Aedes speaks 3.1.1 only), and
 * with any of its hooks the PUBACK is sent when the hook's callback is called — while the client
 * reads no further packet until then, so holding one ack holds everything (one message per commit).
 * What mqtt.js does offer: `handleMessage(packet, callback)` is called for every PUBLISH, and calling
 * the callback with an error skips the PUBACK but lets the reader go on (handlers/publish.js). So the
 * handler takes the message and calls back with ACK_LATER at once — or later, when too much is in
 * flight (backpressure) — and ingest writes the 4-byte PUBACK itself once the message is durable.
 */
export const ACK_LATER = new Error('acknowledged later by ingest, once durable');

export type PublishHandler = (packet: IPublishPacket, next: DoneCallback) => void;

/**
 * Creates the session's client at once (so acknowledgements can go out from the first message on)
 * and resolves `connected` after the first CONNACK, or rejects with a one-line StartupError.
 */
export function connectIngest(conn: ServiceConnection, clientId: string, onPublish: PublishHandler, log: Logger, timeoutMs = 10_000): { client: MqttClient; connected: Promise<void> } {
  const target = brokerTargets(conn.url);
  const client = mqtt.connect(target.url, {
    ...(target.servers ? { servers: target.servers } : {}),
    username: SERVICE_USER,
    password: conn.password,
    clientId,
    clean: false,
    protocolVersion: 4,
    // Back quickly after a broker restart (with a broker that keeps no sessions on disk, nothing reaches
    // ingest until it has subscribed again).
    reconnectPeriod: 250,
    connectTimeout: timeoutMs,
  });
  // Installed before the first packet can arrive: a resumed session starts delivering right after CONNACK.
  client.handleMessage = onPublish;
  client.on('error', (err) => log.warn({ err: err.message }, 'mqtt client error'));
  client.on('offline', () => log.warn('ingest disconnected from the broker; reconnecting'));
  client.on('connect', (ack) => log.info({ sessionPresent: ack.sessionPresent }, 'ingest connected to the broker'));
  const connected = firstConnect(client, conn, 'ingest', timeoutMs);
  return { client, connected };
}
