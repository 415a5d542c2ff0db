import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_SECRET, startTestBroker, type TestBroker } from '../support/broker.js';
import { waitFor } from '../support/platform.js';

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

let t: TestBroker;
const connect: TestBroker['connect'] = (opts) => t.connect(opts);

beforeAll(async () => {
  (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    if (holding) held.push(() => realSync(fd, cb));
    else realSync(fd, cb);
  }) as typeof fs.fdatasync;
  syncBuiltinESMExports();
  t = await startTestBroker('broker-durability', PASSWORD);
});

afterAll(async () => {
  holding = false;
  for (const release of held.splice(0)) release();
  await t.stop();
  (fs as { fdatasync: typeof fs.fdatasync }).fdatasync = realSync;
  syncBuiltinESMExports();
});

describe('QoS 1 acknowledgement', () => {
  it('comes only after the reading is synced to the journal', async () => {
    const sub = await connect({ username: 'service', password: PASSWORD, clientId: 'svc-durable', clean: false });
    const received: string[] = [];
    sub.on('message', (_t, payload) => received.push(payload.toString()));
    await sub.subscribeAsync('v1/devices/+/telemetry/+', { qos: 1 });
    const device = await connect({ username: 'dur-1', password: DEVICE_SECRET, clientId: 'dur-1' });

    holding = true;
    let acked = false;
    const published = device.publishAsync('v1/devices/dur-1/telemetry/noise', '{"seq":1}', { qos: 1 }).then(() => (acked = true));
    await waitFor(() => held.length > 0, 'the journal sync to start', 5_000);
    // The record is written and its sync started; nothing may be acknowledged or delivered yet.
    await new Promise((r) => setTimeout(r, 200));
    expect(acked).toBe(false);
    expect(received).toEqual([]);

    holding = false;
    for (const release of held.splice(0)) release();
    await published;
    await waitFor(() => received.length > 0, 'the delivery', 5_000);
    expect(received).toEqual(['{"seq":1}']);
  });

  it('is never sent for a publish outside the device’s topics; the device is disconnected', async () => {
    const device = await connect({ username: 'dur-2', password: DEVICE_SECRET, clientId: 'dur-2' });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    let acked = false;
    device.publish('v1/devices/someone-else/telemetry/noise', '{"seq":1}', { qos: 1 }, (err) => {
      if (!err) acked = true;
    });
    await closed;
    expect(acked).toBe(false);
  });
});
