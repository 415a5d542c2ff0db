import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

/** Evidence of a case: uploaded files and the sensor records of its alerts. */

/** The evidence file types accepted, by content type. */
/** Why a sensor record or a file is not evidence, as stable codes beside the English `problems` (the screens word them). */
export const SENSOR_PROBLEMS = ['no_device', 'no_calibration', 'calibration_expired', 'placement_unpublished', 'not_reviewed', 'false_alarm'] as const;
export const FILE_PROBLEMS = ['no_type', 'no_capture_time', 'no_capture_place', 'no_collectors', 'not_reviewed'] as const;

export const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'application/pdf', 'text/csv', 'application/json', 'video/mp4', 'audio/mpeg', 'audio/wav'] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];
/** What an uploaded item is (enforcement-api/legal/evidence-files.ts says which content types each may have). */
export const EVIDENCE_KINDS = ['photo', 'video', 'audio', 'document', 'measurement'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];
const Review = Type.Object({ reviewer: Type.String(), role: Type.String(), at: Type.String(), note: Nullable(Type.String()) });

export const EvidenceFile = Type.Object({
  id: Type.String(),
  sha256: Type.String({ description: 'SHA-256 of the bytes, hex' }),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
  filename: Nullable(Type.String()),
  description: Nullable(Type.String()),
  uploadedBy: Type.String(),
  uploadedAt: Type.String({ format: 'date-time' }),
  evidenceType: Nullable(Type.Union(EVIDENCE_KINDS.map((k) => Type.Literal(k)))),
  capturedAt: Nullable(Type.String({ format: 'date-time' })),
  captureLocation: Nullable(Type.Object({ lat: Type.Number(), lon: Type.Number() })),
  collectors: Nullable(Type.Array(Type.String(), { description: 'the officers who collected it' })),
  capturePlaceReason: Nullable(Type.String({ description: 'why it was captured away from the case\'s zone (beyond EVIDENCE_ZONE_TOLERANCE_M)' })),
  reviews: Type.Array(Review),
  valid: Type.Boolean({ description: 'counts as evidence: type, capture time and place, collectors, and reviewed by a person other than the uploader and the collectors' }),
  problems: Type.Array(Type.String()),
  problemCodes: Type.Array(Type.Union(FILE_PROBLEMS.map((c) => Type.Literal(c))), { description: 'the problems above, as codes, in the same order' }),
});

export const SensorRecord = Type.Object({
  alertId: Type.String(),
  kind: Type.String(),
  deviceId: Nullable(Type.String()),
  measuredAt: Type.String({ format: 'date-time' }),
  measuredOn: Type.String(),
  calibrationValidUntil: Nullable(Type.String({ description: "the device's calibration validity when the record was made" })),
  placementPublished: Nullable(Type.Boolean()),
  verdict: Nullable(Type.Union([Type.Literal('confirmed'), Type.Literal('false_alarm')], { description: "an officer's or reviewer's verdict on the alert (POST /api/v1/alerts/{id}/verdict): a false alarm is no evidence" })),
  reviews: Type.Array(Review),
});
export type SensorRecord = Static<typeof SensorRecord>;

export const SensorEvidence = Type.Composite([SensorRecord, Type.Object({
  valid: Type.Boolean({ description: 'calibrated at measurement time, placement published and reviewed by a person' }),
  problems: Type.Array(Type.String()),
  problemCodes: Type.Array(Type.Union(SENSOR_PROBLEMS.map((c) => Type.Literal(c))), { description: 'the problems above, as codes, in the same order' }),
})]);

export type EvidenceFile = Static<typeof EvidenceFile>;
export type SensorEvidence = Static<typeof SensorEvidence>;

export const EvidenceList = Type.Object({ files: Type.Array(EvidenceFile), sensorRecords: Type.Array(SensorEvidence) });
export const EvidenceUploadQuery = Type.Object({
  filename: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001F/\\\\]+$' })),
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$' })),
  type: Type.Optional(Type.Union(EVIDENCE_KINDS.map((k) => Type.Literal(k)), { description: 'what the item is; with capturedAt, lat, lon and collectors it can count as evidence' })),
  capturedAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it was captured' })),
  lat: Type.Optional(Type.Number({ minimum: -90, maximum: 90, description: 'where it was captured' })),
  lon: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  collectors: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*(,[A-Za-z0-9][A-Za-z0-9_.-]*){0,9}$', description: 'user ids of the collecting officers, comma-separated' })),
  placeReason: Type.Optional(Type.String({
    minLength: 1, maxLength: 500, pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$',
    description: 'why a recording was captured more than EVIDENCE_ZONE_TOLERANCE_M from the case\'s zone (e.g. filmed from across the river)',
  })),
});
/** Downloading is viewing, or exporting out of the platform: each is on the case record (chain of custody). */
export const EvidenceDownloadQuery = Type.Object({ purpose: Type.Optional(Type.Union([Type.Literal('view'), Type.Literal('export')], { default: 'view' })) });
/** The raw upload body and download: the file itself, one of EVIDENCE_TYPES. */
const RAW = Object.fromEntries(EVIDENCE_TYPES.map((t) => [t, { schema: { description: `the file itself (${t}), raw bytes` } }]));
export const EvidenceBody = Type.Unsafe<Buffer>({ content: RAW });
export const EvidenceDownload = Type.Unsafe({ description: 'the file as uploaded', content: RAW });
export const EvidenceParams = Type.Object({ id: Type.String({ format: 'uuid' }), evidenceId: Type.String({ format: 'uuid' }) });
export const SensorReviewParams = Type.Object({ id: Type.String({ format: 'uuid' }), alertId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' }) });
export const SensorReviewBody = Type.Object({ note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$' })) }, { additionalProperties: false });
