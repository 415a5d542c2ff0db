import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { NoiseZoneClass } from '../../core/domain/noise-limits.js';
import type { Complaint, ComplaintCategory, ComplaintChannel, ComplaintReplyStatus, ComplaintStatus, Contact, CoordinationCode } from '../../contract/http/complaints.js';
import { HEAD_LEVEL, type ComplaintViewer } from './domain.js';
import type { NoiseMinute, PeopleMinute } from './sensor-record.js';

/**
 * Complaints' SQL, each statement on the caller's pool or transaction client: the complaint and its
 * photos, events and contact views, the reads and writes of the steps service.ts takes a complaint
 * through, the coordination queue's escalation, and the zone's stored readings for the sensor record.
 */

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

const SELECT = `SELECT c.id, c.tracking_no AS "trackingNumber", c.channel, c.category, c.description, c.zone_id AS "zoneId", z.name AS "zoneName",
  z.name_zh AS "zoneNameZh", c.location, c.address, c.occurred_at AS "occurredAt", c.received_at AS "receivedAt", c.status, c.team_id AS "teamId",
  tt.name AS "teamName", tt.name_zh AS "teamNameZh",
  c.coordination_code AS "coordinationCode", c.declined_by AS "declinedByTeamId", c.decline_reason AS "declineReason",
  dt.name AS "declinedByTeamName", dt.name_zh AS "declinedByTeamNameZh",
  c.matter_code AS "matterCode", k.id AS "caseId", c.reply_due_at AS "replyDueAt", c.reply, c.replied_at AS "repliedAt",
  c.coordination_reason AS "coordinationReason", c.coordination_since AS "coordinationSince", c.escalation_level AS "escalationLevel",
  c.escalation_due_at AS "escalationDueAt", (SELECT count(*)::int FROM complaint_photos p WHERE p.complaint_id = c.id) AS photos,
  (c.contact IS NOT NULL) AS "hasContact"
  FROM complaints c LEFT JOIN zones z ON z.id = c.zone_id LEFT JOIN alerts a ON a.id = c.alert_id
  LEFT JOIN cases k ON k.incident_id = a.incident_id LEFT JOIN teams tt ON tt.id = c.team_id LEFT JOIN teams dt ON dt.id = c.declined_by`;

type Row = Omit<Complaint, 'occurredAt' | 'receivedAt' | 'replyDueAt' | 'repliedAt' | 'coordinationSince' | 'escalationDueAt'> & {
  occurredAt: Date; receivedAt: Date; replyDueAt: Date; repliedAt: Date | null; coordinationSince: Date | null; escalationDueAt: Date | null;
};
export const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const toComplaint = (r: Row): Complaint => ({
  ...r, occurredAt: r.occurredAt.toISOString(), receivedAt: r.receivedAt.toISOString(), replyDueAt: r.replyDueAt.toISOString(),
  repliedAt: iso(r.repliedAt), coordinationSince: iso(r.coordinationSince), escalationDueAt: iso(r.escalationDueAt),
});

/** Every zone with its geometry (the zone a point lies in is found from these). */
export async function zoneGeometries(db: Queryable): Promise<{ id: string; geometry: unknown }[]> {
  return (await db.query<{ id: string; geometry: unknown }>('SELECT id, geometry FROM zones ORDER BY id')).rows;
}

export async function zoneExists(db: Queryable, id: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM zones WHERE id = $1', [id])).rowCount ?? 0) > 0;
}

export async function teamExists(db: Queryable, id: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM teams WHERE id = $1', [id])).rowCount ?? 0) > 0;
}

/** Whether a matter takes alerts of this kind. */
export async function matterExists(db: Queryable, alertKind: string): Promise<boolean> {
  return ((await db.query('SELECT 1 FROM matters WHERE alert_kind = $1', [alertKind])).rowCount ?? 0) > 0;
}

export interface NewComplaintRow {
  id: string;
  trackingNo: string;
  checkHash: string;
  channel: ComplaintChannel;
  category: ComplaintCategory;
  description: string;
  zoneId: string | null;
  location?: { lon: number; lat: number };
  address?: string;
  occurredAt: Date;
  receivedAt: Date;
  filedBy: string | null;
  replyDueAt: Date;
  coordinationCode: CoordinationCode;
  coordinationReason: string;
  escalationDueAt: Date;
  contact?: Contact;
  open311AccountId?: string;
}

