
/**
 * What makes an uploaded file evidence (DESIGN §3 Enforcement): its type (photo, video, audio,
 * document, measurement) matching its content, when and where it was captured, the officers who
 * collected it, its SHA-256 (the store's name for it), and a person's review — someone other than
 * the uploader and the collectors. Pure checks here; the repository (enforcement-api/cases/evidence-repository.ts) stores them.
 */

import { EVIDENCE_KINDS, type EvidenceKind, type FILE_PROBLEMS } from '../../contract/http/evidence.js';
import { pointInGeometry } from '../complaints/domain.js';

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
  uploadedBy: string;
  reviews: { reviewer: string }[];
}

/**
 * The reviews that count: by a person who neither uploaded nor collected the item (a review by one of
 * them, recorded before such reviews were refused, is kept on file but proves nothing).
 */
export function independentReviews<R extends { reviewer: string }>(f: Pick<FileEvidenceFacts, 'collectors' | 'uploadedBy'> & { reviews: R[] }): R[] {
  return f.reviews.filter((r) => r.reviewer !== f.uploadedBy && !(f.collectors ?? []).includes(r.reviewer));
}

/** Why this file does not count as evidence; empty = it does. */
export function fileEvidenceIssues(f: FileEvidenceFacts): { code: (typeof FILE_PROBLEMS)[number]; text: string }[] {
  const issues: { code: (typeof FILE_PROBLEMS)[number]; text: string }[] = [];
  if (f.evidenceType === null) issues.push({ code: 'no_type', text: 'no evidence type (photo, video, audio, document, measurement)' });
  if (f.capturedAt === null) issues.push({ code: 'no_capture_time', text: 'no capture time' });
  if (f.captureLocation === null) issues.push({ code: 'no_capture_place', text: 'no capture place' });
  if (f.collectors === null || f.collectors.length === 0) issues.push({ code: 'no_collectors', text: 'no collecting officers' });
  if (independentReviews(f).length === 0) issues.push({ code: 'not_reviewed', text: 'not yet reviewed by a person other than the uploader and the collectors' });
  return issues;
}

type Ring = readonly (readonly number[])[];

/** The rings (outer and holes) of a GeoJSON Polygon or MultiPolygon; none for anything else. */
function ringsOf(geometry: unknown): Ring[] {
  const g = geometry as { type?: string; coordinates?: unknown } | null;
  const polygons = g?.type === 'Polygon' ? [g.coordinates] : g?.type === 'MultiPolygon' && Array.isArray(g.coordinates) ? g.coordinates : [];
  return polygons.flatMap((rings) => (Array.isArray(rings) ? rings : []))
    .filter((r): r is Ring => Array.isArray(r) && r.length >= 3 && r.every((p) => Array.isArray(p) && p.length >= 2 && p.every((x) => typeof x === 'number' && Number.isFinite(x))));
}

/**
 * How far (metres) a place lies from a zone's polygon: 0 inside it, null when the zone has no polygon
 * to measure against. Edges are measured in a local flat projection around the place (metres east and
 * north), which over the distances that matter here (hundreds of metres to a few kilometres) is exact
 * to well under a metre.
 */
export function distanceToZoneM(p: { lat: number; lon: number }, geometry: unknown): number | null {
  const rings = ringsOf(geometry);
  if (rings.length === 0) return null;
  if (pointInGeometry(p, geometry)) return 0;
  const perDegree = (Math.PI / 180) * 6_371_008.8;
  const east = (lon: number) => (lon - p.lon) * perDegree * Math.cos((p.lat * Math.PI) / 180);
  const north = (lat: number) => (lat - p.lat) * perDegree;
  let best = Infinity;
  for (const ring of rings) {
    for (let i = 0; i < ring.length; i++) {
      const a = ring[i]!;
      const b = ring[(i + 1) % ring.length]!;
      const [ax, ay, bx, by] = [east(a[0]!), north(a[1]!), east(b[0]!), north(b[1]!)];
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy;
      // The nearest point of the edge to the place (the origin).
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
      best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
    }
  }
  return best;
}
