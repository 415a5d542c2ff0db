import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { DEVICE_SECRET, startTestBroker, type TestBroker } from '../support/broker.js';
import { MAX_DEVICE_SUBSCRIPTIONS } from '../../broker/policy.js';
import { BrokerPersistence } from '../../broker/persistence.js';
import { createLogger } from '../../core/log.js';
import { waitFor } from '../support/platform.js';

/**
 * What one connection may do to the broker: packets larger than a telemetry batch, retained messages
 * outside the presence topic, publishing faster than its rate, and more connections than the limit.
 */
const PASSWORD = 'limits-service-password';
let b: TestBroker;
let sub: MqttClient;
const received: { topic: string; payload: string; retain: boolean }[] = [];

const metric = (name: string, labels: Record<string, string> = {}) => b.metrics.value(name, labels);
const device = (id: string) => b.connect({ username: id, password: DEVICE_SECRET, clientId: id });
const closed = (c: MqttClient) => new Promise<void>((resolve) => c.once('close', () => resolve()));

beforeAll(async () => {
  b = await startTestBroker('limits', PASSWORD, { limits: { devicePublishRate: 20, devicePublishBurst: 5 } });
  sub = await b.connect({ username: 'service', password: PASSWORD, clientId: 'svc-limits' });
  sub.on('message', (topic, payload, packet) => received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  await sub.subscribeAsync('v1/devices/+/telemetry/#', { qos: 1 });
});

afterAll(async () => {
  await b?.stop();
});

describe('broker limits', () => {
  it('closes a connection sending a packet larger than a telemetry batch, before storing or delivering it', async () => {
    const big = await device('big-1');
    const gone = closed(big);
    big.publish('v1/devices/big-1/telemetry/noise', Buffer.alloc(4 * 1024 * 1024, 0x20), { qos: 1 });
    await gone;
    expect(await metric('mqtt_packets_too_large_total')).toBe(1);
    // A full-size batch still passes.
    const ok = await device('big-2');
    await ok.publishAsync('v1/devices/big-2/telemetry/noise', Buffer.alloc(250 * 1024, 0x20), { qos: 1 });
    await waitFor(() => received.some((m) => m.topic === 'v1/devices/big-2/telemetry/noise'), 'the batch-sized publish');
    expect(received.some((m) => m.topic === 'v1/devices/big-1/telemetry/noise')).toBe(false);
  });

  it('closes a connection whose first packet declares a huge size (before CONNECT)', async () => {
    const socket = net.connect(b.broker.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const end = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(Buffer.from([0x10, 0xff, 0xff, 0xff, 0x7f])); // CONNECT of 256 MB
    await end;
    expect(await metric('mqtt_packets_too_large_total')).toBe(2);
  });

  it('refuses retained publishes outside the device’s presence topic', async () => {
    const d = await device('ret-1');
    await d.publishAsync('v1/devices/ret-1/status', 'online', { qos: 1, retain: true });
    const gone = closed(d);
    d.publish('v1/devices/ret-1/commands/speaker.play/ack', Buffer.alloc(100 * 1024, 0x41), { qos: 1, retain: true });
    await gone;
    expect(await metric('mqtt_refused_total', { action: 'retain' })).toBe(1);
    // A late subscriber gets the presence message, and no retained ack.
    const late = await b.connect({ username: 'service', password: PASSWORD, clientId: 'svc-late' });
    const got: { topic: string; retain: boolean }[] = [];
    late.on('message', (topic, _p, packet) => got.push({ topic, retain: packet.retain }));
    await late.subscribeAsync(['v1/devices/+/status', 'v1/devices/+/commands/#'], { qos: 1 });
    await waitFor(() => got.some((m) => m.topic === 'v1/devices/ret-1/status'), 'the retained presence');
    const marker = await device('ret-2');
    await marker.publishAsync('v1/devices/ret-2/commands/speaker.play/ack', 'marker', { qos: 1 });
    await waitFor(() => got.some((m) => m.topic === 'v1/devices/ret-2/commands/speaker.play/ack'), 'the marker');
    expect(got.filter((m) => m.topic.startsWith('v1/devices/ret-1/commands/'))).toEqual([]);
  });

  it('holds a device to its publish rate without losing what it sent', async () => {
    const d = await device('rate-1');
    const before = await metric('mqtt_rate_limited_total');
    const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await Promise.all(sent.map((p) => d.publishAsync('v1/devices/rate-1/telemetry/people', p, { qos: 1 })));
    await waitFor(() => received.filter((m) => m.topic === 'v1/devices/rate-1/telemetry/people').length === 30 || undefined, 'all 30 publishes');
    expect(received.filter((m) => m.topic === 'v1/devices/rate-1/telemetry/people').map((m) => m.payload)).toEqual(sent);
    expect((await metric('mqtt_rate_limited_total')) - before).toBeGreaterThanOrEqual(20);
  });

  it('closes a connection whose client id leaves more than MQTT_MAX_QOS2_PENDING_BYTES of QoS 2 publishes without PUBREL, across reconnects', async () => {
    // A device that never releases its QoS 2 publishes: each stays stored for its client id, across
    // reconnects of its persistent session, one per packet id (65,535 of them).
    const first = await rawDevice('q2-1', false);
    for (let id = 1; id <= 4; id++) first.publishQos2(id, Buffer.alloc(250 * 1024, 0x20));
    await first.recs(4);
    first.end();
    await first.closed;
    const again = await rawDevice('q2-1', false);
    for (let id = 5; id <= 8; id++) again.publishQos2(id, Buffer.alloc(250 * 1024, 0x20));
    await Promise.race([again.closed, again.recs(4).catch(() => undefined)]);
    expect(again.received.filter((p) => p.cmd === 'pubrec')).toHaveLength(0);
    expect(await metric('mqtt_qos2_pending_refused_total')).toBe(1);
    // A clean session forgets them, and the device may go on.
    const clean = await rawDevice('q2-1', true);
    clean.publishQos2(1, Buffer.alloc(250 * 1024, 0x20));
    await clean.recs(1);
    clean.end();
    await clean.closed;
  });

  it('lets a client that releases its QoS 2 publishes send as many full-size ones as it likes', async () => {
    const d = await device('q2-2');
    for (let i = 0; i < 8; i++) await d.publishAsync('v1/devices/q2-2/telemetry/noise', Buffer.alloc(250 * 1024, 0x20), { qos: 2 });
    await waitFor(() => received.filter((m) => m.topic === 'v1/devices/q2-2/telemetry/noise').length === 8 || undefined, 'the 8 QoS 2 publishes');
    expect(d.connected).toBe(true);
    expect(await metric('mqtt_qos2_pending_refused_total')).toBe(1);
  });
});

/** The return codes of the SUBACK to one SUBSCRIBE of `filters` (128: refused). */
async function suback(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    return (err as { packet: { granted: number[] } }).packet.granted;
  }
}

describe('subscriptions of a device', () => {
  it('keeps for a persistent session only the filters it was granted: a refused `#` beside its commands brings it nothing while offline', async () => {
    const spy = await b.connect({ username: 'sub-spy', password: DEVICE_SECRET, clientId: 'sub-spy', clean: false });
    const asked = ['v1/devices/sub-spy/commands/#', '#', 'v1/devices/sub-victim/telemetry/#'];
    expect(await suback(spy, asked)).toEqual([1, 128, 128]);
    await spy.endAsync();
    // While it is away: another device's telemetry, then a command for it (queued for its session).
    const victim = await device('sub-victim');
    await victim.publishAsync('v1/devices/sub-victim/telemetry/noise', 'victim-reading', { qos: 1 });
    await sub.publishAsync('v1/devices/sub-spy/commands/speaker.play', 'its-command', { qos: 1 });
    const got: string[] = [];
    const back = mqtt.connect(`mqtt://127.0.0.1:${b.broker.port}`, { protocolVersion: 4, reconnectPeriod: 0, username: 'sub-spy', password: DEVICE_SECRET, clientId: 'sub-spy', clean: false });
    back.on('message', (topic) => got.push(topic));
    await waitFor(() => got.includes('v1/devices/sub-spy/commands/speaker.play') || undefined, 'its own command', 10_000);
    expect(got).toEqual(['v1/devices/sub-spy/commands/speaker.play']);
    await back.endAsync(true);
  });

  it(`grants one device connection at most MAX_DEVICE_SUBSCRIPTIONS filters, and counts the rest`, async () => {
    const d = await device('sub-many');
    const before = await metric('mqtt_refused_total', { action: 'subscriptions' });
    const filters = Array.from({ length: 200 }, (_, i) => `v1/devices/sub-many/commands/c${i}`);
    const granted = await suback(d, filters);
    expect(granted.filter((q) => q !== 128)).toHaveLength(MAX_DEVICE_SUBSCRIPTIONS);
    expect((await metric('mqtt_refused_total', { action: 'subscriptions' })) - before).toBe(200 - MAX_DEVICE_SUBSCRIPTIONS);
    // A filter it holds may be asked for again; the connection stays up.
    await d.subscribeAsync(filters[0]!, { qos: 1 });
    expect(d.connected).toBe(true);
  });

  it.each([true, false])('gives a granted filter’s place back on UNSUBSCRIBE (clean session: %s), and no place for a filter it was refused', async (clean) => {
    const id = `sub-cycle-${clean ? 'clean' : 'kept'}`;
    const d = await b.connect({ username: id, password: DEVICE_SECRET, clientId: id, clean });
    const filter = (i: number) => `v1/devices/${id}/commands/c${i}`;
    const held = Array.from({ length: MAX_DEVICE_SUBSCRIPTIONS }, (_, i) => filter(i));
    expect(await suback(d, held)).toEqual(held.map(() => 1));
    expect(await suback(d, [filter(100)])).toEqual([128]);
    // Unsubscribing what it was refused (or never asked for) frees nothing.
    await d.unsubscribeAsync([filter(100), '#', filter(101)]);
    expect(await suback(d, [filter(102)])).toEqual([128]);
    // Cycling through filters one at a time, far past MAX_DEVICE_SUBSCRIPTIONS, on one connection.
    for (let i = MAX_DEVICE_SUBSCRIPTIONS; i < MAX_DEVICE_SUBSCRIPTIONS * 3; i++) {
      await d.unsubscribeAsync(filter(i - MAX_DEVICE_SUBSCRIPTIONS));
      expect(await suback(d, [filter(i)]), `filter ${i}`).toEqual([1]);
    }
    // Still at most MAX_DEVICE_SUBSCRIPTIONS at once.
    expect(await suback(d, [filter(200)])).toEqual([128]);
    // The newest filter works: a command for it arrives.
    const got: string[] = [];
    d.on('message', (topic) => got.push(topic));
    const last = filter(MAX_DEVICE_SUBSCRIPTIONS * 3 - 1);
    await sub.publishAsync(last, 'go', { qos: 1 });
    await waitFor(() => got.includes(last) || undefined, 'the command on the newest filter');
    expect(d.connected).toBe(true);
    await d.endAsync();
  });
});

describe('device sessions of a journal written before refused filters were kept out of storage', () => {
  let dir: string;
  let restarted: TestBroker | undefined;
  afterAll(async () => {
    await restarted?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lose on restart the subscriptions the policy would not grant, and what was queued through them; services keep theirs', async () => {
    // The journal as an older broker left it: `old-dev` stored `#` beside its commands and had another
    // device's reading queued through it; a service session holds `#` too.
    dir = await mkdtemp(path.join(os.tmpdir(), 'old-journal-'));
    const { persistence: old } = await BrokerPersistence.open(dir, createLogger('silent'));
    await old.addSubscriptions({ id: 'old-dev' } as Client, [{ topic: 'v1/devices/old-dev/commands/#', qos: 1 }, { topic: '#', qos: 1 }] as never);
    await old.addSubscriptions({ id: 'svc-old' } as Client, [{ topic: '#', qos: 1 }] as never);
    const packet = (topic: string, n: number) => ({ cmd: 'publish', topic, payload: Buffer.from(`before-${n}`), qos: 1, retain: false, dup: false, brokerId: 'old', brokerCounter: n }) as never;
    await old.outgoingEnqueueCombi([{ clientId: 'old-dev' }, { clientId: 'svc-old' }], packet('v1/devices/old-victim/telemetry/noise', 1));
    await old.outgoingEnqueueCombi([{ clientId: 'old-dev' }, { clientId: 'svc-old' }], packet('v1/devices/old-dev/commands/speaker.play', 2));
    await old.close();

    restarted = await startTestBroker('old-journal', PASSWORD, { journalDir: dir });
    expect(await restarted.metrics.value('mqtt_restored_subscriptions_dropped_total')).toBe(1);
    // While `old-dev` is away: another device's reading, then a command for it.
    const victim = await restarted.connect({ username: 'old-victim', password: DEVICE_SECRET, clientId: 'old-victim' });
    await victim.publishAsync('v1/devices/old-victim/telemetry/noise', 'after', { qos: 1 });
    const service = await restarted.connect({ username: 'service', password: PASSWORD, clientId: 'svc-cmd' });
    await service.publishAsync('v1/devices/old-dev/commands/speaker.play', 'after', { qos: 1 });

    const got: string[] = [];
    const back = mqtt.connect(`mqtt://127.0.0.1:${restarted.broker.port}`, { protocolVersion: 4, reconnectPeriod: 0, username: 'old-dev', password: DEVICE_SECRET, clientId: 'old-dev', clean: false });
    back.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await waitFor(() => got.includes('v1/devices/old-dev/commands/speaker.play after') || undefined, 'its own command', 10_000);
    expect(got).toEqual(['v1/devices/old-dev/commands/speaker.play before-2', 'v1/devices/old-dev/commands/speaker.play after']);
    await back.endAsync(true);

    // The service's session kept its `#`: everything, queued before the restart and since.
    const svc: string[] = [];
    const resumed = mqtt.connect(`mqtt://127.0.0.1:${restarted.broker.port}`, { protocolVersion: 4, reconnectPeriod: 0, username: 'service', password: PASSWORD, clientId: 'svc-old', clean: false });
    resumed.on('message', (topic, payload) => svc.push(`${topic} ${payload.toString()}`));
    await waitFor(() => svc.length >= 4 || undefined, 'the service session’s messages', 10_000);
    expect(svc).toEqual(expect.arrayContaining(['v1/devices/old-victim/telemetry/noise before-1', 'v1/devices/old-victim/telemetry/noise after']));
    await resumed.endAsync(true);
  });
});

/** A device speaking MQTT itself over a socket: QoS 2 publishes whose PUBRECs it never answers. */
async function rawDevice(id: string, clean: boolean) {
  const socket = net.connect(b.broker.port, '127.0.0.1');
  socket.on('error', () => undefined);
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const received: mqttPacket.Packet[] = [];
  const waiters: (() => void)[] = [];
  parser.on('packet', (p) => {
    received.push(p);
    for (const w of waiters.splice(0)) w();
  });
  socket.on('data', (d) => parser.parse(d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const until = (check: () => boolean) => new Promise<void>((resolve, reject) => {
    const look = () => (check() ? resolve() : waiters.push(look));
    void closed.then(() => reject(new Error(`connection closed; received ${received.map((p) => p.cmd).join(',')}`)));
    look();
  });
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, clientId: id, keepalive: 0, username: id, password: Buffer.from(DEVICE_SECRET) }));
  await until(() => received.some((p) => p.cmd === 'connack'));
  expect(received[0]).toMatchObject({ cmd: 'connack', returnCode: 0 });
  return {
    received,
    closed,
    publishQos2: (messageId: number, payload: Buffer) =>
      socket.write(mqttPacket.generate({ cmd: 'publish', topic: `v1/devices/${id}/telemetry/noise`, qos: 2, messageId, payload, retain: false, dup: false })),
    recs: (n: number) => until(() => received.filter((p) => p.cmd === 'pubrec').length >= n),
    end: () => socket.end(mqttPacket.generate({ cmd: 'disconnect' })),
  };
}


