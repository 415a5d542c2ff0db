import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { MODELS_DIR } from '../../platform.js';
import { crowdRun, localTime, noiseRun, trackRun } from '../../simulator/scenarios.js';
import { render } from '../../dashboards/build.js';
import { READER_ROLE } from '../../dashboards/schema.js';
import { ZoneRuleRepository } from '../../core/repos/zone-rules.js';
import { ZoneRepository } from '../../enforcement-api/zones.js';
import { Rng } from '../../core/rng.js';
import type { NoiseZoneClass } from '../../core/domain/noise-limits.js';
import type { DayType } from '../../core/domain/zone-rules.js';
import { api, connectDevice, count, login, provision, publishAll, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { confirmPresence, decideNoiseCase, openCase, PARTY_ID } from '../support/cases.js';
import { expand, type GrafanaRequest, type GrafanaVariable } from '../support/grafana.js';

/**
 * Every PostgreSQL query of every generated dashboard, run the way Grafana runs it — macros and
 * variables expanded as Grafana expands them, connected as the read-only role — against a database
 * the simulator's scenarios filled through the real broker, ingest, inference and case intake. CI runs
 * this file on the embedded engine (TimescaleDB: continuous aggregates, `time_bucket` grouping) and
 * on plain PostgreSQL (rollup tables, `floor(extract(epoch …))` grouping).
 *
 * On a server the queries run over a real login as `grafana_reader`; the embedded engine serves one
 * backend to every connection, so there they run in a transaction after `SET LOCAL ROLE`.
 */
const TZ = 'Asia/Shanghai';
let t: TestPlatform;
let admin: string;
const clients: MqttClient[] = [];
let reader: pg.Client | undefined;
const tokens: Record<string, string> = {};
const sql = (text: string, params: unknown[] = []) => t.platform.db.pool.query(text, params);

async function device(zoneId: string, kind: string, extra: Record<string, unknown> = {}) {
  const d = await provision(t, admin, zoneId, { kind, ...extra });
  const client = await connectDevice(t, d.id, d.secret);
  clients.push(client);
  return { id: d.id, client };
}

/** Runs one statement as the read-only role. */
async function asReader(text: string): Promise<pg.QueryResult> {
  if (reader) return reader.query(text);
  const c = await t.platform.db.pool.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SET LOCAL ROLE ${READER_ROLE}`);
    return await c.query(text);
  } finally {
    await c.query('ROLLBACK').catch(() => undefined);
    c.release();
  }
}

async function ok(user: string, caseId: string, body: Record<string, unknown>) {
  const r = await api(t, tokens[user]!, 'POST', `/api/v1/cases/${caseId}/transitions`, body);
  expect(r.status, `${user} ${String(body.event)}: ${JSON.stringify(r.body)}`).toBe(200);
}
const ARRIVE = { event: 'arrive', location: { lat: 32.0405, lon: 118.7805 } };
const discoveredBefore = (caseId: string, minutes: number) =>
  sql(`UPDATE alerts a SET detected_at = coalesce(c.disposed_at, c.closed_at) - make_interval(mins => $2) FROM cases c
       WHERE c.incident_id = a.incident_id AND c.id = $1`, [caseId, minutes]);

let decisions = 0;
async function noiseDecided(minutes: number, tier: string, fineYuan: number) {
  const id = await openCase(t, 'noise');
  await decideNoiseCase(t, ok, tokens['east.li']!, id, { tier, fineYuan, decisionNo: `东执罚决字〔2026〕第${++decisions}号` });
  await discoveredBefore(id, minutes);
}

beforeAll(async () => {
  t = await startTestPlatform({ SPEAKER_COOLDOWN_S: '120', SPEAKER_EFFECT_WINDOW_S: '120', MODEL_SCAN_S: '1' });
  admin = await login(t, 'admin');
  for (const u of ['east.li', 'east.lead', 'east.review', 'fish.liu']) tokens[u] = await login(t, u);

  // A field-trained copy of the noise model runs in shadow beside the active one.
  const card = JSON.parse(await readFile(path.join(MODELS_DIR, 'noise-window.card.json'), 'utf8')) as { version: string; file: string };
  const dir = path.join(t.platform.config.database.dataDir, 'models', 'noise-window-field');
  await mkdir(dir, { recursive: true });
  await cp(path.join(MODELS_DIR, card.file), path.join(dir, card.file));
  await writeFile(path.join(dir, 'noise-window.card.json'), JSON.stringify({ ...card, version: '2.0.1-field' }));
  // Inference registers the versions it finds; the API rolls out registered versions only.
  await waitFor(async () => (await api<{ version: string }[]>(t, admin, 'GET', '/api/v1/models')).body.some((m) => m.version === '2.0.1-field') || undefined, 'the new version to be registered');
  expect((await api(t, admin, 'PUT', '/api/v1/models/noise-window/rollout', { active: card.version, shadow: '2.0.1-field' })).status).toBe(200);
  await waitFor(() => t.platform.inference!.models()['noise-window']?.shadow === '2.0.1-field' || undefined, 'the shadow version to load');

  const slm = await device('z-park-square', 'sound_level_meter', { placement: { lon: 118.7808, lat: 32.0407 } });
  const counter = await device('z-riverbank', 'people_counter', { placement: { lon: 118.7521, lat: 32.0615 } });
  const cam = await device('z-riverbank', 'camera', { hasSpeaker: true, placement: { lon: 118.752, lat: 32.062 } });
  // The camera acknowledges every loudspeaker command, as a real one does.
  cam.client.on('message', (topic, payload) => {
    const body = JSON.parse(payload.toString()) as { commandId: string };
    void cam.client.publishAsync(`${topic}/ack`, JSON.stringify({ commandId: body.commandId, played: true }), { qos: 1 });
  });
  await cam.client.subscribeAsync(`v1/devices/${cam.id}/commands/+`, { qos: 1 });

  // The simulator's scenarios of the previous local day: an evening of ambience then amplified music
  // after 22:00 in the park, an angler on the riverbank, a hot Sunday crowd building up.
  const noise = [
    ...noiseRun({ deviceId: slm.id, start: localTime(TZ, 21, 50), seconds: 600, source: 'background', laeq: 48, seed: 5, seqStart: 1 }),
    ...noiseRun({ deviceId: slm.id, start: localTime(TZ, 22, 30), seconds: 150, source: 'music', laeq: 63, seed: 1, seqStart: 1000 }),
  ];
  // …and the meter still reporting now, for the live levels.
  const live = noiseRun({ deviceId: slm.id, start: new Date(Date.now() - 90_000), seconds: 60, source: 'background', laeq: 47, seed: 6, seqStart: 5000 });
  const tracks = trackRun({ deviceId: cam.id, trackId: 'trk-angler', role: 'angler', start: localTime(TZ, 10, 0), seconds: 1500, stepS: 10, seed: 3, seqStart: 1 }); // one continuous track
  const crowd = crowdRun({ deviceId: counter.id, kind: 'hot_sunday', capacity: 150, start: localTime(TZ, 12, 0), startLocalHour: 12, minutes: 300, seed: 3, seqStart: 1 });
  await publishAll(slm.client, [...noise, ...live]);
  await publishAll(cam.client, tracks);
  await publishAll(counter.client, crowd);
  // One unreadable message: a reject with its reason.
  await slm.client.publishAsync(`v1/devices/${slm.id}/telemetry/noise`, '{"ts": "yesterday", "seq": -1}', { qos: 1 });

  await waitFor(async () => (await count(t, 'SELECT 1 FROM noise_readings WHERE device_id = $1', [slm.id])) === noise.length + live.length || undefined, 'noise stored');
  await waitFor(async () => (await count(t, 'SELECT 1 FROM people_counts')) === crowd.length || undefined, 'people counts stored');
  await waitFor(async () => (await count(t, 'SELECT 1 FROM dead_letters')) >= 1 || undefined, 'the reject kept');
  for (const kind of ['noise', 'fishing', 'crowding']) {
    await waitFor(async () => (await count(t, 'SELECT 1 FROM alerts WHERE kind = $1 AND incident_id IS NOT NULL', [kind])) >= 1 || undefined, `a ${kind} alert`, 60_000);
  }
  await waitFor(async () => (await count(t, 'SELECT 1 FROM shadow_alerts')) >= 1 || undefined, 'the shadow result');
  await waitFor(async () => (await count(t, 'SELECT 1 FROM device_commands WHERE effect IS NOT NULL')) >= 1 || undefined, 'a warning\'s measured effect');

  // Officers' verdicts: the music confirmed, the crowding alert dismissed as a false alarm.
  const alertOf = async (kind: string) => (await sql('SELECT id FROM alerts WHERE kind = $1 ORDER BY detected_at LIMIT 1', [kind])).rows[0].id as string;
  expect((await api(t, admin, 'POST', `/api/v1/alerts/${await alertOf('noise')}/verdict`, { verdict: 'confirmed' })).status).toBe(200);
  expect((await api(t, admin, 'POST', `/api/v1/alerts/${await alertOf('crowding')}/verdict`, { verdict: 'false_alarm', reason: 'a school group with teachers' })).status).toBe(200);

  // Cases through the real transitions: decided after legal review, resolved on site, one overdue.
  await noiseDecided(30, 'normal', 500);
  await noiseDecided(45, 'normal', 650);
  await noiseDecided(80, 'mitigated', 300);
  const resolved = await openCase(t, 'noise');
  await ok('east.li', resolved, { event: 'accept' });
  await ok('east.li', resolved, { ...ARRIVE, secondOfficerId: 'u-east-lead' });
  expect((await confirmPresence(t, tokens['east.lead']!, resolved)).status).toBe(201);
  await ok('east.li', resolved, { event: 'resolve_on_site', outcome: 'warning_issued', summary: 'speaker turned down after a warning', partyId: PARTY_ID });
  await discoveredBefore(resolved, 20);
  // A test cannot wait an hour for an SLA to pass: one open case's arrival deadline is moved into the past.
  const overdue = await openCase(t, 'noise');
  await sql(`UPDATE case_deadlines SET due_at = now() - interval '1 minute' WHERE case_id = $1 AND name = 'on_site'`, [overdue]);

  await t.platform.maintenance!.refresh(new Date(Date.now() - 9 * 86_400_000), new Date(Date.now() + 3_600_000));
  if (t.platform.db.engine === 'server') {
    const u = new URL(process.env.DATABASE_URL!);
    u.pathname = new URL(t.platform.config.database.url!).pathname;
    u.username = READER_ROLE;
    u.password = '';
    reader = new pg.Client({ connectionString: u.toString() });
    await reader.connect();
  }
}, 300_000);

afterAll(async () => {
  await reader?.end();
  await Promise.all(clients.map((c) => c.endAsync()));
  await t?.stop();
});

interface Target {
  refId: string;
  datasource?: { uid?: string };
  rawSql?: string;
  format?: string;
  expr?: string;
}
interface Panel {
  id?: number;
  type: string;
  title: string;
  targets?: Target[];
}
type Board = Omit<dashboard.Dashboard, 'panels'> & { panels: Panel[] };
/** Each board's panels, with its SQL annotation queries as one more table-shaped "panel". */
const boards = () =>
  [...render()].map(([file, text]) => {
    const board = JSON.parse(text) as Board;
    const annotations = (board.annotations?.list ?? []).filter((a) => a.target).map((a) => ({ type: 'annotations', title: `annotation ${a.name}`, targets: [a.target as unknown as Target] }));
    return { file, board: { ...board, panels: [...board.panels, ...annotations] } };
  });
const sqlTargets = () =>
  boards().flatMap(({ file, board }) => board.panels.flatMap((p) => (p.targets ?? []).filter((q) => q.datasource?.uid === 'riverside-pg').map((q) => ({ file, panel: p, q }))));

const NUMERIC = new Set([20, 21, 23, 700, 701, 1700]);
const TIME = new Set([1082, 1114, 1184]);

/** Resolves the dashboard's variables in order, each query expanded with the ones before it. */
async function variables(board: Board, base: Omit<GrafanaRequest, 'variables'>, pick: Record<string, string[]> = {}) {
  const vars: Record<string, GrafanaVariable> = {};
  for (const v of board.templating?.list ?? []) {
    const query = typeof v.query === 'string' ? v.query : '';
    const r = await asReader(expand(query, { ...base, variables: vars }));
    const options = r.rows.map((row: Record<string, unknown>) => String(row.__value));
    vars[v.name] = { multi: v.multi ?? false, includeAll: v.includeAll ?? false, options, selected: pick[v.name] ?? 'all' };
  }
  return vars;
}

function checkShape(panel: Panel, q: Target, r: pg.QueryResult) {
  const where = `${panel.title} (${q.refId})`;
  const names = r.fields.map((f) => f.name);
  expect(r.rows.length, `${where}: rows`).toBeGreaterThan(0);
  if (q.format === 'time_series') {
    const time = r.fields.find((f) => f.name === 'time');
    expect(time, `${where}: a time column`).toBeDefined();
    expect(TIME.has(time!.dataTypeID) || NUMERIC.has(time!.dataTypeID), `${where}: time is a timestamp or epoch`).toBe(true);
    const values = r.fields.filter((f) => f.name !== 'time' && f.name !== 'metric');
    expect(values.length, `${where}: value columns`).toBeGreaterThan(0);
    for (const f of values) expect(NUMERIC.has(f.dataTypeID), `${where}: ${f.name} numeric`).toBe(true);
    const times = r.rows.map((row: Record<string, unknown>) => Number(row.time instanceof Date ? row.time.getTime() : row.time));
    expect(times, `${where}: sorted by time`).toEqual([...times].sort((a, b) => a - b));
    return;
  }
  if (panel.type === 'stat') {
    expect(r.rows, `${where}: one row`).toHaveLength(1);
    for (const f of r.fields) expect(NUMERIC.has(f.dataTypeID), `${where}: ${f.name} numeric`).toBe(true);
  }
  if (panel.type === 'annotations') {
    expect(names, `${where}: annotation columns`).toEqual(expect.arrayContaining(['time', 'text', 'tags']));
    expect(TIME.has(r.fields.find((f) => f.name === 'time')!.dataTypeID), `${where}: annotation time`).toBe(true);
  }
  if (panel.type === 'geomap') {
    expect(names, `${where}: coordinates`).toEqual(expect.arrayContaining(['lat', 'lon']));
    for (const row of r.rows as { lat: number; lon: number }[]) expect(Math.abs(row.lat) <= 90 && Math.abs(row.lon) <= 180, `${where}: valid coordinates`).toBe(true);
  }
  if (panel.type === 'barchart') {
    expect(r.fields.some((f) => !NUMERIC.has(f.dataTypeID)), `${where}: a label column`).toBe(true);
    expect(r.fields.some((f) => NUMERIC.has(f.dataTypeID)), `${where}: a value column`).toBe(true);
  }
}

/** Ranges ending just after the moment a test runs (the seeding before it can take minutes on a busy machine). */
const RANGES = {
  // Up to two days: the per-minute aggregate. Every scenario event is between ~10 h and ~46 h old.
  'last 47 hours': (now: number) => ({ from: new Date(now - 47 * 3_600_000), to: new Date(now + 60_000), intervalMs: 60_000 }),
  // Beyond: the per-hour aggregate.
  'last 8 days': (now: number) => ({ from: new Date(now - 8 * 86_400_000), to: new Date(now + 60_000), intervalMs: 3_600_000 }),
};

/** The provisioned datasource's TimescaleDB switch, and on a TimescaleDB engine the other setting too. */
async function timescaleModes(): Promise<boolean[]> {
  const yaml = await readFile(new URL('../../dashboards/provisioning/datasources/riverside.yaml', import.meta.url), 'utf8');
  const provisioned = /^\s+timescaledb: (true|false)$/m.exec(yaml)?.[1] === 'true';
  return t.platform.db.timescale ? [provisioned, !provisioned] : [provisioned];
}

describe('dashboards against the database, as Grafana runs them', () => {
  for (const [range, within] of Object.entries(RANGES)) {
    it(`every panel query returns its shape and data for the seeded scenario (${range}, all places)`, async () => {
      const r = within(Date.now());
      const targets = sqlTargets();
      expect(targets.length).toBeGreaterThan(30);
      for (const timescaledb of await timescaleModes()) for (const { board } of boards()) {
        const base = { ...r, timescaledb };
        const vars = await variables(board, base);
        expect(vars.zone?.options, `${board.title}: zones`).toEqual(expect.arrayContaining(['z-park-square', 'z-riverbank']));
        for (const panel of board.panels) {
          for (const q of (panel.targets ?? []).filter((x) => x.datasource?.uid === 'riverside-pg')) {
            const text = expand(q.rawSql!, { ...base, variables: vars });
            expect(text, `${panel.title}: every macro expanded`).not.toMatch(/\$__|\$\w+\(|\$(district|street|zone|device)\b/);
            let result: pg.QueryResult;
            try {
              result = await asReader(text);
            } catch (err) {
              throw new Error(`${board.title} / ${panel.title} (${q.refId}): ${(err as Error).message}\n${text}`, { cause: err });
            }
            checkShape(panel, q, result);
          }
        }
      }
    });
  }

  it('narrows to one zone or several: a selected value and a multi-value selection run, and filter', async () => {
    const base = { ...RANGES['last 47 hours'](Date.now()), timescaledb: (await timescaleModes())[0]! };
    for (const { board } of boards()) {
      const one = await variables(board, base, { zone: ['z-riverbank'] });
      const both = await variables(board, base, { zone: ['z-riverbank', 'z-park-square'] });
      for (const panel of board.panels) {
        for (const q of (panel.targets ?? []).filter((x) => x.datasource?.uid === 'riverside-pg')) {
          await asReader(expand(q.rawSql!, { ...base, variables: one }));
          await asReader(expand(q.rawSql!, { ...base, variables: both }));
        }
      }
    }
    const noise = boards().find((b) => b.file === 'noise.json')!;
    const laeq = noise.board.panels.find((p) => p.title === 'LAeq per zone and the limit in force')!.targets![0]!;
    const park = await asReader(expand(laeq.rawSql!, { ...base, variables: await variables(noise.board, base, { zone: ['z-park-square'] }) }));
    expect(park.rows.length).toBeGreaterThan(0);
    const river = await asReader(expand(laeq.rawSql!, { ...base, variables: await variables(noise.board, base, { zone: ['z-riverbank'] }) }));
    expect(river.rows).toHaveLength(0);
  });

  it('the role reads the dashboards schema only: no table, no personal data, no writes', async () => {
    const who = await asReader('SELECT current_user AS "current", session_user AS session');
    // On a server the queries come over the role's own login; embedded, after SET ROLE.
    expect(who.rows[0]).toEqual({ current: READER_ROLE, session: reader ? READER_ROLE : 'postgres' });
    for (const table of ['users', 'officers', 'cases', 'case_proposals', 'case_evidence', 'track_observations', 'dead_letters', 'devices']) {
      await expect(asReader(`SELECT 1 FROM public.${table} LIMIT 1`), table).rejects.toThrow(/permission denied/);
    }
    await expect(asReader(`UPDATE dashboards.teams SET team = 'x'`)).rejects.toThrow(/permission denied/);
    await expect(asReader(`CREATE TABLE dashboards.x (a int)`)).rejects.toThrow(/permission denied/);
    const columns = await asReader(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'dashboards'`);
    const names = columns.rows.map((c: { column_name: string }) => c.column_name);
    for (const personal of ['party', 'party_id', 'assigned_to', 'by_user', 'reviewer', 'snapshot', 'payload', 'evidence', 'secret_hash', 'on_site_officers', 'display_name']) {
      expect(names, personal).not.toContain(personal);
    }
  });

  it('every Prometheus panel names a metric the platform serves at /metrics', async () => {
    const served = await t.platform.metrics.registry.getMetricsAsJSON();
    const names = new Set(served.map((m) => m.name));
    const exprs = boards().flatMap(({ board }) => board.panels.flatMap((p) => (p.targets ?? []).filter((q) => q.datasource?.uid === 'riverside-prom').map((q) => q.expr!)));
    expect(exprs.length).toBeGreaterThan(0);
    for (const expr of exprs) {
      const metrics = [...expr.matchAll(/\b([a-z_]+_(?:total|depth|messages|clients))\b/g)].map((m) => m[1]!);
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const m of metrics) expect(names.has(m), `${m} in ${expr}`).toBe(true);
    }
  });

  it('dashboards.noise_limit and its segments give the limit the detectors apply (zone rules, holidays, seasons, night)', async () => {
    const rules = new ZoneRuleRepository(t.platform.db.pool);
    const base = { days: [] as DayType[], from: null, until: null, priority: 0 };
    await rules.replace('z-park-square', [
      { ...base, kind: 'noise', name: 'Midday rest period', start: '12:00', end: '14:00', params: { laeq: 50 } },
      { ...base, kind: 'noise', name: 'Weekend mornings', days: ['sat', 'sun'] as DayType[], start: '08:00', end: '10:00', params: { laeq: 58 } },
      { ...base, kind: 'noise', name: 'Holiday nights', days: ['holiday'] as DayType[], start: '21:00', end: '07:00', priority: 1, params: { laeq: 42 } },
      { ...base, kind: 'noise', name: 'Winter', from: '12-01', until: '02-28', start: '00:00', end: '00:00', params: { laeq: 53 } },
    ]);
    await rules.replace(null, [
      { ...base, kind: 'noise', name: 'District festival week', from: '2026-10-01', until: '2026-10-07', start: '19:00', end: '23:00', priority: 2, params: { laeq: 65 } },
      { ...base, kind: 'noise', name: 'District quiet Sundays', days: ['sun'] as DayType[], start: '06:00', end: '09:00', params: { laeq: 47 } },
    ]);
    const schedule = await rules.schedule();
    const zones = await new ZoneRepository(t.platform.db.pool).list();
    const rng = new Rng(11);
    const instants = Array.from({ length: 300 }, () => new Date(Date.UTC(2026, 0, 1) + Math.floor(rng.next() * 365 * 96) * 900_000));
    for (const zone of zones) {
      const got = await asReader(`SELECT at, dashboards.noise_limit('${zone.id}', at) AS limit FROM unnest(ARRAY[${instants.map((d) => `'${d.toISOString()}'::timestamptz`).join(',')}]) AS at`);
      for (const [i, row] of (got.rows as { limit: number }[]).entries()) {
        const at = instants[i]!;
        const want = schedule.noiseLimit({ zoneId: zone.id, timezone: zone.timezone, noiseClass: zone.noiseClass as NoiseZoneClass }, at).laeq;
        expect(row.limit, `${zone.id} at ${at.toISOString()}`).toBe(want);
      }
      // The same limits from the piecewise-constant segments the exceedance panels join minutes to.
      const segments = await asReader(`SELECT at, s.limit_laeq AS limit FROM unnest(ARRAY[${instants.map((d) => `'${d.toISOString()}'::timestamptz`).join(',')}]) AS at
        LEFT JOIN dashboards.noise_limit_segments('2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z') s ON s.zone_id = '${zone.id}' AND at >= s.starts AND at < s.ends`);
      expect(segments.rows.map((r: { limit: number }) => r.limit)).toEqual(got.rows.map((r: { limit: number }) => r.limit));
    }
  });
});
