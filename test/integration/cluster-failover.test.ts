import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { batched, waitFor } from '../support/platform.js';
import { freshRedis, redisReachable } from '../support/redis.js';
import { pgReachable } from '../support/reachable.js';
import { localTime, noiseRun, trackRun } from '../../simulator/scenarios.js';

/**
 * The platform across processes and machines' worth of roles, each a real child process: two broker
 * nodes clustered through Redis, an ingest per node, two inference workers sharing the zones through
 * leases, and the enforcement + API process. Devices are spread over both nodes. Mid-stream one broker
 * node and the inference worker judging the fishing-ban zone are killed with SIGKILL. Afterwards:
 * every reading a device got a PUBACK for is stored exactly once, each episode raised one alert, each
 * zone and kind one case, each loudspeaker step one command, and the dead worker's zone was re-owned
 * within two lease periods (database clock).
 *
 * Needs Redis and a PostgreSQL server (DATABASE_URL, else the local one): separate processes cannot
 * share the embedded engine. Without either it is skipped with the reason.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LEASE_S = 4;
const TZ = 'Asia/Shanghai';
const PASSWORD = 'test-password-123';

const redisUp = await redisReachable();
const pgUp = await pgReachable(PG);
const skip = !redisUp || !pgUp;
if (skip) console.warn(`cluster-failover.test.ts skipped: ${!redisUp ? 'no Redis at REDIS_URL or 127.0.0.1:6379' : ''}${!redisUp && !pgUp ? ' and ' : ''}${!pgUp ? `no PostgreSQL server at ${PG}` : ''}`);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  name: string;
  child: ChildProcess;
  output: string[];
}
const procs: Proc[] = [];
const dirs: string[] = [];
let db: Scratch | undefined;
let pool: pg.Pool;
const devices: MqttClient[] = [];

async function start(name: string, env: Record<string, string>): Promise<Proc> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `rp-cluster-${name}-`));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: ROOT, env: { ...process.env, ...common, DATA_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, output: [] };
  procs.push(p);
  const keep = (d: Buffer) => {
    p.output.push(d.toString());
    if (p.output.length > 200) p.output.shift();
  };
  child.stderr?.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      keep(d);
      if (d.toString().includes('is running')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? code}) before it was running:\n${p.output.join('').slice(-3000)}`)));
  });
  return p;
}

let common: Record<string, string> = {};
const ports = { a: 0, b: 0, http: 0 };

describe.skipIf(skip)('a cluster losing a broker node and an inference worker mid-stream', () => {
  beforeAll(async () => {
    db = await scratchDatabase(PG, 'rp_cluster');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    ports.a = await freePort();
    ports.b = await freePort();
    ports.http = await freePort();
    common = {
      DATABASE_URL: db.url,
      REDIS_URL: await freshRedis(13),
      MQTT_SERVICE_PASSWORD: 'cluster-service-password-0123',
      SECRETS_KEY: 'ab'.repeat(32),
      ADMIN_PASSWORD: PASSWORD,
      SIMULATOR: 'off',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      MQTT_HOST: '127.0.0.1',
      HTTP_HOST: '127.0.0.1',
      INFERENCE_LEASE_S: String(LEASE_S),
      INFERENCE_REBUILD_S: String(4 * 86400),
      SPEAKER_COOLDOWN_S: '120',
      SPEAKER_EFFECT_WINDOW_S: '120',
    };
    const url = (...nodes: number[]) => nodes.map((p) => `mqtt://127.0.0.1:${p}`).join(',');
    // Node a first: it migrates and seeds the database; then everyone else at once.
    await start('broker-a', { SERVICES: 'broker', BROKER_NODE_ID: 'a', MQTT_PORT: String(ports.a) });
    await Promise.all([
      start('broker-b', { SERVICES: 'broker', BROKER_NODE_ID: 'b', MQTT_PORT: String(ports.b) }),
      start('ingest-a', { SERVICES: 'ingest', INGEST_CLIENT_ID: 'svc-ingest-a', MQTT_URL: url(ports.a, ports.b) }),
      start('inference-1', { SERVICES: 'inference', MQTT_URL: url(ports.a, ports.b) }),
    ]);
    await Promise.all([
      start('ingest-b', { SERVICES: 'ingest', INGEST_CLIENT_ID: 'svc-ingest-b', MQTT_URL: url(ports.b, ports.a) }),
      start('inference-2', { SERVICES: 'inference', MQTT_URL: url(ports.b, ports.a) }),
      start('api', { SERVICES: 'maintenance,enforcement,api', HTTP_PORT: String(ports.http), MQTT_URL: url(ports.b, ports.a) }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync(true)));
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.child.exitCode === null && p.child.signalCode === null ? new Promise((r) => p.child.once('exit', r)) : undefined)));
    await pool?.end();
    await db?.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }, 60_000);

  it('stores every acknowledged reading once, raises no duplicate alert, case or command, and re-owns the zones in time', async () => {
    const http = `http://127.0.0.1:${ports.http}`;
    const call = async <T>(method: string, url: string, token: string | null, body?: unknown): Promise<T> => {
      const res = await fetch(`${http}${url}`, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const admin = (await call<{ accessToken: string }>('POST', '/api/v1/auth/login', null, { username: 'admin', password: PASSWORD })).accessToken;
    const provision = (zoneId: string, extra: Record<string, unknown>) =>
      call<{ device: { id: string }; secret: string }>('POST', '/api/v1/devices', admin, { zoneId, kind: 'sound_level_meter', placementPublished: true, calibrationValidUntil: '2099-01-01', ...extra });

    // Devices: on node a and node b alternately; each moves to the other node when its own is lost.
    interface Device { id: string; node: 'a' | 'b'; messages: { topic: string; payload: string }[]; client?: MqttClient; acked: number; received: Record<string, unknown>[] }
    const fleet: Device[] = [];
    const angler = (i: number) => (id: string) => trackRun({ deviceId: id, trackId: `angler-${i}`, role: 'angler', start: localTime(TZ, 10, 0), seconds: 1500, stepS: 10, seed: 3, seqStart: 1 });
    const music = (i: number) => (id: string) => noiseRun({ deviceId: id, start: localTime(TZ, 22, 10 + i), seconds: 120, source: 'music', laeq: 64, seed: 40 + i, seqStart: 1 });
    // Background meters send what gateways send: batches of 20 one-second readings.
    const quiet = (i: number) => (id: string) => batched(noiseRun({ deviceId: id, start: localTime(TZ, 15, 0), seconds: 600, source: 'background', laeq: 42, seed: 60 + i, seqStart: 1 }), 20);
    const plan: [string, Record<string, unknown>, (id: string) => { topic: string; payload: string }[]][] = [
      ['z-riverbank', { kind: 'camera', hasSpeaker: true }, angler(0)],
      ['z-riverbank', { kind: 'camera', hasSpeaker: true }, angler(1)],
      ['z-park-square', {}, music(0)],
      ['z-park-square', {}, music(1)],
      ...[0, 1, 2, 3].map((i) => ['z-park-square', {}, quiet(i)] as [string, Record<string, unknown>, (id: string) => { topic: string; payload: string }[]]),
    ];
    for (const [i, [zone, extra, messages]] of plan.entries()) {
      const d = await provision(zone, extra);
      const node = i % 2 === 0 ? 'a' : 'b';
      const order = node === 'a' ? [ports.a, ports.b] : [ports.b, ports.a];
      const client = mqtt.connect({ servers: order.map((port) => ({ host: '127.0.0.1', port })), clientId: d.device.id, username: d.device.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 250, connectTimeout: 5000 });
      client.on('error', () => undefined); // a lost node: the client moves to the other one
      await new Promise((r) => client.once('connect', r));
      devices.push(client);
      const dev: Device = { id: d.device.id, node, messages: messages(d.device.id), client, acked: 0, received: [] };
      // Cameras play what they are told once per command id and acknowledge it, as real ones do.
      client.on('message', (topic, payload) => {
        const body = JSON.parse(payload.toString()) as Record<string, unknown>;
        dev.received.push(body);
        void client.publishAsync(`${topic}/ack`, JSON.stringify({ commandId: body.commandId, played: true }), { qos: 1 }).catch(() => undefined);
      });
      await client.subscribeAsync(`v1/devices/${d.device.id}/commands/+`, { qos: 1 });
      fleet.push(dev);
    }

    // Both workers hold a zone before traffic starts.
    const leases = async () => (await pool.query<{ zone_id: string; owner: string; taken_at: Date }>('SELECT zone_id, owner, taken_at FROM inference_leases WHERE expires_at > now()')).rows;
    await waitFor(async () => new Set((await leases()).map((l) => l.owner)).size === 2, 'both inference workers holding a zone', 60_000);
    const fishingOwner = (await leases()).find((l) => l.zone_id === 'z-riverbank')!.owner;
    const victim = procs.find((p) => p.name.startsWith('inference') && fishingOwner.includes(`-${p.child.pid}-`))!;
    expect(victim, 'the fishing zone’s worker is one of ours').toBeDefined();
    // The worker dies with the broker node it is connected to (one machine lost): inference-1 reaches
    // node a first, inference-2 node b. The surviving worker keeps its connection throughout.
    const [lostNode, keptNode] = victim.name === 'inference-1' ? ['a', 'b'] : ['b', 'a'];
    const lostBroker = procs.find((p) => p.name === `broker-${lostNode}`)!;

    // Every device publishes its stream, waiting for each PUBACK (what "acknowledged" means).
    const acked = new Map<string, number[]>();
    const send = async (d: Device) => {
      for (const m of d.messages) {
        await d.client!.publishAsync(m.topic, m.payload, { qos: 1 });
        const body = JSON.parse(m.payload) as { seq: number } | { seq: number }[];
        const list = acked.get(d.id) ?? [];
        for (const r of Array.isArray(body) ? body : [body]) list.push(r.seq);
        acked.set(d.id, list);
        d.acked++;
      }
    };
    // Mid-stream: the anglers (one track each, one episode: warning at 770 s, repeat at 890 s, alert at
    // 1010 s of their own clock) are past their first warning, before their repeat and their case. The
    // first angler's camera is judged by the fishing zone's worker for a while; then that worker stalls
    // (a long pause) and the second camera starts, never judged nor recorded as judged by it. The new
    // owner replays the first silently up to where the dead worker had judged and live after that, and
    // judges all of the second live.
    const cameras = fleet.slice(0, 2);
    const late = cameras[1]!;
    const sending = Promise.all(fleet.filter((d) => d !== late).map(send));
    const judgedTo = async (id: string) => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM inference_judged WHERE device_id = $1`, [id])).rows[0]!.n > 0;
    await waitFor(async () => (cameras[0]!.acked >= 80 && (await judgedTo(cameras[0]!.id))) || undefined, 'the first angler’s first 800 s, partly judged', 90_000);
    victim.child.kill('SIGSTOP');
    const sendingLate = send(late);
    await waitFor(() => late.acked >= 80, 'the second angler’s first 800 s', 90_000);
    expect(await judgedTo(late.id)).toBe(false);
    const killedAt = (await pool.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
    lostBroker.child.kill('SIGKILL');
    victim.child.kill('SIGKILL');
    // The surviving node's ingest stalls meanwhile (a long pause, a slow disk): the readings sent
    // around the kill reach the store only after the zone is taken over, and must still be judged.
    const keptIngest = procs.find((p) => p.name === `ingest-${keptNode}`)!;
    keptIngest.child.kill('SIGSTOP');
    await Promise.all([sending, sendingLate]);
    expect(fleet.every((d) => d.acked === d.messages.length)).toBe(true);

    // The dead worker's zone has a new owner, taken within two lease periods of the kill.
    await waitFor(async () => (await leases()).some((l) => l.zone_id === 'z-riverbank' && l.owner !== fishingOwner), 'the fishing zone re-owned', 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    keptIngest.child.kill('SIGCONT');
    const taken = (await leases()).find((l) => l.zone_id === 'z-riverbank')!;
    expect(taken.taken_at.getTime() - killedAt.getTime()).toBeLessThanOrEqual(2 * LEASE_S * 1000);
    expect((await leases()).every((l) => l.owner !== fishingOwner)).toBe(true);

    // Every acknowledged reading stored, exactly once (the lost node's ingest takes its backlog through the other node).
    const stored = async (table: string, ids: string[]) =>
      (await pool.query<{ device_id: string; seq: string; n: number }>(`SELECT device_id, seq, count(*)::int AS n FROM ${table} WHERE device_id = ANY($1) GROUP BY 1, 2`, [ids])).rows;
    const expectStored = async (table: string, group: Device[]) => {
      const want = group.reduce((n, d) => n + (acked.get(d.id)?.length ?? 0), 0);
      await waitFor(async () => (await stored(table, group.map((d) => d.id))).length >= want || undefined, `${want} readings in ${table}`, 60_000);
      const rows = await stored(table, group.map((d) => d.id));
      expect(rows.filter((r) => r.n !== 1)).toEqual([]);
      for (const d of group) {
        const have = new Set(rows.filter((r) => r.device_id === d.id).map((r) => Number(r.seq)));
        expect((acked.get(d.id) ?? []).filter((s) => !have.has(s)), `${d.id}: acknowledged, not stored`).toEqual([]);
      }
    };
    await expectStored('track_observations', cameras);
    await expectStored('noise_readings', fleet.slice(2));

    // One alert per angler and per music episode, one case per zone and kind.
    const alerts = async (kind: string) => (await pool.query<{ id: string; device_id: string }>('SELECT id, device_id FROM alerts WHERE kind = $1', [kind])).rows;
    await waitFor(async () => (await alerts('fishing')).length >= 2 && (await alerts('noise')).length >= 2, 'the fishing and noise alerts', 90_000).catch(async (err: unknown) => {
      const state = await pool.query('SELECT kind, device_id FROM alerts');
      const commands = await pool.query('SELECT device_id, stage, alert_id FROM device_commands');
      const out = procs.filter((p) => p.name.startsWith('inference') || p.name === 'api').map((p) => `== ${p.name}\n${p.output.join('').slice(-4000)}`);
      throw new Error(`${(err as Error).message}: alerts ${JSON.stringify(state.rows)}, commands ${JSON.stringify(commands.rows)}\n${out.join('\n')}`);
    });
    // The surviving worker has replayed the zone and judged every reading it was sent.
    const settled = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM device_commands')).rows[0]!.n;
    let last = -1;
    await waitFor(async () => {
      const n = await settled();
      const same = n === last;
      last = n;
      if (!same) await new Promise((r) => setTimeout(r, 3000));
      return same;
    }, 'commands to settle', 60_000);
    for (const kind of ['fishing', 'noise']) {
      const rows = await alerts(kind);
      expect(rows.length, `${kind} alerts`).toBe(2);
      expect(new Set(rows.map((r) => r.device_id)).size).toBe(2);
      const cases = (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM cases c JOIN incidents i ON i.id = c.incident_id WHERE i.kind = $1', [kind])).rows[0]!.n;
      expect(cases, `${kind} cases`).toBe(1);
    }

    // Each loudspeaker step once per angler: warning and repeat, stored once, one command id each.
    for (const cam of cameras) {
      const steps = (await pool.query<{ id: string; stage: string; alert_id: string }>('SELECT id, stage, alert_id FROM device_commands WHERE device_id = $1 ORDER BY sent_at', [cam.id])).rows;
      expect(steps.map((s) => s.stage)).toEqual(['warning', 'repeat']);
      const ids = new Map<string, Set<unknown>>();
      for (const r of cam.received) {
        const key = `${String(r.alertId)}|${String(r.stage)}`;
        ids.set(key, (ids.get(key) ?? new Set()).add(r.commandId));
      }
      expect([...ids.values()].map((s) => s.size)).toEqual([...ids.keys()].map(() => 1));
      expect([...new Set(cam.received.map((r) => r.commandId))].sort()).toEqual(steps.map((s) => s.id).sort());
    }
  }, 240_000);
});
