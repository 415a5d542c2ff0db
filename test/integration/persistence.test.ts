import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { startPlatform } from '../../platform.js';
import { localTime, noiseRun } from '../../simulator/scenarios.js';
import { connectDevice, count, publishAll, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * The embedded database keeps everything in DATA_DIR across restarts, and a reopened database still
 * takes hypertable inserts (the TimescaleDB libraries must be loaded again on reopen).
 */
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<TestPlatform> {
  const config = loadConfig({ MQTT_PORT: '0', MQTT_HOST: '127.0.0.1', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', SIMULATOR: 'off', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const platform = await startPlatform(config, createLogger('silent'));
  return { platform, http: `http://127.0.0.1:${platform.api?.port}`, mqttUrl: platform.mqttUrl, stop: () => platform.stop() };
}

async function send(t: TestPlatform, id: string, secret: string, seqStart: number, n: number) {
  const client = await connectDevice(t, id, secret);
  await publishAll(client, noiseRun({ deviceId: id, start: localTime('Asia/Shanghai', 12, 0 + seqStart / 100), seconds: n, source: 'background', laeq: 45, seed: seqStart, seqStart }));
  await client.endAsync();
}

describe('embedded database across restarts', () => {
  it('keeps the registry, the generated password and the readings, and keeps ingesting', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-persist-'));
    dirs.push(dataDir);
    const first = await start(dataDir);
    expect(first.platform.adminPassword.source).toBe('generated');
    const password = first.platform.adminPassword.value;
    const { device, secret } = await first.platform.devices.create({ zoneId: 'z-park-square', kind: 'sound_level_meter' });
    await send(first, device.id, secret, 100, 20);
    await waitFor(async () => (await count(first, 'SELECT 1 FROM noise_readings')) === 20 || undefined, 'first readings');
    await first.stop();

    const second = await start(dataDir);
    try {
      expect(second.platform.db.timescale).toBe(true);
      expect(second.platform.adminPassword).toEqual({ value: password, source: 'file' });
      expect(await second.platform.devices.get(device.id)).toMatchObject({ id: device.id, zoneId: 'z-park-square' });
      expect(await count(second, 'SELECT 1 FROM noise_readings')).toBe(20);
      await send(second, device.id, secret, 200, 20);
      await waitFor(async () => (await count(second, 'SELECT 1 FROM noise_readings')) === 40 || undefined, 'readings after the restart');
      // Every row went through TimescaleDB into a chunk; none sits in the hypertable's root table.
      expect(await count(second, 'SELECT 1 FROM ONLY noise_readings')).toBe(0);
      expect(await second.platform.metrics.value('ingest_batch_failures_total')).toBe(0);
      expect(await count(second, `SELECT 1 FROM timescaledb_information.chunks WHERE hypertable_name = 'noise_readings'`)).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  });
});

describe('embedded database reopened by a new process', () => {
  it('routes inserts into TimescaleDB chunks after a restart, not into the root table', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-reopen-'));
    dirs.push(dataDir);
    const run = async (seq: number) => {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/support/reopen-insert.ts', dataDir, String(seq)]);
      return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { timescale: boolean; inserted: number; total: number; inRootTable: number };
    };
    expect(await run(1)).toEqual({ timescale: true, inserted: 10, total: 10, inRootTable: 0 });
    expect(await run(100)).toEqual({ timescale: true, inserted: 10, total: 20, inRootTable: 0 });
  });
});
