import mqtt, { type MqttClient } from 'mqtt';
import { StartupError } from './errors.js';
import { SERVICE_USER } from '../contract/mqtt/accounts.js';

export interface ServiceConnection {
  url: string;
  password: string;
}

/**
 * Where a service connects: MQTT_URL is one broker, or a comma list of a cluster's nodes — the client
 * connects to the first and, when the connection is lost, reconnects to the next in turn.
 */
export function brokerTargets(url: string): { url: string; servers?: { host: string; port: number; protocol: 'mqtt' | 'mqtts' }[] } {
  const urls = url.split(',');
  if (urls.length === 1) return { url };
  const servers = urls.map((u) => {
    const p = new URL(u);
    const protocol = p.protocol === 'mqtts:' ? ('mqtts' as const) : ('mqtt' as const);
    return { host: p.hostname, port: Number(p.port || (protocol === 'mqtts' ? 8883 : 1883)), protocol };
  });
  return { url: urls[0] as string, servers };
}

/** Connects a service (ingest, inference, enforcement) to the broker with the service account. */
export async function connectService(conn: ServiceConnection, name: string, timeoutMs = 10_000): Promise<MqttClient> {
  const target = brokerTargets(conn.url);
  const client = mqtt.connect(target.url, {
    ...(target.servers ? { servers: target.servers } : {}),
    username: SERVICE_USER,
    password: conn.password,
    clientId: `svc-${name}-${Math.random().toString(16).slice(2, 10)}`,
    protocolVersion: 4,
    reconnectPeriod: 1000,
    connectTimeout: timeoutMs,
  });
  await firstConnect(client, conn, name, timeoutMs);
  return client;
}

/**
 * Resolves on a service client's first CONNACK; on an error or after `timeoutMs` the client is ended
 * and a StartupError names the broker and the settings to check.
 */
export async function firstConnect(client: MqttClient, conn: ServiceConnection, name: string, timeoutMs: number): Promise<void> {
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } catch (err) {
    await client.endAsync(true);
    throw new StartupError(`${name} cannot connect to the broker at ${conn.url} (${(err as Error).message}): check MQTT_URL and MQTT_SERVICE_PASSWORD`);
  }
}
