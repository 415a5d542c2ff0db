import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../core/db/transaction.js';
import { hashPassword, verifyPassword } from '../../core/secrets.js';
import type { ZoneSchedule } from '../../core/domain/zone-rules.js';
import type { NoiseZoneClass } from '../../core/domain/noise-limits.js';
import type {
  Complaint, ComplaintCategory, ComplaintChannel, ComplaintDetail, ComplaintReplyStatus, ComplaintStatus, Contact, PublicStatus, SensorRecord,
} from '../../contract/http/complaints.js';
import type { CaseRepository } from '../cases/repository.js';
import {
  assignRefusal, CATEGORY_KIND, declineRefusal, intakeDecision, mayReadContact, maySeeComplaint, newCheckCode, newTrackingNumber, nextEscalation,
  normaliseCode, normaliseTrackingNumber, replyRefusal, zoneOfPoint, type ComplaintViewer, type ComplaintRefusal,
} from './domain.js';
import { judgeCrowding, judgeFishing, judgeNoise, unmeasured, ROD_SCORE_MIN, WATERLINE_MAX_M, type NoiseMinute, type PeopleMinute } from './sensor-record.js';

export interface ComplaintSettings {
  /** COMPLAINT_REPLY_DUE_H: hours the team has to reply. */
  replyDueH: number;
  /** COMPLAINT_COORDINATION_MIN: minutes a complaint waits in the coordination queue before it escalates a level. */
  coordinationMin: number;
  /** INCIDENT_WINDOW_MIN: the fusion window, and the sensor record's span on each side. */
  windowMin: number;
}

export interface NewComplaintInput {
  channel: ComplaintChannel;
  category: ComplaintCategory;
  description: string;
  zoneId?: string;
  location?: { lon: number; lat: number };
  address?: string;
  occurredAt: Date;
  photos: { contentType: string; bytes: Buffer }[];
  contact?: Contact;
  filedBy: string | null;
  open311AccountId?: string;
}

const SELECT = `SELECT c.id, c.tracking_no AS "trackingNumber", c.channel, c.category, c.description, c.zone_id AS "zoneId", z.name AS "zoneName",
  c.location, c.address, c.occurred_at AS "occurredAt", c.received_at AS "receivedAt", c.status, c.team_id AS "teamId",
  c.matter_code AS "matterCode", k.id AS "caseId", c.reply_due_at AS "replyDueAt", c.reply, c.replied_at AS "repliedAt",
  c.coordination_reason AS "coordinationReason", c.coordination_since AS "coordinationSince", c.escalation_level AS "escalationLevel",
  c.escalation_due_at AS "escalationDueAt", (SELECT count(*)::int FROM complaint_photos p WHERE p.complaint_id = c.id) AS photos,
  (c.contact IS NOT NULL) AS "hasContact"
  FROM complaints c LEFT JOIN zones z ON z.id = c.zone_id LEFT JOIN alerts a ON a.id = c.alert_id
  LEFT JOIN cases k ON k.incident_id = a.incident_id`;

type Row = Omit<Complaint, 'occurredAt' | 'receivedAt' | 'replyDueAt' | 'repliedAt' | 'coordinationSince' | 'escalationDueAt'> & {
  occurredAt: Date; receivedAt: Date; replyDueAt: Date; repliedAt: Date | null; coordinationSince: Date | null; escalationDueAt: Date | null;
};
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const toComplaint = (r: Row): Complaint => ({
  ...r, occurredAt: r.occurredAt.toISOString(), receivedAt: r.receivedAt.toISOString(), replyDueAt: r.replyDueAt.toISOString(),
  repliedAt: iso(r.repliedAt), coordinationSince: iso(r.coordinationSince), escalationDueAt: iso(r.escalationDueAt),
});

export type Outcome<T> = { ok: true; value: T } | ({ ok: false } & ComplaintRefusal);

/** A scrypt hash of a code nobody has, checked when a tracking number is unknown: both answers take as long. */
let decoyHash: Promise<string> | undefined;

