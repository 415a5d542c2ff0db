import { Type, type Static } from '@sinclair/typebox';
import { Nullable } from './common.js';
import { Code, Day, PresenceBody, Words } from './legal.js';

/**
 * Inspections: the published checklist (public), registered inspectors, market entities and their
 * three-colour credit, random inspection plans with their seed commitment and draw (public), the
 * inspections themselves on the officers' tablets, and their published results.
 */

export const ENTITY_KINDS = ['vendor', 'restaurant', 'construction_site', 'boat_operator'] as const;
const EntityKind = Type.Union(ENTITY_KINDS.map((k) => Type.Literal(k)));
export const COLOURS = ['green', 'yellow', 'red'] as const;
const Colour = Type.Union(COLOURS.map((c) => Type.Literal(c)));
const Time = Type.String({ format: 'date-time' });
const Location = PresenceBody.properties.location;

export const ChecklistItem = Type.Object({
  code: Type.String(),
  effectiveFrom: Type.String({ description: 'the version in force from this day (YYYY-MM-DD)' }),
  matterCode: Type.String({ description: 'the matter of the catalogue a violation of this item is' }),
  title: Type.String(),
  titleZh: Nullable(Type.String({ description: 'the title in Chinese (null: shown in English)' })),
  checks: Type.Array(Type.String(), { description: 'what is checked, point by point' }),
  checksZh: Nullable(Type.Array(Type.String(), { description: 'the checks in Chinese, in the same order' })),
  legalBasis: Type.String(),
  legalBasisZh: Nullable(Type.String()),
  inspectorDomain: Type.String({ description: 'who may inspect: inspectors whose certificate covers this item, from the department of this domain' }),
  entityKinds: Type.Array(EntityKind),
});
export type ChecklistItem = Static<typeof ChecklistItem>;
export const ChecklistItemVersion = Type.Composite([ChecklistItem, Type.Object({ withdrawn: Type.Boolean() })]);
export const Checklist = Type.Object({ on: Type.String(), items: Type.Array(ChecklistItem) });
export const ItemCodeParams = Type.Object({ code: Code });
export const ChecklistItemBody = Type.Object({
  effectiveFrom: Day,
  matterCode: Code,
  title: Words(200),
  titleZh: Type.Optional(Words(200)),
  checks: Type.Array(Words(500), { minItems: 1, maxItems: 30 }),
  checksZh: Type.Optional(Type.Array(Words(500), { minItems: 1, maxItems: 30, description: 'one per check, in the same order' })),
  legalBasis: Words(500),
  legalBasisZh: Type.Optional(Words(500)),
  inspectorDomain: Code,
  entityKinds: Type.Array(EntityKind, { minItems: 1, uniqueItems: true }),
  withdrawn: Type.Optional(Type.Boolean({ description: 'true: the item leaves the checklist from effectiveFrom' })),
  reason: Type.Optional(Words(2000)),
}, { additionalProperties: false });
export type ChecklistItemBody = Static<typeof ChecklistItemBody>;
/** A change of the checklist as published: no names of who made it. */
export const PublicItemChange = Type.Object({ effectiveFrom: Type.String(), changedAt: Time, before: Type.Unknown(), after: Type.Unknown(), reason: Nullable(Type.String()) });
export const ChecklistItemHistory = Type.Object({ code: Type.String(), versions: Type.Array(ChecklistItemVersion), changes: Type.Array(PublicItemChange) });

export const Inspector = Type.Object({
  userId: Type.String(),
  name: Type.String(),
  nameZh: Nullable(Type.String({ description: 'the name in Chinese, shown by the Chinese UI (null: `name` is shown)' })),
  teamId: Nullable(Type.String()),
  certificateNo: Type.String(),
  validFrom: Type.String(),
  validUntil: Type.String(),
  items: Type.Array(Type.String()),
  validToday: Type.Boolean(),
});
export type Inspector = Static<typeof Inspector>;
export const InspectorList = Type.Array(Inspector);
export const InspectorBody = Type.Object({
  certificateNo: Words(64),
  validFrom: Day,
  validUntil: Day,
  items: Type.Array(Code, { maxItems: 100, uniqueItems: true, description: 'checklist item codes this inspector may inspect' }),
  reason: Type.Optional(Words(2000)),
}, { additionalProperties: false });
export type InspectorBody = Static<typeof InspectorBody>;

