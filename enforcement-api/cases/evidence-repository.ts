import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { isCaseState, reject, type Actor, type CaseState, type Rejection } from '../domain/case-lifecycle.js';
import { contentProblem, sensorEvidenceIssues, type EvidenceType } from '../domain/evidence.js';
import { maySeeCase } from '../domain/jurisdiction.js';
import { inTransaction } from '../../core/db/transaction.js';
import { appendEvent } from './events.js';
import { certificatesOf, matterDomainsOf, sensorRecordsOf, zoneGeometryOf } from './legal-repository.js';
import { certificateProblem, localDate } from '../domain/legal-rules.js';
import { CONTENT_TYPES_OF, distanceToZoneM, fileEvidenceIssues, type EvidenceKind } from '../legal/evidence-files.js';

/**
 * Evidence of a case: uploaded files (photos, exports) and the sensor records of its alerts.
 *
 * Files live in the database (`case_evidence.content`, bytea), named by their SHA-256: the file and
 * its `evidence_added` case event commit in one transaction, one backup holds both, every API replica
 * reads the same store, and a trigger refuses UPDATE, DELETE and TRUNCATE. The size limit
 * (EVIDENCE_MAX_BYTES) keeps rows reasonable; bulky media would move to object storage keyed by the
 * same hash. The same file uploaded twice to one case is stored once (idempotent retries).
 *
 * A file counts as evidence only with its metadata (enforcement-api/legal/evidence-files.ts) and a
 * person's review; every view and export of a file is a case event (chain of custody).
 */

export interface EvidenceMeta {
  evidenceType: EvidenceKind;
  capturedAt: string;
  location: { lat: number; lon: number };
  collectors: string[];
  /** Why a recording was captured away from the case's zone (beyond the tolerance). */
  placeReason?: string;
}

export interface EvidenceSettings {
  /** Timezone whose calendar dates capture times and certificates are judged on. */
  timezone: string;
  /** How far (metres) outside the case's zone a recording may be captured without a stated reason. */
  captureZoneToleranceM: number;
}

import type { EvidenceFile, SensorEvidence } from '../../contract/http/evidence.js';

export type { EvidenceFile, SensorEvidence };

const FILE_COLUMNS = `id, sha256, content_type AS "contentType", size_bytes AS "sizeBytes", filename, description,
  uploaded_by AS "uploadedBy", uploaded_at AS "uploadedAt", evidence_type AS "evidenceType", captured_at AS "capturedAt",
  capture_location AS "captureLocation", collectors, capture_place_reason AS "capturePlaceReason",
  coalesce((SELECT json_agg(json_build_object('reviewer', r.reviewer, 'role', r.role, 'at', r.at, 'note', r.note) ORDER BY r.id)
    FROM evidence_file_reviews r WHERE r.evidence_id = case_evidence.id), '[]'::json) AS reviews`;

type FileRow = Omit<EvidenceFile, 'valid' | 'problems'>;
const judged = (f: FileRow): EvidenceFile => {
  const issues = fileEvidenceIssues(f);
  return { ...f, valid: issues.length === 0, problems: issues.map((i) => i.text), problemCodes: issues.map((i) => i.code) };
};

/** States in which a case file still takes evidence. */
const OPEN_FOR_EVIDENCE: readonly CaseState[] = ['dispatched', 'accepted', 'on_site', 'decision_proposed', 'returned', 'resolved_on_site'];

interface LockedCase {
  state: string;
  teamId: string | null;
  supportTeamId: string | null;
  inReview: boolean;
  reviewPostId: string | null;
}

async function lockCase(client: pg.PoolClient, caseId: string, actor: Actor): Promise<LockedCase | Rejection> {
  const r = await client.query<LockedCase>(
    `SELECT state, team_id AS "teamId", support_team_id AS "supportTeamId", review_submitted_at IS NOT NULL AS "inReview", review_post_id AS "reviewPostId" FROM cases WHERE id = $1 FOR UPDATE`,
    [caseId],
  );
  const c = r.rows[0];
  if (!c || !isCaseState(c.state) || !maySeeCase(actor, c)) return reject(404, 'CASE_NOT_FOUND', 'no such case');
  return c;
}

export class EvidenceRepository {
  private readonly timezone: string;

  constructor(
    private readonly pool: pg.Pool,
    private readonly settings: EvidenceSettings,
  ) {
    this.timezone = settings.timezone;
  }