/** A new complaint in the coordination queue (received then), with its photos numbered from 1. */
export async function insertComplaint(client: pg.PoolClient, c: NewComplaintRow, photos: readonly { contentType: string; bytes: Buffer }[]): Promise<void> {
  await client.query(
    `INSERT INTO complaints (id, tracking_no, check_hash, channel, category, description, zone_id, location, address, occurred_at,
       received_at, filed_by, status, reply_due_at, coordination_reason, coordination_since, escalation_due_at, contact, open311_account_id, updated_at, coordination_code)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'coordination', $13, $14, $11, $15, $16, $17, $11, $18)`,
    [c.id, c.trackingNo, c.checkHash, c.channel, c.category, c.description, c.zoneId, c.location ? JSON.stringify(c.location) : null,
      c.address ?? null, c.occurredAt, c.receivedAt, c.filedBy, c.replyDueAt, c.coordinationReason, c.escalationDueAt,
      c.contact && Object.keys(c.contact).length > 0 ? JSON.stringify(c.contact) : null, c.open311AccountId ?? null, c.coordinationCode],
  );
  for (const [i, p] of photos.entries()) {
    await client.query(
      'INSERT INTO complaint_photos (complaint_id, n, content_type, sha256, size_bytes, content) VALUES ($1, $2, $3, $4, $5, $6)',
      [c.id, i + 1, p.contentType, createHash('sha256').update(p.bytes).digest('hex'), p.bytes.length, p.bytes],
    );
  }
}

/** One entry of a complaint's history. */
export async function appendComplaintEvent(client: pg.PoolClient, complaintId: string, actor: string, type: string, data: Record<string, unknown>): Promise<void> {
  await client.query('INSERT INTO complaint_events (complaint_id, at, actor, type, data) VALUES ($1, now(), $2, $3, $4)', [complaintId, actor, type, JSON.stringify(data)]);
}

/** The case an alert's incident opened, with its team and matter. */
export async function caseOfAlert(db: Queryable, alertId: string): Promise<{ caseId: string; teamId: string | null; matterCode: string | null } | undefined> {
  const k = await db.query<{ caseId: string; teamId: string | null; matterCode: string | null }>(
    `SELECT k.id AS "caseId", k.team_id AS "teamId", k.matter_code AS "matterCode" FROM alerts a JOIN cases k ON k.incident_id = a.incident_id WHERE a.id = $1`,
    [alertId],
  );
  return k.rows[0];
}

/** The complaint taken in as an alert whose case has a team: it leaves the coordination queue for that team. */
export async function markRouted(client: pg.PoolClient, id: string, alertId: string, teamId: string, matterCode: string | null, now: Date): Promise<void> {
  await client.query(
    `UPDATE complaints SET alert_id = $2, team_id = $3, matter_code = $4, status = 'received', coordination_reason = NULL,
       coordination_code = NULL, declined_by = NULL, decline_reason = NULL, coordination_since = NULL, escalation_due_at = NULL, updated_at = $5 WHERE id = $1`,
    [id, alertId, teamId, matterCode, now],
  );
}

/** The complaint taken in as an alert whose case no team can take: it stays in the coordination queue. */
export async function markUnrouted(client: pg.PoolClient, id: string, alertId: string, matterCode: string | null, reason: string, now: Date): Promise<void> {
  await client.query(`UPDATE complaints SET alert_id = $2, matter_code = $3, coordination_reason = $4, coordination_code = 'no_team', updated_at = $5 WHERE id = $1`,
    [id, alertId, matterCode, reason, now]);
}

export async function complaintById(db: Queryable, id: string): Promise<Complaint | null> {
  const r = await db.query<Row>(`${SELECT} WHERE c.id = $1`, [id]);
  return r.rows[0] ? toComplaint(r.rows[0]) : null;
}

export async function complaintEvents(db: Queryable, id: string): Promise<{ at: string; actor: string; type: string; data: Record<string, unknown> }[]> {
  const events = await db.query<{ at: Date; actor: string; type: string; data: Record<string, unknown> }>(
    'SELECT at, actor, type, data FROM complaint_events WHERE complaint_id = $1 ORDER BY id', [id],
  );
  return events.rows.map((e) => ({ ...e, at: e.at.toISOString() }));
}

