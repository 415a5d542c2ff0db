import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { PARTY_ID_TYPES, PARTY_KINDS, PENALTIES, TIERS } from './case-transitions.js';
import { Benchmark, StatutoryBound } from './cases.js';
import { EVIDENCE_KINDS } from './evidence.js';

/**
 * The legal catalogue's API (matters, statutory bounds, discretion benchmarks, certificates, review
 * posts, the change log), parties and their history, and the second officer's presence confirmation.
 */

export const Code = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$' });
export const Day = Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD' });
export const Words = (max: number, description?: string) => Type.String({ ...(description ? { description } : {}), minLength: 1, maxLength: max, pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$' });
const Yuan = Type.Integer({ minimum: 0, maximum: 100_000_000 });
const Measure = Type.Union(PENALTIES.filter((p) => p !== 'no_penalty').map((p) => Type.Literal(p)));
const Reason = Type.Optional(Words(2000));
const Kind = Type.Union(PARTY_KINDS.map((k) => Type.Literal(k)));

export const Matter = Type.Object({
  code: Type.String(), name: Type.String(), nameZh: Nullable(Type.String({ description: 'the name in Chinese, shown by the Chinese UI (null: `name` is shown)' })), alertKind: Nullable(Type.String()), legalBasis: Type.String(),
  legalBasisZh: Nullable(Type.String({ description: 'the legal basis in Chinese (null: `legalBasis` is shown)' })),
  handlingLevel: Type.String(), department: Type.String(), domain: Type.String(), slaMinutes: Type.Integer(), acceptSlaMinutes: Type.Integer(), penalty: Type.Boolean(),
  decisionEvidence: Type.Array(Type.String(), { description: 'kinds of evidence of which a penalty decision needs at least one valid item (a sensor record counts as a measurement); empty: any valid item' }),
});
export type Matter = Static<typeof Matter>;

export const MatterInForce = Type.Composite([Matter, Type.Object({
  on: Type.String({ description: 'the date the bounds and benchmark below are in force on' }),
  statutoryBounds: Type.Array(StatutoryBound),
  benchmark: Type.Array(Benchmark),
})]);
export const MatterList = Type.Array(MatterInForce);
export const MatterDetail = Type.Composite([MatterInForce, Type.Object({ boundsVersions: Type.Array(StatutoryBound), benchmarkVersions: Type.Array(Benchmark) })]);
export const MatterCodeParams = Type.Object({ code: Code });
export const OnQuery = Type.Object({ on: Type.Optional(Day) });

export const MatterBody = Type.Object({
  name: Words(200),
  nameZh: Type.Optional(Words(200)),
  alertKind: Type.Union([Type.Null(), Type.String({ pattern: '^[a-z_]{1,32}$' })], { description: 'the alert kind that raises it; null: cases are classified into it' }),
  legalBasis: Words(500),
  legalBasisZh: Type.Optional(Words(500, 'the legal basis in Chinese; omitted: kept while `legalBasis` is unchanged, cleared when it changes')),
  handlingLevel: Type.Union([Type.Literal('street'), Type.Literal('district')]),
  department: Words(200),
  domain: Code,
  slaMinutes: Type.Integer({ minimum: 1, maximum: 100_000 }),
  acceptSlaMinutes: Type.Integer({ minimum: 1, maximum: 100_000 }),
  penalty: Type.Boolean({ description: 'false: a safety incident, no penalty can be proposed' }),
  decisionEvidence: Type.Optional(Type.Array(Type.Union(EVIDENCE_KINDS.map((k) => Type.Literal(k))), {
    uniqueItems: true, description: 'kinds of evidence of which a penalty decision needs at least one valid item (a valid sensor record is a measurement); omitted: unchanged ([] for a new matter)',
  })),
  reason: Reason,
}, { additionalProperties: false });
export type MatterBody = Static<typeof MatterBody>;

export const BoundsBody = Type.Object({
  effectiveFrom: Day,
  reason: Reason,
  bounds: Type.Array(Type.Object({
    partyKind: Kind,
    fineRequired: Type.Boolean({ description: 'the law imposes a fine with every penalty (并处)' }),
    minFineYuan: Yuan,
    maxFineYuan: Yuan,
    mandatoryMeasures: Type.Array(Measure, { uniqueItems: true }),
    legalBasis: Words(500),
    legalBasisZh: Type.Optional(Words(500, 'the legal basis in Chinese')),
  }, { additionalProperties: false }), { minItems: 1, maxItems: 2 }),
}, { additionalProperties: false });
export type BoundsBody = Static<typeof BoundsBody>;

export const BenchmarkBody = Type.Object({
  effectiveFrom: Day,
  reason: Reason,
  tiers: Type.Array(Type.Object({
    partyKind: Kind,
    tier: Type.Union(TIERS.map((t) => Type.Literal(t))),
    minFineYuan: Yuan,
    maxFineYuan: Yuan,
    measures: Type.Array(Measure, { uniqueItems: true }),
    facts: Words(2000),
    factsZh: Type.Optional(Words(2000, 'the facts in Chinese')),
    legalBasis: Words(500),
    legalBasisZh: Type.Optional(Words(500, 'the legal basis in Chinese')),
  }, { additionalProperties: false }), { minItems: 1, maxItems: 8 }),
}, { additionalProperties: false });
export type BenchmarkBody = Static<typeof BenchmarkBody>;

export const CertificateBody = Type.Object({
  certificateNo: Words(64),
  validFrom: Type.Optional(Type.String({ pattern: Day.pattern, description: 'first day the certificate (or this renewal, or these domains) is valid, YYYY-MM-DD; today when omitted. Not before the day it is recorded, unless it certifies nothing on the days past that the record did not already (a correction): CERTIFICATE_BACKDATED' })),
  validUntil: Day,
  domains: Type.Array(Code, { minItems: 1, maxItems: 20, uniqueItems: true }),
  reason: Reason,
}, { additionalProperties: false });
export type CertificateBody = Static<typeof CertificateBody>;

/** One version of an officer's enforcement certificate, as recorded. */
export const CertificateVersion = Type.Object({
  userId: Type.String(),
  certificateNo: Type.String(),
  validFrom: Type.String({ description: 'YYYY-MM-DD' }),
  validUntil: Type.String({ description: 'YYYY-MM-DD, included' }),
  domains: Type.Array(Type.String()),
  reason: Nullable(Type.String()),
  recordedBy: Nullable(Type.String({ description: 'null: carried over from before certificates had a history' })),
  recordedAt: Type.String({ format: 'date-time' }),
});
export type CertificateVersion = Static<typeof CertificateVersion>;
export const CertificateHistory = Type.Object({
  on: Type.String({ description: 'the date `inForce` is valid on' }),
  inForce: Nullable(CertificateVersion),
  history: Type.Array(CertificateVersion, { description: 'every version, in the order recorded; the one in force on a day is the one with the latest validFrom on or before it (of equal validFrom, the later recorded)' }),
});
export type CertificateHistory = Static<typeof CertificateHistory>;
export const UserIdParams = Type.Object({ userId: Code });

export const ReviewPostBody = Type.Object({
  name: Words(200),
  kind: Type.Union([Type.Literal('street'), Type.Literal('district')]),
  streetId: Type.Union([Type.Null(), Code]),
  reason: Reason,
}, { additionalProperties: false });
export type ReviewPostBody = Static<typeof ReviewPostBody>;
export const PostParams = Type.Object({ id: Code });

export const ReviewersBody = Type.Object({
  reviewers: Type.Array(Code, { maxItems: 50, uniqueItems: true, description: 'user ids (role reviewer) who sit at the post; others leave it' }),
  reason: Reason,
}, { additionalProperties: false });
export type ReviewersBody = Static<typeof ReviewersBody>;

export const CATALOGUE_ENTITIES = ['matter', 'statutory_bounds', 'discretion_benchmark', 'officer_certificate', 'review_post', 'review_post_reviewers',
  'inspection_item', 'inspector', 'market_entity'] as const;
export const CatalogueChange = Type.Object({
  id: Type.Integer(),
  entity: Type.Union(CATALOGUE_ENTITIES.map((e) => Type.Literal(e))),
  key: Type.String(),
  effectiveFrom: Type.String({ description: 'from when the change applies (YYYY-MM-DD)' }),
  before: Type.Unknown(),
  after: Type.Unknown(),
  reason: Nullable(Type.String()),
  changedBy: Type.String(),
  changedAt: Type.String({ format: 'date-time' }),
});
export type CatalogueChange = Static<typeof CatalogueChange>;
export const CatalogueChangeList = Type.Array(CatalogueChange);
export const CatalogueChangeQuery = Type.Object({
  entity: Type.Optional(Type.Union(CATALOGUE_ENTITIES.map((e) => Type.Literal(e)))),
  key: Type.Optional(Code),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});

export const Party = Type.Object({
  id: Type.String({ description: 'normalised identifier' }),
  idType: Type.Union(PARTY_ID_TYPES.map((t) => Type.Literal(t))),
  kind: Kind,
  name: Nullable(Type.String()),
  firstSeenAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
});
export type Party = Static<typeof Party>;

export const PartyCase = Type.Object({
  caseId: Type.String(),
  number: Type.Integer(),
  matterCode: Nullable(Type.String()),
  state: Type.String(),
  teamId: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time', description: 'when the case was opened' }),
  actAt: Type.String({ format: 'date-time', description: 'the first alert of the case (when the act occurred)' }),
  party: Nullable(Type.String({ description: 'the party as named in the last proposal' })),
  outcome: Nullable(Type.String({ description: 'corrected / warning_issued / … on site, or the proposed penalties' })),
  penalties: Type.Array(Type.String(), { description: 'the last proposal\'s penalties' }),
  fineYuan: Nullable(Type.Integer()),
  decisionNo: Nullable(Type.String()),
});
export type PartyCase = Static<typeof PartyCase>;
export const PartyHistory = Type.Object({ party: Party, cases: Type.Array(PartyCase) });
export const PartyParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/**
 * What a party lookup is for. Officers, team leads and reviewers name the case (their team's, or the one
 * at their review post); the agency head may name one. Every lookup is kept in the party access log.
 */
export const PartyLookupQuery = Type.Object({
  caseId: Type.Optional(Type.String({ format: 'uuid', description: 'the case the lookup is for: required of officers, team leads and reviewers' })),
  purpose: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'why, in a few words (kept in the access log): required of the agency head without a case' })),
});