export const CreditReason = Type.Object({
  code: Type.Union(['DECIDED_CASES', 'SENSOR_VIOLATIONS', 'CORRECTIONS', 'COMPLAINTS_UPHELD', 'CLEAN_RECORD'].map((c) => Type.Literal(c))),
  count: Type.Integer(),
  points: Type.Number(),
  text: Type.String(),
});
export const CreditRecord = Type.Object({ decidedCases: Type.Integer(), sensorViolations: Type.Integer(), corrections: Type.Integer(), complaintsUpheld: Type.Integer() });
export const CreditComputation = Type.Object({
  colour: Colour,
  points: Type.Number(),
  record: CreditRecord,
  reasons: Type.Array(CreditReason),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('demand')]),
  period: Type.String({ description: 'the scheduling period (CREDIT_RECOMPUTE) the computation belongs to' }),
  computedAt: Time,
});
export type CreditComputation = Static<typeof CreditComputation>;

export const MarketEntity = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameZh: Nullable(Type.String({ description: 'its name in Chinese, shown by the Chinese UI (null: the English is shown)' })),
  kind: EntityKind,
  zoneId: Type.String(),
  zoneName: Type.String(),
  zoneNameZh: Nullable(Type.String()),
  address: Nullable(Type.String()),
  addressZh: Nullable(Type.String({ description: 'its address in Chinese, shown by the Chinese UI (null: the English is shown)' })),
  partyId: Nullable(Type.String({ description: 'the party of cases this entity is (normalised identifier)' })),
  credit: Nullable(CreditComputation),
});
export type MarketEntity = Static<typeof MarketEntity>;
export const MarketEntityList = Type.Array(MarketEntity);
export const EntityIdParams = Type.Object({ id: Code });
export const MarketEntityBody = Type.Object({
  name: Words(200),
  nameZh: Type.Optional(Words(200, 'the name in Chinese; left out, the one on record is kept while `name` stays the same')),
  kind: EntityKind,
  zoneId: Code,
  address: Type.Optional(Words(300)),
  addressZh: Type.Optional(Words(300, 'the address in Chinese; left out, the one on record is kept while `address` stays the same')),
  partyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'resident identity number (GB 11643) or passport of an individual, unified social credit code (GB 32100) of a unit' })),
  partyKind: Type.Optional(Type.Union([Type.Literal('individual'), Type.Literal('unit')], { description: 'default: individual for a vendor or boat operator, unit otherwise' })),
  reason: Type.Optional(Words(2000)),
}, { additionalProperties: false });
export type MarketEntityBody = Static<typeof MarketEntityBody>;
export const CreditHistory = Type.Array(CreditComputation);
export const RecomputeResult = Type.Object({ computed: Type.Integer(), changed: Type.Integer(), period: Type.String() });

