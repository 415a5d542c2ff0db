import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, sign, signedHeaders, verify } from '../../enforcement-api/webhooks/signature.js';
import { isInternalAddress, messageIdOf, redact, retryDelayMs, urlProblem, wants, webhookEventType } from '../../enforcement-api/webhooks/policy.js';
import { banRules, noticeProblem, ringsMeet, zonesCovered } from '../../enforcement-api/webhooks/ban-rules.js';
import { ZoneSchedule } from '../../core/domain/zone-rules.js';

// The test vector published with the Standard Webhooks reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('Standard Webhooks signatures', () => {
  it('reproduce the specification test vector', () => {
    expect(sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
    // The prefix is optional, as in the reference libraries.
    expect(sign(VECTOR.secret.slice(6), VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it('verify the vector, and refuse a tampered body, id or timestamp, a wrong key and an expired timestamp', () => {
    const msg = { id: VECTOR.id, timestamp: String(VECTOR.timestamp), signature: VECTOR.signature, body: VECTOR.body };
    expect(verify([VECTOR.secret], msg, VECTOR.timestamp + 10, 300)).toEqual({ ok: true, id: VECTOR.id, timestamp: VECTOR.timestamp });
    expect(verify([VECTOR.secret], { ...msg, body: '{"test": 2432232315}' }, VECTOR.timestamp, 300)).toEqual({ ok: false, reason: 'signature_invalid' });
    expect(verify([VECTOR.secret], { ...msg, id: 'msg_other' }, VECTOR.timestamp, 300)).toEqual({ ok: false, reason: 'signature_invalid' });
    expect(verify([VECTOR.secret], { ...msg, timestamp: String(VECTOR.timestamp + 1) }, VECTOR.timestamp, 300)).toEqual({ ok: false, reason: 'signature_invalid' });
    expect(verify([newWebhookSecret()], msg, VECTOR.timestamp, 300)).toEqual({ ok: false, reason: 'signature_invalid' });
    expect(verify([VECTOR.secret], msg, VECTOR.timestamp + 301, 300)).toEqual({ ok: false, reason: 'timestamp_expired' });
    expect(verify([VECTOR.secret], msg, VECTOR.timestamp - 301, 300)).toEqual({ ok: false, reason: 'timestamp_expired' });
    expect(verify([VECTOR.secret], { ...msg, timestamp: '1614265330.5' }, VECTOR.timestamp, 300)).toEqual({ ok: false, reason: 'timestamp_invalid' });
    expect(verify([VECTOR.secret], { ...msg, signature: undefined }, VECTOR.timestamp, 300)).toEqual({ ok: false, reason: 'headers_missing' });
    // A signature of another scheme (v1a: asymmetric) is ignored, one v1 among several is enough.
    expect(verify([VECTOR.secret], { ...msg, signature: `v1a,AAAA v1,bm9wZQ== ${VECTOR.signature}` }, VECTOR.timestamp, 300).ok).toBe(true);
  });

  it('sign with every key in force during a rotation, and the reference library verifies each', () => {
    const [oldKey, newKey] = [newWebhookSecret(), newWebhookSecret()];
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: 'case.opened', timestamp: new Date().toISOString(), data: { n: 1 } });
    const headers = signedHeaders([newKey, oldKey], 'msg_1', now, body);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const key of [oldKey, newKey]) {
      expect(new Webhook(key).verify(body, headers)).toEqual(JSON.parse(body));
      expect(verify([key], { id: headers['webhook-id'], timestamp: headers['webhook-timestamp'], signature: headers['webhook-signature'], body }, now, 300).ok).toBe(true);
    }
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
    // And what the reference library signs, we verify.
    const theirs = new Webhook(newKey).sign('msg_2', new Date(now * 1000), body);
    expect(verify([newKey], { id: 'msg_2', timestamp: String(now), signature: theirs, body }, now, 300).ok).toBe(true);
  });
});

