import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

/** Evidence of a case: uploaded files and the sensor records of its alerts. */

/** The evidence file types accepted, by content type. */
export const EVIDENCE_TYPES = ['image/jpeg', 'image/png', 'application/pdf', 'text/csv', 'application/json'] as const;
export type EvidenceType = (typeof EVIDENCE_TYPES)[number];

export const EvidenceFile = Type.Object({
  id: Type.String(),
  sha256: Type.String({ description: 'SHA-256 of the bytes, hex' }),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
  filename: Nullable(Type.String()),
  description: Nullable(Type.String()),
  uploadedBy: Type.String(),
  uploadedAt: Type.String({ format: 'date-time' }),
});

export const SensorRecord = Type.Object({
  alertId: Type.String(),
  kind: Type.String(),
  deviceId: Nullable(Type.String()),
  measuredAt: Type.String({ format: 'date-time' }),
  measuredOn: Type.String(),
  calibrationValidUntil: Nullable(Type.String({ description: "the device's calibration validity when the record was made" })),
  placementPublished: Nullable(Type.Boolean()),
  reviews: Type.Array(Type.Object({ reviewer: Type.String(), role: Type.String(), at: Type.String(), note: Nullable(Type.String()) })),
});
export type SensorRecord = Static<typeof SensorRecord>;

export const SensorEvidence = Type.Composite([SensorRecord, Type.Object({
  valid: Type.Boolean({ description: 'calibrated at measurement time, placement published and reviewed by a person' }),
  problems: Type.Array(Type.String()),
})]);

export type EvidenceFile = Static<typeof EvidenceFile>;
export type SensorEvidence = Static<typeof SensorEvidence>;

export const EvidenceList = Type.Object({ files: Type.Array(EvidenceFile), sensorRecords: Type.Array(SensorEvidence) });
export const EvidenceUploadQuery = Type.Object({
  filename: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001F/\\\\]+$' })),
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$' })),
});
/** The raw upload body and download: the file itself, one of EVIDENCE_TYPES. */
const RAW = Object.fromEntries(EVIDENCE_TYPES.map((t) => [t, { schema: { description: `the file itself (${t}), raw bytes` } }]));
export const EvidenceBody = Type.Unsafe<Buffer>({ content: RAW });
export const EvidenceDownload = Type.Unsafe({ description: 'the file as uploaded', content: RAW });
export const EvidenceParams = Type.Object({ id: Type.String({ format: 'uuid' }), evidenceId: Type.String({ format: 'uuid' }) });
export const SensorReviewParams = Type.Object({ id: Type.String({ format: 'uuid' }), alertId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' }) });
export const SensorReviewBody = Type.Object({ note: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]+$' })) }, { additionalProperties: false });