export const DrawInputs = Type.Object({
  population: Type.Array(Type.Object({ id: Type.String(), kind: Type.String() })),
  items: Type.Array(Type.Object({ code: Type.String(), entityKinds: Type.Array(Type.String()) })),
  inspectors: Type.Array(Type.Object({ certificateNo: Type.String(), items: Type.Array(Type.String()) })),
});
export const DrawnInspection = Type.Object({
  entityId: Type.String(),
  itemCode: Nullable(Type.String()),
  inspectors: Type.Array(Type.String(), { description: 'certificate numbers' }),
  unstaffed: Type.Boolean(),
});
export const PublicPlan = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  colour: Type.Union([Type.Literal('yellow'), Type.Literal('red')]),
  period: Type.String(),
  periodFrom: Type.String(),
  periodTo: Type.String(),
  rate: Type.Number({ description: 'probability each entity of the colour is drawn in this period' }),
  algorithm: Type.Literal('hmac-sha256-bernoulli-fisher-yates-v1'),
  createdAt: Time,
  commitment: Type.String({ description: 'SHA-256 (hex) of the seed, published before the draw' }),
  inputs: DrawInputs,
  entityNames: Type.Record(Type.String(), Type.String()),
  entityNamesZh: Type.Record(Type.String(), Type.String(), { description: 'the same entities\' Chinese names, where they have one' }),
  seed: Nullable(Type.String({ description: 'published after the draw' })),
  drawnAt: Nullable(Time),
  selected: Nullable(Type.Array(DrawnInspection)),
});
export type PublicPlan = Static<typeof PublicPlan>;
export const PublicPlanList = Type.Array(PublicPlan);
export const PlanBody = Type.Object({
  colour: Type.Union([Type.Literal('yellow'), Type.Literal('red')]),
  on: Type.Optional(Day),
}, { additionalProperties: false });
export const PlanParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const INSPECTION_OUTCOMES = ['compliant', 'violations', 'corrected_on_site', 'not_inspected'] as const;
const Outcome = Type.Union(INSPECTION_OUTCOMES.map((o) => Type.Literal(o)));
export const Finding = Type.Object({
  check: Words(500),
  compliant: Type.Boolean(),
  note: Type.Optional(Words(2000)),
}, { additionalProperties: false });
export const InspectionPerson = Type.Object({ userId: Type.String(), name: Type.String(), nameZh: Nullable(Type.String({ description: 'the name in Chinese, shown by the Chinese UI (null: `name` is shown)' })), certificateNo: Nullable(Type.String()) });
export const Inspection = Type.Object({
  id: Type.String(),
  number: Type.Integer(),
  planId: Nullable(Type.String()),
  planNumber: Nullable(Type.Integer()),
  entityId: Type.String(),
  entityName: Type.String(),
  entityNameZh: Nullable(Type.String()),
  entityKind: Type.String(),
  zoneName: Type.String(),
  zoneNameZh: Nullable(Type.String()),
  address: Nullable(Type.String()),
  addressZh: Nullable(Type.String()),
  itemCode: Type.String(),
  item: Nullable(ChecklistItem),
  reason: Type.Union([Type.Literal('random'), Type.Literal('complaint'), Type.Literal('case')]),
  complaintRef: Nullable(Type.String()),
  justifyingCaseId: Nullable(Type.String()),
  state: Type.Union(['planned', 'opened', 'in_progress', 'closed'].map((s) => Type.Literal(s))),
  assigned: Type.Array(InspectionPerson),
  leadInspector: Nullable(Type.String()),
  secondInspector: Nullable(Type.String()),
  openedAt: Nullable(Time),
  confirmBy: Nullable(Time),
  secondConfirmedAt: Nullable(Time),
  outcome: Nullable(Outcome),
  findings: Nullable(Type.Array(Finding)),
  summary: Nullable(Type.String()),
  followUpCaseId: Nullable(Type.String()),
  closedAt: Nullable(Time),
  createdAt: Time,
});
export type Inspection = Static<typeof Inspection>;
export const InspectionList = Type.Array(Inspection);
export const InspectionListQuery = Type.Object({
  state: Type.Optional(Type.Union(['planned', 'opened', 'in_progress', 'closed'].map((s) => Type.Literal(s)))),
  mine: Type.Optional(Type.Boolean({ description: 'only inspections you are assigned to or inspecting (officers always get these)' })),
});
export const OpenBody = Type.Object({
  secondInspectorId: Code,
  location: Location,
  justifyingCaseId: Type.Optional(Type.String({ format: 'uuid', description: 'a case about the entity\'s party that justifies a repeat within INSPECTION_REPEAT_DAYS' })),
}, { additionalProperties: false });
export type OpenBody = Static<typeof OpenBody>;
export const AdHocBody = Type.Composite([OpenBody, Type.Object({
  entityId: Code,
  itemCode: Code,
  reason: Type.Union([Type.Literal('complaint'), Type.Literal('case')], { description: 'outside random plans an inspection answers a complaint or a case' }),
  complaintRef: Type.Optional(Words(64)),
})], { additionalProperties: false });
export type AdHocBody = Static<typeof AdHocBody>;
export const ResultBody = Type.Object({
  outcome: Outcome,
  findings: Type.Array(Finding, { maxItems: 50 }),
  summary: Type.Optional(Words(4000)),
}, { additionalProperties: false });
export type ResultBody = Static<typeof ResultBody>;
export const FollowUpBody = Type.Object({ note: Type.Optional(Words(2000)) }, { additionalProperties: false });
export const FollowUpCase = Type.Object({ caseId: Type.String(), number: Type.Integer(), teamId: Nullable(Type.String()) });

export const Refusal = Type.Object({
  id: Type.Integer(), at: Time, userId: Type.String(), inspectionId: Nullable(Type.String()), entityId: Nullable(Type.String()),
  itemCode: Nullable(Type.String()), code: Type.String(), message: Type.String(),
});
export type Refusal = Static<typeof Refusal>;
export const RefusalList = Type.Array(Refusal);

/** What the public sees of an inspection: no person, party identifier or position. */
export const PublicResult = Type.Object({
  number: Type.Integer(),
  planNumber: Nullable(Type.Integer()),
  entityId: Type.String(),
  entityName: Type.String(),
  entityNameZh: Nullable(Type.String()),
  entityKind: Type.String(),
  itemCode: Type.String(),
  itemTitle: Nullable(Type.String()),
  itemTitleZh: Nullable(Type.String()),
  reason: Type.String(),
  openedAt: Nullable(Time),
  closedAt: Time,
  outcome: Outcome,
  findings: Type.Array(Type.Object({ check: Type.String(), compliant: Type.Boolean(), note: Nullable(Type.String()) })),
  summary: Nullable(Type.String()),
  followUpCaseNumber: Nullable(Type.Integer()),
});
export type PublicResult = Static<typeof PublicResult>;
export const PublicResultList = Type.Array(PublicResult);

/** `?limit=` of the public results and the refusals list. */
export const LimitQuery = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }) });
/** `?colour=` of the market entities list. */
export const ColourQuery = Type.Object({ colour: Type.Optional(Type.Union([Type.Literal('green'), Type.Literal('yellow'), Type.Literal('red')])) });
