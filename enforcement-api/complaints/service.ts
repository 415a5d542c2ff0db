import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction } from '../../core/db/transaction.js';
import { hashPassword, verifyPassword } from '../../core/secrets.js';
import type { ZoneSchedule } from '../../core/domain/zone-rules.js';
import type {
  Complaint, ComplaintCategory, ComplaintChannel, ComplaintDetail, ComplaintReplyStatus, ComplaintStatus, Contact, PublicStatus, SensorRecord,
} from '../../contract/http/complaints.js';
import type { CaseRepository } from '../cases/repository.js';
import {
  assignRefusal, CATEGORY_KIND, declineRefusal, intakeDecision, mayReadContact, maySeeComplaint, newCheckCode, newTrackingNumber, nextEscalation,
  normaliseCode, normaliseTrackingNumber, replyRefusal, zoneOfPoint, type ComplaintViewer, type ComplaintRefusal,
} from './domain.js';
import { judgeCrowding, judgeFishing, judgeNoise, unmeasured, ROD_SCORE_MIN, WATERLINE_MAX_M } from './sensor-record.js';
import * as repo from './repository.js';

export interface ComplaintSettings {
  /** COMPLAINT_REPLY_DUE_H: hours the team has to reply. */
  replyDueH: number;
  /** COMPLAINT_COORDINATION_MIN: minutes a complaint waits in the coordination queue before it escalates a level. */
  coordinationMin: number;
  /** INCIDENT_WINDOW_MIN: the fusion window, and the sensor record's span on each side. */
  windowMin: number;
  /** DEFAULT_TIMEZONE: the district's calendar (the day in a tracking number). */
  timezone: string;
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

export type Outcome<T> = { ok: true; value: T } | ({ ok: false } & ComplaintRefusal);

/** A scrypt hash of a code nobody has, checked when a tracking number is unknown: both answers take as long. */
let decoyHash: Promise<string> | undefined;

/**
 * Complaints: intake into the alert pipeline, the reply steps, the coordination queue, contact views.
 * The rules are domain.ts's and sensor-record.ts's; each step reads and writes through repository.ts,
 * its writes in one transaction.
 */
export class ComplaintService {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cases: CaseRepository,
    private readonly settings: ComplaintSettings,
    private readonly schedule: () => Promise<ZoneSchedule>,
  ) {}

  /** The zone a point lies in. */
  async zoneAt(p: { lon: number; lat: number }): Promise<string | null> {
    return zoneOfPoint(p, await repo.zoneGeometries(this.pool));
  }

  zoneExists(id: string): Promise<boolean> {
    return repo.zoneExists(this.pool, id);
  }

  /**
   * Files a complaint and routes it: it is stored first in the coordination queue (so a failure later
   * leaves it with the coordination desk, never nowhere), then, when it has a zone and a matter, taken
   * in as an alert (fused with an incident of the same kind, zone and time, or opening a case) and
   * given to the case's team.
   */
  async create(input: NewComplaintInput, now = new Date()): Promise<{ complaint: Complaint; checkCode: string }> {
    const zoneId = input.zoneId ?? (input.location ? await this.zoneAt(input.location) : null);
    const decision = intakeDecision(input.category, zoneId, await repo.matterExists(this.pool, CATEGORY_KIND[input.category]));
    const id = randomUUID();
    const trackingNo = newTrackingNumber(now, this.settings.timezone);
    const checkCode = newCheckCode();
    const checkHash = await hashPassword(`${trackingNo}:${normaliseCode(checkCode)}`);
    const replyDueAt = new Date(now.getTime() + this.settings.replyDueH * 3_600_000);
    await inTransaction(this.pool, async (client) => {
      await repo.insertComplaint(client, {
        id, trackingNo, checkHash, channel: input.channel, category: input.category, description: input.description, zoneId,
        location: input.location, address: input.address, occurredAt: input.occurredAt, receivedAt: now, filedBy: input.filedBy, replyDueAt,
        coordinationCode: decision.to === 'coordination' ? decision.code : 'routing',
        coordinationReason: decision.to === 'coordination' ? decision.reason : 'being routed',
        escalationDueAt: new Date(now.getTime() + this.settings.coordinationMin * 60_000),
        contact: input.contact, open311AccountId: input.open311AccountId,
      }, input.photos);
      await repo.appendComplaintEvent(client, id, input.filedBy ?? input.channel, 'received', { channel: input.channel, category: input.category, zoneId });
      if (decision.to === 'coordination') await repo.appendComplaintEvent(client, id, 'system', 'coordination', { reason: decision.reason });
    });
    if (decision.to === 'fuse' && zoneId !== null) {
      const alertId = randomBytes(16).toString('hex');
      const at = input.occurredAt.toISOString();
      const result = await this.cases.intake({
        id: alertId, kind: decision.kind, zoneId, startedAt: at, detectedAt: at,
        summary: `Citizen complaint ${trackingNo}: ${input.description.slice(0, 120)}`,
        summaryZh: `市民投诉 ${trackingNo}：${input.description.slice(0, 120)}`,
        evidence: { source: 'complaint', complaintId: id, trackingNumber: trackingNo, category: input.category },
      }, this.settings.windowMin);
      await inTransaction(this.pool, async (client) => {
        const c = await repo.caseOfAlert(client, alertId);
        if (!c) throw new Error(`complaint ${id}: alert ${alertId} opened no case`);
        if (c.teamId) await repo.markRouted(client, id, alertId, c.teamId, c.matterCode, now);
        else await repo.markUnrouted(client, id, alertId, c.matterCode, 'no team can take the case', now);
        await repo.appendComplaintEvent(client, id, 'system', result.outcome === 'attached' ? 'fused' : 'case_opened', { caseId: c.caseId, teamId: c.teamId });
        if (!c.teamId) await repo.appendComplaintEvent(client, id, 'system', 'coordination', { reason: 'no team can take the case' });
      });
    }
    const complaint = await repo.complaintById(this.pool, id);
    if (!complaint) throw new Error(`complaint ${id} vanished`);
    return { complaint, checkCode };
  }

