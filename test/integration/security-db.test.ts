import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { noiseRun } from '../../simulator/scenarios.js';
import { api, connectDevice, count, login, provision, startTestPlatform, waitFor, type Provisioned, type TestPlatform } from '../support/platform.js';

/**
 * Attacks on the database through the platform's edges: text PostgreSQL cannot store, a connection
 * replaced under ingest, a wedged engine, and (embedded) anyone on the machine reaching the engine.
 */
let t: TestPlatform;
let officer: string;
let device: Provisioned & { client: MqttClient };
let seq = 1;

const stored = () => count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [device.id]);

async function publishReadings(n: number): Promise<void> {
  const run = noiseRun({ deviceId: device.id, start: new Date(Date.now() - 600_000 + seq * 1000), seconds: n, source: 'background', laeq: 45, seed: seq, seqStart: seq });
  seq += n;
  for (const m of run) await device.client.publishAsync(m.topic, m.payload, { qos: 1 });
}

/** TCP ports this process listens on (Linux /proc: listening sockets whose inode is one of our fds). */
function listeningTcpPorts(): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // the fd closed while listing
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' /* LISTEN */ && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort();
}

beforeAll(async () => {
  t = await startTestPlatform();
  const admin = await login(t, 'admin');
  officer = await login(t, 'east.li');
  const d = await provision(t, admin, 'z-park-square');
  device = { ...d, client: await connectDevice(t, d.id, d.secret) };
});

afterAll(async () => {
  await device?.client.endAsync(true);
  await t?.stop();
});

describe('the database behind the edges', () => {
  it('refuses NUL and unpaired surrogates with 400, never 500', async () => {
    const raw = (method: string, url: string, body?: string) =>
      fetch(`${t.http}${url}`, { method, headers: { authorization: `Bearer ${officer}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body }).then((r) => r.status);
    expect(await raw('GET', '/api/v1/cases/c%00x')).toBe(400);
    expect(await raw('GET', `/api/v1/devices/${device.id}%00/readings?stream=noise`)).toBe(400);
    expect(await raw('GET', '/api/v1/cases?state=reported%00')).toBe(400);
    expect(await raw('POST', '/api/v1/auth/login', '{"username":"east.li\\u0000","password":"x"}')).toBe(400);
    expect(await raw('POST', '/api/v1/auth/login', '{"username":"\\ud800","password":"x"}')).toBe(400);
    expect(await raw('POST', '/api/v1/auth/login', '{"username":"\\u0000"}')).toBe(400);
  });

  it('keeps storing readings after the pool replaces its connection (no prepared statement clash)', async () => {
    await publishReadings(10);
    await waitFor(async () => (await stored()) === 10 || undefined, 'the first readings');
    // What an idle timeout or a failed query does: the pool's connection is dropped and replaced.
    for (let i = 0; i < 3; i++) {
      const c = await t.platform.db.pool.connect();
      c.release(true);
      await publishReadings(10);
      await waitFor(async () => (await stored()) === 20 + i * 10 || undefined, `readings after connection replacement ${i + 1}`);
    }
    expect(await t.platform.metrics.value('ingest_spool_depth')).toBe(0);
  });

  it('answers /readyz with 503 while the database is wedged, and 200 again after', async () => {
    const pool = t.platform.db.pool;
    const held: pg.PoolClient[] = [];
    for (let i = 0; i < (pool.options.max ?? 10); i++) held.push(await pool.connect());
    try {
      const r = await fetch(`${t.http}/readyz`, { signal: AbortSignal.timeout(15_000) });
      expect(r.status).toBe(503);
      expect(((await r.json()) as { checks: { database: boolean } }).checks.database).toBe(false);
    } finally {
      for (const c of held) c.release();
    }
    await waitFor(async () => (await fetch(`${t.http}/readyz`)).status === 200, 'ready again');
  });

  it('listens on TCP only for MQTT and HTTP: the embedded engine is not reachable over the network', () => {
    expect(listeningTcpPorts()).toEqual([t.platform.broker!.port, t.platform.api!.port].sort());
  });

  it('still answers ordinary queries after refused input', async () => {
    expect((await api(t, officer, 'GET', '/api/v1/cases')).status).toBe(200);
  });
});
