import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { startPlatform } from '../../platform.js';
import { confirmPresence, openCase, openStream } from '../support/cases.js';
import { api, login, seedEmbedded, TEST_PASSWORD, type TestPlatform } from '../support/platform.js';

/**
 * SLA deadlines (enforcement-api/domain/sla.ts) escalate to the team lead when missed, exactly once, also across
 * restarts of the platform on the same database — measured against a clock the test moves.
 */

const MINUTE = 60_000;
const DAY = 86_400_000;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

let dataDir: string;
let server: Scratch | undefined;
let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;

async function start(): Promise<TestPlatform> {
  const config = loadConfig({
    MQTT_PORT: '0', MQTT_HOST: '127.0.0.1', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', SIMULATOR: 'off', DATA_DIR: dataDir,
    ADMIN_PASSWORD: TEST_PASSWORD, LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // The timer never fires in a test: sweeps run at start and when the test calls them.
    SERVICES: 'broker,enforcement,api', ESCALATION_INTERVAL_S: '3600',
    ...(server ? { DATABASE_URL: server.url } : {}),
  });
  const platform = await startPlatform(config, createLogger(config.logLevel), { clock });
  return { platform, http: `http://127.0.0.1:${platform.api?.port ?? 0}`, mqttUrl: platform.mqttUrl, stop: () => platform.stop() };
}

interface Deadline {
  name: string;
  kind: string;
  status: string;
  dueAt: string;
  reachedAt: string | null;
  escalatedAt: string | null;
  escalatedTo: string[] | null;
}
interface Detail {
  state: string;
  createdAt: string;
  deadlines: Deadline[];
  escalations: Deadline[];
  events: { type: string; actor: string; data: Record<string, unknown> }[];
}