  /** A complaint the viewer may see (another team's looks like a missing one), with its sensor record and events. */
  async detail(id: string, viewer: ComplaintViewer): Promise<ComplaintDetail | null> {
    const c = await repo.complaintById(this.pool, id);
    if (!c || !maySeeComplaint(viewer, c)) return null;
    const events = await repo.complaintEvents(this.pool, id);
    return { ...c, sensorRecord: await this.sensorRecord(c), events };
  }

  /** Complaints the viewer may see, newest first; a case's complaints with `caseId`. */
  list(viewer: ComplaintViewer, f: { status?: ComplaintStatus; caseId?: string; limit: number }): Promise<Complaint[]> {
    return repo.listComplaints(this.pool, viewer, f);
  }

  /** The complaints fused into a case (the case view; the caller checked the case's jurisdiction). */
  async ofCase(caseId: string): Promise<ComplaintDetail[]> {
    const complaints = await repo.complaintsOfCase(this.pool, caseId);
    return Promise.all(complaints.map(async (c) => ({ ...c, sensorRecord: await this.sensorRecord(c), events: [] })));
  }

  /** The contact, recorded as viewed by this person (in the same transaction as the read). */
  async contact(id: string, viewer: ComplaintViewer & { id: string }): Promise<{ contact: Contact; at: Date } | null> {
    return inTransaction(this.pool, async (client) => {
      const row = await repo.contactOf(client, id);
      if (!row || !mayReadContact(viewer, row)) return null;
      const at = await repo.recordContactView(client, id, viewer.id, viewer.role);
      return { contact: row.contact ?? {}, at };
    });
  }

  /** Who read a complaint's contact, and when. */
  contactViews(id: string): Promise<{ viewer: string; role: string; at: Date }[]> {
    return repo.contactViews(this.pool, id);
  }

  async photo(id: string, n: number, viewer: ComplaintViewer): Promise<{ contentType: string; content: Buffer } | null> {
    const c = await repo.complaintById(this.pool, id);
    if (!c || !maySeeComplaint(viewer, c)) return null;
    return repo.photoOf(this.pool, id, n);
  }

  /** One locked complaint, a refusal check, the change and its event, in one transaction. */
  private async step(id: string, check: (c: { status: ComplaintStatus; teamId: string | null }) => ComplaintRefusal | null,
    apply: (client: pg.PoolClient) => Promise<void>): Promise<Outcome<Complaint>> {
    const refused = await inTransaction(this.pool, async (client) => {
      const c = await repo.lockComplaint(client, id);
      if (!c) return { status: 404 as const, code: 'COMPLAINT_NOT_FOUND', message: 'no such complaint' };
      const no = check(c);
      if (no) return no;
      await apply(client);
      return null;
    });
    if (refused) return { ok: false, ...refused };
    return { ok: true, value: (await repo.complaintById(this.pool, id))! };
  }

  /** The team's reply: handled (办结), handled in stages (阶段性办结) or not handled (未办结). */
  reply(id: string, viewer: ComplaintViewer & { id: string }, status: ComplaintReplyStatus, reply: string, now = new Date()): Promise<Outcome<Complaint>> {
    return this.step(id, (c) => replyRefusal(viewer, c, status), async (client) => {
      await repo.recordReply(client, id, status, reply, now, viewer.id);
      await repo.appendComplaintEvent(client, id, viewer.id, 'replied', { status, reply });
    });
  }

