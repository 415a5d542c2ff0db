import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { BrokerService, type BrokerOptions } from '../../broker/broker.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';

/** The device secret every device of a test broker logs in with. */
export const DEVICE_SECRET = 'device-secret';

export interface TestBroker {
  broker: BrokerService;
  metrics: Metrics;
  /** A real mqtt.js client (MQTT 3.1.1 unless `opts` says otherwise), connected; closed by stop(). */
  connect(opts: mqtt.IClientOptions): Promise<MqttClient>;
  stop(): Promise<void>;
}

/**
 * The broker alone, journalled in a temporary directory, on an ephemeral port: any device id logs in
 * with DEVICE_SECRET, the service account with `servicePassword`.
 */
export async function startTestBroker(name: string, servicePassword: string, opts: Partial<BrokerOptions> = {}): Promise<TestBroker> {
  const metrics = new Metrics();
  const dir = await mkdtemp(path.join(os.tmpdir(), `${name}-`));
  const broker = new BrokerService(
    { port: 0, host: '127.0.0.1', journalDir: dir, ...opts },
    { verifyDevice: async (_id, secret) => secret === DEVICE_SECRET, servicePassword },
    createLogger('silent'),
    metrics,
  );
  await broker.start();
  const clients: MqttClient[] = [];
  return {
    broker,
    metrics,
    async connect(opts) {
      const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
      clients.push(client);
      await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.endAsync(true)));
      await broker.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
