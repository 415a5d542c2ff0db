import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerService } from '../../broker/broker.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';

/**
 * Delivery to a persistent QoS 1 subscriber (like ingest) through the journalled broker, with
 * devices publishing telemetry and retained status messages at once. A retained message waits for its
 * own journal sync, so it reaches delivery after telemetry published later; the broker must still
 * deliver every message (Aedes' cluster duplicate filter, keyed on publish order, would drop it).
 */
const PASSWORD = 'broker-delivery-test-password';
let dir: string;
let broker: BrokerService;
const clients: MqttClient[] = [];

async function connect(opts: mqtt.IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  clients.push(client);
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  return client;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'broker-delivery-'));
  broker = new BrokerService(
    { port: 0, host: '127.0.0.1', journalDir: dir },
    { verifyDevice: async (_id, secret) => secret === 'device-secret', servicePassword: PASSWORD },
    createLogger('silent'),
    new Metrics(),
  );
  await broker.start();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('delivery to a persistent subscriber', () => {
  it('delivers every telemetry and retained status message, none skipped', async () => {
    const sub = await connect({ username: 'service', password: PASSWORD, clientId: 'svc-delivery-test', clean: false });
    const received = new Set<string>();
    sub.on('message', (topic, payload) => received.add(`${topic} ${payload.toString()}`));
    await sub.subscribeAsync(['v1/devices/+/telemetry/+', 'v1/devices/+/status'], { qos: 1 });

    const DEVICES = 20;
    const ROUNDS = 50;
    const devices = await Promise.all(Array.from({ length: DEVICES }, (_, i) => connect({ username: `dev-${i}`, password: 'device-secret', clientId: `dev-${i}` })));
    const published: string[] = [];
    await Promise.all(
      devices.map(async (d, i) => {
        for (let r = 0; r < ROUNDS; r++) {
          const telemetry = { topic: `v1/devices/dev-${i}/telemetry/noise`, payload: JSON.stringify({ seq: r }) };
          const status = { topic: `v1/devices/dev-${i}/status`, payload: JSON.stringify({ online: true, r }) };
          published.push(`${telemetry.topic} ${telemetry.payload}`, `${status.topic} ${status.payload}`);
          await Promise.all([
            d.publishAsync(telemetry.topic, telemetry.payload, { qos: 1 }),
            d.publishAsync(status.topic, status.payload, { qos: 1, retain: true }),
          ]);
        }
      }),
    );
    const deadline = Date.now() + 15_000;
    while (received.size < published.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(published.filter((m) => !received.has(m))).toEqual([]);
  });
});
