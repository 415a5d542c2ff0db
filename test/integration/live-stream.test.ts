import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { startPlatform } from '../../platform.js';
import { appendLiveEvent, LiveBus } from '../../enforcement-api/live.js';
import { api, login, startTestPlatform, TEST_PASSWORD, type TestPlatform } from '../support/platform.js';
import { openCase, openStream, type LiveStream, type SseMessage } from '../support/cases.js';

/**
 * The live stream is durable and resumable (enforcement-api/live.ts): a client that reconnects with
 * its last event id gets exactly the events it missed that it may see, in order, once — across API
 * restarts and from events written by other processes.
 */
const SERVER = process.env.DATABASE_URL;
const log = createLogger('silent');

let t: TestPlatform;
const tokens: Record<string, string> = {};
const as = (user: string) => tokens[user]!;

const caseEvents = (received: SseMessage[]) => received.filter((m) => m.event === 'case.opened' || m.event === 'case.updated');
const caseOf = (m: SseMessage) => (m.event === 'case.opened' ? (m.data.case as { id: string }).id : (m.data.caseId as string));
const summary = (m: SseMessage) => `${m.event}:${caseOf(m)}:${String(m.data.reason ?? '')}`;

/** Waits for the message about `caseId` (with `reason`, for an update) and returns it. */
async function seen(stream: LiveStream, caseId: string, reason?: string, timeoutMs?: number): Promise<SseMessage> {
  const match = (m: SseMessage) => caseOf(m) === caseId && (reason === undefined || m.data.reason === reason);
  const all = await stream.until((r) => caseEvents(r).some(match), timeoutMs);
  return caseEvents(all).find(match)!;
}

const fire = async (user: string, caseId: string, body: Record<string, unknown>) => {
  const r = await api(t, as(user), 'POST', `/api/v1/cases/${caseId}/transitions`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};

function expectIncreasing(messages: SseMessage[]) {
  const ids = messages.map((m) => Number(m.id));
  expect(ids.every((id, i) => Number.isInteger(id) && (i === 0 || id > ids[i - 1]!)), ids.join(',')).toBe(true);
}

beforeAll(async () => {
  t = await startTestPlatform({ SERVICES: 'api' });
  for (const u of ['admin', 'east.li', 'river.zhao']) tokens[u] = await login(t, u);
});
afterAll(async () => {
  await t?.stop();
});

/** East opens a case and accepts it while watching; returns the two events seen, stream closed. */
async function openedAndAccepted() {
  const s = await openStream(t, as('east.li'));
  const a = await openCase(t);
  const opened = await seen(s, a);
  await fire('east.li', a, { event: 'accept' });
  const accepted = await seen(s, a, 'accepted');
  s.close();
  return { a, opened, accepted };
}

describe('live stream: resume', () => {
  it('after a disconnect, resumes with exactly the missed events the user may see, in order, without duplicates', async () => {
    const first = await openStream(t, as('east.li'));
    const [ready] = await first.until((r) => r.some((m) => m.event === 'ready'));
    expect(ready).toMatchObject({ event: 'ready', data: { resumed: false } });
    expect(Number(ready!.id)).toBeGreaterThanOrEqual(0);
    const a = await openCase(t);
    const openedA = await seen(first, a);
    first.close();

    // While the officer is away: their team's work, and another team's.
    await fire('east.li', a, { event: 'accept' });
    const b = await openCase(t);
    const river = await openCase(t, 'noise', 'z-riverbank');
    await fire('river.zhao', river, { event: 'accept' });
    await fire('east.li', b, { event: 'dismiss', reason: 'nobody there on arrival' });
    const expected = [`case.updated:${a}:accepted`, `case.opened:${b}:`, `case.updated:${b}:dismissed`];

    for (const via of ['header', 'query'] as const) {
      const resumed = await openStream(t, as('east.li'), { lastEventId: openedA.id, via });
      try {
        await resumed.until((r) => r.some((m) => m.event === 'ready'));
        expect(resumed.received[0]).toMatchObject({ event: 'ready', id: '', data: { resumed: true, lastEventId: Number(openedA.id) } });
        await seen(resumed, b, 'dismissed');
        // Then something new: everything before it is the whole replay.
        const c = await openCase(t);
        await seen(resumed, c);
        const got = caseEvents(resumed.received);
        expected.push(`case.opened:${c}:`);
        expect(got.map(summary)).toEqual(expected);
        expectIncreasing(got);
        expect(got.every((m) => Number(m.id) > Number(openedA.id))).toBe(true);
        expect(got.some((m) => caseOf(m) === river)).toBe(false);
      } finally {
        resumed.close();
      }
    }
  });

  it('prefers the Last-Event-ID header (EventSource reconnects) over the id in the URL (set when the page opened it)', async () => {
    const { a, opened, accepted } = await openedAndAccepted();
    await fire('east.li', a, { event: 'dismiss', reason: 'duplicate report' });

    const abort = new AbortController();
    const res = await fetch(`${t.http}/api/v1/stream?access_token=${as('east.li')}&lastEventId=${opened.id}`, {
      headers: { 'last-event-id': accepted.id },
      signal: abort.signal,
    });
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('dismissed')) text += new TextDecoder().decode((await reader.read()).value);
    abort.abort();
    expect(text).not.toContain('"reason":"accepted"');
  });

  it('refuses a malformed id with a clear 400', async () => {
    const r = await fetch(`${t.http}/api/v1/stream?access_token=${as('east.li')}&lastEventId=abc`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { code: string }).code).toBe('VALIDATION');
  });
});