/** One row of the party access log: who looked up which party, when, for what, and what they were answered. */
export const PartyLookup = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  userId: Type.String(),
  role: Type.String(),
  partyId: Type.String({ description: 'the normalised identifier looked up' }),
  caseId: Nullable(Type.String({ description: 'the case named as the purpose' })),
  purpose: Nullable(Type.String()),
  route: Type.Union([Type.Literal('party'), Type.Literal('cases')], { description: 'party: GET /api/v1/parties/{id}; cases: GET /api/v1/parties/{id}/cases' }),
  outcome: Type.String({ description: '`shown`, `not_found`, or the refusal code (e.g. PARTY_NOT_OF_CASE)' }),
});
export type PartyLookup = Static<typeof PartyLookup>;
export const PartyLookupList = Type.Array(PartyLookup);
export const PartyLookupLogQuery = Type.Object({
  partyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'any spelling: normalised' })),
  userId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
});

export const PresenceBody = Type.Object({
  location: Type.Object({
    lat: Type.Number({ minimum: -90, maximum: 90 }), lon: Type.Number({ minimum: -180, maximum: 180 }), accuracyM: Type.Optional(Type.Number({ minimum: 0, maximum: 100_000 })),
  }, { additionalProperties: false, description: "the second officer's own position" }),
}, { additionalProperties: false });
export type Position = Static<typeof PresenceBody>['location'];
/** A case whose arriving officer named the caller as the second officer, awaiting their confirmation. */
export const PresenceRequest = Type.Object({
  caseId: Type.String(),
  number: Type.Integer(),
  title: Type.String(),
  zoneName: Type.String(),
  firstOfficer: Type.String(),
  arrivedAt: Type.String({ format: 'date-time' }),
  arrivalLocation: Nullable(Type.Object({ lat: Type.Number(), lon: Type.Number() })),
  confirmBy: Type.String({ format: 'date-time', description: 'arrival + PRESENCE_CONFIRM_MIN' }),
});
export type PresenceRequest = Static<typeof PresenceRequest>;
export const PresenceRequestList = Type.Array(PresenceRequest);
export const PresenceConfirmed = Type.Object({ confirmedAt: Type.String({ format: 'date-time' }), distanceM: Nullable(Type.Number({ description: 'metres from the arrival position' })) });
