import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { secretsKey } from '../../core/secrets.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';
import { WebhookRepository } from '../../enforcement-api/webhooks/repository.js';
import { WebhookDeliveryWorker } from '../../enforcement-api/webhooks/worker.js';
import { api, count, login, startTestPlatform, waitFor, type TestPlatform } from '../support/platform.js';
import { openCase } from '../support/cases.js';
import { Receiver } from '../support/receiver.js';
import { DESKTOP, hasBrowser, launch, signIn } from '../support/browser.js';
import { ensureWebBuilt } from '../../web/scripts/ensure-built.js';

/**
 * Outbound webhooks to a real local HTTP receiver: the subscriber API, signatures a Standard Webhooks
 * library accepts, the outbox written with the case event, retries while the receiver is down, dead
 * letters and their manual retry, key rotation, several workers sharing the queue — never a message
 * sent twice under one webhook-id once delivered.
 */
const SECRETS_KEY = 'ab'.repeat(32);
let t: TestPlatform;
let admin: string;
let ops: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  if (hasBrowser) await ensureWebBuilt(); // the app serves web/dist as it was when it started
  t = await startTestPlatform({
    SECRETS_KEY,
    WEBHOOK_POLL_MS: '50',
    WEBHOOK_BACKOFF_BASE_MS: '100',
    WEBHOOK_BACKOFF_MAX_S: '0.3',
    WEBHOOK_MAX_ATTEMPTS: '8',
    WEBHOOK_TIMEOUT_MS: '5000',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  [admin, ops] = await Promise.all([login(t, 'admin'), login(t, 'ops')]);
});
afterAll(async () => {
  await t?.stop();
  await Promise.all(receivers.map((r) => r.down()));
});

interface Created {
  subscriber: { id: string; keys: unknown[] };
  secret: string;
}
interface DeliveryRow {
  id: number;
  messageId: string;
  state: string;
  attempts: number;
  caseId: string | null;
  eventType: string;
  lastError: string | null;
}

async function receiver(): Promise<Receiver> {
  const r = await new Receiver().up();
  receivers.push(r);
  return r;
}

