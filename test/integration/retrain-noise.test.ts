import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { localTime, noiseRun } from '../../simulator/scenarios.js';
import { modelDirs } from '../../platform.js';
import { retrain } from '../../inference/train/retrain.js';
import { spectraWindows } from '../../inference/train/recipes-noise.js';
import { readModelCard } from '../../inference/onnx-model.js';
import { NOISE_WINDOW_FEATURE_COUNT } from '../../inference/features/noise.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';

/**
 * The learning loop end to end on the noise model: loud music at night raises alerts whose readings
 * are kept with them, officers confirm one and dismiss another as a false alarm, the retrain entry
 * point turns the verdicts (their stored windows) plus a small fresh draw of the spectra generator into
 * the next version, registers it and rolls it out in shadow; the worker scores it on new music beside
 * the active version and the API compares the two.
 */
const TZ = 'Asia/Shanghai';
let t: TestPlatform;
let admin: string;
let client: MqttClient;
let meterId: string;

beforeAll(async () => {
  t = await startTestPlatform({ MODEL_SCAN_S: '1' });
  admin = await login(t, 'admin');
  const d = await provision(t, admin, 'z-park-square');
  meterId = d.id;
  client = await connectDevice(t, d.id, d.secret);
});
afterAll(async () => {
  await client?.endAsync();
  await t?.stop();
});

const scored = () => t.platform.metrics.value('inference_readings_total', { stream: 'noise' });
const noiseAlerts = () => count(t, 'SELECT 1 FROM alerts WHERE kind = $1 AND device_id = $2', ['noise', meterId]);

/** Publishes `seconds` of music at night and waits until the worker has scored every reading. */
async function music(hour: number, minute: number, seed: number, seqStart: number, seconds = 90): Promise<void> {
  const before = await scored();
  const run = noiseRun({ deviceId: meterId, start: localTime(TZ, hour, minute), seconds, source: 'music', laeq: 64, seed, seqStart });
  await publishAll(client, run);
  await waitFor(async () => (await scored()) >= before + run.length || undefined, `${seconds} s of music to be scored`, 120_000);
}

describe('learning from the officers (noise)', () => {
  it('turns verdicts on music alerts into a shadow noise model compared with the active one', async () => {
    // Three music episodes at night, far enough apart to be separate alerts.
    for (const [i, seed] of [41, 42, 43].entries()) await music(22, 10 + 20 * i, seed, 1 + i * 1000);
    await waitFor(async () => ((await noiseAlerts()) >= 3 ? true : undefined), 'three noise alerts to be stored');
    const alerts = await t.platform.db.pool.query<{ id: string; evidence: { window: { frames: unknown[] } } }>(
      'SELECT id, evidence FROM alerts WHERE device_id = $1 ORDER BY started_at',
      [meterId],
    );
    const judged = alerts.rows.length;
    expect(alerts.rows.every((a) => a.evidence.window.frames.length > 0)).toBe(true);
    for (const [i, a] of alerts.rows.entries()) {
      const body = i % 2 === 0 ? { verdict: 'confirmed' } : { verdict: 'false_alarm', reason: 'a street festival with a permit' };
      expect((await api(t, admin, 'POST', `/api/v1/alerts/${a.id}/verdict`, body)).status).toBe(200);
    }

    const dirs = modelDirs(t.platform.config);
    const logged: string[] = [];
    const r = await retrain({
      pool: t.platform.db.pool,
      model: 'noise-window',
      modelDirs: dirs,
      outDir: dirs[1] as string,
      epochs: 25,
      generatorSamples: 10_000,
      officerWeight: 5,
      hidden: 24,
      seed: 1,
      // The newest example held out: the same training set in every run (alert ids follow the random device id).
      holdOut: (id) => id === alerts.rows[alerts.rows.length - 1]?.id,
      // A small fresh draw of the spectra generator (the recipe's full sets take minutes to build).
      generators: { train: spectraWindows(101, 40, 4), heldOut: spectraWindows(202, 10, 8), description: 'simulator/spectra.ts streams, seeds 101 (40 per class) and 202 (10 per class)' },
      rollout: async (name, rollout) => {
        const res = await api(t, admin, 'PUT', `/api/v1/models/${name}/rollout`, rollout);
        if (res.status !== 200) throw new Error(`rollout refused: ${JSON.stringify(res.body)}`);
      },
      log: (m) => logged.push(m),
    });
    expect(r.version).not.toBe(r.previous);
    expect(r.officers).toMatchObject({ confirmed: Math.ceil(judged / 2), falseAlarms: Math.floor(judged / 2) });
    expect(r.officers.train + r.officers.heldOut).toBe(judged);
    const card = await readModelCard(path.join(r.dir, 'noise-window.card.json'));
    expect(card.version).toBe(r.version);
    expect(card.inputs[0]?.shape).toEqual(['N', NOISE_WINDOW_FEATURE_COUNT]);
    expect(card.retraining?.previousVersion).toBe(r.previous);
    expect(card.retraining?.comparison.previous.samples).toBe(card.retraining?.comparison.next.samples);
    expect(card.retraining?.comparison.next).toEqual(card.metrics.heldOut);
    // The small model learned: music on the generator's held-out windows is found.
    expect(card.metrics.heldOut.perClass.music?.recall).toBeGreaterThan(0.8);
    expect(JSON.parse(await readFile(path.join(r.dir, 'noise-window.card.json'), 'utf8'))).toEqual(card);

    const listed = await api<{ name: string; version: string }[]>(t, admin, 'GET', '/api/v1/models');
    expect(listed.body.filter((m) => m.name === 'noise-window').map((m) => m.version).sort()).toEqual([r.previous, r.version].sort());
    await waitFor(() => t.platform.inference!.models()['noise-window']?.shadow === r.version || undefined, 'the shadow version to load');
    expect(t.platform.inference!.models()['noise-window']?.active).toBe(r.previous);

    // New music: the active version alerts, the shadow version is scored on the same readings and recorded.
    await music(23, 30, 44, 10_000);
    await waitFor(async () => ((await noiseAlerts()) > judged ? true : undefined), 'a new noise alert');
    await waitFor(async () => (await count(t, 'SELECT 1 FROM shadow_alerts WHERE kind = $1 AND device_id = $2', ['noise', meterId])) >= 1 || undefined, 'the shadow result');
    const shadow = await t.platform.db.pool.query<{ model_version: string }>('SELECT DISTINCT model_version FROM shadow_alerts WHERE device_id = $1', [meterId]);
    expect(shadow.rows.map((x) => x.model_version)).toEqual([`noise-window@${r.version}`]);

    const cmp = await api<{ shadowVersion: string; activeVersions: string[]; shadowAlerts: number; both: number }[]>(t, admin, 'GET', '/api/v1/models/noise-window/shadow');
    expect(cmp.status).toBe(200);
    expect(cmp.body).toHaveLength(1);
    expect(cmp.body[0]).toMatchObject({ shadowVersion: r.version, activeVersions: [r.previous] });
    expect(cmp.body[0]!.shadowAlerts).toBeGreaterThanOrEqual(1);
    expect(cmp.body[0]!.both).toBeGreaterThanOrEqual(1);
  }, 240_000);
});