  /** Stores a file as evidence of a case (officers and team leads of its team, while the file is open). */
  async add(caseId: string, actor: Actor, file: { contentType: EvidenceType; bytes: Buffer; filename?: string; description?: string; meta?: EvidenceMeta }): Promise<Rejection | { created: boolean; file: EvidenceFile }> {
    if (actor.role !== 'officer' && actor.role !== 'team_lead') return reject(403, 'FORBIDDEN', `a ${actor.role} may not add evidence (officers and team leads may)`);
    const problem = contentProblem(file.contentType, file.bytes);
    if (problem) return reject(422, 'CONTENT_MISMATCH', `${file.contentType}: ${problem}`);
    const meta = file.meta;
    if (meta && !CONTENT_TYPES_OF[meta.evidenceType].includes(file.contentType)) {
      return reject(422, 'TYPE_MISMATCH', `a ${meta.evidenceType} is ${CONTENT_TYPES_OF[meta.evidenceType].join(' or ')}, not ${file.contentType}`);
    }
    const now = new Date();
    if (meta && Date.parse(meta.capturedAt) > now.getTime() + 5 * 60_000) return reject(422, 'CAPTURE_TIME_INVALID', `capturedAt ${meta.capturedAt} lies in the future`);
    const sha256 = createHash('sha256').update(file.bytes).digest('hex');
    return inTransaction(this.pool, async (client) => {
      const c = await lockCase(client, caseId, actor);
      if ('ok' in c) return c;
      if (!OPEN_FOR_EVIDENCE.includes(c.state as CaseState)) return reject(409, 'CASE_FILE_CLOSED', `a case that is ${c.state} takes no more evidence`);
      const existing = await client.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM case_evidence WHERE case_id = $1 AND sha256 = $2`, [caseId, sha256]);
      if (existing.rows[0]) return { created: false, file: judged(existing.rows[0]) };
      if (meta) {
        const refused = (await this.collectorProblem(client, caseId, c, actor, meta)) ?? (await this.captureProblem(client, caseId, sha256, meta));
        if (refused) return refused;
      }
      const at = now.toISOString();
      const inserted = await client.query<FileRow>(
        `INSERT INTO case_evidence (id, case_id, sha256, content_type, size_bytes, filename, description, uploaded_by, uploaded_at, content,
           evidence_type, captured_at, capture_location, collectors, capture_place_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING ${FILE_COLUMNS}`,
        [randomUUID(), caseId, sha256, file.contentType, file.bytes.length, file.filename ?? null, file.description ?? null, actor.id, at, file.bytes,
          meta?.evidenceType ?? null, meta?.capturedAt ?? null, meta ? JSON.stringify(meta.location) : null, meta?.collectors ?? null, meta?.placeReason ?? null],
      );
      const row = inserted.rows[0]!;
      await appendEvent(client, caseId, actor.id, 'evidence_added', {
        evidenceId: row.id, sha256, contentType: file.contentType, sizeBytes: file.bytes.length, filename: file.filename ?? null,
        evidenceType: meta?.evidenceType ?? null, capturedAt: meta?.capturedAt ?? null, location: meta?.location ?? null, collectors: meta?.collectors ?? null,
        ...(meta?.placeReason !== undefined ? { placeReason: meta.placeReason } : {}),
      }, at);
      return { created: true, file: judged(row) };
    });
  }

  /**
   * Who may be named as having collected the item: enforcement officers whose certificate was valid on
   * the local date of the capture and covers the case's matter (its domain, or the support domain of
   * the team working beside), and the uploader is one of them or of the case's own team.
   */
  private async collectorProblem(client: pg.PoolClient, caseId: string, c: LockedCase, actor: Actor, meta: EvidenceMeta): Promise<Rejection | undefined> {
    const certs = await certificatesOf(client, meta.collectors);
    const unknown = meta.collectors.filter((u) => !certs.has(u));
    if (unknown.length > 0) return reject(422, 'UNKNOWN_COLLECTOR', `collectors must be enforcement officers: ${unknown.join(', ')} is not`);
    const matter = await matterDomainsOf(client, caseId);
    const capturedOn = localDate(new Date(meta.capturedAt), this.timezone);
    for (const [userId, history] of certs) {
      const problems = matter.length === 0 ? [certificateProblem(userId, history, null, capturedOn)] : matter.map((d) => certificateProblem(userId, history, d, capturedOn));
      if (problems.every((p) => p !== undefined)) {
        return reject(422, 'COLLECTOR_NOT_CERTIFIED', `collectors must hold a certificate valid on the day of the capture (${capturedOn}) for the case's matter: ${problems[0]}`);
      }
    }
    if (!meta.collectors.includes(actor.id) && actor.teamId !== c.teamId) {
      return reject(422, 'UPLOADER_NOT_COLLECTOR', `you are neither one of the collectors (${meta.collectors.join(', ')}) nor on the team holding the case: upload what you collected, or let the case's team upload it`);
    }
    return undefined;
  }

  /**
   * Whether the capture stated can be this file's: a recording of the act (photo, video, audio,
   * measurement) is not captured before the local day of the act (a document may be older), nor
   * farther than EVIDENCE_ZONE_TOLERANCE_M from the case's zone without a stated reason; a file
   * already evidence of another case was captured once, at the time and place stated there.
   */
  private async captureProblem(client: pg.PoolClient, caseId: string, sha256: string, meta: EvidenceMeta): Promise<Rejection | undefined> {
    if (meta.evidenceType !== 'document') {
      const act = (await client.query<{ actOn: string; capturedOn: string }>(
        `SELECT to_char((coalesce(i.first_alert_at, c.created_at) AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS "actOn",
           to_char(($3::timestamptz AT TIME ZONE $2)::date, 'YYYY-MM-DD') AS "capturedOn"
         FROM cases c LEFT JOIN incidents i ON i.id = c.incident_id WHERE c.id = $1`,
        [caseId, this.timezone, meta.capturedAt],
      )).rows[0];
      if (act && act.capturedOn < act.actOn) {
        return reject(422, 'CAPTURE_TIME_INVALID', `a ${meta.evidenceType} captured on ${act.capturedOn} cannot show an act of ${act.actOn}: it was captured before the day of the act`);
      }
    }
    const elsewhere = await client.query<{ capturedAt: Date; location: { lat: number; lon: number } | null }>(
      `SELECT captured_at AS "capturedAt", capture_location AS location FROM case_evidence WHERE sha256 = $1 AND case_id <> $2 AND captured_at IS NOT NULL`,
      [sha256, caseId],
    );
    const same = (o: { capturedAt: Date; location: { lat: number; lon: number } | null }) => o.capturedAt.getTime() === Date.parse(meta.capturedAt)
      && o.location !== null && Math.abs(o.location.lat - meta.location.lat) < 1e-6 && Math.abs(o.location.lon - meta.location.lon) < 1e-6;
    if (!elsewhere.rows.every(same)) {
      return reject(409, 'EVIDENCE_METADATA_CONFLICT', 'this file is already evidence of another case, captured at another time or place: a file is captured once, so give the capture time and place recorded there');
    }
    // A recording of the act is made where it happened: near the case's zone, or the reason is stated.
    if (meta.evidenceType === 'document') return undefined;
    const distance = distanceToZoneM(meta.location, await zoneGeometryOf(client, caseId));
    return distance !== null && distance > this.settings.captureZoneToleranceM && meta.placeReason === undefined
      ? reject(422, 'CAPTURE_PLACE_OUTSIDE_ZONE',
        `a ${meta.evidenceType} captured ${Math.round(distance)} m from the case's zone (more than ${this.settings.captureZoneToleranceM} m) does not show an act there: correct lat/lon, or state why it was captured there (placeReason)`)
      : undefined;
  }

  /** A person's review of an uploaded file: someone of the team or the review post, neither its uploader nor one of its collectors. */
  async reviewFile(caseId: string, evidenceId: string, actor: Actor, note: string | undefined): Promise<Rejection | { created: boolean; file: EvidenceFile }> {
    if (actor.role !== 'officer' && actor.role !== 'team_lead' && actor.role !== 'reviewer') {
      return reject(403, 'FORBIDDEN', `a ${actor.role} may not review evidence (officers, team leads and reviewers may)`);
    }
    return inTransaction(this.pool, async (client) => {
      const c = await lockCase(client, caseId, actor);
      if ('ok' in c) return c;
      const file = (await client.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM case_evidence WHERE case_id = $1 AND id = $2`, [caseId, evidenceId])).rows[0];
      if (!file) return reject(404, 'EVIDENCE_NOT_FOUND', `no evidence ${evidenceId} in this case`);
      if (file.uploadedBy === actor.id) return reject(422, 'SELF_REVIEW', 'the uploader cannot review their own evidence: another person reviews it');
      // The review is the second person's check of what the officers on site collected: not one of them
      // (two officers on site would otherwise accept each other's photos). A lead or a reviewer who was
      // not on it, or another officer of the team, reviews it.
      if ((file.collectors ?? []).includes(actor.id)) {
        return reject(422, 'COLLECTOR_REVIEW', `you are named as a collector of this evidence (${(file.collectors ?? []).join(', ')}): a person who did not collect it reviews it`);
      }
      const at = new Date().toISOString();
      const r = await client.query(
        `INSERT INTO evidence_file_reviews (case_id, evidence_id, reviewer, role, note, at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (evidence_id, reviewer) DO NOTHING`,
        [caseId, evidenceId, actor.id, actor.role, note ?? null, at],
      );
      if ((r.rowCount ?? 0) > 0) await appendEvent(client, caseId, actor.id, 'evidence_file_reviewed', { evidenceId, sha256: file.sha256, role: actor.role, note: note ?? null }, at);
      const after = (await client.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM case_evidence WHERE id = $1`, [evidenceId])).rows[0]!;
      return { created: (r.rowCount ?? 0) > 0, file: judged(after) };
    });
  }

  async list(caseId: string): Promise<{ files: EvidenceFile[]; sensorRecords: SensorEvidence[] }> {
    const files = await this.pool.query<FileRow>(`SELECT ${FILE_COLUMNS} FROM case_evidence WHERE case_id = $1 ORDER BY uploaded_at, id`, [caseId]);
    const sensors = await sensorRecordsOf(this.pool, caseId, this.timezone);
    return {
      files: files.rows.map(judged),
      sensorRecords: sensors.map((s) => {
        const issues = sensorEvidenceIssues(s);
        return { ...s, valid: issues.length === 0, problems: issues.map((i) => i.text), problemCodes: issues.map((i) => i.code) };
      }),
    };
  }

  /** The file's bytes; the access (a view, or an export out of the platform) is a case event: chain of custody. */
  async content(caseId: string, evidenceId: string, actor: Actor, purpose: 'view' | 'export'): Promise<(EvidenceFile & { content: Buffer }) | null> {
    return inTransaction(this.pool, async (client) => {
      const r = await client.query<FileRow & { content: Buffer }>(
        `SELECT ${FILE_COLUMNS}, content FROM case_evidence WHERE case_id = $1 AND id = $2`,
        [caseId, evidenceId],
      );
      const row = r.rows[0];
      if (!row) return null;
      await appendEvent(client, caseId, actor.id, purpose === 'export' ? 'evidence_exported' : 'evidence_viewed', { evidenceId, sha256: row.sha256, role: actor.role });
      return { ...judged(row), content: row.content };
    });
  }

  /**
   * A person's review of a sensor record: officers and team leads of the case's team, or reviewers of
   * the post it is submitted to. One of the three conditions for the record to count as evidence.
   */
  async reviewSensorRecord(caseId: string, alertId: string, actor: Actor, note: string | undefined): Promise<Rejection | { created: boolean }> {
    if (actor.role !== 'officer' && actor.role !== 'team_lead' && actor.role !== 'reviewer') {
      return reject(403, 'FORBIDDEN', `a ${actor.role} may not review evidence (officers, team leads and reviewers may)`);
    }
    return inTransaction(this.pool, async (client) => {
      const c = await lockCase(client, caseId, actor);
      if ('ok' in c) return c;
      const alert = await client.query('SELECT 1 FROM alerts a JOIN cases c ON c.incident_id = a.incident_id WHERE c.id = $1 AND a.id = $2', [caseId, alertId]);
      if (alert.rowCount === 0) return reject(404, 'RECORD_NOT_FOUND', `no sensor record ${alertId} in this case`);
      const at = new Date().toISOString();
      const r = await client.query(
        `INSERT INTO evidence_reviews (case_id, alert_id, reviewer, role, note, at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (case_id, alert_id, reviewer) DO NOTHING`,
        [caseId, alertId, actor.id, actor.role, note ?? null, at],
      );
      if (r.rowCount === 0) return { created: false };
      await appendEvent(client, caseId, actor.id, 'evidence_reviewed', { alertId, role: actor.role, note: note ?? null }, at);
      return { created: true };
    });
  }
}
