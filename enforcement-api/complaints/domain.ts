import { randomInt } from 'node:crypto';
import type { Role } from '../../contract/http/auth.js';
import type { AlertKind } from '../../contract/mqtt/alert.js';
import type { ComplaintCategory, ComplaintReplyStatus, ComplaintStatus, CoordinationCode } from '../../contract/http/complaints.js';
import { localDate } from '../domain/legal-rules.js';

/**
 * Complaints' pure rules (DESIGN §3: 接诉即转、有诉必应): which alert kind (and so which matter of the
 * catalogue) a category is, where a complaint goes, who may see and do what, the reply steps, the
 * coordination queue's escalation, tracking numbers and check codes, and where a point lies.
 */

/** Each category is an alert kind; the matter catalogue (matters.alert_kind) gives its matter. */
export const CATEGORY_KIND: Readonly<Record<ComplaintCategory, AlertKind>> = {
  noise: 'noise',
  fishing: 'fishing',
  crowding: 'crowding',
  other: 'complaint',
};

/** Names as the hotline and the Open311 service list show them. */
export const CATEGORY_NAMES: Readonly<Record<ComplaintCategory, { en: string; zh: string; description: string }>> = {
  noise: { en: 'Noise (amplified music, loudspeakers)', zh: '噪声扰民', description: 'Amplified music, square dancing or loudspeakers too loud in a park or square' },
  fishing: { en: 'Fishing in a fishing-ban zone', zh: '违规垂钓', description: 'Someone fishing on the riverbank where fishing is banned' },
  crowding: { en: 'Crowding or people in the water', zh: '人员聚集/戏水', description: 'Too many people, or people swimming or playing in the river' },
  other: { en: 'Other problem in a park or on the riverbank', zh: '其他问题', description: 'Anything else in the parks or along the river' },
};

export type IntakeDecision = { to: 'fuse'; kind: AlertKind } | { to: 'coordination'; code: CoordinationCode; reason: string };

/**
 * Where a new complaint goes: into the alert pipeline (routed and fused like any alert) when it has a
 * zone and its category has a matter; otherwise straight to the coordination queue. Routing may still
 * find no team: then the case's fallback puts the complaint in the queue too.
 */
export function intakeDecision(category: ComplaintCategory, zoneId: string | null, matterExists: boolean): IntakeDecision {
  if (zoneId === null) return { to: 'coordination', code: 'no_zone', reason: 'the place is in no zone of the district\'s sites' };
  if (!matterExists) return { to: 'coordination', code: 'no_matter', reason: `no matter in the catalogue for ${category} complaints` };
  return { to: 'fuse', kind: CATEGORY_KIND[category] };
}

/** Roles that read complaints and their private contact details (each view recorded). */
const DESK_ROLES: readonly Role[] = ['hotline', 'operator', 'admin'];

export interface ComplaintReach {
  teamId: string | null;
  /** How far the coordination queue escalated it (0 none; 2 the agency head). */
  escalationLevel?: number;
}
export interface ComplaintViewer {
  role: Role;
  teamId: string | null;
}

/** Who may see a complaint: the hotline and operations desks every one, a team the ones it owes a reply. */
export function maySeeComplaint(v: ComplaintViewer, c: ComplaintReach): boolean {
  if (DESK_ROLES.includes(v.role)) return true;
  if (v.role === 'officer' || v.role === 'team_lead') return c.teamId !== null && c.teamId === v.teamId;
  // The agency head, once the coordination queue escalated a complaint to them.
  if (v.role === 'agency_head') return (c.escalationLevel ?? 0) >= HEAD_LEVEL;
  return false;
}

/** The contact is read by whoever sees the complaint (the desks, and the team that calls the complainant back); each read is recorded. */
export function mayReadContact(v: ComplaintViewer, c: ComplaintReach): boolean {
  // The agency head sees an escalated complaint to get it routed, not to call the complainant.
  return v.role !== 'agency_head' && maySeeComplaint(v, c);
}

export type ComplaintRefusal = { status: 403 | 404 | 409; code: string; message: string };
const refuse = (status: ComplaintRefusal['status'], code: string, message: string): ComplaintRefusal => ({ status, code, message });