describe('live stream: other processes', () => {
  it('delivers within a second what another process writes to the table (no in-process notification)', async () => {
    const s = await openStream(t, as('east.li'));
    // A second bus on the same database stands for another process (e.g. SERVICES=enforcement): this
    // API's bus never hears of its events, only its poll finds them.
    const other = new LiveBus(t.platform.db.pool, { pollMs: 250, retentionH: 72 }, log);
    try {
      await s.until((r) => r.some((m) => m.event === 'ready'));
      other.publish({ type: 'case.updated', teamId: 't-east', caseId: 'from-elsewhere', reason: 'sla.escalated' });
      await other.flush();
      await seen(s, 'from-elsewhere', 'sla.escalated', 1000);
      other.publish({ type: 'case.updated', teamId: 't-river', caseId: 'not-for-east', reason: 'sla.escalated' });
      other.publish({ type: 'case.updated', teamId: 't-east', caseId: 'from-elsewhere', reason: 'sla.warning' });
      await other.flush();
      await seen(s, 'from-elsewhere', 'sla.warning', 1000);
      expect(caseEvents(s.received).map(summary)).toEqual(['case.updated:from-elsewhere:sla.escalated', 'case.updated:from-elsewhere:sla.warning']);
    } finally {
      s.close();
      await other.stop();
    }
  });

  it.skipIf(!SERVER)('delivers within a second a transition made through a second API process on the same server database', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rp-live-b-'));
    const url = t.platform.config.database.url!;
    const b = await startPlatform(loadConfig({ HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_PORT: '0', SIMULATOR: 'off', SERVICES: 'api', DATA_DIR: dir, DATABASE_URL: url, ADMIN_PASSWORD: TEST_PASSWORD, LOG_LEVEL: 'silent',
      // API replicas share the key that seals the token signing key, as a deployment gives them one.
      SECRETS_KEY_FILE: t.platform.config.secrets.keyFile }), log);
    const s = await openStream(t, as('east.li'));
    try {
      const a = await openCase(t);
      await seen(s, a);
      const r = await fetch(`http://127.0.0.1:${b.api!.port}/api/v1/cases/${a}/transitions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${as('east.li')}`, 'content-type': 'application/json' },
        body: JSON.stringify({ event: 'accept' }),
      });
      expect(r.status).toBe(200);
      await seen(s, a, 'accepted', 1000);
    } finally {
      s.close();
      await b.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!SERVER)('live stream: commits out of id order (server; the embedded engine runs one transaction at a time)', () => {
  it('never skips an earlier id that commits after a later one was taken', async () => {
    const url = t.platform.config.database.url!;
    const slow = new pg.Client({ connectionString: url });
    const fast = new pg.Client({ connectionString: url });
    await slow.connect();
    await fast.connect();
    const s = await openStream(t, as('east.li'));
    try {
      await s.until((r) => r.some((m) => m.event === 'ready'));
      // The slow transaction takes its id first and commits last.
      await slow.query('BEGIN');
      await appendLiveEvent(slow as unknown as pg.PoolClient, { type: 'case.updated', teamId: 't-east', caseId: 'slow', reason: 'first' });
      await fast.query('BEGIN');
      const fastDone = appendLiveEvent(fast as unknown as pg.PoolClient, { type: 'case.updated', teamId: 't-east', caseId: 'fast', reason: 'second' })
        .then(() => fast.query('COMMIT'));
      // The second writer waits for the first (the advisory lock) instead of committing a later id
      // first; without that, it commits, the stream delivers its id and would never go back for the slow one.
      const admin = t.platform.db.pool;
      let raced = false;
      const blocked = (async () => {
        while (!raced) {
          const waiting = await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
          if ((waiting.rows[0]?.n ?? 0) > 0) return;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await Promise.race([blocked, fastDone]);
      raced = true;
      // Nothing to wait for here (nothing may arrive): a window in which a stream would run past the
      // fast event if it could commit first.
      await new Promise((r) => setTimeout(r, 600));
      await slow.query('COMMIT');
      await fastDone;
      await seen(s, 'fast', 'second', 2000);
      await seen(s, 'slow', 'first', 2000);
      const got = caseEvents(s.received);
      expect(got.map(summary)).toEqual(['case.updated:slow:first', 'case.updated:fast:second']);
      expectIncreasing(got);

      // A rolled-back event leaves a gap that is simply skipped.

      await slow.query('BEGIN');
      await appendLiveEvent(slow as unknown as pg.PoolClient, { type: 'case.updated', teamId: 't-east', caseId: 'rolled-back', reason: 'never' });
      await slow.query('ROLLBACK');
      const other = new LiveBus(admin, { pollMs: 250, retentionH: 72 }, log);
      other.publish({ type: 'case.updated', teamId: 't-east', caseId: 'after-gap', reason: 'next' });
      await other.flush();
      await seen(s, 'after-gap', 'next', 2000);
      expect(caseEvents(s.received).map(caseOf)).toEqual(['slow', 'fast', 'after-gap']);
    } finally {
      s.close();
      await slow.end();
      await fast.end();
    }
  });
});

describe('live stream: retention', () => {
  it('tells a client whose events were pruned, or whose id is unknown, to reload; one just at the horizon resumes', async () => {
    const { opened, accepted } = await openedAndAccepted();
    // Everything written so far is past retention.
    const removed = await t.platform.live.prune(new Date(Date.now() + 60_000));
    expect(removed).toBeGreaterThan(0);
    const { head, horizon } = await t.platform.live.position();
    expect(horizon).toBe(head);
    expect(horizon).toBeGreaterThanOrEqual(Number(accepted.id));

    const expired = await openStream(t, as('east.li'), { lastEventId: opened.id });
    const atHorizon = await openStream(t, as('east.li'), { lastEventId: horizon });
    const unknown = await openStream(t, as('east.li'), { lastEventId: horizon + 1000 });
    try {
      const [reset] = await expired.until((r) => r.length > 0);
      expect(reset).toMatchObject({ event: 'reset', id: String(head), data: { reason: 'expired', oldest: horizon + 1 } });
      expect((await unknown.until((r) => r.length > 0))[0]).toMatchObject({ event: 'reset', id: String(head), data: { reason: 'unknown' } });
      expect((await atHorizon.until((r) => r.length > 0))[0]).toMatchObject({ event: 'ready', data: { resumed: true } });
      // After the reset the stream carries on from the head.
      const b = await openCase(t);
      for (const stream of [expired, atHorizon, unknown]) {
        const m = await seen(stream, b);
        expect(Number(m.id)).toBeGreaterThan(head);
        expect(caseEvents(stream.received)).toHaveLength(1);
      }
    } finally {
      for (const stream of [expired, atHorizon, unknown]) stream.close();
    }
  });
});

describe('live stream: restarts', () => {
  let scratch: Scratch | undefined;
  const dirs: string[] = [];
  afterAll(async () => {
    await scratch?.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('keeps ids increasing across an API restart and resumes from an id given before it', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rp-live-restart-'));
    dirs.push(dir);
    scratch = SERVER ? await scratchDatabase(SERVER, 'rp_live') : undefined;
    const start = async (): Promise<TestPlatform> => {
      const config = loadConfig({
        HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', MQTT_PORT: '0', SIMULATOR: 'off', SERVICES: 'api', DATA_DIR: dir,
        ADMIN_PASSWORD: TEST_PASSWORD, LOG_LEVEL: 'silent', ...(scratch ? { DATABASE_URL: scratch.url } : {}),
      });
      const platform = await startPlatform(config, log);
      return { platform, http: `http://127.0.0.1:${platform.api!.port}`, mqttUrl: platform.mqttUrl, stop: () => platform.stop() };
    };

    const before = await start();
    const officer = await login(before, 'east.li');
    const s = await openStream(before, officer);
    const a = await openCase(before);
    const opened = await s.until((r) => caseEvents(r).length === 1);
    const lastSeen = caseEvents(opened)[0]!.id;
    s.close();
    await before.stop();

    const after = await start();
    try {
      const b = await openCase(after);
      const resumed = await openStream(after, await login(after, 'east.li'), { lastEventId: lastSeen });
      try {
        await resumed.until((r) => caseEvents(r).some((m) => caseOf(m) === b));
        const got = caseEvents(resumed.received);
        expect(got.map(caseOf)).toEqual([b]);
        expect(Number(got[0]!.id)).toBeGreaterThan(Number(lastSeen));
        expect(caseOf(caseEvents(opened)[0]!)).toBe(a);
      } finally {
        resumed.close();
      }
    } finally {
      await after.stop();
    }
  });
});