  /** A team declines: the complaint goes to the coordination queue, its escalation clock starts. */
  decline(id: string, viewer: ComplaintViewer & { id: string }, reason: string, now = new Date()): Promise<Outcome<Complaint>> {
    return this.step(id, (c) => declineRefusal(viewer, c), async (client) => {
      await repo.recordDecline(client, id, { teamId: viewer.teamId, reason }, now, new Date(now.getTime() + this.settings.coordinationMin * 60_000));
      await repo.appendComplaintEvent(client, id, viewer.id, 'declined', { teamId: viewer.teamId, reason });
    });
  }

  /** The coordination desk gives the complaint to a team (and an unrouted case of it with it). */
  async assign(id: string, viewer: ComplaintViewer & { id: string }, teamId: string, note: string | undefined, now = new Date()): Promise<Outcome<Complaint>> {
    if (!(await repo.teamExists(this.pool, teamId))) {
      return { ok: false, status: 404, code: 'TEAM_NOT_FOUND', message: `no team ${teamId}` };
    }
    const out = await this.step(id, (c) => assignRefusal(viewer, c), async (client) => {
      await repo.recordAssignment(client, id, teamId, now);
      await repo.appendComplaintEvent(client, id, viewer.id, 'assigned', { teamId, ...(note ? { note } : {}) });
    });
    if (out.ok && out.value.caseId) {
      const k = await repo.caseTeam(this.pool, out.value.caseId);
      if (k && k.teamId === null) {
        await this.cases.transition(out.value.caseId, { id: viewer.id, role: viewer.role, teamId: viewer.teamId }, { event: 'dispatch', fields: { teamId, note: `complaint ${out.value.trackingNumber} assigned by the coordination desk` } });
      }
    }
    return out;
  }

  /** Escalates every queued complaint past its deadline one level; returns what it escalated. */
  async escalateDue(now: Date): Promise<{ id: string; trackingNumber: string; level: number; to: string }[]> {
    return inTransaction(this.pool, async (client) => {
      const done = [];
      for (const c of await repo.dueForEscalation(client, now)) {
        const next = nextEscalation(c.level, c.dueAt, now, this.settings.coordinationMin);
        if (!next) continue;
        await repo.recordEscalation(client, c.id, next.level, next.nextDueAt, now);
        await repo.appendComplaintEvent(client, c.id, 'system', 'escalated', { level: next.level, to: next.to, dueAt: c.dueAt.toISOString() });
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
    const row = await repo.statusByTrackingNumber(this.pool, tracking);
    const attempt = `${tracking}:${normaliseCode(checkCode)}`;
    if (!row) {
      await verifyPassword(attempt, await (decoyHash ??= hashPassword(randomBytes(16).toString('hex'))));
      return null;
    }
    if (!(await verifyPassword(attempt, row.hash))) return null;
    return {
      trackingNumber: row.trackingNumber, category: row.category, status: row.status, receivedAt: row.receivedAt.toISOString(),
      replyDueAt: row.replyDueAt.toISOString(), reply: row.reply, repliedAt: repo.iso(row.repliedAt),
    };
  }

  /** Complaints by tracking number (Open311 status: whoever holds the number; no personal details). */
  byTrackingNumbers(numbers: readonly string[]): Promise<(Complaint & { updatedAt: string })[]> {
    return repo.complaintsByTrackingNumbers(this.pool, numbers.map(normaliseTrackingNumber));
  }

  /** Teams' names (Open311 `agency_responsible`). */
  teamNames(): Promise<Map<string, string>> {
    return repo.teamNames(this.pool);
  }

  /** What the zone's stored readings say around the complaint's time (see sensor-record.ts). */
  async sensorRecord(c: Complaint): Promise<SensorRecord | null> {
    if (c.zoneId === null) return null;
    const at = new Date(c.occurredAt);
    const w = this.settings.windowMin * 60_000;
    const from = new Date(at.getTime() - w);
    const to = new Date(at.getTime() + w);
    const zone = await repo.zoneForRecord(this.pool, c.zoneId);
    if (!zone) return null;
    switch (c.category) {
      case 'noise': {
        const minutes = await repo.noiseMinutes(this.pool, c.zoneId, from, to);
        const schedule = await this.schedule();
        return judgeNoise(minutes, (m) => schedule.noiseLimit({ zoneId: c.zoneId!, timezone: zone.timezone, noiseClass: zone.noiseClass }, m), zone.timezone, from, to);
      }
      case 'crowding': {
        const minutes = await repo.peopleMinutes(this.pool, c.zoneId, from, to);
        const schedule = await this.schedule();
        return judgeCrowding(minutes, schedule.capacity({ zoneId: c.zoneId, timezone: zone.timezone, capacity: zone.capacity }, at).capacity, zone.timezone, from, to);
      }
      case 'fishing':
        return judgeFishing(await repo.fishingSightings(this.pool, c.zoneId, from, to, ROD_SCORE_MIN, WATERLINE_MAX_M), zone.timezone, from, to);
      case 'other':
        return unmeasured(c.category, from, to);
      default: {
        const never: never = c.category;
        throw new Error(`unknown category ${String(never)}`);
      }
    }
  }
}
