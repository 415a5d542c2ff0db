import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

/**
 * Citizen complaints (12345 hotline style): filed by a hotline operator, through the public form or an
 * Open311 client (contract/http/open311.ts); each becomes an alert of its category's kind, fused with
 * sensor incidents of that kind, zone and time into one case (enforcement-api/complaints/).
 */

/** What a complaint is about; each maps to an alert kind, and through the matter catalogue to a matter. */
export const COMPLAINT_CATEGORIES = ['noise', 'fishing', 'crowding', 'other'] as const;
export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];

/**
 * Statuses as the hotline reports them: received (受理, with a team), coordination (no team took it:
 * the coordination queue), handled (办结), handled_in_stages (阶段性办结), not_handled (未办结).
 */
export const COMPLAINT_STATUSES = ['received', 'coordination', 'handled', 'handled_in_stages', 'not_handled'] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];
/** The three replies a team gives (the last one given is the complaint's status). */
export const COMPLAINT_REPLIES = ['handled', 'handled_in_stages', 'not_handled'] as const;
export type ComplaintReplyStatus = (typeof COMPLAINT_REPLIES)[number];

export const COMPLAINT_CHANNELS = ['hotline', 'web', 'open311'] as const;
export type ComplaintChannel = (typeof COMPLAINT_CHANNELS)[number];

const lit = <T extends string>(xs: readonly T[]) => Type.Union(xs.map((x) => Type.Literal(x)));

/** Why a complaint waits in the coordination queue: being routed, in no zone, no matter for its category, no team can take its case, declined by a team. */
export const COORDINATION_CODES = ['routing', 'no_zone', 'no_matter', 'no_team', 'declined'] as const;
export type CoordinationCode = (typeof COORDINATION_CODES)[number];

export const Point = Type.Object({
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
}, { additionalProperties: false });

export const Photo = Type.Object({
  contentType: Type.Union([Type.Literal('image/jpeg'), Type.Literal('image/png'), Type.Literal('image/webp')]),
  dataBase64: Type.String({ minLength: 4, maxLength: 14_000_000, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'the image, base64 (COMPLAINT_PHOTO_MAX_BYTES decoded)' }),
}, { additionalProperties: false });

export const Contact = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 100 })),
  phone: Type.Optional(Type.String({ maxLength: 32, pattern: '^[0-9+() -]{3,32}$' })),
  email: Type.Optional(Type.String({ maxLength: 200, format: 'email' })),
}, { additionalProperties: false, description: 'kept private: shown only to the hotline, the operations centre and the team handling it; every view is recorded' });
export type Contact = Static<typeof Contact>;

export const NewComplaint = Type.Object({
  category: lit(COMPLAINT_CATEGORIES),
  description: Type.String({ minLength: 5, maxLength: 2000 }),
  location: Type.Optional(Point),
  zoneId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'a zone picked on the map (instead of, or with, a point)' })),
  address: Type.Optional(Type.String({ maxLength: 300 })),
  occurredAt: Type.Optional(Type.String({ format: 'date-time', description: 'when it happened (default: now); at most 7 days back' })),
  photos: Type.Optional(Type.Array(Photo, { maxItems: 5 })),
  contact: Type.Optional(Contact),
}, { additionalProperties: false });
export type NewComplaint = Static<typeof NewComplaint>;

export const Receipt = Type.Object({
  complaintId: Type.Optional(Type.String({ description: 'the complaint\'s id (hotline and operations desks only)' })),
  trackingNumber: Type.String({ description: 'quote it with the check code to follow the complaint' }),
  checkCode: Type.String({ description: 'shown once: only its hash is kept' }),
  status: lit(COMPLAINT_STATUSES),
  replyDueAt: Type.String({ format: 'date-time' }),
});
export type Receipt = Static<typeof Receipt>;

export const StatusQuery = Type.Object({
  trackingNumber: Type.String({ minLength: 1, maxLength: 40 }),
  checkCode: Type.String({ minLength: 1, maxLength: 40 }),
}, { additionalProperties: false });
export type StatusQuery = Static<typeof StatusQuery>;

/** What the complainant sees: their complaint's progress and the reply, nothing about anyone. */
export const PublicStatus = Type.Object({
  trackingNumber: Type.String(),
  category: lit(COMPLAINT_CATEGORIES),
  status: lit(COMPLAINT_STATUSES),
  receivedAt: Type.String({ format: 'date-time' }),
  replyDueAt: Type.String({ format: 'date-time' }),
  reply: Nullable(Type.String()),
  repliedAt: Nullable(Type.String({ format: 'date-time' })),
});
export type PublicStatus = Static<typeof PublicStatus>;

