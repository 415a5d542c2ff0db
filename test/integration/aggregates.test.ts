import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { energeticMean } from '../../core/domain/decibel.js';
import { localTime } from '../../simulator/scenarios.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * Aggregates through the API, with expectations computed here from the raw values. CI runs this file
 * on embedded TimescaleDB (continuous aggregates) and on plain PostgreSQL (rollup tables), so both
 * engines are proven to give the same figures.
 */
let t: TestPlatform;
let admin: string;
const clients: MqttClient[] = [];
const start = localTime('Asia/Shanghai', 23, 0); // 23:00 local: night, class-1 limit 45 dB(A)
const bands = Array(31).fill(30);
const a = { id: '', levels: [] as number[] };
const b = { id: '', levels: [] as number[] };
let counter = '';
const counts = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];

async function device(zoneId: string, kind = 'sound_level_meter') {
  const d = await provision(t, admin, zoneId, { kind });
  const c = await connectDevice(t, d.id, d.secret);
  clients.push(c);
  return { id: d.id, client: c };
}

const noise = (id: string, i: number, laeq: number) => ({
  topic: `v1/devices/${id}/telemetry/noise`,
  payload: JSON.stringify({ ts: new Date(start.getTime() + i * 1000).toISOString(), seq: i + 1, laeq, lamax: laeq + (i % 7), bands }),
});

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'maintenance,broker,ingest,api' });
  admin = await login(t, 'admin');
  const da = await device('z-park-square');
  const db = await device('z-park-square');
  const dc = await device('z-park-square', 'people_counter');
  a.id = da.id;
  b.id = db.id;
  counter = dc.id;
  a.levels = Array.from({ length: 180 }, (_, i) => (i % 2 ? 70 : 50)); // three minutes
  b.levels = Array.from({ length: 120 }, (_, i) => 55 + (i % 5)); // two minutes
  await publishAll(da.client, a.levels.map((l, i) => noise(a.id, i, l)));
  await publishAll(db.client, b.levels.map((l, i) => noise(b.id, i, l)));
  // A people count every 50 s for 10 minutes: 0 s … 550 s.
  await publishAll(dc.client, counts.map((n, i) => ({ topic: `v1/devices/${counter}/telemetry/people`, payload: JSON.stringify({ ts: new Date(start.getTime() + i * 50_000).toISOString(), seq: i + 1, count: n }) })));
  await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings')) === 300 || undefined, 'noise readings stored');
  await waitFor(async () => (await count(t, 'SELECT 1 FROM people_counts')) === counts.length || undefined, 'people counts stored');
  await t.platform.maintenance!.refresh(new Date(start.getTime() - 3600_000), new Date(start.getTime() + 3 * 3600_000));
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync()));
  await t?.stop();
});

const q = (device: string, query: string) =>
  api<{ rows: Record<string, number | string>[]; nextCursor: string | null }>(t, admin, 'GET', `/api/v1/devices/${device}/readings?${query}&from=${new Date(start.getTime() - 3600_000).toISOString()}&to=${new Date(start.getTime() + 3 * 3600_000).toISOString()}`);

describe('aggregates', () => {
  it('per-minute noise: energetic LAeq, max LAmax and sample count per device', async () => {
    const r = await q(a.id, 'stream=noise&bucket=1m');
    expect(r.status).toBe(200);
    expect(r.body.rows).toHaveLength(3);
    for (const [m, row] of r.body.rows.entries()) {
      const minute = a.levels.slice(m * 60, m * 60 + 60);
      expect(row.ts).toBe(new Date(start.getTime() + m * 60_000).toISOString());
      expect(row.laeq).toBeCloseTo(energeticMean(minute), 1); // 67.03, not the arithmetic 60
      expect(row.samples).toBe(60);
      expect(row.lamax).toBe(Math.max(...minute.map((l, i) => l + ((m * 60 + i) % 7))));
    }
  });

  it('per-hour noise rolls the minutes up energetically', async () => {
    const r = await q(a.id, 'stream=noise&bucket=1h');
    expect(r.body.rows).toHaveLength(1);
    expect(r.body.rows[0]!.laeq).toBeCloseTo(energeticMean(a.levels), 1);
    expect(r.body.rows[0]!.samples).toBe(180);
  });

  it('hourly noise per zone carries the local day/night period, its limit and the exceedance', async () => {
    const r = await api<{ ts: string; period: string; laeq: number; limit: number; exceeded: boolean; devices: number; samples: number }[]>(
      t, admin, 'GET', `/api/v1/zones/z-park-square/noise/hourly?from=${new Date(start.getTime() - 3600_000).toISOString()}&to=${new Date(start.getTime() + 3600_000).toISOString()}`,
    );
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(1);
    expect(r.body[0]).toMatchObject({ period: 'night', limit: 45, exceeded: true, devices: 2, samples: 300 });
    expect(r.body[0]!.laeq).toBeCloseTo(energeticMean([...a.levels, ...b.levels]), 1);
  });

  it('per-5-minute people counts: max and mean per bucket', async () => {
    const r = await q(counter, 'stream=people&bucket=5m');
    const firstBucket = counts.slice(0, 6); // 0–250 s
    const secondBucket = counts.slice(6); // 300–550 s
    expect(r.body.rows.map((x) => [x.maxCount, x.meanCount, x.samples])).toEqual([
      [Math.max(...firstBucket), firstBucket.reduce((s, n) => s + n, 0) / 6, 6],
      [Math.max(...secondBucket), secondBucket.reduce((s, n) => s + n, 0) / 6, 6],
    ]);
  });

  it('pages raw readings with a cursor, without gaps or repeats', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const r: Awaited<ReturnType<typeof q>> = await q(a.id, `stream=noise&limit=50${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...r.body.rows.map((x) => Number(x.seq)));
      cursor = r.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(a.levels.map((_, i) => i + 1));
  });

  it('scopes readings by role and refuses what a stream does not offer', async () => {
    expect((await api(t, await login(t, 'east.li'), 'GET', `/api/v1/devices/${a.id}/readings?stream=noise`)).status).toBe(200);
    expect((await api(t, await login(t, 'fish.liu'), 'GET', `/api/v1/devices/${a.id}/readings?stream=noise`)).status).toBe(200);
    expect((await api(t, await login(t, 'river.zhao'), 'GET', `/api/v1/devices/${a.id}/readings?stream=noise`)).body).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect((await q(counter, 'stream=people&bucket=1m')).body).toMatchObject({ code: 'BUCKET_NOT_AVAILABLE' });
    expect((await q(a.id, 'stream=noise&cursor=bm9wZQ')).body).toMatchObject({ code: 'BAD_CURSOR' });
  });
});