/** A reply (办结 / 阶段性办结 / 未办结) by the team that owes it, or the operations desk on its behalf. */
export function replyRefusal(v: ComplaintViewer, c: ComplaintReach & { status: ComplaintStatus }, next: ComplaintReplyStatus): ComplaintRefusal | null {
  if (!maySeeComplaint(v, c)) return refuse(404, 'COMPLAINT_NOT_FOUND', 'no such complaint');
  if (v.role === 'hotline') return refuse(403, 'FORBIDDEN', 'the hotline relays replies; the team handling the complaint gives them');
  if (c.status === 'coordination') return refuse(409, 'COMPLAINT_IN_COORDINATION', 'no team has the complaint: assign it first');
  if (c.status === 'handled' || c.status === 'not_handled') return refuse(409, 'COMPLAINT_CLOSED', `the complaint was already answered ${c.status}`);
  void next;
  return null;
}

/** A team declines a complaint that is not theirs: it goes to the coordination queue. */
export function declineRefusal(v: ComplaintViewer, c: ComplaintReach & { status: ComplaintStatus }): ComplaintRefusal | null {
  if (!maySeeComplaint(v, c)) return refuse(404, 'COMPLAINT_NOT_FOUND', 'no such complaint');
  if (v.role !== 'officer' && v.role !== 'team_lead') return refuse(403, 'FORBIDDEN', 'only the team holding a complaint declines it');
  if (c.status !== 'received') return refuse(409, 'INVALID_COMPLAINT_STATE', `a complaint that is ${c.status} cannot be declined`);
  return null;
}

/** The coordination desk (operations centre) gives a queued complaint to a team. */
export function assignRefusal(v: ComplaintViewer, c: { status: ComplaintStatus }): ComplaintRefusal | null {
  if (v.role !== 'operator' && v.role !== 'admin') return refuse(403, 'FORBIDDEN', 'the operations centre assigns complaints from the coordination queue');
  if (c.status !== 'coordination') return refuse(409, 'INVALID_COMPLAINT_STATE', `a complaint that is ${c.status} is not in the coordination queue`);
  return null;
}

/** Who hears of an escalation at each level: 1 the coordination lead (operations centre), 2 the agency head. */
export const ESCALATION_LEVELS = [{ level: 1, to: 'operator' }, { level: 2, to: 'agency_head' }] as const;
/** The level at which the agency head has a complaint (and sees it). */
export const HEAD_LEVEL = 2;
export const MAX_ESCALATION_LEVEL = 2;

/**
 * The coordination queue escalates: a complaint waiting past its deadline goes one level up, and gets
 * a new deadline of the same length, until the agency head has it. Null: nothing to do now.
 */
export function nextEscalation(level: number, dueAt: Date | null, now: Date, deadlineMin: number): { level: number; to: string; nextDueAt: Date | null } | null {
  if (dueAt === null || now < dueAt || level >= MAX_ESCALATION_LEVEL) return null;
  const next = level + 1;
  const to = ESCALATION_LEVELS.find((l) => l.level === next)?.to ?? 'agency_head';
  return { level: next, to, nextDueAt: next >= MAX_ESCALATION_LEVEL ? null : new Date(now.getTime() + deadlineMin * 60_000) };
}