/** Complaints the viewer may see (their team's; the hotline, operators and admins every one; the agency head those escalated to them), newest first; a case's with `caseId`. */
export async function listComplaints(db: Queryable, viewer: ComplaintViewer, f: { status?: ComplaintStatus; caseId?: string; limit: number }): Promise<Complaint[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  if (viewer.role === 'officer' || viewer.role === 'team_lead') {
    params.push(viewer.teamId);
    where.push(`c.team_id = $${params.length}`);
  } else if (viewer.role === 'agency_head') {
    where.push(`c.escalation_level >= ${HEAD_LEVEL}`);
  } else if (!['hotline', 'operator', 'admin'].includes(viewer.role)) {
    where.push('FALSE');
  }
  if (f.status) {
    params.push(f.status);
    where.push(`c.status = $${params.length}`);
  }
  if (f.caseId) {
    params.push(f.caseId);
    where.push(`k.id = $${params.length}`);
  }
  params.push(f.limit);
  const r = await db.query<Row>(
    `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.received_at DESC, c.id LIMIT $${params.length}`, params,
  );
  return r.rows.map(toComplaint);
}

/** The complaints fused into a case, oldest first. */
export async function complaintsOfCase(db: Queryable, caseId: string): Promise<Complaint[]> {
  const r = await db.query<Row>(`${SELECT} WHERE k.id = $1 ORDER BY c.received_at`, [caseId]);
  return r.rows.map(toComplaint);
}

/** Complaints by (normalised) tracking number, with when each last changed. */
export async function complaintsByTrackingNumbers(db: Queryable, numbers: readonly string[]): Promise<(Complaint & { updatedAt: string })[]> {
  const r = await db.query<Row & { updatedAt: Date }>(`${SELECT.replace('FROM complaints c', ', c.updated_at AS "updatedAt" FROM complaints c')} WHERE c.tracking_no = ANY($1::text[]) ORDER BY c.received_at`,
    [numbers]);
  return r.rows.map((row) => ({ ...toComplaint(row), updatedAt: row.updatedAt.toISOString() }));
}

/** A complaint's contact and team (who may read the contact is the caller's rule). */
export async function contactOf(db: Queryable, id: string): Promise<{ contact: Contact | null; teamId: string | null } | undefined> {
  const r = await db.query<{ contact: Contact | null; teamId: string | null }>('SELECT contact, team_id AS "teamId" FROM complaints WHERE id = $1', [id]);
  return r.rows[0];
}

/** Records that this person viewed the contact; returns when. */
export async function recordContactView(client: pg.PoolClient, id: string, viewer: string, role: string): Promise<Date> {
  const v = await client.query<{ at: Date }>(
    'INSERT INTO complaint_contact_views (complaint_id, viewer, role) VALUES ($1, $2, $3) RETURNING at', [id, viewer, role],
  );
  return v.rows[0]!.at;
}

/** Who read a complaint's contact, and when. */
export async function contactViews(db: Queryable, id: string): Promise<{ viewer: string; role: string; at: Date }[]> {
  return (await db.query<{ viewer: string; role: string; at: Date }>('SELECT viewer, role, at FROM complaint_contact_views WHERE complaint_id = $1 ORDER BY id', [id])).rows;
}

export async function photoOf(db: Queryable, id: string, n: number): Promise<{ contentType: string; content: Buffer } | null> {
  const r = await db.query<{ contentType: string; content: Buffer }>(
    'SELECT content_type AS "contentType", content FROM complaint_photos WHERE complaint_id = $1 AND n = $2', [id, n],
  );
  return r.rows[0] ?? null;
}

/** The complaint's status and team, row-locked until the transaction ends (concurrent steps queue). */
export async function lockComplaint(client: pg.PoolClient, id: string): Promise<{ status: ComplaintStatus; teamId: string | null } | undefined> {
  const r = await client.query<{ status: ComplaintStatus; teamId: string | null }>('SELECT status, team_id AS "teamId" FROM complaints WHERE id = $1 FOR UPDATE', [id]);
  return r.rows[0];
}