/** Complaints: intake into the alert pipeline, the reply steps, the coordination queue, contact views. */
export class ComplaintRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cases: CaseRepository,
    private readonly settings: ComplaintSettings,
    private readonly schedule: () => Promise<ZoneSchedule>,
  ) {}

  /** The zone a point lies in. */
  async zoneAt(p: { lon: number; lat: number }): Promise<string | null> {
    const zones = await this.pool.query<{ id: string; geometry: unknown }>('SELECT id, geometry FROM zones ORDER BY id');
    return zoneOfPoint(p, zones.rows);
  }

  async zoneExists(id: string): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM zones WHERE id = $1', [id])).rowCount ?? 0) > 0;
  }

  /**
   * Files a complaint and routes it: it is stored first in the coordination queue (so a failure later
   * leaves it with the coordination desk, never nowhere), then, when it has a zone and a matter, taken
   * in as an alert (fused with an incident of the same kind, zone and time, or opening a case) and
   * given to the case's team.
   */
  async create(input: NewComplaintInput, now = new Date()): Promise<{ complaint: Complaint; checkCode: string }> {
    const zoneId = input.zoneId ?? (input.location ? await this.zoneAt(input.location) : null);
    const decision = intakeDecision(input.category, zoneId, await this.matterExists(input.category));
    const id = randomUUID();
    const trackingNo = newTrackingNumber(now);
    const checkCode = newCheckCode();
    const checkHash = await hashPassword(`${trackingNo}:${normaliseCode(checkCode)}`);
    const replyDueAt = new Date(now.getTime() + this.settings.replyDueH * 3_600_000);
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO complaints (id, tracking_no, check_hash, channel, category, description, zone_id, location, address, occurred_at,
           received_at, filed_by, status, reply_due_at, coordination_reason, coordination_since, escalation_due_at, contact, open311_account_id, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'coordination', $13, $14, $11, $15, $16, $17, $11)`,
        [id, trackingNo, checkHash, input.channel, input.category, input.description, zoneId, input.location ? JSON.stringify(input.location) : null,
          input.address ?? null, input.occurredAt, now, input.filedBy, replyDueAt,
          decision.to === 'coordination' ? decision.reason : 'being routed', new Date(now.getTime() + this.settings.coordinationMin * 60_000),
          input.contact && Object.keys(input.contact).length > 0 ? JSON.stringify(input.contact) : null, input.open311AccountId ?? null],
      );
      for (const [i, p] of input.photos.entries()) {
        await client.query(
          'INSERT INTO complaint_photos (complaint_id, n, content_type, sha256, size_bytes, content) VALUES ($1, $2, $3, $4, $5, $6)',
          [id, i + 1, p.contentType, createHash('sha256').update(p.bytes).digest('hex'), p.bytes.length, p.bytes],
        );
      }
      await event(client, id, input.filedBy ?? input.channel, 'received', { channel: input.channel, category: input.category, zoneId });
      if (decision.to === 'coordination') await event(client, id, 'system', 'coordination', { reason: decision.reason });
    });
    if (decision.to === 'fuse' && zoneId !== null) {
      const alertId = randomBytes(16).toString('hex');
      const at = input.occurredAt.toISOString();
      const result = await this.cases.intake({
        id: alertId, kind: decision.kind, zoneId, startedAt: at, detectedAt: at,
        summary: `Citizen complaint ${trackingNo}: ${input.description.slice(0, 120)}`,
        evidence: { source: 'complaint', complaintId: id, trackingNumber: trackingNo, category: input.category },
      }, this.settings.windowMin);
      await inTransaction(this.pool, async (client) => {
        const k = await client.query<{ caseId: string; teamId: string | null; matterCode: string | null }>(
          `SELECT k.id AS "caseId", k.team_id AS "teamId", k.matter_code AS "matterCode" FROM alerts a JOIN cases k ON k.incident_id = a.incident_id WHERE a.id = $1`,
          [alertId],
        );
        const c = k.rows[0];
        if (!c) throw new Error(`complaint ${id}: alert ${alertId} opened no case`);
        if (c.teamId) {
          await client.query(
            `UPDATE complaints SET alert_id = $2, team_id = $3, matter_code = $4, status = 'received', coordination_reason = NULL,
               coordination_since = NULL, escalation_due_at = NULL, updated_at = $5 WHERE id = $1`,
            [id, alertId, c.teamId, c.matterCode, now],
          );
        } else {
          await client.query(`UPDATE complaints SET alert_id = $2, matter_code = $3, coordination_reason = $4, updated_at = $5 WHERE id = $1`,
            [id, alertId, c.matterCode, 'no team can take the case', now]);
        }
        await event(client, id, 'system', result.outcome === 'attached' ? 'fused' : 'case_opened', { caseId: c.caseId, teamId: c.teamId });
        if (!c.teamId) await event(client, id, 'system', 'coordination', { reason: 'no team can take the case' });
      });
    }
    const complaint = await this.byId(id);
    if (!complaint) throw new Error(`complaint ${id} vanished`);
    return { complaint, checkCode };
  }

  private async matterExists(category: ComplaintCategory): Promise<boolean> {
    return ((await this.pool.query('SELECT 1 FROM matters WHERE alert_kind = $1', [CATEGORY_KIND[category]])).rowCount ?? 0) > 0;
  }

  private async byId(id: string): Promise<Complaint | null> {
    const r = await this.pool.query<Row>(`${SELECT} WHERE c.id = $1`, [id]);
    return r.rows[0] ? toComplaint(r.rows[0]) : null;
  }

  /** A complaint the viewer may see (another team's looks like a missing one), with its sensor record and events. */
  async detail(id: string, viewer: ComplaintViewer): Promise<ComplaintDetail | null> {
    const c = await this.byId(id);
    if (!c || !maySeeComplaint(viewer, c)) return null;
    const events = await this.pool.query<{ at: Date; actor: string; type: string; data: Record<string, unknown> }>(
      'SELECT at, actor, type, data FROM complaint_events WHERE complaint_id = $1 ORDER BY id', [id],
    );
    return { ...c, sensorRecord: await this.sensorRecord(c), events: events.rows.map((e) => ({ ...e, at: e.at.toISOString() })) };
  }

  /** Complaints the viewer may see, newest first; a case's complaints with `caseId`. */
  async list(viewer: ComplaintViewer, f: { status?: ComplaintStatus; caseId?: string; limit: number }): Promise<Complaint[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (viewer.role === 'officer' || viewer.role === 'team_lead') {
      params.push(viewer.teamId);
      where.push(`c.team_id = $${params.length}`);
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
    const r = await this.pool.query<Row>(
      `${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY c.received_at DESC, c.id LIMIT $${params.length}`, params,
    );
    return r.rows.map(toComplaint);
  }

  /** The complaints fused into a case (the case view; the caller checked the case's jurisdiction). */
  async ofCase(caseId: string): Promise<ComplaintDetail[]> {
    const r = await this.pool.query<Row>(`${SELECT} WHERE k.id = $1 ORDER BY c.received_at`, [caseId]);
    return Promise.all(r.rows.map(async (row) => {
      const c = toComplaint(row);
      return { ...c, sensorRecord: await this.sensorRecord(c), events: [] };
    }));
  }

  /** The contact, recorded as viewed by this person (in the same transaction as the read). */
  async contact(id: string, viewer: ComplaintViewer & { id: string }): Promise<{ contact: Contact; at: Date } | null> {
    return inTransaction(this.pool, async (client) => {
      const r = await client.query<{ contact: Contact | null; teamId: string | null }>('SELECT contact, team_id AS "teamId" FROM complaints WHERE id = $1', [id]);
      const row = r.rows[0];
      if (!row || !mayReadContact(viewer, row)) return null;
      const v = await client.query<{ at: Date }>(
        'INSERT INTO complaint_contact_views (complaint_id, viewer, role) VALUES ($1, $2, $3) RETURNING at', [id, viewer.id, viewer.role],
      );
      return { contact: row.contact ?? {}, at: v.rows[0]!.at };
    });
  }

  /** Who read a complaint's contact, and when. */
  async contactViews(id: string): Promise<{ viewer: string; role: string; at: Date }[]> {
    return (await this.pool.query<{ viewer: string; role: string; at: Date }>('SELECT viewer, role, at FROM complaint_contact_views WHERE complaint_id = $1 ORDER BY id', [id])).rows;
  }

  async photo(id: string, n: number, viewer: ComplaintViewer): Promise<{ contentType: string; content: Buffer } | null> {
    const c = await this.byId(id);
    if (!c || !maySeeComplaint(viewer, c)) return null;
    const r = await this.pool.query<{ contentType: string; content: Buffer }>(
      'SELECT content_type AS "contentType", content FROM complaint_photos WHERE complaint_id = $1 AND n = $2', [id, n],
    );
    return r.rows[0] ?? null;
  }

  /** One locked complaint, a refusal check, the change and its event, in one transaction. */
  private async step(id: string, viewer: ComplaintViewer & { id: string }, check: (c: { status: ComplaintStatus; teamId: string | null }) => ComplaintRefusal | null,
    apply: (client: pg.PoolClient) => Promise<void>): Promise<Outcome<Complaint>> {
    const refused = await inTransaction(this.pool, async (client) => {
      const r = await client.query<{ status: ComplaintStatus; teamId: string | null }>('SELECT status, team_id AS "teamId" FROM complaints WHERE id = $1 FOR UPDATE', [id]);
      const c = r.rows[0];
      if (!c) return { status: 404 as const, code: 'COMPLAINT_NOT_FOUND', message: 'no such complaint' };
      const no = check(c);
      if (no) return no;
      await apply(client);
      return null;
    });
    if (refused) return { ok: false, ...refused };
    return { ok: true, value: (await this.byId(id))! };
  }

  /** The team's reply: handled (办结), handled in stages (阶段性办结) or not handled (未办结). */
  reply(id: string, viewer: ComplaintViewer & { id: string }, status: ComplaintReplyStatus, reply: string, now = new Date()): Promise<Outcome<Complaint>> {
    return this.step(id, viewer, (c) => replyRefusal(viewer, c, status), async (client) => {
      await client.query(
        `UPDATE complaints SET status = $2, reply = $3, replied_at = $4, replied_by = $5, first_replied_at = coalesce(first_replied_at, $4), updated_at = $4 WHERE id = $1`,
        [id, status, reply, now, viewer.id],
      );
      await event(client, id, viewer.id, 'replied', { status, reply });
    });
  }

  /** A team declines: the complaint goes to the coordination queue, its escalation clock starts. */
  decline(id: string, viewer: ComplaintViewer & { id: string }, reason: string, now = new Date()): Promise<Outcome<Complaint>> {
    return this.step(id, viewer, (c) => declineRefusal(viewer, c), async (client) => {
      await client.query(
        `UPDATE complaints SET status = 'coordination', team_id = NULL, coordination_reason = $2, coordination_since = $3,
           escalation_level = 0, escalation_due_at = $4, updated_at = $3 WHERE id = $1`,
        [id, `declined by ${viewer.teamId}: ${reason}`, now, new Date(now.getTime() + this.settings.coordinationMin * 60_000)],
      );
      await event(client, id, viewer.id, 'declined', { teamId: viewer.teamId, reason });
    });
  }

  /** The coordination desk gives the complaint to a team (and an unrouted case of it with it). */
  async assign(id: string, viewer: ComplaintViewer & { id: string }, teamId: string, note: string | undefined, now = new Date()): Promise<Outcome<Complaint>> {
    if (((await this.pool.query('SELECT 1 FROM teams WHERE id = $1', [teamId])).rowCount ?? 0) === 0) {
      return { ok: false, status: 404, code: 'TEAM_NOT_FOUND', message: `no team ${teamId}` };
    }
    const out = await this.step(id, viewer, (c) => assignRefusal(viewer, c), async (client) => {
      await client.query(
        `UPDATE complaints SET status = 'received', team_id = $2, coordination_reason = NULL, coordination_since = NULL,
           escalation_due_at = NULL, updated_at = $3 WHERE id = $1`,
        [id, teamId, now],
      );
      await event(client, id, viewer.id, 'assigned', { teamId, ...(note ? { note } : {}) });
    });
    if (out.ok && out.value.caseId) {
      const k = await this.pool.query<{ teamId: string | null }>('SELECT team_id AS "teamId" FROM cases WHERE id = $1', [out.value.caseId]);
      if (k.rows[0] && k.rows[0].teamId === null) {
        await this.cases.transition(out.value.caseId, { id: viewer.id, role: viewer.role, teamId: viewer.teamId }, { event: 'dispatch', fields: { teamId, note: `complaint ${out.value.trackingNumber} assigned by the coordination desk` } });
      }
    }
    return out;
  }

  /** Escalates every queued complaint past its deadline one level; returns what it escalated. */
  async escalateDue(now: Date): Promise<{ id: string; trackingNumber: string; level: number; to: string }[]> {
    return inTransaction(this.pool, async (client) => {
      const due = await client.query<{ id: string; trackingNumber: string; level: number; dueAt: Date }>(
        `SELECT id, tracking_no AS "trackingNumber", escalation_level AS level, escalation_due_at AS "dueAt" FROM complaints
         WHERE status = 'coordination' AND escalation_due_at <= $1 ORDER BY escalation_due_at LIMIT 200 FOR UPDATE SKIP LOCKED`,
        [now],
      );
      const done = [];
      for (const c of due.rows) {
        const next = nextEscalation(c.level, c.dueAt, now, this.settings.coordinationMin);
        if (!next) continue;
        await client.query('UPDATE complaints SET escalation_level = $2, escalation_due_at = $3, updated_at = $4 WHERE id = $1', [c.id, next.level, next.nextDueAt, now]);
        await event(client, c.id, 'system', 'escalated', { level: next.level, to: next.to, dueAt: c.dueAt.toISOString() });
        done.push({ id: c.id, trackingNumber: c.trackingNumber, level: next.level, to: next.to });
      }
      return done;
    });
  }

  /**
   * The complainant's view, only with the right check code. An unknown number and a wrong code give the
   * same null after the same work (a scrypt check either way).
   */
  async publicStatus(trackingNumber: string, checkCode: string): Promise<PublicStatus | null> {
    const tracking = normaliseTrackingNumber(trackingNumber);
    const r = await this.pool.query<{ trackingNumber: string; category: ComplaintCategory; status: ComplaintStatus; receivedAt: Date; replyDueAt: Date; reply: string | null; repliedAt: Date | null; hash: string }>(
      `SELECT tracking_no AS "trackingNumber", category, status, received_at AS "receivedAt", reply_due_at AS "replyDueAt", reply,
         replied_at AS "repliedAt", check_hash AS hash FROM complaints WHERE tracking_no = $1`,
      [tracking],
    );
    const row = r.rows[0];
    const attempt = `${tracking}:${normaliseCode(checkCode)}`;
    if (!row) {
      await verifyPassword(attempt, await (decoyHash ??= hashPassword(randomBytes(16).toString('hex'))));
      return null;
    }
    if (!(await verifyPassword(attempt, row.hash))) return null;
    return {
      trackingNumber: row.trackingNumber, category: row.category, status: row.status, receivedAt: row.receivedAt.toISOString(),
      replyDueAt: row.replyDueAt.toISOString(), reply: row.reply, repliedAt: iso(row.repliedAt),
    };
  }

  /** Complaints by tracking number (Open311 status: whoever holds the number; no personal details). */
  async byTrackingNumbers(numbers: readonly string[]): Promise<(Complaint & { updatedAt: string })[]> {
    const r = await this.pool.query<Row & { updatedAt: Date }>(`${SELECT.replace('FROM complaints c', ', c.updated_at AS "updatedAt" FROM complaints c')} WHERE c.tracking_no = ANY($1::text[]) ORDER BY c.received_at`,
      [numbers.map(normaliseTrackingNumber)]);
    return r.rows.map((row) => ({ ...toComplaint(row), updatedAt: row.updatedAt.toISOString() }));
  }

  /** Teams' names (Open311 `agency_responsible`). */
  async teamNames(): Promise<Map<string, string>> {
    const r = await this.pool.query<{ id: string; name: string }>('SELECT id, name FROM teams');
    return new Map(r.rows.map((t) => [t.id, t.name]));
  }

  /** What the zone's stored readings say around the complaint's time (see sensor-record.ts). */
  async sensorRecord(c: Complaint): Promise<SensorRecord | null> {
    if (c.zoneId === null) return null;
    const at = new Date(c.occurredAt);
    const w = this.settings.windowMin * 60_000;
    const from = new Date(at.getTime() - w);
    const to = new Date(at.getTime() + w);
    const z = await this.pool.query<{ noiseClass: NoiseZoneClass; timezone: string; capacity: number | null }>(
      'SELECT noise_class AS "noiseClass", timezone, capacity FROM zones WHERE id = $1', [c.zoneId],
    );
    const zone = z.rows[0];
    if (!zone) return null;
    switch (c.category) {
      case 'noise': {
        const r = await this.pool.query<NoiseMinute>(
          `SELECT date_trunc('minute', n.ts) AS minute, n.device_id AS "deviceId", (10 * log(avg(power(10::float8, n.laeq / 10))))::float8 AS laeq,
             max(n.lamax)::float8 AS lamax
           FROM noise_readings n JOIN devices d ON d.id = n.device_id WHERE d.zone_id = $1 AND n.ts >= $2 AND n.ts < $3 GROUP BY 1, 2 ORDER BY 1`,
          [c.zoneId, from, to],
        );
        const schedule = await this.schedule();
        return judgeNoise(r.rows, (m) => schedule.noiseLimit({ zoneId: c.zoneId!, timezone: zone.timezone, noiseClass: zone.noiseClass }, m), zone.timezone, from, to);
      }
      case 'crowding': {
        const r = await this.pool.query<PeopleMinute>(
          `SELECT minute, sum(peak)::int AS count FROM (SELECT date_trunc('minute', p.ts) AS minute, p.device_id, max(p.count) AS peak
             FROM people_counts p JOIN devices d ON d.id = p.device_id WHERE d.zone_id = $1 AND p.ts >= $2 AND p.ts < $3 GROUP BY 1, 2) m
           GROUP BY minute ORDER BY minute`,
          [c.zoneId, from, to],
        );
        const schedule = await this.schedule();
        return judgeCrowding(r.rows, schedule.capacity({ zoneId: c.zoneId, timezone: zone.timezone, capacity: zone.capacity }, at).capacity, zone.timezone, from, to);
      }
      case 'fishing': {
        const r = await this.pool.query<{ seen: number; fishingLike: number; firstAt: Date | null }>(
          `SELECT count(DISTINCT t.track_id)::int AS seen,
             count(DISTINCT t.track_id) FILTER (WHERE t.rod_score >= $4 AND t.waterline_m <= $5)::int AS "fishingLike",
             min(t.ts) FILTER (WHERE t.rod_score >= $4 AND t.waterline_m <= $5) AS "firstAt"
           FROM track_observations t JOIN devices d ON d.id = t.device_id WHERE d.zone_id = $1 AND t.ts >= $2 AND t.ts < $3`,
          [c.zoneId, from, to, ROD_SCORE_MIN, WATERLINE_MAX_M],
        );
        return judgeFishing(r.rows[0] ?? { seen: 0, fishingLike: 0, firstAt: null }, zone.timezone, from, to);
      }
      case 'other':
        return unmeasured(c.category, from, to);
      default: {
        const never: never = c.category;
        throw new Error(`unknown category ${String(never)}`);
      }
    }
  }
}

async function event(client: pg.PoolClient, complaintId: string, actor: string, type: string, data: Record<string, unknown>): Promise<void> {
  await client.query('INSERT INTO complaint_events (complaint_id, at, actor, type, data) VALUES ($1, now(), $2, $3, $4)', [complaintId, actor, type, JSON.stringify(data)]);
}
