import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';

/**
 * The exchange with external systems (the fishing-ban platform 长江治渔 first): signed webhooks out,
 * ban seasons in. Both follow the Standard Webhooks convention (webhook-id, webhook-timestamp,
 * webhook-signature: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, secrets `whsec_<base64>`).
 */

/** Header names of Standard Webhooks. */
export const WEBHOOK_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;

/**
 * Event types a subscriber may ask for. Every case event is sent as `case.<event>`; these are the
 * ones named here because receivers usually want them; `case.*` takes every case event.
 */
export const WEBHOOK_EVENT_TYPES = [
  'case.*',
  'case.opened',
  'case.dispatched',
  'case.unroutable',
  'case.alert_attached',
  'case.evidence',
  'case.accepted',
  'case.arrived',
  'case.presence_confirmed',
  'case.resolved_on_site',
  'case.decision_proposed',
  'case.submitted_for_review',
  'case.approved',
  'case.returned',
  'case.decided',
  'case.closed',
  'case.dismissed',
  'case.sla_warning',
  'case.sla_escalated',
] as const;

const EventType = Type.String({ pattern: '^case\\.([a-z0-9_]{1,40}|\\*)$', description: `one of ${WEBHOOK_EVENT_TYPES.join(', ')} (or another case.<event>)` });
const CaseKind = Type.String({ pattern: '^[a-z_]{1,40}$', description: 'case kind (alert kind): fishing, noise, crowding, …' });

/** What a receiver gets: the JSON body of every webhook. */
export const WebhookCase = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  kind: Type.String(),
  zoneId: Type.String(),
  zoneName: Type.String(),
  matterCode: Nullable(Type.String()),
  teamId: Nullable(Type.String()),
  state: Type.String(),
  title: Type.String(),
  createdAt: Type.String(),
  dismissalReason: Nullable(Type.String()),
  resolution: Type.Unknown({ description: 'the outcome recorded on site or by decision (personal data removed)' }),
});
export const WebhookEvidence = Type.Object({
  alerts: Type.Array(Type.Object({
    id: Type.String(),
    kind: Type.String(),
    deviceId: Nullable(Type.String()),
    startedAt: Type.String(),
    detectedAt: Type.String(),
    modelVersion: Nullable(Type.String()),
    summary: Nullable(Type.String()),
    reviews: Type.Integer({ description: 'people who reviewed the sensor record' }),
  })),
  files: Type.Array(Type.Object({
    id: Type.String(),
    sha256: Type.String(),
    contentType: Type.String(),
    sizeBytes: Type.Integer(),
    uploadedAt: Type.String(),
    reviews: Type.Integer(),
  })),
});
export const WebhookPayload = Type.Object({
  type: Type.String({ description: 'case.<event>' }),
  timestamp: Type.String({ description: 'when the event happened (ISO-8601)' }),
  data: Type.Object({
    case: WebhookCase,
    event: Type.Object({ seq: Type.Integer(), type: Type.String(), at: Type.String(), data: Type.Unknown() }),
    evidence: WebhookEvidence,
  }),
});
export type WebhookPayload = Static<typeof WebhookPayload>;
export type WebhookCase = Static<typeof WebhookCase>;
export type WebhookEvidence = Static<typeof WebhookEvidence>;

// ---- admin API: subscribers ----

