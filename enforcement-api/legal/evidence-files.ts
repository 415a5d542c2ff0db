
/**
 * What makes an uploaded file evidence (DESIGN §3 Enforcement): its type (photo, video, audio,
 * document, measurement) matching its content, when and where it was captured, the officers who
 * collected it, its SHA-256 (the store's name for it), and a person's review — someone other than
 * the uploader. Pure checks here; the repository (enforcement-api/cases/evidence-repository.ts) stores them.
 */

import { EVIDENCE_KINDS, type EvidenceKind } from '../../contract/http/evidence.js';

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
export function fileEvidenceProblems(f: FileEvidenceFacts): string[] {
  const problems: string[] = [];
  if (f.evidenceType === null) problems.push('no evidence type (photo, video, audio, document, measurement)');
  if (f.capturedAt === null) problems.push('no capture time');
  if (f.captureLocation === null) problems.push('no capture place');
  if (f.collectors === null || f.collectors.length === 0) problems.push('no collecting officers');
  if (f.reviews.length === 0) problems.push('not yet reviewed by a person other than the uploader');
  return problems;
}