describe('connection limit', () => {
  let small: TestBroker;
  afterAll(async () => small?.stop());

  it('closes connections beyond MQTT_MAX_CONNECTIONS at accept, and counts them', async () => {
    small = await startTestBroker('conn-limit', PASSWORD, { limits: { maxConnections: 2 } });
    await small.connect({ username: 'c-1', password: DEVICE_SECRET, clientId: 'c-1' });
    await small.connect({ username: 'c-2', password: DEVICE_SECRET, clientId: 'c-2' });
    const third = mqtt.connect(`mqtt://127.0.0.1:${small.broker.port}`, { username: 'c-3', password: DEVICE_SECRET, clientId: 'c-3', protocolVersion: 4, reconnectPeriod: 0 });
    const outcome = await new Promise<string>((resolve) => {
      third.once('connect', () => resolve('connected'));
      third.once('close', () => resolve('closed'));
    });
    third.end(true);
    expect(outcome).toBe('closed');
    expect(await small.metrics.value('mqtt_connections_refused_total')).toBe(1);
  });

  it('lets one address hold only a few connections that have not logged in, so idle sockets cannot take the fleet’s places', async () => {
    const open = await startTestBroker('pending-limit', PASSWORD, { limits: { maxConnections: 20, maxPendingPerAddress: 4 } });
    const sockets: net.Socket[] = [];
    try {
      // Someone opens sockets from another address and never logs in (each would wait out the connect timeout).
      for (let i = 0; i < 20; i++) {
        const s = net.connect({ port: open.broker.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
        s.on('error', () => undefined);
        sockets.push(s);
        await new Promise<void>((resolve) => s.once('connect', () => resolve()).once('close', () => resolve()));
      }
      await waitFor(async () => (await open.metrics.value('mqtt_connections_refused_total', { reason: 'pending_per_address' })) === 16 || undefined, 'the idle sockets beyond the address’s share closed', 10_000);
      // A device elsewhere still logs in.
      await expect(open.connect({ username: 'dev-ok', password: DEVICE_SECRET, clientId: 'dev-ok' })).resolves.toBeDefined();
      // Once logged in, a connection no longer counts against its address.
      for (const s of sockets) s.destroy();
      const fromHere: MqttClient[] = [];
      for (let i = 0; i < 6; i++) fromHere.push(await open.connect({ username: `dev-${i}`, password: DEVICE_SECRET, clientId: `dev-${i}` }));
      expect(fromHere.every((c) => c.connected)).toBe(true);
    } finally {
      for (const s of sockets) s.destroy();
      await open.stop();
    }
  });
});