export async function recordReply(client: pg.PoolClient, id: string, status: ComplaintReplyStatus, reply: string, now: Date, by: string): Promise<void> {
  await client.query(
    `UPDATE complaints SET status = $2, reply = $3, replied_at = $4, replied_by = $5, first_replied_at = coalesce(first_replied_at, $4), updated_at = $4 WHERE id = $1`,
    [id, status, reply, now, by],
  );
}

/** Back to the coordination queue, its escalation clock restarted at level 0. */
export async function recordDecline(client: pg.PoolClient, id: string, by: { teamId: string | null; reason: string }, now: Date, escalationDueAt: Date): Promise<void> {
  await client.query(
    `UPDATE complaints SET status = 'coordination', team_id = NULL, coordination_reason = $2, coordination_since = $3,
       coordination_code = 'declined', declined_by = $5, decline_reason = $6, escalation_level = 0, escalation_due_at = $4, updated_at = $3 WHERE id = $1`,
    [id, `declined by ${by.teamId}: ${by.reason}`, now, escalationDueAt, by.teamId, by.reason],
  );
}

/**
 * A case dispatched to another team takes its complaints with it: those the previous team held (and,
 * for a case no team had, those waiting in the coordination queue for it) now belong to the new team,
 * which replies to them and reads their contact; the previous team no longer does. Each move is an
 * entry of the complaint's history. Returns the complaints moved.
 */
export async function followCaseTeam(client: pg.PoolClient, caseId: string, previousTeamId: string | null, teamId: string, actor: string, now: Date): Promise<string[]> {
  const moved = await client.query<{ id: string }>(
    `UPDATE complaints c SET team_id = $3, status = CASE WHEN c.status = 'coordination' THEN 'received' ELSE c.status END,
       coordination_reason = CASE WHEN c.status = 'coordination' THEN NULL ELSE c.coordination_reason END,
       coordination_code = CASE WHEN c.status = 'coordination' THEN NULL ELSE c.coordination_code END,
       declined_by = CASE WHEN c.status = 'coordination' THEN NULL ELSE c.declined_by END,
       decline_reason = CASE WHEN c.status = 'coordination' THEN NULL ELSE c.decline_reason END,
       coordination_since = CASE WHEN c.status = 'coordination' THEN NULL ELSE c.coordination_since END,
       escalation_due_at = CASE WHEN c.status = 'coordination' THEN NULL ELSE c.escalation_due_at END, updated_at = $4
     FROM alerts a JOIN cases k ON k.incident_id = a.incident_id
     WHERE k.id = $1 AND c.alert_id = a.id AND c.team_id IS NOT DISTINCT FROM $2::text AND ($2::text IS NOT NULL OR c.status = 'coordination')
     RETURNING c.id`,
    [caseId, previousTeamId, teamId, now],
  );
  for (const { id } of moved.rows) await appendComplaintEvent(client, id, actor, 'transferred', { caseId, fromTeamId: previousTeamId, teamId });
  return moved.rows.map((r) => r.id);
}

/** Given to a team: out of the coordination queue. */
export async function recordAssignment(client: pg.PoolClient, id: string, teamId: string, now: Date): Promise<void> {
  await client.query(
    `UPDATE complaints SET status = 'received', team_id = $2, coordination_reason = NULL, coordination_code = NULL, declined_by = NULL, decline_reason = NULL, coordination_since = NULL,
       escalation_due_at = NULL, updated_at = $3 WHERE id = $1`,
    [id, teamId, now],
  );
}

/** A case's team (undefined for an unknown case). */
export async function caseTeam(db: Queryable, caseId: string): Promise<{ teamId: string | null } | undefined> {
  const k = await db.query<{ teamId: string | null }>('SELECT team_id AS "teamId" FROM cases WHERE id = $1', [caseId]);
  return k.rows[0];
}

/** Queued complaints past their escalation deadline, row-locked (others' locked ones skipped), at most 200. */
export async function dueForEscalation(client: pg.PoolClient, now: Date): Promise<{ id: string; trackingNumber: string; level: number; dueAt: Date }[]> {
  const due = await client.query<{ id: string; trackingNumber: string; level: number; dueAt: Date }>(
    `SELECT id, tracking_no AS "trackingNumber", escalation_level AS level, escalation_due_at AS "dueAt" FROM complaints
     WHERE status = 'coordination' AND escalation_due_at <= $1 ORDER BY escalation_due_at LIMIT 200 FOR UPDATE SKIP LOCKED`,
    [now],
  );
  return due.rows;
}