describe('webhook delivery policy', () => {
  it('backs off exponentially with full jitter, under the cap', () => {
    const o = { baseMs: 1000, maxMs: 60_000 };
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, o, () => 0.999999))).toEqual([999, 1999, 3999, 7999]);
    expect(retryDelayMs(30, o, () => 0.999999)).toBe(59_999);
    expect(retryDelayMs(5, o, () => 0)).toBe(0);
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(6, o)));
    expect(spread.size).toBeGreaterThan(40); // random, not lock-step
  });

  it('refuses internal addresses and plain http unless allowed', () => {
    const strict = { allowedHosts: [], allowPrivate: false };
    expect(urlProblem('https://fishing-ban.example.gov.cn/hooks', strict)).toBeNull();
    expect(urlProblem('http://fishing-ban.example.gov.cn/hooks', strict)).toMatch(/plain http/);
    for (const u of ['https://127.0.0.1/x', 'https://10.1.2.3/x', 'https://169.254.169.254/latest', 'https://[::1]/x', 'https://[::ffff:192.168.1.1]/x', 'https://localhost/x', 'https://0.0.0.0/x']) {
      expect(urlProblem(u, strict), u).not.toBeNull();
    }
    expect(urlProblem('https://user:pw@example.org/x', strict)).toMatch(/credentials/);
    expect(urlProblem('ftp://example.org/x', strict)).toMatch(/http/);
    expect(urlProblem('http://127.0.0.1:8099/x', { allowedHosts: ['127.0.0.1:8099'], allowPrivate: false })).toBeNull();
    expect(urlProblem('http://127.0.0.1:8098/x', { allowedHosts: ['127.0.0.1:8099'], allowPrivate: false })).not.toBeNull();
    expect(urlProblem('http://10.0.0.5/x', { allowedHosts: [], allowPrivate: true })).toBeNull();
    expect(isInternalAddress('8.8.8.8')).toBe(false);
    expect(isInternalAddress('2001:4860:4860::8888')).toBe(false);
    expect(isInternalAddress('172.20.0.1')).toBe(true);
    expect(isInternalAddress('100.64.1.1')).toBe(true);
  });

  it('names case events for the outside, keeps access logs and personal data in', () => {
    expect(webhookEventType('reported')).toBe('case.opened');
    expect(webhookEventType('evidence_added')).toBe('case.evidence');
    expect(webhookEventType('evidence_file_reviewed')).toBe('case.evidence');
    expect(webhookEventType('closed')).toBe('case.closed');
    expect(webhookEventType('alert.attached')).toBe('case.alert_attached');
    expect(webhookEventType('sla.escalated')).toBe('case.sla_escalated');
    expect(webhookEventType('evidence_viewed')).toBeNull();
    // The party's own words stay in the case file; that it was notified or asked for a hearing goes out.
    expect(webhookEventType('statement_recorded')).toBeNull();
    expect(webhookEventType('hearing_held')).toBeNull();
    expect(webhookEventType('party_notified')).toBe('case.party_notified');
    expect(webhookEventType('hearing_requested')).toBe('case.hearing_requested');
    expect(wants(['case.*'], 'case.closed')).toBe(true);
    expect(wants(['case.opened'], 'case.closed')).toBe(false);
    expect(redact({ outcome: 'fined', partyId: '110101199003070016', party: { name: 'x' }, fine: { amountYuan: 10000 }, list: [{ phone: '1', a: 1 }] }))
      .toEqual({ outcome: 'fined', fine: { amountYuan: 10000 }, list: [{ a: 1 }] });
    expect(messageIdOf('5b7c0d9e-1111-2222-3333-444455556666', 3)).toBe('msg_5b7c0d9e111122223333444455556666_3');
  });
});

const square = (lon: number, lat: number, d: number) => ({ type: 'Polygon', coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]] });

describe('ban notices', () => {
  const zones = [{ id: 'z-a', geometry: square(118.75, 32.06, 0.004) }, { id: 'z-b', geometry: square(118.78, 32.04, 0.002) }];

  it('cover the zones their geometry meets, or the zones they name', () => {
    expect(zonesCovered({ geometry: square(118.755, 32.06, 0.002) as never }, zones)).toEqual({ zoneIds: ['z-a'] });
    // A long thin stretch along the river crossing both zones, none of its vertices inside either.
    const stretch = { type: 'Polygon', coordinates: [[[118.70, 32.0928], [118.80, 32.0262], [118.80, 32.0272], [118.70, 32.0938], [118.70, 32.0928]]] };
    expect(zonesCovered({ geometry: stretch as never }, zones)).toEqual({ zoneIds: ['z-a', 'z-b'] });
    expect(zonesCovered({ geometry: square(120, 30, 0.01) as never }, zones)).toEqual({ zoneIds: [] });
    expect(zonesCovered({ zoneIds: ['z-b'] }, zones)).toEqual({ zoneIds: ['z-b'] });
    expect(zonesCovered({ zoneIds: ['z-b', 'z-x'] }, zones)).toEqual({ unknown: ['z-x'] });
    expect(ringsMeet(square(0, 0, 1).coordinates[0] as never, square(0, 0, 0.1).coordinates[0] as never)).toBe(true);
  });

  it('become dated fishing rules that the schedule applies on those days only', () => {
    const notice = { id: 'YZ-2026-spring', kind: 'ban_season' as const, name: 'Spring ban', zoneIds: ['z-b'], from: '2026-03-01', until: '2026-06-30' };
    expect(noticeProblem(notice)).toBeNull();
    expect(noticeProblem({ ...notice, from: '2026-07-01' })).toMatch(/after/);
    expect(noticeProblem({ ...notice, until: '2026-02-30' })).toMatch(/not a date/);
    expect(noticeProblem({ ...notice, zoneIds: undefined })).toMatch(/zoneIds or/);
    const rules = banRules(notice, ['z-b']);
    expect(rules).toMatchObject([{ id: 'fishing-ban:YZ-2026-spring@z-b', zoneId: 'z-b', kind: 'fishing', from: '2026-03-01', until: '2026-06-30', params: { fishingBan: true } }]);
    const schedule = new ZoneSchedule(rules);
    const zone = { zoneId: 'z-b', timezone: 'Asia/Shanghai', fishingBan: false };
    expect(schedule.fishingBan(zone, new Date('2026-03-01T00:30:00+08:00'))).toMatchObject({ banned: true, rule: { id: 'fishing-ban:YZ-2026-spring@z-b' } });
    expect(schedule.fishingBan(zone, new Date('2026-06-30T23:30:00+08:00')).banned).toBe(true);
    expect(schedule.fishingBan(zone, new Date('2026-02-28T23:30:00+08:00')).banned).toBe(false);
    expect(schedule.fishingBan(zone, new Date('2026-07-01T00:30:00+08:00')).banned).toBe(false);
    // An open stretch lifts a zone's standing ban, but a ban season on the same days outranks it.
    const open = banRules({ ...notice, id: 'open-1', kind: 'open_stretch', from: null, until: null }, ['z-b']);
    const banned = { ...zone, fishingBan: true };
    expect(new ZoneSchedule(open).fishingBan(banned, new Date('2026-08-01T12:00:00+08:00')).banned).toBe(false);
    expect(new ZoneSchedule([...open, ...rules]).fishingBan(banned, new Date('2026-04-01T12:00:00+08:00')).banned).toBe(true);
  });
});
