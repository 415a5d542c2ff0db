import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEVICE_SECRET, startTestBroker, type TestBroker } from '../support/broker.js';
import { waitFor } from '../support/platform.js';

/**
 * Delivery to a persistent QoS 1 subscriber (like ingest) through the journalled broker, with
 * devices publishing telemetry and retained status messages at once. A retained message waits for its
 * own journal sync, so it reaches delivery after telemetry published later; the broker must still
 * deliver every message (Aedes' cluster duplicate filter, keyed on publish order, would drop it).
 */
const PASSWORD = 'broker-delivery-test-password';
let t: TestBroker;
const connect: TestBroker['connect'] = (opts) => t.connect(opts);

beforeAll(async () => {
  t = await startTestBroker('broker-delivery', PASSWORD);
});

afterAll(() => t.stop());

describe('delivery to a persistent subscriber', () => {
  it('delivers every telemetry and retained status message, none skipped', async () => {
    const sub = await connect({ username: 'service', password: PASSWORD, clientId: 'svc-delivery-test', clean: false });
    const received = new Set<string>();
    sub.on('message', (topic, payload) => received.add(`${topic} ${payload.toString()}`));
    await sub.subscribeAsync(['v1/devices/+/telemetry/+', 'v1/devices/+/status'], { qos: 1 });

    const DEVICES = 20;
    const ROUNDS = 50;
    const devices = await Promise.all(Array.from({ length: DEVICES }, (_, i) => connect({ username: `dev-${i}`, password: DEVICE_SECRET, clientId: `dev-${i}` })));
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

/**
 * QoS 0 through the broker's own paths (in-place PUBLISH parsing, the caching emitter, batched
 * delivery), with MQTT 3.1.1 and 3.1 clients, as devices and services use them.
 */
describe('QoS 0 delivery', () => {
  it('delivers every message in each device’s order, to a persistent and a clean subscriber alike', async () => {
    const subscribers = await Promise.all([
      connect({ username: 'service', password: PASSWORD, clientId: 'svc-qos0-persistent', clean: false }),
      connect({ username: 'service', password: PASSWORD, clientId: 'svc-qos0-clean', protocolVersion: 3, protocolId: 'MQIsdp' }),
    ]);
    const got = subscribers.map(() => new Map<string, number[]>());
    subscribers.forEach((s, i) =>
      s.on('message', (topic, payload, packet) => {
        if (!/^v1\/devices\/q0-\d+\//.test(topic)) return; // the other tests' devices
        expect(packet.qos).toBe(0);
        expect(packet.retain).toBe(false);
        const seqs = got[i]?.get(topic) ?? [];
        seqs.push((JSON.parse(payload.toString()) as { seq: number }).seq);
        got[i]?.set(topic, seqs);
      }),
    );
    await subscribers[0]?.subscribeAsync('v1/devices/+/telemetry/+', { qos: 1 });
    await subscribers[1]?.subscribeAsync('v1/devices/+/telemetry/#', { qos: 0 });

    const DEVICES = 10;
    const PER_DEVICE = 300;
    // Half the devices speak MQTT 3.1.
    const devices = await Promise.all(Array.from({ length: DEVICES }, (_, i) => connect({ username: `q0-${i}`, password: DEVICE_SECRET, clientId: `q0-${i}`, ...(i % 2 ? { protocolVersion: 3, protocolId: 'MQIsdp' } : {}) })));
    await Promise.all(devices.map(async (d, i) => {
      for (let seq = 0; seq < PER_DEVICE; seq++) await d.publishAsync(`v1/devices/q0-${i}/telemetry/noise`, JSON.stringify({ seq, pad: 'x'.repeat(seq % 200) }), { qos: 0 });
    }));
    const count = (m: Map<string, number[]>) => [...m.values()].reduce((n, s) => n + s.length, 0);
    await waitFor(() => got.every((m) => count(m) >= DEVICES * PER_DEVICE), 'every message at both subscribers', 10_000);
    const inOrder = Array.from({ length: PER_DEVICE }, (_, s) => s);
    for (const m of got) {
      expect(m.size).toBe(DEVICES);
      for (const seqs of m.values()) expect(seqs).toEqual(inOrder);
    }
  });

  it('gives a new subscriber the retained status, flagged retained; live subscribers see it unflagged', async () => {
    const device = await connect({ username: 'q0-status', password: DEVICE_SECRET, clientId: 'q0-status' });
    const live = await connect({ username: 'service', password: PASSWORD, clientId: 'svc-status-live' });
    const liveSeen: boolean[] = [];
    live.on('message', (_t, _p, packet) => liveSeen.push(packet.retain));
    await live.subscribeAsync('v1/devices/q0-status/status', { qos: 0 });
    await device.publishAsync('v1/devices/q0-status/status', '{"online":true}', { qos: 0, retain: true });
    await waitFor(() => liveSeen.length > 0, 'the status at the live subscriber', 10_000);
    expect(liveSeen).toEqual([false]);

    const late = await connect({ username: 'service', password: PASSWORD, clientId: 'svc-status-late' });
    const lateSeen: { retain: boolean; payload: string }[] = [];
    late.on('message', (_t, payload, packet) => lateSeen.push({ retain: packet.retain, payload: payload.toString() }));
    await late.subscribeAsync('v1/devices/q0-status/status', { qos: 0 });
    await waitFor(() => lateSeen.length > 0, 'the retained status at the late subscriber', 10_000);
    expect(lateSeen).toEqual([{ retain: true, payload: '{"online":true}' }]);
  });

  it('stops delivering once a subscriber unsubscribes, and starts again when it subscribes', async () => {
    const device = await connect({ username: 'q0-unsub', password: DEVICE_SECRET, clientId: 'q0-unsub' });
    const sub = await connect({ username: 'service', password: PASSWORD, clientId: 'svc-unsub' });
    const seen: string[] = [];
    sub.on('message', (_t, payload) => seen.push(payload.toString()));
    const telemetry = 'v1/devices/q0-unsub/telemetry/noise';
    await sub.subscribeAsync('v1/devices/q0-unsub/#', { qos: 0 });
    await device.publishAsync(telemetry, 'one', { qos: 0 });
    await waitFor(() => seen.length === 1, "'one'", 10_000);
    await sub.unsubscribeAsync('v1/devices/q0-unsub/#');
    await sub.subscribeAsync('v1/devices/q0-unsub/status', { qos: 0 });
    // The broker handles one device's publishes in order: once the marker is through, 'two' was passed by.
    await device.publishAsync(telemetry, 'two', { qos: 0 });
    await device.publishAsync('v1/devices/q0-unsub/status', 'marker', { qos: 0 });
    await waitFor(() => seen.length === 2, 'the marker', 10_000);
    await sub.subscribeAsync('v1/devices/q0-unsub/telemetry/+', { qos: 0 });
    await device.publishAsync(telemetry, 'three', { qos: 0 });
    await waitFor(() => seen.length === 3, "'three'", 10_000);
    expect(seen).toEqual(['one', 'marker', 'three']);
  });
});

/**
 * A persistent session resumed on a new connection while devices go on publishing. The messages the
 * old connection was sent and never acknowledged keep their ids until the broker re-sends them; the
 * new connection's live messages are numbered from a fresh random start. Here that start is set where
 * the old ids end, so the live messages' PUBACKs come while the old messages with the same ids still
 * wait to be re-sent: each must acknowledge its own message, and the old ones must all arrive.
 */
describe('a persistent session resumed on a new connection', () => {
  type BrokerClient = { id: string; _nextId: number };
  type AedesView = { clients: Record<string, unknown>; once(event: 'client', f: (c: BrokerClient) => void): void };
  const BACKLOG = 500;
  const LIVE = 100;

  /** A session that took BACKLOG messages and acknowledged none, then died without a word; the ids they were sent with. */
  async function abandonedBacklog(clientId: string, topic: string, device: mqtt.MqttClient): Promise<{ oldIds: number[]; aedes: AedesView }> {
    const old = await connect({ username: 'service', password: PASSWORD, clientId, clean: false });
    await old.subscribeAsync('v1/devices/+/telemetry/+', { qos: 1 });
    const oldIds: number[] = [];
    // Takes every message and acknowledges none (ingest holding its acks while the database hangs).
    old.handleMessage = (packet, next) => {
      oldIds.push(packet.messageId as number);
      next(new Error('not acknowledged'));
    };
    await Promise.all(Array.from({ length: BACKLOG }, (_, i) => device.publishAsync(topic, String(i), { qos: 1 })));
    await waitFor(() => oldIds.length === BACKLOG || undefined, 'the old connection sent the backlog');
    // The broker's own view: its clients by id, and the 'client' event of a new connection's session.
    const aedes = (t.broker as unknown as { aedes: AedesView }).aedes;
    old.stream.destroy();
    await waitFor(() => aedes.clients[clientId] === undefined || undefined, 'the broker saw the old connection go');
    return { oldIds, aedes };
  }

  /** Resumes the session; once connected, LIVE more messages are published. Resolves with each message's packet id. */
  async function resume(clientId: string, topic: string, device: mqtt.MqttClient): Promise<Map<string, number>> {
    const received = new Map<string, number>();
    const resumed = mqtt.connect(`mqtt://127.0.0.1:${t.broker.port}`, { protocolVersion: 4, reconnectPeriod: 0, username: 'service', password: PASSWORD, clientId, clean: false });
    resumed.on('message', (_topic, payload, packet) => received.set(payload.toString(), packet.messageId as number));
    resumed.once('connect', () => {
      for (let i = BACKLOG; i < BACKLOG + LIVE; i++) void device.publishAsync(topic, String(i), { qos: 1 });
    });
    try {
      await waitFor(() => received.size === BACKLOG + LIVE || undefined, 'every message on the resumed session', 15_000).catch(() => undefined);
      expect(Array.from({ length: BACKLOG + LIVE }, (_, i) => String(i)).filter((m) => !received.has(m))).toEqual([]);
      await waitFor(async () => (await t.metrics.value('mqtt_queued_messages')) === 0 || undefined, 'every message acknowledged and dequeued');
    } finally {
      // The session goes with the test: nothing more is queued for it.
      await resumed.unsubscribeAsync('v1/devices/+/telemetry/+').catch(() => undefined);
      await resumed.endAsync(true);
    }
    return received;
  }

  it('re-sends every message the old connection left unacknowledged, though live ones reuse their ids', async () => {
    const clientId = 'svc-resume-test';
    const topic = 'v1/devices/dev-r/telemetry/noise';
    const device = await connect({ username: 'dev-r', password: DEVICE_SECRET, clientId: 'dev-r' });
    const { oldIds, aedes } = await abandonedBacklog(clientId, topic, device);
    // The new connection's ids forced onto the last LIVE old ones, as a random start could fall.
    aedes.once('client', (c) => {
      if (c.id === clientId) c._nextId = oldIds[BACKLOG - LIVE] as number;
    });
    await resume(clientId, topic, device);
  });

  it('numbers the new connection\'s messages on from the old ones\' ids, so no two in flight share one', async () => {
    const clientId = 'svc-resume-ids';
    const topic = 'v1/devices/dev-s/telemetry/noise';
    const device = await connect({ username: 'dev-s', password: DEVICE_SECRET, clientId: 'dev-s' });
    const { oldIds } = await abandonedBacklog(clientId, topic, device);
    // The broker draws a new connection's first id at random: here it would draw one of the old ids.
    const random = vi.spyOn(Math, 'random').mockReturnValue(((oldIds[BACKLOG - LIVE] as number) - 0.5) / 65535);
    const received = await resume(clientId, topic, device).finally(() => random.mockRestore());
    const old = new Set(oldIds);
    // The old messages come again with their ids; the live ones with ids none of them holds.
    expect(Array.from({ length: BACKLOG }, (_, i) => received.get(String(i)))).toEqual(oldIds);
    const live = Array.from({ length: LIVE }, (_, i) => received.get(String(BACKLOG + i)) as number);
    expect(live.filter((id) => old.has(id))).toEqual([]);
  });
});
