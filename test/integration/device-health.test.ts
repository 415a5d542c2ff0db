import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, connectDevice, login, provision, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

interface Listed {
  id: string;
  battery: number | null;
  signal: number | null;
  statusAt: string | null;
  lastSeenAt: string | null;
  silent: boolean;
  lowBattery: boolean;
}

/** The operators' device list carries each device's health: newest status, silent, low battery. */
describe('device list health', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform({ SERVICES: 'broker,ingest,api', DEVICE_SILENT_S: '600', DEVICE_LOW_BATTERY_PCT: '20' });
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
  });

  it('shows battery and signal from the newest status reading and flags low battery and silent devices', async () => {
    const admin = await login(t, 'admin');
    const talking = await provision(t, admin, 'z-park-square');
    const quiet = await provision(t, admin, 'z-park-square');
    const fresh = await provision(t, admin, 'z-park-square');
    const client = await connectDevice(t, talking.id, talking.secret);
    const at = Date.now();
    try {
      await client.publishAsync(`v1/devices/${talking.id}/telemetry/status`, JSON.stringify({ ts: at - 1000, seq: 1, battery: 64, signal: -70 }), { qos: 1 });
      await client.publishAsync(`v1/devices/${talking.id}/telemetry/status`, JSON.stringify({ ts: at, seq: 2, battery: 12, signal: -95 }), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    // The quiet one was registered and last heard from two hours ago.
    await t.platform.db.pool.query(`UPDATE devices SET created_at = now() - interval '3 hours', last_seen_at = now() - interval '2 hours' WHERE id = $1`, [quiet.id]);

    const ops = await login(t, 'ops');
    const list = async () => (await api<Listed[]>(t, ops, 'GET', '/api/v1/devices')).body;
    const byId = await waitFor(async () => {
      const m = new Map((await list()).map((d) => [d.id, d]));
      return m.get(talking.id)?.battery === 12 && m.get(talking.id)?.lastSeenAt ? m : undefined;
    }, 'the newest status in the list', 30_000);
    expect(byId.get(talking.id)).toMatchObject({ battery: 12, signal: -95, statusAt: new Date(at).toISOString(), silent: false, lowBattery: true });
    expect(byId.get(quiet.id)).toMatchObject({ battery: null, signal: null, statusAt: null, silent: true, lowBattery: false });
    // Registered a moment ago and not heard from yet: not silent until DEVICE_SILENT_S has passed.
    expect(byId.get(fresh.id)).toMatchObject({ battery: null, silent: false, lowBattery: false });
  });
});