/** One level up; the next deadline (none at the top level). */
export async function recordEscalation(client: pg.PoolClient, id: string, level: number, nextDueAt: Date | null, now: Date): Promise<void> {
  await client.query('UPDATE complaints SET escalation_level = $2, escalation_due_at = $3, updated_at = $4 WHERE id = $1', [id, level, nextDueAt, now]);
}

/** What the complainant may see of a complaint, with the hash their check code is verified against. */
export async function statusByTrackingNumber(db: Queryable, tracking: string) {
  const r = await db.query<{ trackingNumber: string; category: ComplaintCategory; status: ComplaintStatus; receivedAt: Date; replyDueAt: Date; reply: string | null; repliedAt: Date | null; hash: string }>(
    `SELECT tracking_no AS "trackingNumber", category, status, received_at AS "receivedAt", reply_due_at AS "replyDueAt", reply,
       replied_at AS "repliedAt", check_hash AS hash FROM complaints WHERE tracking_no = $1`,
    [tracking],
  );
  return r.rows[0];
}

/** Teams' names by id. */
export async function teamNames(db: Queryable): Promise<Map<string, string>> {
  const r = await db.query<{ id: string; name: string }>('SELECT id, name FROM teams');
  return new Map(r.rows.map((t) => [t.id, t.name]));
}

/** What the sensor record needs of a zone. */
export async function zoneForRecord(db: Queryable, zoneId: string) {
  const z = await db.query<{ noiseClass: NoiseZoneClass; timezone: string; capacity: number | null }>(
    'SELECT noise_class AS "noiseClass", timezone, capacity FROM zones WHERE id = $1', [zoneId],
  );
  return z.rows[0];
}

/** The zone's meters per minute in [from, to): energetic mean LAeq and maximum LAmax. */
export async function noiseMinutes(db: Queryable, zoneId: string, from: Date, to: Date): Promise<NoiseMinute[]> {
  const r = await db.query<NoiseMinute>(
    `SELECT date_trunc('minute', n.ts) AS minute, n.device_id AS "deviceId", (10 * log(avg(power(10::float8, n.laeq / 10))))::float8 AS laeq,
       max(n.lamax)::float8 AS lamax
     FROM noise_readings n JOIN devices d ON d.id = n.device_id WHERE d.zone_id = $1 AND n.ts >= $2 AND n.ts < $3 GROUP BY 1, 2 ORDER BY 1`,
    [zoneId, from, to],
  );
  return r.rows;
}

/** The zone's people per minute in [from, to): each counter's peak, summed. */
export async function peopleMinutes(db: Queryable, zoneId: string, from: Date, to: Date): Promise<PeopleMinute[]> {
  const r = await db.query<PeopleMinute>(
    `SELECT minute, sum(peak)::int AS count FROM (SELECT date_trunc('minute', p.ts) AS minute, p.device_id, max(p.count) AS peak
       FROM people_counts p JOIN devices d ON d.id = p.device_id WHERE d.zone_id = $1 AND p.ts >= $2 AND p.ts < $3 GROUP BY 1, 2) m
     GROUP BY minute ORDER BY minute`,
    [zoneId, from, to],
  );
  return r.rows;
}

/** The zone's camera tracks in [from, to): how many, how many fishing-like (rod score and waterline), the first such. */
export async function fishingSightings(db: Queryable, zoneId: string, from: Date, to: Date, rodScoreMin: number, waterlineMaxM: number) {
  const r = await db.query<{ seen: number; fishingLike: number; firstAt: Date | null }>(
    `SELECT count(DISTINCT t.track_id)::int AS seen,
       count(DISTINCT t.track_id) FILTER (WHERE t.rod_score >= $4 AND t.waterline_m <= $5)::int AS "fishingLike",
       min(t.ts) FILTER (WHERE t.rod_score >= $4 AND t.waterline_m <= $5) AS "firstAt"
     FROM track_observations t JOIN devices d ON d.id = t.device_id WHERE d.zone_id = $1 AND t.ts >= $2 AND t.ts < $3`,
    [zoneId, from, to, rodScoreMin, waterlineMaxM],
  );
  return r.rows[0] ?? { seen: 0, fishingLike: 0, firstAt: null };
}
