import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import { noiseRun } from '../../simulator/scenarios.js';
import { api, connectDevice, count, login, provision, startTestPlatform, waitFor, type Provisioned, type TestPlatform } from '../support/platform.js';

/**
 * Attacks on the broker by devices holding valid credentials: taking over another client's id (a
 * device's or a service's session), and the limits on what one connection may send.
 */
let t: TestPlatform;
let admin: string;
let victim: Provisioned;
let attacker: Provisioned;
const clients: MqttClient[] = [];

const metric = (name: string, labels: Record<string, string> = {}) => t.platform.metrics.value(name, labels);
const stored = (id: string) => count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [id]);

/** Connects with explicit options; resolves with the client or rejects with the broker's refusal. */
async function attempt(opts: mqtt.IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(t.mqttUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...opts });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (err) => reject(err));
  });
  return client;
}

beforeAll(async () => {
  t = await startTestPlatform();
  admin = await login(t, 'admin');
  victim = await provision(t, admin, 'z-park-square');
  attacker = await provision(t, admin, 'z-park-square');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await t?.stop();
});

describe('client ids are bound to the device', () => {
  it('refuses a device connecting with another device’s client id; the victim stays connected', async () => {
    const v = await connectDevice(t, victim.id, victim.secret);
    clients.push(v);
    await expect(attempt({ username: attacker.id, password: attacker.secret, clientId: victim.id })).rejects.toThrow(/Identifier rejected/i);
    expect(v.connected).toBe(true);
    expect(await metric('mqtt_client_id_refused_total', { reason: 'foreign_client_id' })).toBe(1);
  });

  it('refuses a device taking ingest’s client id (persistent or clean); nothing the victim sends is lost', async () => {
    const v = await connectDevice(t, victim.id, victim.secret);
    clients.push(v);
    await expect(attempt({ username: attacker.id, password: attacker.secret, clientId: 'svc-ingest', clean: false })).rejects.toThrow(/Identifier rejected/i);
    await expect(attempt({ username: attacker.id, password: attacker.secret, clientId: 'svc-ingest', clean: true })).rejects.toThrow(/Identifier rejected/i);
    expect(await metric('mqtt_client_id_refused_total', { reason: 'service_client_id' })).toBe(2);
    const readings = noiseRun({ deviceId: victim.id, start: new Date(Date.now() - 120_000), seconds: 50, source: 'background', laeq: 45, seed: 7, seqStart: 1 });
    for (const m of readings) await v.publishAsync(m.topic, m.payload, { qos: 1 });
    await waitFor(async () => (await stored(victim.id)) === readings.length || undefined, 'every acknowledged reading stored');
  });

  it('refuses a device whose last will is outside its own topics; its own presence will is taken', async () => {
    for (const will of [
      { topic: `v1/devices/${victim.id}/commands/speaker.play`, payload: Buffer.from('{"clip":"x"}'), qos: 1 as const, retain: true },
      { topic: `v1/devices/${victim.id}/status`, payload: Buffer.from('offline'), qos: 1 as const, retain: true },
      { topic: `v1/devices/${attacker.id}/telemetry/noise`, payload: Buffer.from('{}'), qos: 1 as const, retain: true },
    ]) {
      await expect(attempt({ username: attacker.id, password: attacker.secret, clientId: attacker.id, will }), will.topic).rejects.toThrow(/Not authorized/i);
    }
    expect(await metric('mqtt_auth_failures_total', { reason: 'foreign_will' })).toBe(3);
    const own = await attempt({ username: attacker.id, password: attacker.secret, clientId: attacker.id, will: { topic: `v1/devices/${attacker.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true } });
    expect(own.connected).toBe(true);
    await own.endAsync(true);
  });

  it('accepts the device’s own id and its own id with a `:` suffix', async () => {
    await expect(attempt({ username: attacker.id, password: attacker.secret, clientId: attacker.id })).resolves.toBeDefined();
    await expect(attempt({ username: attacker.id, password: attacker.secret, clientId: `${attacker.id}:gw2` })).resolves.toBeDefined();
  });

  it('lets one device hold only a few extra links, none with a persistent session, so it cannot take the fleet’s connections', async () => {
    const d = await provision(t, admin, 'z-park-square');
    const link = (suffix: string, clean = true) => attempt({ username: d.id, password: d.secret, clientId: `${d.id}:${suffix}`, clean });
    const extra = [await link('a'), await link('b'), await link('c')];
    await expect(link('d')).rejects.toThrow(/unavailable/i);
    expect(await metric('mqtt_auth_failures_total', { reason: 'too_many_links' })).toBe(1);
    // Its own id is always admitted; a link reconnecting under its own suffix is not another link.
    await expect(attempt({ username: d.id, password: d.secret, clientId: d.id })).resolves.toBeDefined();
    await expect(link('c')).resolves.toBeDefined();
    // A closed link frees its place.
    await extra[0]!.endAsync();
    await expect(link('d')).resolves.toBeDefined();
    // Persistent sessions under ever new suffixes would pile up in the broker, each queueing the device's commands.
    await extra[1]!.endAsync();
    await expect(link('p', false)).rejects.toThrow(/identifier rejected/i);
    expect(await metric('mqtt_auth_failures_total', { reason: 'persistent_extra_link' })).toBe(1);
  });

  it('does not register a device under a reserved service id', async () => {
    const r = await api(t, admin, 'POST', '/api/v1/devices', { id: 'svc-ingest', zoneId: 'z-park-square', kind: 'sound_level_meter' });
    expect(r.status).toBe(400);
  });
});

describe('a device publishes only the streams of its kind', () => {
  it('disconnects a sound level meter sending people counts: no crowd is made up from a noise meter, its own noise still counts', async () => {
    const meter = await provision(t, admin, 'z-park-square');
    const m = await connectDevice(t, meter.id, meter.secret);
    clients.push(m);
    const [noise] = noiseRun({ deviceId: meter.id, start: new Date(Date.now() - 10_000), seconds: 1, source: 'background', laeq: 45, seed: 3, seqStart: 1 });
    await m.publishAsync(noise!.topic, noise!.payload, { qos: 1 });
    await waitFor(async () => (await stored(meter.id)) === 1 || undefined, 'the meter\'s own noise reading stored');
    const closed = new Promise<string>((resolve) => m.once('close', () => resolve('disconnected')));
    const sent = m.publishAsync(`v1/devices/${meter.id}/telemetry/people`, JSON.stringify({ ts: Date.now() - 1000, seq: 2, count: 5000 }), { qos: 1 });
    expect(await Promise.race([closed, sent.then(() => 'acknowledged', () => 'disconnected')])).toBe('disconnected');
    expect(await metric('mqtt_refused_total', { action: 'stream' })).toBe(1);
    expect(await count(t, 'SELECT 1 FROM people_counts WHERE device_id = $1', [meter.id])).toBe(0);

    // A people counter sends its counts; a camera its tracks and counts.
    const counter = await provision(t, admin, 'z-park-square', { kind: 'people_counter' });
    const c = await connectDevice(t, counter.id, counter.secret);
    clients.push(c);
    await c.publishAsync(`v1/devices/${counter.id}/telemetry/people`, JSON.stringify({ ts: Date.now() - 1000, seq: 1, count: 12 }), { qos: 1 });
    await waitFor(async () => (await count(t, 'SELECT 1 FROM people_counts WHERE device_id = $1', [counter.id])) === 1 || undefined, 'the counter\'s count stored');
    expect(c.connected).toBe(true);
  });
});

describe('command acknowledgements', () => {
  it('counts an ack only from the device the command went to', async () => {
    const id = `cmd-${Date.now()}`;
    await t.platform.db.pool.query(
      `INSERT INTO device_commands (id, device_id, name, payload, stage, sent_at) VALUES ($1, $2, 'speaker.play', '{}', 'warning', now())`,
      [id, victim.id],
    );
    const acked = async () => (await t.platform.db.pool.query<{ at: Date | null }>('SELECT acked_at AS at FROM device_commands WHERE id = $1', [id])).rows[0]?.at ?? null;
    const a = await connectDevice(t, attacker.id, attacker.secret);
    clients.push(a);
    await a.publishAsync(`v1/devices/${attacker.id}/commands/speaker.play/ack`, JSON.stringify({ commandId: id, ok: true }), { qos: 1 });
    await waitFor(async () => (await metric('speaker_acks_refused_total')) === 1 || undefined, 'the foreign ack refused');
    expect(await acked()).toBeNull();
    const v = await connectDevice(t, victim.id, victim.secret);
    clients.push(v);
    await v.publishAsync(`v1/devices/${victim.id}/commands/speaker.play/ack`, JSON.stringify({ commandId: id, ok: true }), { qos: 1 });
    await waitFor(async () => (await acked()) !== null || undefined, 'the device’s own ack recorded');
  });
});

describe('device secret rotation', () => {
  it('returns a new secret once, keeps the old one for the grace period, and drops it with none', async () => {
    const d = await provision(t, admin, 'z-park-square');
    const logsIn = async (secret: string) => {
      try {
        await (await connectDevice(t, d.id, secret)).endAsync(true);
        return true;
      } catch {
        return false;
      }
    };
    const officer = await login(t, 'east.li');
    expect((await api(t, officer, 'POST', `/api/v1/devices/${d.id}/secret`, { graceS: 60 })).status).toBe(403);
    const r1 = await api<{ secret: string; previousSecretValidUntil: string | null }>(t, admin, 'POST', `/api/v1/devices/${d.id}/secret`, { graceS: 3600 });
    expect(r1.status).toBe(200);
    expect(r1.body.secret).not.toBe(d.secret);
    expect(Date.parse(r1.body.previousSecretValidUntil!)).toBeGreaterThan(Date.now() + 3_000_000);
    expect(await logsIn(r1.body.secret)).toBe(true);
    expect(await logsIn(d.secret)).toBe(true);
    const r2 = await api<{ secret: string; previousSecretValidUntil: string | null }>(t, admin, 'POST', `/api/v1/devices/${d.id}/secret`, { graceS: 0 });
    expect(r2.body.previousSecretValidUntil).toBeNull();
    expect(await logsIn(r2.body.secret)).toBe(true);
    expect(await logsIn(r1.body.secret)).toBe(false);
    expect(await logsIn(d.secret)).toBe(false);
    expect((await api(t, admin, 'POST', '/api/v1/devices/no-such-device/secret', { graceS: 0 })).status).toBe(404);
  });

  it('closes a connection still open on a secret that is no longer in force: rotated out at once, or at the end of its grace', async () => {
    const d = await provision(t, admin, 'z-park-square');
    const closed = (c: MqttClient, what: string) => waitFor(() => !c.connected, what, 20_000);
    // A stolen device stays connected on the old secret while the operator rotates it out.
    const thief = await connectDevice(t, d.id, d.secret);
    clients.push(thief);
    const before = await metric('mqtt_credentials_revoked_total');
    const r1 = await api<{ secret: string }>(t, admin, 'POST', `/api/v1/devices/${d.id}/secret`, { graceS: 0 });
    await closed(thief, 'the connection on the rotated-out secret closed');
    expect(await metric('mqtt_credentials_revoked_total')).toBe(before + 1);
    // The device on its new secret stays; one on a secret in its grace period stays until the grace ends.
    const owner = await connectDevice(t, d.id, r1.body.secret);
    clients.push(owner);
    // A grace longer than the broker's check interval: the old secret's connection outlives a check or two.
    await api(t, admin, 'POST', `/api/v1/devices/${d.id}/secret`, { graceS: 6 });
    const graceEnds = Date.now() + 6000;
    await closed(owner, 'the connection on the old secret closed when its grace ended');
    expect(Date.now()).toBeGreaterThanOrEqual(graceEnds - 1000);
    expect(await metric('mqtt_credentials_revoked_total')).toBe(before + 2);
  });
});