const detail = async (caseId: string, user = 'east.lead') => {
  const r = await api<Detail>(t, as(user), 'GET', `/api/v1/cases/${caseId}`);
  expect(r.status).toBe(200);
  return r.body;
};
const statuses = (d: Detail) => Object.fromEntries(d.deadlines.map((x) => [x.name, x.status]));
const eventsOf = async (caseId: string, type: string) =>
  (await t.platform.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM case_events WHERE case_id = $1 AND type = $2', [caseId, type])).rows[0]!.n;
const fire = async (user: string, caseId: string, body: Record<string, unknown>) => {
  const r = await api(t, as(user), 'POST', `/api/v1/cases/${caseId}/transitions`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const sweep = async (caseIds: string[]) =>
  (await t.platform.escalation!.sweep()).filter((e) => caseIds.includes(e.caseId)).map((e) => [e.caseId, e.deadline.name, e.event.type]);
const ARRIVE = { event: 'arrive', location: { lat: 32.0405, lon: 118.7805 } };

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-sla-'));
  server = process.env.DATABASE_URL ? await scratchDatabase(process.env.DATABASE_URL, 'rp_test') : undefined;
  if (!server) await seedEmbedded(dataDir);
  t = await start();
  // A lead for the Riverbank Street team too (the demo has one only for East Lake).
  await t.platform.db.pool.query(
    `INSERT INTO users (id, username, password_hash, role, team_id, display_name)
     SELECT 'u-river-lead', 'river.lead', password_hash, 'team_lead', 't-river', 'Qin Lan' FROM users WHERE id = 'u-east-lead'`,
  );
  for (const u of ['east.lead', 'east.li', 'river.lead', 'admin']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
  await server?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('SLA deadlines and escalation', () => {
  it('escalates a missed deadline once, to its own team lead only; one met in time never escalates', async () => {
    const eastLead = await openStream(t, as('east.lead'));
    const riverLead = await openStream(t, as('river.lead'));
    try {
      // Drowning risk / crowding at the East Lake square: accept within 3 min, on site within 10 min.
      const missed = await openCase(t, 'crowding');
      const onTime = await openCase(t, 'crowding');
      const opened = await detail(missed);
      expect(statuses(opened)).toEqual({ accept: 'open', on_site: 'open' });
      expect(opened.deadlines.map((d) => Date.parse(d.dueAt) - Date.parse(opened.createdAt))).toEqual([3 * MINUTE, 10 * MINUTE]);
      await fire('east.li', onTime, { event: 'accept' });
      await fire('east.li', onTime, ARRIVE);

      offsetMs = 4 * MINUTE;
      expect(await sweep([missed, onTime])).toEqual([[missed, 'accept', 'sla.escalated']]);
      const pushed = await eastLead.next((m) => m.data.caseId === missed && m.data.reason === 'sla.escalated');
      expect(pushed).toMatchObject({ event: 'case.updated', data: { teamId: 't-east', caseId: missed } });
      // Nothing more to do: a second sweep escalates nothing again.
      expect(await sweep([missed, onTime])).toEqual([]);

      let c = await detail(missed);
      expect(c.escalations).toEqual([expect.objectContaining({ name: 'accept', status: 'missed', escalatedTo: ['u-east-lead'] })]);
      expect(c.events.filter((e) => e.type === 'sla.escalated')).toEqual([
        expect.objectContaining({ actor: 'system', data: expect.objectContaining({ deadline: 'accept', stage: 'accepted', escalatedTo: ['u-east-lead'], teamId: 't-east' }) }),
      ]);
      const ok = await detail(onTime);
      expect(statuses(ok)).toMatchObject({ accept: 'met', on_site: 'met' });
      expect(ok.escalations).toEqual([]);
      expect(await t.platform.metrics.value('enforcement_sla_escalations_total', { type: 'escalated' })).toBe(1);
      // The operations console lists the breach with the team's name (the Chinese screens show teamNameZh).
      const overview = await api<{ slaBreaches: { caseId: string; teamName: string | null; teamNameZh: string | null }[] }>(t, as('admin'), 'GET', '/api/v1/ops/overview');
      expect(overview.body.slaBreaches.find((b) => b.caseId === missed)).toMatchObject({ teamName: 'East Lake Street integrated enforcement team', teamNameZh: '东湖街道综合行政执法队' });

      // The other team's lead got nothing: a case of their own, pushed after the escalation, arrives first.
      const river = await openCase(t, 'crowding', 'z-riverbank');
      await fire('river.lead', river, { event: 'accept' });
      await riverLead.next((m) => m.data.caseId === river && m.data.reason === 'accepted');
      expect(riverLead.received.filter((m) => m.data.reason === 'sla.escalated')).toEqual([]);
      expect((await api(t, as('river.lead'), 'GET', `/api/v1/cases/${missed}`)).status).toBe(404);

      // Past 10 minutes the on-site deadline is missed too; the case that was on site stays clean.
      offsetMs = 11 * MINUTE;
      expect(await sweep([missed, onTime])).toEqual([[missed, 'on_site', 'sla.escalated']]);
      c = await detail(missed);
      expect(statuses(c)).toEqual({ accept: 'missed', on_site: 'missed' });
      // Reached late: the deadline stays missed, with the time it was reached.
      await fire('east.li', missed, { event: 'accept' });
      c = await detail(missed);
      expect(c.deadlines.find((d) => d.name === 'accept')).toMatchObject({ status: 'missed', reachedAt: expect.any(String) });
      expect(c.escalations).toHaveLength(2);
      const audit = await api<{ verification: { ok: boolean } }>(t, as('east.lead'), 'GET', `/api/v1/cases/${missed}/audit`);
      expect(audit.body.verification.ok).toBe(true);
    } finally {
      eastLead.close();
      riverLead.close();
    }
  });

  it('records and pushes the decision-deadline warnings once each, then escalates the missed decision', async () => {
    offsetMs = 0;
    const caseId = await openCase(t, 'noise');
    await fire('east.li', caseId, { event: 'accept' });
    await fire('east.li', caseId, { ...ARRIVE, secondOfficerId: 'u-east-lead' });
    // The 90-day clock starts at filing (立案), not at acceptance.
    expect(statuses(await detail(caseId))).toEqual({ accept: 'met', on_site: 'met' });
    expect((await confirmPresence(t, as('east.lead'), caseId)).status).toBe(201);
    await fire('east.li', caseId, { event: 'file' });
    expect(statuses(await detail(caseId))).toEqual({ accept: 'met', on_site: 'met', decision_warning_60: 'open', decision_warning_80: 'open', decision: 'open' });
    const stream = await openStream(t, as('east.lead'));
    const warningsBefore = await t.platform.metrics.value('enforcement_sla_escalations_total', { type: 'warning', kind: 'noise' });
    try {
      offsetMs = 61 * DAY;
      expect(await sweep([caseId])).toEqual([[caseId, 'decision_warning_60', 'sla.warning']]);
      await stream.next((m) => m.data.caseId === caseId && m.data.reason === 'sla.warning');
      expect(await sweep([caseId])).toEqual([]);
      offsetMs = 91 * DAY;
      expect(await sweep([caseId])).toEqual([[caseId, 'decision_warning_80', 'sla.warning'], [caseId, 'decision', 'sla.escalated']]);
      expect(await sweep([caseId])).toEqual([]);
      const c = await detail(caseId);
      expect(statuses(c)).toEqual({ accept: 'met', on_site: 'met', decision_warning_60: 'reached', decision_warning_80: 'reached', decision: 'missed' });
      expect(c.events.filter((e) => e.type.startsWith('sla.')).map((e) => [e.type, e.data.deadline])).toEqual([
        ['sla.warning', 'decision_warning_60'], ['sla.warning', 'decision_warning_80'], ['sla.escalated', 'decision'],
      ]);
      expect(await t.platform.metrics.value('enforcement_sla_escalations_total', { type: 'warning', kind: 'noise' }) - warningsBefore).toBe(2);
    } finally {
      stream.close();
    }
    // A safety incident is never filed: no decision deadline.
    offsetMs = 0;
    const crowd = await openCase(t, 'crowding');
    await fire('east.li', crowd, { event: 'accept' });
    await fire('east.li', crowd, ARRIVE);
    await fire('east.li', crowd, { event: 'resolve_on_site', outcome: 'hazard_cleared', summary: 'crowd moved back from the water' });
    expect(statuses(await detail(crowd))).toEqual({ accept: 'met', on_site: 'met' });
  });

  it('survives restarts: no duplicate, and a deadline missed while down escalates once at start', async () => {
    offsetMs = 0;
    const earlier = await openCase(t, 'crowding');
    offsetMs = 4 * MINUTE;
    expect(await sweep([earlier])).toEqual([[earlier, 'accept', 'sla.escalated']]);
    offsetMs = 0;
    const whileDown = await openCase(t, 'crowding');
    expect(await sweep([earlier, whileDown])).toEqual([]);
    await t.stop();

    // Down for 4 minutes: the accept deadline of `whileDown` passed meanwhile.
    offsetMs = 4 * MINUTE;
    t = await start();
    expect(await eventsOf(whileDown, 'sla.escalated')).toBe(1);
    expect(await eventsOf(earlier, 'sla.escalated')).toBe(1);
    expect(await t.platform.metrics.value('enforcement_sla_escalations_total', { type: 'escalated', deadline: 'accept' })).toBeGreaterThanOrEqual(1);
    expect((await detail(whileDown)).escalations).toEqual([expect.objectContaining({ name: 'accept', escalatedTo: ['u-east-lead'] })]);

    await t.stop();
    t = await start();
    expect(await eventsOf(whileDown, 'sla.escalated')).toBe(1);
    expect(await eventsOf(earlier, 'sla.escalated')).toBe(1);
    expect(await t.platform.metrics.value('enforcement_sla_escalations_total')).toBe(0);
    expect(await sweep([earlier, whileDown])).toEqual([]);
  });
});
