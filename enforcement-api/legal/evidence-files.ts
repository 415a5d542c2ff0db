
/**
 * What makes an uploaded file evidence (DESIGN §3 Enforcement): its type (photo, video, audio,
 * document, measurement) matching its content, when and where it was captured, the officers who
 * collected it, its SHA-256 (the store's name for it), and a person's review — someone other than
 * the uploader. Pure checks here; the repository (enforcement-api/cases/evidence-repository.ts) stores them.
 */

import { EVIDENCE_KINDS, type EvidenceKind, type FILE_PROBLEMS } from '../../contract/http/evidence.js';

export { EVIDENCE_KINDS, type EvidenceKind };

/** The content types each kind of evidence may have. */
export const CONTENT_TYPES_OF: Record<EvidenceKind, readonly string[]> = {
  photo: ['image/jpeg', 'image/png'],
  video: ['video/mp4'],
  audio: ['audio/mpeg', 'audio/wav'],
  document: ['application/pdf', 'text/csv', 'application/json'],
  measurement: ['text/csv', 'application/json'],
};

export interface FileEvidenceFacts {
  evidenceType: EvidenceKind | null;
  capturedAt: string | null;
  captureLocation: { lat: number; lon: number } | null;
  collectors: string[] | null;
  reviews: { reviewer: string }[];
}

/** Why this file does not count as evidence; empty = it does. */
export function fileEvidenceIssues(f: FileEvidenceFacts): { code: (typeof FILE_PROBLEMS)[number]; text: string }[] {
  const issues: { code: (typeof FILE_PROBLEMS)[number]; text: string }[] = [];
  if (f.evidenceType === null) issues.push({ code: 'no_type', text: 'no evidence type (photo, video, audio, document, measurement)' });
  if (f.capturedAt === null) issues.push({ code: 'no_capture_time', text: 'no capture time' });
  if (f.captureLocation === null) issues.push({ code: 'no_capture_place', text: 'no capture place' });
  if (f.collectors === null || f.collectors.length === 0) issues.push({ code: 'no_collectors', text: 'no collecting officers' });
  if (f.reviews.length === 0) issues.push({ code: 'not_reviewed', text: 'not yet reviewed by a person other than the uploader' });
  return issues;
}