// Crockford's base32: no I, L, O, U (read aloud over the phone without confusion).
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const randomChars = (n: number) => Array.from({ length: n }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

/**
 * A tracking number: the day it was received (on the district's calendar, as the complainant dates it)
 * and 8 random characters (40 bits: not guessable in sequence).
 */
export function newTrackingNumber(receivedAt: Date, timeZone: string): string {
  const d = localDate(receivedAt, timeZone).replaceAll('-', '');
  return `C${d}-${randomChars(8)}`;
}

/** A check code of 8 characters (40 bits), shown once to the complainant. */
export const newCheckCode = (): string => randomChars(8);

/** What a person types, as stored: upper case, no spaces or dashes, O→0 and I/L→1 as Crockford reads them. */
export function normaliseCode(s: string): string {
  return s.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
}
export function normaliseTrackingNumber(s: string): string {
  const t = s.trim().toUpperCase().replace(/\s/g, '');
  const m = /^C(\d{8})-?([0-9A-Z]{8})$/.exec(t);
  return m ? `C${m[1]}-${normaliseCode(m[2]!)}` : t;
}

type Ring = readonly (readonly number[])[];
/** Ray casting over one ring. */
function inRing(lon: number, lat: number, ring: Ring): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Whether a point lies in a GeoJSON Polygon or MultiPolygon (holes excluded). */
export function pointInGeometry(p: { lon: number; lat: number }, geometry: unknown): boolean {
  const g = geometry as { type?: string; coordinates?: unknown };
  const polygons: Ring[][] = g.type === 'Polygon' ? [g.coordinates as Ring[]] : g.type === 'MultiPolygon' ? (g.coordinates as Ring[][]) : [];
  return polygons.some((rings) => rings.length > 0 && inRing(p.lon, p.lat, rings[0]!) && !rings.slice(1).some((hole) => inRing(p.lon, p.lat, hole)));
}

/** The zone a point lies in (the first, in the order given), or null. */
export function zoneOfPoint(p: { lon: number; lat: number }, zones: readonly { id: string; geometry: unknown }[]): string | null {
  return zones.find((z) => pointInGeometry(p, z.geometry))?.id ?? null;
}

/**
 * Fixed-window request limit per key (a client address): `limit` requests per `windowMs`. In memory,
 * per API process; the table forgets expired windows as it grows.
 */
export class WindowLimiter {
  private readonly windows = new Map<string, { start: number; n: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; false when the key is over its limit in this window. */
  take(key: string): boolean {
    const t = this.now();
    if (this.windows.size > 50_000) for (const [k, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(k);
    const w = this.windows.get(key);
    if (!w || t - w.start >= this.windowMs) {
      this.windows.set(key, { start: t, n: 1 });
      return this.limit > 0;
    }
    w.n++;
    return w.n <= this.limit;
  }

  /** Seconds until the key's window ends. */
  retryAfterS(key: string): number {
    const w = this.windows.get(key);
    return w ? Math.max(1, Math.ceil((w.start + this.windowMs - this.now()) / 1000)) : 1;
  }
}

const MAGIC: Record<string, (b: Buffer) => boolean> = {
  'image/jpeg': (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/png': (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/webp': (b) => b.length > 12 && b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

/** A photo as sent (base64): its bytes, or why it is refused (too large, or not the image type it claims). */
export function decodePhoto(p: { contentType: string; dataBase64: string }, maxBytes: number): { bytes: Buffer } | { status: 400 | 413; code: string; message: string } {
  // Decoded size from the encoded length, before decoding anything large.
  if (Math.floor((p.dataBase64.length * 3) / 4) - 2 > maxBytes) return { status: 413, code: 'PHOTO_TOO_LARGE', message: `a photo may have at most ${maxBytes} bytes` };
  const bytes = Buffer.from(p.dataBase64, 'base64');
  if (bytes.length > maxBytes) return { status: 413, code: 'PHOTO_TOO_LARGE', message: `a photo may have at most ${maxBytes} bytes` };
  const check = MAGIC[p.contentType];
  if (!check || !check(bytes)) return { status: 400, code: 'PHOTO_INVALID', message: `the photo is not a ${p.contentType} image` };
  return { bytes };
}

/** When a complaint may say it happened: not ahead of the clock (5 min slack), at most 7 days back. */
export function occurredAtProblem(occurredAt: Date, now: Date): string | null {
  if (Number.isNaN(occurredAt.getTime())) return 'occurredAt: not a date';
  if (occurredAt.getTime() > now.getTime() + 5 * 60_000) return 'occurredAt: in the future';
  if (occurredAt.getTime() < now.getTime() - 7 * 86_400_000) return 'occurredAt: more than 7 days ago (file it with the hotline)';
  return null;
}

/**
 * What is wrong with a complaint's point as sent (before the schema's own checks, so that a point typed
 * as text or out of range gets its own code, LOCATION_INVALID, not a generic one): both coordinates,
 * numbers, latitude −90…90 and longitude −180…180 (decimal degrees, WGS 84).
 */
export function locationProblem(location: unknown): string | undefined {
  if (location === undefined) return undefined;
  if (location === null || typeof location !== 'object' || Array.isArray(location)) return 'location: an object { lat, lon } in decimal degrees';
  const { lat, lon } = location as { lat?: unknown; lon?: unknown };
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) return `location.lat: a number from -90 to 90 (decimal degrees), not ${JSON.stringify(lat ?? null)}`;
  if (typeof lon !== 'number' || !Number.isFinite(lon) || lon < -180 || lon > 180) return `location.lon: a number from -180 to 180 (decimal degrees), not ${JSON.stringify(lon ?? null)}`;
  return undefined;
}
