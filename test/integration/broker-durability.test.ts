import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerService } from '../../broker/broker.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';

/**
 * A device's QoS 1 reading is acknowledged only once it is on disk: with the journal's fdatasync held
 * back, the device gets no PUBACK (and the subscriber nothing); released, both follow. A device
 * that publishes outside its topics at QoS 1 gets no PUBACK at all and is disconnected.
 */
const PASSWORD = 'broker-durability-test-password';
const realSync = fs.fdatasync;
/** fdatasync calls waiting for the test to let them through. */
const held: (() => void)[] = [];
let holding = false;

let dir: string;
let broker: BrokerService;
const clients: MqttClient[] = [];

async function connect(opts: mqtt.IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 4, reconnectPeriod: 0, ...opts });
  clients.push(client);
  await new Promise<void>((resolve, reject) => client.once('connect', () => resolve()).once('error', reject));
  return client;
}

async function until(done: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

beforeAll(async () => {
  (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    if (holding) held.push(() => realSync(fd, cb));
    else realSync(fd, cb);
  }) as typeof fs.fdatasync;
  syncBuiltinESMExports();
  dir = await mkdtemp(path.join(os.tmpdir(), 'broker-durability-'));
  broker = new BrokerService(
    { port: 0, host: '127.0.0.1', journalDir: dir },
    { verifyDevice: async (_id, secret) => secret === 'device-secret', servicePassword: PASSWORD },
    createLogger('silent'),
    new Metrics(),
  );
  await broker.start();
});

afterAll(async () => {
  holding = false;
  for (const release of held.splice(0)) release();
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await broker.stop();
  (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = realSync;
  syncBuiltinESMExports();
  await rm(dir, { recursive: true, force: true });
});

describe('QoS 1 acknowledgement', () => {
  it('comes only after the reading is synced to the journal', async () => {
    const sub = await connect({ username: 'service', password: PASSWORD, clientId: 'svc-durable', clean: false });
    const received: string[] = [];
    sub.on('message', (_t, payload) => received.push(payload.toString()));
    await sub.subscribeAsync('v1/devices/+/telemetry/+', { qos: 1 });
    const device = await connect({ username: 'dur-1', password: 'device-secret', clientId: 'dur-1' });

    holding = true;
    let acked = false;
    const published = device.publishAsync('v1/devices/dur-1/telemetry/noise', '{"seq":1}', { qos: 1 }).then(() => (acked = true));
    await until(() => held.length > 0);
    expect(held.length).toBeGreaterThan(0);
    // The record is written and its sync started; nothing may be acknowledged or delivered yet.
    await new Promise((r) => setTimeout(r, 200));
    expect(acked).toBe(false);
    expect(received).toEqual([]);

    holding = false;
    for (const release of held.splice(0)) release();
    await published;
    await until(() => received.length > 0);
    expect(received).toEqual(['{"seq":1}']);
  });

  it('is never sent for a publish outside the device’s topics; the device is disconnected', async () => {
    const device = await connect({ username: 'dur-2', password: 'device-secret', clientId: 'dur-2' });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    let acked = false;
    device.publish('v1/devices/someone-else/telemetry/noise', '{"seq":1}', { qos: 1 }, (err) => {
      if (!err) acked = true;
    });
    await closed;
    expect(acked).toBe(false);
  });
});