export const WebhookSubscriber = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  caseKinds: Type.Array(Type.String(), { description: 'empty = every kind' }),
  active: Type.Boolean(),
  createdAt: Type.String(),
  keys: Type.Array(Type.Object({ createdAt: Type.String(), expiresAt: Nullable(Type.String()) }), { description: 'signing keys in force (two during a rotation); the secrets themselves are never shown again' }),
  pending: Type.Integer(),
  dead: Type.Integer(),
});
export type WebhookSubscriber = Static<typeof WebhookSubscriber>;
export const WebhookSubscriberList = Type.Array(WebhookSubscriber);
export const NewSubscriber = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    url: Type.String({ minLength: 8, maxLength: 2000, pattern: '^https?://' }),
    eventTypes: Type.Array(EventType, { minItems: 1, maxItems: 50, uniqueItems: true }),
    caseKinds: Type.Optional(Type.Array(CaseKind, { maxItems: 20, uniqueItems: true })),
  },
  { additionalProperties: false },
);
export const SubscriberPatch = Type.Object(
  {
    name: Type.Optional(NewSubscriber.properties.name),
    url: Type.Optional(NewSubscriber.properties.url),
    eventTypes: Type.Optional(NewSubscriber.properties.eventTypes),
    caseKinds: Type.Optional(Type.Array(CaseKind, { maxItems: 20, uniqueItems: true })),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const SubscriberCreated = Type.Object({ subscriber: WebhookSubscriber, secret: Type.String({ description: 'whsec_…: shown once' }) });
export const RotateBody = Type.Object(
  { graceS: Type.Optional(Type.Integer({ minimum: 0, maximum: 30 * 86400, description: 'how long the old key stays valid (default WEBHOOK_ROTATION_GRACE_S)' })) },
  { additionalProperties: false },
);
export const Rotated = Type.Object({ secret: Type.String({ description: 'the new whsec_… (shown once)' }), previousValidUntil: Type.String() });
export const SubscriberParams = Type.Object({ id: Type.String({ maxLength: 100 }) });

// ---- deliveries and the dead-letter view ----

export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const;
export const Delivery = Type.Object({
  id: Type.Integer(),
  subscriberId: Type.String(),
  subscriberName: Type.String(),
  messageId: Type.String({ description: 'the webhook-id, the same on every attempt' }),
  eventType: Type.String(),
  caseId: Nullable(Type.String()),
  state: Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s))),
  attempts: Type.Integer(),
  nextAttemptAt: Nullable(Type.String()),
  lastStatus: Nullable(Type.Integer()),
  lastError: Nullable(Type.String()),
  createdAt: Type.String(),
  deliveredAt: Nullable(Type.String()),
  deadAt: Nullable(Type.String()),
});
export type Delivery = Static<typeof Delivery>;
export const DeliveryList = Type.Array(Delivery);
export const DeliveryQuery = Type.Object({
  state: Type.Optional(Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s)))),
  subscriberId: Type.Optional(Type.String({ maxLength: 100 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
});
export const DeliveryParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });

// ---- inbound: the fishing-ban system's ban seasons and closed stretches ----

/** `ban_season` (禁渔期) and `closed_stretch` (禁钓区) ban fishing; `open_stretch` allows it where a zone's flag bans it. */
export const BAN_KINDS = ['ban_season', 'closed_stretch', 'open_stretch'] as const;
export type BanKind = (typeof BAN_KINDS)[number];
const Position = Type.Array(Type.Number(), { minItems: 2, maxItems: 3 });
const Ring = Type.Array(Position, { minItems: 4, maxItems: 5000 });
export const BanGeometry = Type.Union([
  Type.Object({ type: Type.Literal('Polygon'), coordinates: Type.Array(Ring, { minItems: 1, maxItems: 100 }) }),
  Type.Object({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(Type.Array(Ring, { minItems: 1, maxItems: 100 }), { minItems: 1, maxItems: 100 }) }),
]);
export type BanGeometry = Static<typeof BanGeometry>;
const NoticeId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$' });
const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'local date YYYY-MM-DD, inclusive' });
export const BanNotice = Type.Object(
  {
    id: NoticeId,
    kind: Type.Union(BAN_KINDS.map((k) => Type.Literal(k))),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    zoneIds: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { minItems: 1, maxItems: 200, uniqueItems: true })),
    geometry: Type.Optional(BanGeometry),
    from: Nullable(Day),
    until: Nullable(Day),
  },
  { additionalProperties: false },
);
export type BanNotice = Static<typeof BanNotice>;
export const InboundBan = Type.Union([
  Type.Object({ type: Type.Literal('ban.upserted'), timestamp: Type.String(), data: BanNotice }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('ban.withdrawn'), timestamp: Type.String(), data: Type.Object({ id: NoticeId }, { additionalProperties: false }) }, { additionalProperties: false }),
]);
export type InboundBan = Static<typeof InboundBan>;
export const InboundHeaders = Type.Object({
  'webhook-id': Type.Optional(Type.String({ description: 'unique per message, the same on retries' })),
  'webhook-timestamp': Type.Optional(Type.String({ description: 'seconds since the epoch, of this attempt' })),
  'webhook-signature': Type.Optional(Type.String({ description: 'v1,<base64 HMAC-SHA256 of id.timestamp.body> (space-separated, several during a rotation)' })),
});
export const InboundAccepted = Type.Object({
  id: Type.String(),
  action: Type.Union([Type.Literal('upserted'), Type.Literal('withdrawn')]),
  zoneIds: Type.Array(Type.String(), { description: 'zones whose rules changed' }),
  rules: Type.Array(Type.String(), { description: 'zone rule ids now in force for this notice' }),
});