export const SENSOR_VERDICTS = ['confirms', 'questions', 'no_data'] as const;
export const SensorRecord = Type.Object({
  verdict: lit(SENSOR_VERDICTS),
  text: Type.String({ description: 'e.g. "LAeq 63 dB(A) at 22:40, night limit 45" or "no exceedance measured …"' }),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
}, { description: 'what the stored readings of the zone say around the complaint\'s time (computed when read)' });
export type SensorRecord = Static<typeof SensorRecord>;

export const ComplaintEvent = Type.Object({
  at: Type.String({ format: 'date-time' }), actor: Type.String(), type: Type.String(), data: Type.Record(Type.String(), Type.Unknown()),
});

export const Complaint = Type.Object({
  id: Type.String(),
  trackingNumber: Type.String(),
  channel: lit(COMPLAINT_CHANNELS),
  category: lit(COMPLAINT_CATEGORIES),
  description: Type.String(),
  zoneId: Nullable(Type.String()),
  zoneName: Nullable(Type.String()),
  zoneNameZh: Nullable(Type.String({ description: 'the zone\'s name in Chinese (null: zoneName)' })),
  location: Nullable(Point),
  address: Nullable(Type.String()),
  occurredAt: Type.String({ format: 'date-time' }),
  receivedAt: Type.String({ format: 'date-time' }),
  status: lit(COMPLAINT_STATUSES),
  teamId: Nullable(Type.String()),
  teamName: Nullable(Type.String()),
  teamNameZh: Nullable(Type.String({ description: 'the team\'s name in Chinese (null: teamName)' })),
  matterCode: Nullable(Type.String()),
  caseId: Nullable(Type.String({ description: 'the case it was fused into' })),
  replyDueAt: Type.String({ format: 'date-time' }),
  reply: Nullable(Type.String()),
  repliedAt: Nullable(Type.String({ format: 'date-time' })),
  coordinationReason: Nullable(Type.String({ description: 'why it is in the coordination queue, in English' })),
  coordinationCode: Nullable(lit(COORDINATION_CODES)),
  declinedByTeamId: Nullable(Type.String({ description: 'the team that declined it (coordinationCode declined)' })),
  declinedByTeamName: Nullable(Type.String()),
  declinedByTeamNameZh: Nullable(Type.String()),
  declineReason: Nullable(Type.String({ description: 'the declining team\'s reason, in its words' })),
  coordinationSince: Nullable(Type.String({ format: 'date-time' })),
  escalationLevel: Type.Integer({ description: '0: not escalated; 1: the coordination lead; 2: the agency head' }),
  escalationDueAt: Nullable(Type.String({ format: 'date-time' })),
  photos: Type.Integer({ description: 'photos attached (GET …/photos/{n})' }),
  hasContact: Type.Boolean(),
});
export type Complaint = Static<typeof Complaint>;

export const ComplaintDetail = Type.Composite([Complaint, Type.Object({
  sensorRecord: Nullable(SensorRecord),
  events: Type.Array(ComplaintEvent),
})]);
export type ComplaintDetail = Static<typeof ComplaintDetail>;

export const ComplaintList = Type.Array(Complaint);
/** GET /api/v1/cases/{id}/complaints: the complaints fused into a case, each with its sensor record (events left out). */
export const CaseComplaints = Type.Array(ComplaintDetail);
export const ComplaintListQuery = Type.Object({
  status: Type.Optional(lit(COMPLAINT_STATUSES)),
  caseId: Type.Optional(Type.String({ format: 'uuid' })),
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
});

export const ContactView = Type.Object({
  contact: Contact,
  viewRecorded: Type.Object({ by: Type.String(), at: Type.String({ format: 'date-time' }) }),
});

export const ReplyBody = Type.Object({
  status: lit(COMPLAINT_REPLIES),
  reply: Type.String({ minLength: 2, maxLength: 2000, description: 'the reply to the complainant' }),
}, { additionalProperties: false });

export const DeclineBody = Type.Object({ reason: Type.String({ minLength: 2, maxLength: 500 }) }, { additionalProperties: false });
export const AssignBody = Type.Object({
  teamId: Type.String({ minLength: 1, maxLength: 64 }),
  note: Type.Optional(Type.String({ maxLength: 500 })),
}, { additionalProperties: false });

export const ComplaintIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
export const PhotoParams = Type.Object({ id: Type.String({ format: 'uuid' }), n: Type.Integer({ minimum: 1, maximum: 5 }) });

/** GET /api/v1/figures `complaints`: on-time closure per team and matter. */
export const ComplaintFigure = Type.Object({
  teamId: Nullable(Type.String()),
  matterCode: Nullable(Type.String()),
  received: Type.Integer({ description: 'complaints received in the period' }),
  due: Type.Integer({ description: 'of those, replied or past their reply deadline' }),
  closedOnTime: Type.Integer({ description: 'replied (handled, in stages or not handled) by the deadline' }),
  onTimeRate: Nullable(Type.Number({ description: 'closedOnTime / due (null when none is due)' })),
  inCoordination: Type.Integer({ description: 'waiting in the coordination queue now' }),
});
