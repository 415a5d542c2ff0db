/**
 * What counts as evidence (DESIGN §3 Enforcement), as pure functions.
 *
 * A sensor record (an alert from a device) is evidence only if the device's calibration was valid on
 * the day of the measurement, its placement was published, and an officer or reviewer has reviewed the
 * record, and nobody marked its alert a false alarm. An uploaded file is evidence when its type is on the allow-list and its bytes are what the
 * type says (a renamed executable is not a JPEG).
 */

import type { SENSOR_PROBLEMS, SensorRecord } from '../../contract/http/evidence.js';

type SensorProblem = (typeof SENSOR_PROBLEMS)[number];

export type { SensorRecord };

/** Why this record does not count as evidence, each as a code and a sentence; empty = it does. */
export function sensorEvidenceIssues(r: SensorRecord): { code: SensorProblem; text: string }[] {
  const issues: { code: SensorProblem; text: string }[] = [];
  if (r.deviceId === null) return [{ code: 'no_device', text: 'not a sensor record (no device)' }];
  if (r.calibrationValidUntil === null) issues.push({ code: 'no_calibration', text: `device ${r.deviceId} had no calibration on record` });
  else if (r.calibrationValidUntil < r.measuredOn) issues.push({ code: 'calibration_expired', text: `device ${r.deviceId} calibration expired on ${r.calibrationValidUntil}, before the measurement on ${r.measuredOn}` });
  if (r.placementPublished !== true) issues.push({ code: 'placement_unpublished', text: `placement of device ${r.deviceId} was not published` });
  if (r.reviews.length === 0) issues.push({ code: 'not_reviewed', text: 'not yet reviewed by an officer or reviewer' });
  // The people who checked it found no violation there: the record proves nothing against a party.
  if (r.verdict === 'false_alarm') issues.push({ code: 'false_alarm', text: 'marked a false alarm (alert verdict): no evidence of a violation' });
  return issues;
}

/** Why this record does not count as evidence; empty = it does. */
export const sensorEvidenceProblems = (r: SensorRecord): string[] => sensorEvidenceIssues(r).map((i) => i.text);

import { EVIDENCE_TYPES, type EvidenceType } from '../../contract/http/evidence.js';

export { EVIDENCE_TYPES, type EvidenceType };
export const isEvidenceType = (t: string): t is EvidenceType => (EVIDENCE_TYPES as readonly string[]).includes(t);

const startsWith = (b: Uint8Array, magic: readonly number[]) => magic.every((m, i) => b[i] === m);

function utf8Text(b: Uint8Array): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(b);
    return text.includes('\u0000') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Why these bytes are not a file of this type; undefined = they are. */
export function contentProblem(type: EvidenceType, b: Uint8Array): string | undefined {
  if (b.length === 0) return 'the file is empty';
  switch (type) {
    case 'image/jpeg':
      return startsWith(b, [0xff, 0xd8, 0xff]) ? undefined : 'not a JPEG image (no FF D8 FF signature)';
    case 'image/png':
      return startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) ? undefined : 'not a PNG image (no PNG signature)';
    case 'application/pdf':
      return startsWith(b, [0x25, 0x50, 0x44, 0x46, 0x2d]) ? undefined : 'not a PDF document (no %PDF- header)';
    case 'video/mp4':
      // ISO base media file: a box size, then the `ftyp` box type.
      return b.length >= 8 && startsWith(b.subarray(4), [0x66, 0x74, 0x79, 0x70]) ? undefined : 'not an MP4 video (no ftyp box)';
    case 'audio/mpeg':
      return startsWith(b, [0x49, 0x44, 0x33]) || (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0) ? undefined : 'not an MP3 audio file (no ID3 tag or frame sync)';
    case 'audio/wav':
      return startsWith(b, [0x52, 0x49, 0x46, 0x46]) && b.length >= 12 && startsWith(b.subarray(8), [0x57, 0x41, 0x56, 0x45]) ? undefined : 'not a WAV audio file (no RIFF/WAVE header)';
    case 'text/csv':
      return utf8Text(b) === undefined ? 'not CSV text (must be UTF-8 without NUL bytes)' : undefined;
    case 'application/json': {
      const text = utf8Text(b);
      if (text === undefined) return 'not JSON text (must be UTF-8)';
      try {
        JSON.parse(text);
        return undefined;
      } catch {
        return 'not well-formed JSON';
      }
    }
    default: {
      const never: never = type;
      return `unknown type ${String(never)}`;
    }
  }
}
