import { describe, expect, it } from 'vitest';
import {
  assignRefusal, declineRefusal, decodePhoto, intakeDecision, maySeeComplaint, newCheckCode, newTrackingNumber, nextEscalation,
  normaliseCode, normaliseTrackingNumber, occurredAtProblem, pointInGeometry, replyRefusal, WindowLimiter, zoneOfPoint,
} from '../../enforcement-api/complaints/domain.js';
import { judgeCrowding, judgeFishing, judgeNoise } from '../../enforcement-api/complaints/sensor-record.js';
import { noiseLimitAt } from '../../core/domain/noise-limits.js';

const square = { type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]] };
const TZ = 'Asia/Shanghai';

describe('complaint rules', () => {
  it('routes into the pipeline only with a zone and a matter', () => {
    expect(intakeDecision('noise', 'z', true)).toEqual({ to: 'fuse', kind: 'noise' });
    expect(intakeDecision('other', 'z', true)).toEqual({ to: 'fuse', kind: 'complaint' });
    expect(intakeDecision('noise', null, true)).toMatchObject({ to: 'coordination' });
    expect(intakeDecision('other', 'z', false)).toEqual({ to: 'coordination', code: 'no_matter', reason: 'no matter in the catalogue for other complaints' });
  });

  it('places points in polygons, not in their holes', () => {
    expect(pointInGeometry({ lon: 1, lat: 1 }, square)).toBe(true);
    expect(pointInGeometry({ lon: 5, lat: 5 }, square)).toBe(false);
    expect(pointInGeometry({ lon: 11, lat: 1 }, square)).toBe(false);
    expect(pointInGeometry({ lon: 1, lat: 1 }, { type: 'MultiPolygon', coordinates: [square.coordinates] })).toBe(true);
    expect(zoneOfPoint({ lon: 1, lat: 1 }, [{ id: 'a', geometry: { type: 'Point' } }, { id: 'b', geometry: square }])).toBe('b');
    expect(zoneOfPoint({ lon: 50, lat: 1 }, [{ id: 'b', geometry: square }])).toBeNull();
  });

  it('lets the desks see every complaint and a team only its own', () => {
    const c = { teamId: 't-east' };
    expect(maySeeComplaint({ role: 'hotline', teamId: null }, c)).toBe(true);
    expect(maySeeComplaint({ role: 'officer', teamId: 't-east' }, c)).toBe(true);
    expect(maySeeComplaint({ role: 'officer', teamId: 't-river' }, c)).toBe(false);
    expect(maySeeComplaint({ role: 'reviewer', teamId: null }, c)).toBe(false);
    expect(maySeeComplaint({ role: 'team_lead', teamId: 't-east' }, { teamId: null })).toBe(false);
  });

  it('orders the reply steps: in stages, then closed; never while queued', () => {
    const officer = { role: 'officer' as const, teamId: 't' };
    expect(replyRefusal(officer, { teamId: 't', status: 'received' }, 'handled')).toBeNull();
    expect(replyRefusal(officer, { teamId: 't', status: 'handled_in_stages' }, 'handled')).toBeNull();
    expect(replyRefusal(officer, { teamId: 't', status: 'handled' }, 'not_handled')?.code).toBe('COMPLAINT_CLOSED');
    expect(replyRefusal({ role: 'operator', teamId: null }, { teamId: null, status: 'coordination' }, 'handled')?.code).toBe('COMPLAINT_IN_COORDINATION');
    expect(replyRefusal({ role: 'hotline', teamId: null }, { teamId: 't', status: 'received' }, 'handled')?.status).toBe(403);
    expect(replyRefusal({ role: 'officer', teamId: 'x' }, { teamId: 't', status: 'received' }, 'handled')?.status).toBe(404);
    expect(declineRefusal(officer, { teamId: 't', status: 'handled_in_stages' })?.code).toBe('INVALID_COMPLAINT_STATE');
    expect(declineRefusal({ role: 'operator', teamId: null }, { teamId: 't', status: 'received' })?.status).toBe(403);
    expect(assignRefusal({ role: 'operator', teamId: null }, { status: 'coordination' })).toBeNull();
    expect(assignRefusal({ role: 'operator', teamId: null }, { status: 'received' })?.status).toBe(409);
    expect(assignRefusal({ role: 'hotline', teamId: null }, { status: 'coordination' })?.status).toBe(403);
  });

  it('escalates a waiting complaint one level per deadline, up to the agency head', () => {
    const due = new Date('2026-01-01T10:00:00Z');
    expect(nextEscalation(0, due, new Date('2026-01-01T09:59:59Z'), 60)).toBeNull();
    expect(nextEscalation(0, due, due, 60)).toEqual({ level: 1, to: 'operator', nextDueAt: new Date('2026-01-01T11:00:00Z') });
    expect(nextEscalation(1, due, due, 60)).toEqual({ level: 2, to: 'agency_head', nextDueAt: null });
    expect(nextEscalation(2, due, new Date('2027-01-01T00:00:00Z'), 60)).toBeNull();
    expect(nextEscalation(0, null, due, 60)).toBeNull();
  });

  it('makes tracking numbers and check codes people can read aloud and type back', () => {
    const n = newTrackingNumber(new Date('2026-12-02T10:00:00Z'), 'Asia/Shanghai');
    expect(n).toMatch(/^C20261202-[0-9A-HJKMNP-TV-Z]{8}$/);
    // Dated on the district's calendar: 17:30 UTC on the 2nd is 01:30 on the 3rd in Shanghai.
    expect(newTrackingNumber(new Date('2026-12-02T17:30:00Z'), 'Asia/Shanghai')).toMatch(/^C20261203-/);
    expect(normaliseTrackingNumber(` ${n.toLowerCase().replace('-', '')} `)).toBe(n);
    expect(new Set(Array.from({ length: 200 }, newCheckCode)).size).toBe(200);
    expect(normaliseCode('ab-cd o il')).toBe('ABCD011');
  });

  it('checks photos by size and by their first bytes', () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(10)]);
    expect(decodePhoto({ contentType: 'image/png', dataBase64: png.toString('base64') }, 100)).toEqual({ bytes: png });
    expect(decodePhoto({ contentType: 'image/jpeg', dataBase64: png.toString('base64') }, 100)).toMatchObject({ code: 'PHOTO_INVALID' });
    expect(decodePhoto({ contentType: 'image/png', dataBase64: Buffer.alloc(300).toString('base64') }, 100)).toMatchObject({ code: 'PHOTO_TOO_LARGE', status: 413 });
  });

  it('accepts times from the last 7 days only', () => {
    const now = new Date('2026-12-02T10:00:00Z');
    expect(occurredAtProblem(new Date('2026-12-02T09:00:00Z'), now)).toBeNull();
    expect(occurredAtProblem(new Date('2026-12-02T10:10:00Z'), now)).toMatch(/future/);
    expect(occurredAtProblem(new Date('2026-11-20T10:00:00Z'), now)).toMatch(/7 days/);
  });

  it('limits requests per key in fixed windows', () => {
    let now = 0;
    const l = new WindowLimiter(2, 1000, () => now);
    expect([l.take('a'), l.take('a'), l.take('a'), l.take('b')]).toEqual([true, true, false, true]);
    expect(l.retryAfterS('a')).toBe(1);
    now = 1000;
    expect(l.take('a')).toBe(true);
    expect(new WindowLimiter(0, 1000).take('a')).toBe(false);
  });
});