async function subscribe(r: Receiver, body: Record<string, unknown> = {}): Promise<Created> {
  const res = await api<Created>(t, admin, 'POST', '/api/v1/webhooks/subscribers', { name: 'Fishing-ban platform', url: r.url, eventTypes: ['case.opened'], caseKinds: ['fishing'], ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const pause = (id: string) => api(t, admin, 'PATCH', `/api/v1/webhooks/subscribers/${id}`, { active: false });

async function deliveriesOf(subscriberId: string): Promise<DeliveryRow[]> {
  return (await api<DeliveryRow[]>(t, ops, 'GET', `/api/v1/webhooks/deliveries?subscriberId=${subscriberId}`)).body;
}

async function deliveryFor(subscriberId: string, caseId: string): Promise<DeliveryRow | undefined> {
  return (await deliveriesOf(subscriberId)).find((d) => d.caseId === caseId);
}

/** A fishing case whose webhook is dead-lettered by a receiver answering `status` to every attempt. */
async function deadLetter(status: number) {
  const r = await receiver();
  r.status = status;
  const sub = await subscribe(r);
  const caseId = await openCase(t, 'fishing', 'z-riverbank');
  const dead = await waitFor(async () => {
    const d = await deliveryFor(sub.subscriber.id, caseId);
    return d?.state === 'dead' ? d : undefined;
  }, 'the dead letter');
  return { r, sub, caseId, dead };
}

describe('webhook subscribers', () => {
  it('are configured by admins only, to allowed URLs, with the secret shown once and sealed at rest', async () => {
    const r = await receiver();
    expect((await api(t, ops, 'POST', '/api/v1/webhooks/subscribers', { name: 'x', url: r.url, eventTypes: ['case.opened'] })).status).toBe(403);
    for (const url of ['https://10.0.0.8/hooks', 'https://169.254.169.254/latest/meta-data', 'http://localhost:9/x', 'ftp://example.org/x']) {
      const refused = await api<{ code: string }>(t, admin, 'POST', '/api/v1/webhooks/subscribers', { name: 'x', url, eventTypes: ['case.opened'] });
      expect([refused.status, refused.body.code], url).toEqual([400, url.startsWith('ftp') ? 'VALIDATION' : 'WEBHOOK_URL_REFUSED']);
    }
    expect((await api(t, admin, 'POST', '/api/v1/webhooks/subscribers', { name: 'x', url: r.url, eventTypes: ['opened'] })).status).toBe(400);
    const created = await subscribe(r);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = await api<Record<string, unknown>[]>(t, ops, 'GET', '/api/v1/webhooks/subscribers');
    const mine = listed.body.find((s) => s.id === created.subscriber.id)!;
    expect(mine).toMatchObject({ url: r.url, eventTypes: ['case.opened'], caseKinds: ['fishing'], active: true, pending: 0, dead: 0 });
    expect(JSON.stringify(listed.body)).not.toContain(created.secret.slice(6));
    const stored = await t.platform.db.pool.query<{ secret: string }>('SELECT secret FROM webhook_keys WHERE subscriber_id = $1', [created.subscriber.id]);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.secret).toMatch(/^sealed:v1:/);
    expect(stored.rows[0]!.secret).not.toContain(created.secret.slice(6));
    await pause(created.subscriber.id);
  });
});

describe('outbound webhooks', () => {
  it('send each fishing case event once, signed so a Standard Webhooks library verifies it, with the evidence summary', async () => {
    const r = await receiver();
    const sub = await subscribe(r, { eventTypes: ['case.opened', 'case.dismissed'] });
    const noise = await openCase(t, 'noise');
    const caseId = await openCase(t, 'fishing', 'z-riverbank');
    // The outbox row was written with the case: it is there whatever the worker does.
    expect(await count(t, 'SELECT 1 FROM webhook_deliveries WHERE subscriber_id = $1 AND case_id = $2', [sub.subscriber.id, caseId])).toBe(1);
    await waitFor(() => r.received.length >= 1 || undefined, 'the webhook');
    const [msg] = r.received;
    const payload = new Webhook(sub.secret).verify(msg!.body, msg!.headers) as { type: string; data: { case: { id: string; kind: string; zoneId: string }; evidence: { alerts: { summary: string }[] } } };
    expect(payload.type).toBe('case.opened');
    expect(payload.data.case).toMatchObject({ id: caseId, kind: 'fishing', zoneId: 'z-riverbank' });
    expect(payload.data.evidence.alerts).toHaveLength(1);
    expect(payload.data.evidence.alerts[0]!.summary).toMatch(/^test case/);
    expect(msg!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}_1$/);
    expect(Math.abs(Number(msg!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(120);

    const dismissed = await api(t, admin, 'POST', `/api/v1/cases/${caseId}/transitions`, { event: 'dismiss', reason: 'rod was a walking stick' });
    expect(dismissed.status).toBe(200);
    await waitFor(() => r.received.length >= 2 || undefined, 'the outcome webhook');
    const outcome = new Webhook(sub.secret).verify(r.received[1]!.body, r.received[1]!.headers) as { type: string; data: { case: { state: string; dismissalReason: string } } };
    expect(outcome.type).toBe('case.dismissed');
    expect(outcome.data.case).toMatchObject({ state: 'dismissed', dismissalReason: 'rod was a walking stick' });
    // Not the noise case, not the dispatch (not subscribed), nothing twice.
    const deliveries = await deliveriesOf(sub.subscriber.id);
    expect(deliveries.map((d) => d.caseId)).not.toContain(noise);
    expect(deliveries.map((d) => [d.eventType, d.state])).toEqual([['case.dismissed', 'delivered'], ['case.opened', 'delivered']]);
    expect(new Set(r.received.map((m) => m.headers['webhook-id'])).size).toBe(r.received.length);
    await pause(sub.subscriber.id);
  });

  it('keep retrying with backoff while the receiver is down and deliver once when it is back', async () => {
    const r = await receiver();
    const sub = await subscribe(r);
    await r.down();
    const retries = await t.platform.metrics.value('webhook_retries_scheduled_total');
    const caseId = await openCase(t, 'fishing', 'z-riverbank');
    const failing = await waitFor(async () => {
      const d = await deliveryFor(sub.subscriber.id, caseId);
      return d && d.attempts >= 3 ? d : undefined;
    }, 'three failed attempts');
    expect(failing.state).toBe('pending');
    expect(failing.lastError).toMatch(/ECONNREFUSED/);
    expect(await t.platform.metrics.value('webhook_retries_scheduled_total')).toBeGreaterThanOrEqual(retries + 2);
    await r.up();
    const done = await waitFor(async () => {
      const d = await deliveryFor(sub.subscriber.id, caseId);
      return d?.state === 'delivered' ? d : undefined;
    }, 'delivery after the receiver came back');
    expect(done.attempts).toBeGreaterThanOrEqual(4);
    expect(r.withId(done.messageId)).toHaveLength(1);
    await pause(sub.subscriber.id);
  });

  it('dead-letter a message after the attempt cap, and deliver it with the same id on a manual retry', async () => {
    const { r, sub, caseId, dead } = await deadLetter(500);
    expect(dead).toMatchObject({ attempts: 8, lastError: 'HTTP 500' });
    expect(r.withId(dead.messageId)).toHaveLength(8);
    const view = await api<DeliveryRow[]>(t, ops, 'GET', '/api/v1/webhooks/deliveries?state=dead');
    expect(view.body.map((d) => d.id)).toContain(dead.id);
    expect((await api<{ dead: number }[]>(t, ops, 'GET', '/api/v1/webhooks/subscribers')).body.find((s) => (s as unknown as { id: string }).id === sub.subscriber.id)).toMatchObject({ dead: 1 });
    expect(await t.platform.metrics.value('webhook_dead_letters_total')).toBeGreaterThanOrEqual(1);

    r.status = 204;
    expect((await api(t, await login(t, 'east.li'), 'POST', `/api/v1/webhooks/deliveries/${dead.id}/retry`)).status).toBe(403);
    const retried = await api<DeliveryRow>(t, ops, 'POST', `/api/v1/webhooks/deliveries/${dead.id}/retry`);
    expect(retried.status).toBe(200);
    const done = await waitFor(async () => {
      const d = await deliveryFor(sub.subscriber.id, caseId);
      return d?.state === 'delivered' ? d : undefined;
    }, 'delivery after the manual retry');
    expect(done.messageId).toBe(dead.messageId);
    expect(r.withId(dead.messageId)).toHaveLength(9);
    expect(new Set(r.withId(dead.messageId).map((m) => m.body)).size).toBe(1); // the same body every time
    expect((await api<{ code: string }>(t, ops, 'POST', `/api/v1/webhooks/deliveries/${dead.id}/retry`)).body.code).toBe('DELIVERY_NOT_DEAD');
    expect((await api(t, ops, 'POST', '/api/v1/webhooks/deliveries/999999/retry')).status).toBe(404);
    await pause(sub.subscriber.id);
  });

  it('sign with both keys during a rotation grace period, and only the new one after', async () => {
    const r = await receiver();
    const sub = await subscribe(r);
    const rotated = await api<{ secret: string; previousValidUntil: string }>(t, admin, 'POST', `/api/v1/webhooks/subscribers/${sub.subscriber.id}/rotate`, { graceS: 3600 });
    expect(rotated.status).toBe(200);
    expect(Date.parse(rotated.body.previousValidUntil) - Date.now()).toBeGreaterThan(3500_000);
    expect((await api<{ id: string; keys: unknown[] }[]>(t, admin, 'GET', '/api/v1/webhooks/subscribers')).body.find((s) => s.id === sub.subscriber.id)!.keys).toHaveLength(2);
    await openCase(t, 'fishing', 'z-riverbank');
    await waitFor(() => r.received.length >= 1 || undefined, 'the webhook during the grace period');
    const during = r.received[0]!;
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [sub.secret, rotated.body.secret]) expect(() => new Webhook(secret).verify(during.body, during.headers)).not.toThrow();

    const again = await api<{ secret: string }>(t, admin, 'POST', `/api/v1/webhooks/subscribers/${sub.subscriber.id}/rotate`, { graceS: 0 });
    await openCase(t, 'fishing', 'z-riverbank');
    await waitFor(() => r.received.length >= 2 || undefined, 'the webhook after the grace period');
    const after = r.received[1]!;
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(() => new Webhook(again.body.secret).verify(after.body, after.headers)).not.toThrow();
    for (const old of [sub.secret, rotated.body.secret]) expect(() => new Webhook(old).verify(after.body, after.headers)).toThrow();
    await pause(sub.subscriber.id);
  });

  it('keep messages while no worker runs, and share the queue between workers without sending any twice', async () => {
    const r = await receiver();
    const sub = await subscribe(r);
    await t.platform.webhooks!.stop();
    const cases: string[] = [];
    for (let i = 0; i < 12; i++) cases.push(await openCase(t, 'fishing', 'z-riverbank'));
    expect(await count(t, `SELECT 1 FROM webhook_deliveries WHERE subscriber_id = $1 AND state = 'pending'`, [sub.subscriber.id])).toBe(12);
    expect(r.received).toHaveLength(0);
    // Two workers (as two API replicas would run) start on the same queue.
    const second = new WebhookDeliveryWorker(new WebhookRepository(t.platform.db.pool, secretsKey(SECRETS_KEY)), {
      pollMs: 20, batch: 3, maxAttempts: 8, baseMs: 100, maxMs: 300, timeoutMs: 5000, url: { allowedHosts: ['127.0.0.1'], allowPrivate: false },
    }, createLogger('silent'), new Metrics());
    await Promise.all([t.platform.webhooks!.start(), second.start()]);
    try {
      await waitFor(async () => (await count(t, `SELECT 1 FROM webhook_deliveries WHERE subscriber_id = $1 AND state = 'delivered'`, [sub.subscriber.id])) === 12 || undefined, 'every message delivered');
    } finally {
      await second.stop();
    }
    const ids = r.received.map((m) => m.headers['webhook-id']);
    expect(ids).toHaveLength(12);
    expect(new Set(ids).size).toBe(12);
    expect(new Set(r.bodies().map((b) => b.data.case.id))).toEqual(new Set(cases));
    await pause(sub.subscriber.id);
  });

  it.skipIf(!hasBrowser)('show operations the dead letters on the exchange screen, with a retry that delivers', async () => {
    const { r, sub, caseId, dead } = await deadLetter(503);
    r.status = 200;
    const browser = await launch();
    try {
      const context = await browser.newContext(DESKTOP);
      context.setDefaultTimeout(90_000);
      const page = await signIn(context, t, 'ops');
      await page.click('a[href="#/webhooks"]');
      const row = page.locator(`#dead-letters tr[data-delivery="${dead.id}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain(dead.messageId);
      expect(await row.textContent()).toContain('HTTP 503');
      expect(await page.locator(`#webhook-subscribers tr[data-subscriber="${sub.subscriber.id}"]`).textContent()).toContain(r.url);
      await row.locator('button.retry').click();
      await page.locator('#webhook-note', { hasText: dead.messageId }).waitFor();
      await waitFor(async () => (await deliveryFor(sub.subscriber.id, caseId))?.state === 'delivered' || undefined, 'delivery after the retry from the screen');
      await row.waitFor({ state: 'detached' });
    } finally {
      await browser.close();
    }
    expect(r.withId(dead.messageId).length).toBe(9);
    await pause(sub.subscriber.id);
  });
});
