import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, connectDevice, login, startTestPlatform, TEST_PASSWORD, type TestPlatform } from '../support/platform.js';
import { preloadsTimescale } from '../../core/db/migrate.js';

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform();
});
afterAll(async () => {
  await t?.stop();
});

describe('enforcement API', () => {
  it('logs in with the password and refuses a wrong one', async () => {
    const ok = await api<{ accessToken: string; user: { role: string; teamId: string } }>(t, null, 'POST', '/api/v1/auth/login', { username: 'east.li', password: TEST_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ role: 'officer', teamId: 't-east' });
    const me = await api(t, ok.body.accessToken, 'GET', '/api/v1/me');
    expect(me.body).toMatchObject({ username: 'east.li', role: 'officer' });
    for (const [username, password] of [['east.li', 'wrong-password'], ['nobody', TEST_PASSWORD]]) {
      const r = await api(t, null, 'POST', '/api/v1/auth/login', { username, password });
      expect(r).toMatchObject({ status: 401, body: { code: 'BAD_CREDENTIALS' } });
    }
  });

  it('requires a valid token', async () => {
    expect((await api(t, null, 'GET', '/api/v1/zones')).body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await api(t, 'not.a.token', 'GET', '/api/v1/cases')).status).toBe(401);
  });

  it('lists the seeded zones with their rules', async () => {
    const token = await login(t, 'east.li');
    const zones = await api<{ id: string; noiseClass: string; timezone: string; fishingBan: boolean; capacity: number }[]>(t, token, 'GET', '/api/v1/zones');
    expect(zones.body).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: 'z-park-square', noiseClass: '1', timezone: 'Asia/Shanghai', fishingBan: false }),
      expect.objectContaining({ id: 'z-riverbank', fishingBan: true, capacity: 150 }),
    ]));
  });

  it('lets only admins register devices, and the one-time secret works on the broker', async () => {
    const officer = await login(t, 'east.li');
    const body = { zoneId: 'z-riverbank', kind: 'camera', id: 'cam-test-1', hasSpeaker: true };
    expect((await api(t, officer, 'POST', '/api/v1/devices', body)).status).toBe(403);
    const admin = await login(t, 'admin');
    const created = await api<{ device: { id: string; zoneId: string }; secret: string; mqtt: { username: string; port: number } }>(t, admin, 'POST', '/api/v1/devices', body);
    expect(created.status).toBe(201);
    expect(created.body.device).toMatchObject({ id: 'cam-test-1', zoneId: 'z-riverbank' });
    expect(created.body.mqtt).toMatchObject({ username: 'cam-test-1', port: t.platform.broker!.port });
    expect((await api(t, admin, 'POST', '/api/v1/devices', body)).body).toMatchObject({ code: 'DEVICE_EXISTS' });
    const client = await connectDevice(t, 'cam-test-1', created.body.secret);
    await client.endAsync();
    const stored = await t.platform.db.pool.query<{ h: string }>('SELECT secret_hash AS h FROM devices WHERE id = $1', ['cam-test-1']);
    expect(stored.rows[0]!.h).not.toContain(created.body.secret);
  });

  it('reports health and readiness of the broker, database and models', async () => {
    expect((await api(t, null, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await api<{ ready: boolean; checks: Record<string, boolean> }>(t, null, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toMatchObject({ database: true, broker: true, models: true, inference: true, enforcement: true });
  });

  it('documents every route in OpenAPI', async () => {
    const doc = await api<{ paths: Record<string, unknown> }>(t, null, 'GET', '/docs/json');
    for (const p of ['/api/v1/auth/login', '/api/v1/zones', '/api/v1/devices', '/api/v1/cases', '/api/v1/cases/{id}', '/api/v1/stream', '/healthz', '/readyz']) {
      expect(doc.body.paths).toHaveProperty([p]);
    }
    const page = await fetch(`${t.http}/`);
    // The built web app: its shell, with the manifest that makes it installable.
    const html = await page.text();
    expect(html).toContain('<title>滨河公园综合执法</title>');
    expect(html).toContain('rel="manifest"');
    const metrics = await fetch(`${t.http}/metrics`, { headers: { authorization: `Bearer ${await login(t, 'ops')}` } });
    const text = await metrics.text();
    expect(text).toContain('ingest_readings_received_total');
    // The process's own metrics beside the platform's.
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('storage', () => {
  it('keeps readings in TimescaleDB hypertables, or native partitions where the extension is missing', async () => {
    const pool = t.platform.db.pool;
    const available = (await pool.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'`)).rowCount === 1;
    // A server loads it only when preloaded; installed but not preloaded means native partitions.
    const preloaded = t.platform.db.engine === 'embedded' || preloadsTimescale((await pool.query<{ s: string }>('SELECT current_setting($1) AS s', ['shared_preload_libraries'])).rows[0]?.s ?? '');
    expect(t.platform.db.timescale).toBe(available && preloaded);
    if (t.platform.db.engine === 'embedded') expect(t.platform.db.timescale).toBe(true);
    for (const table of ['noise_readings', 'people_counts', 'track_observations', 'smoke_readings', 'device_status']) {
      if (t.platform.db.timescale) {
        const r = await pool.query(`SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = $1`, [table]);
        expect(r.rowCount, table).toBe(1);
      } else {
        const r = await pool.query<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE relname = $1`, [table]);
        expect(r.rows[0]?.relkind, table).toBe('p');
      }
    }
  });
});