describe('the sensor record', () => {
  // 14:40 UTC = 22:40 in Shanghai: night, class 1 → 45 dB(A).
  const at = (hhmm: string) => new Date(`2026-12-02T${hhmm}:00Z`);
  const limit = (m: Date) => noiseLimitAt('1', m, TZ);
  const from = at('14:10');
  const to = at('15:10');

  it('confirms with the minute furthest above its limit', () => {
    const r = judgeNoise([
      { minute: at('14:35'), deviceId: 'a', laeq: 50, lamax: 55 },
      { minute: at('14:40'), deviceId: 'a', laeq: 63, lamax: 66 },
    ], limit, TZ, from, to);
    expect(r).toMatchObject({ verdict: 'confirms', text: 'LAeq 63 dB(A) at 22:40, night limit 45' });
  });

  it('confirms a sudden night event by LAmax', () => {
    const r = judgeNoise([{ minute: at('14:40'), deviceId: 'a', laeq: 44, lamax: 70 }], limit, TZ, from, to);
    expect(r).toMatchObject({ verdict: 'confirms', text: 'LAmax 70 dB(A) at 22:40, night limit for sudden events 60' });
  });

  it('questions it when meters measured no exceedance, and says so when none reported', () => {
    const r = judgeNoise([{ minute: at('14:35'), deviceId: 'a', laeq: 41.26, lamax: 44 }, { minute: at('14:36'), deviceId: 'b', laeq: 40, lamax: 44 }], limit, TZ, from, to);
    expect(r).toMatchObject({ verdict: 'questions', text: 'no exceedance measured: highest LAeq 41.3 dB(A) at 22:35, night limit 45 (2 meters, 22:10–23:10)' });
    expect(judgeNoise([], limit, TZ, from, to)).toMatchObject({ verdict: 'no_data', text: 'no noise readings in the zone 22:10–23:10' });
  });

  it('judges crowding against capacity and fishing by rod tracks', () => {
    expect(judgeCrowding([{ minute: at('11:05'), count: 112 }, { minute: at('11:06'), count: 90 }], 100, TZ, from, to).text).toBe('112 people at 19:05, capacity 100');
    expect(judgeCrowding([{ minute: at('11:05'), count: 60 }], 100, TZ, from, to).verdict).toBe('questions');
    expect(judgeCrowding([], 100, TZ, from, to).verdict).toBe('no_data');
    expect(judgeFishing({ seen: 3, fishingLike: 2, firstAt: at('21:10') }, TZ, from, to).text).toBe('2 person tracks with a rod at the waterline from 05:10');
    expect(judgeFishing({ seen: 3, fishingLike: 0, firstAt: null }, TZ, from, to).verdict).toBe('questions');
    expect(judgeFishing({ seen: 0, fishingLike: 0, firstAt: null }, TZ, from, to).verdict).toBe('no_data');
  });
});
