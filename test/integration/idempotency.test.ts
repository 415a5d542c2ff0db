import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, login, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { jpeg, openCase } from '../support/cases.js';
import { IdempotencyRepository } from '../../enforcement-api/idempotency.js';
import { secretsKey } from '../../core/secrets.js';

/** Idempotency-Key: a tablet re-sending what it queued offline gets the first answer, and nothing happens twice. */
let t: TestPlatform;
let officer: string;
const SECRETS_KEY = randomBytes(32).toString('hex');

async function send(token: string, method: string, url: string, key: string | undefined, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${t.http}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', text, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
}

describe('Idempotency-Key on state-changing requests', () => {
  beforeAll(async () => {
    t = await startTestPlatform({ SECRETS_KEY });
    officer = await login(t, 'east.li');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('replays a transition with its first answer and records it once', async () => {
    const caseId = await openCase(t, 'crowding');
    const key = randomUUID();
    const first = await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, key, { event: 'accept' });
    expect(first.status).toBe(200);
    expect(first.replayed).toBe(false);
    const again = await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, key, { event: 'accept' });
    expect(again.status).toBe(200);
    expect(again.replayed).toBe(true);
    expect(again.text).toBe(first.text);
    expect(await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'accepted'`, [caseId])).toBe(1);
    // Without a key the same step is simply refused: the case is already accepted.
    expect((await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, undefined, { event: 'accept' })).status).toBe(409);
    expect(await t.platform.metrics.value('api_idempotency_total', { outcome: 'replayed' })).toBeGreaterThanOrEqual(1);
  });

  it('refuses a key reused for another request; keys are per user; a malformed key is 400', async () => {
    const caseId = await openCase(t, 'crowding');
    const key = randomUUID();
    const refused = await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, key, { event: 'dismiss', reason: 'nobody there' });
    expect(refused.status).toBe(200);
    const other = await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, key, { event: 'dismiss', reason: 'something else' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    // Another officer with the same key: their own request, not the first officer's answer.
    const wang = await login(t, 'east.wang');
    const theirs = await send(wang, 'POST', `/api/v1/cases/${caseId}/transitions`, key, { event: 'dismiss', reason: 'nobody there' });
    expect(theirs.status).toBe(409);
    expect(theirs.replayed).toBe(false);
    const bad = await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, 'has space', { event: 'accept' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('IDEMPOTENCY_KEY_INVALID');
  });

  it('stores an evidence photo once and answers a retry with the first 201', async () => {
    const caseId = await openCase(t, 'crowding');
    await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, undefined, { event: 'accept' });
    const key = randomUUID();
    const photo = jpeg('retry');
    const first = await send(officer, 'POST', `/api/v1/cases/${caseId}/evidence?filename=scene.jpg`, key, photo, 'image/jpeg');
    const again = await send(officer, 'POST', `/api/v1/cases/${caseId}/evidence?filename=scene.jpg`, key, photo, 'image/jpeg');
    expect([first.status, again.status, again.replayed]).toEqual([201, 201, true]);
    expect(again.body.id).toBe(first.body.id);
    expect(await count(t, `SELECT 1 FROM case_events WHERE case_id = $1 AND type = 'evidence_added'`, [caseId])).toBe(1);
  });

  it('keeps no secret an answer carried readable in the database (device and webhook secrets, check codes), yet replays it', async () => {
    const admin = await login(t, 'admin');
    const stored = async (text: string) => count(t, `SELECT 1 FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') IN body) > 0`, [text]);
    const device = { zoneId: 'z-park-square', kind: 'sound_level_meter', placementPublished: true, calibrationValidUntil: '2099-01-01' };
    const answers = [
      ['/api/v1/devices', device, 'secret'],
      ['/api/v1/webhooks/subscribers', { name: 'partner', url: 'https://partner.example.org/hook', eventTypes: ['case.*'] }, 'secret'],
      ['/api/v1/complaints', { category: 'noise', description: 'music every night', zoneId: 'z-park-square' }, 'checkCode'],
    ] as const;
    for (const [url, body, field] of answers) {
      const key = randomUUID();
      const first = await send(admin, 'POST', url, key, body);
      expect(first.status).toBe(201);
      const secret = first.body[field] as string;
      expect(secret.length).toBeGreaterThan(7);
      expect(await stored(secret)).toBe(0);
      const again = await send(admin, 'POST', url, key, body);
      expect([again.status, again.replayed, again.body[field]]).toEqual([201, true, secret]);
    }
    // Answers kept before they were sealed are sealed at start, and still replay.
    await t.platform.db.pool.query(
      `INSERT INTO idempotency_keys (user_id, key, method, path, request_hash, status_code, content_type, body, completed_at)
       VALUES ('u-admin', 'legacy', 'POST', '/x', 'h', 201, 'application/json', convert_to('{"secret":"plain-legacy-secret"}', 'UTF8'), now())`,
    );
    const repo = new IdempotencyRepository(t.platform.db.pool, secretsKey(SECRETS_KEY));
    expect(await repo.sealPlain()).toBe(1);
    expect(await stored('plain-legacy-secret')).toBe(0);
    const replay = await repo.claim({ userId: 'u-admin', key: 'legacy', method: 'POST', path: '/x', requestHash: 'h' });
    expect(replay.kind === 'replay' && replay.body.toString()).toBe('{"secret":"plain-legacy-secret"}');
  });

  it('claims nothing for a request refused before its handler (no token), so the retry runs', async () => {
    const caseId = await openCase(t, 'crowding');
    const key = randomUUID();
    expect((await send('bad-token', 'POST', `/api/v1/cases/${caseId}/transitions`, key, { event: 'accept' })).status).toBe(401);
    const ok = await send(officer, 'POST', `/api/v1/cases/${caseId}/transitions`, key, { event: 'accept' });
    expect([ok.status, ok.replayed]).toEqual([200, false]);
  });
});
