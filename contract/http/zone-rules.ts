import { Type, type Static } from '@sinclair/typebox';

/** Zone rules and holiday calendars (core/domain/zone-rules.ts applies them). */
export const RULE_KINDS = ['noise', 'fishing', 'crowding', 'closure'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];
export const DAY_TYPES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'holiday'] as const;
export type DayType = (typeof DAY_TYPES)[number];

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Time = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'local time HH:MM' });
const SeasonDate = Type.Union([Type.Null(), Type.String({ pattern: '^(\\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD (one period) or MM-DD (every year)' })]);

export const RuleParams = Type.Object(
  {
    laeq: Type.Optional(Type.Number({ minimum: 20, maximum: 120, description: 'noise: LAeq limit, dB(A)' })),
    lamax: Type.Optional(Type.Union([Type.Null(), Type.Number({ minimum: 20, maximum: 140, description: 'noise: LAmax limit, dB(A); null = none; default none by day, LAeq + 15 at night' })])),
    fishingBan: Type.Optional(Type.Boolean({ description: 'fishing: banned or allowed' })),
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'crowding: people' })),
    closed: Type.Optional(Type.Boolean({ description: 'closure: the zone is closed to the public (a person at the water\'s edge is an intrusion) or open' })),
  },
  { additionalProperties: false },
);

const RuleFields = {
  kind: Type.Union(RULE_KINDS.map((k) => Type.Literal(k))),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  nameZh: Type.Optional(Type.Union([Type.Null(), Type.String({ minLength: 1, maxLength: 100 })], { description: 'the name in Chinese: alerts citing the rule and the Chinese UI use it (null: `name`)' })),
  days: Type.Array(Type.Union(DAY_TYPES.map((d) => Type.Literal(d))), { uniqueItems: true, maxItems: 8, description: 'empty = every day; `holiday` = dates of the zone calendar' }),
  start: Time,
  end: Time,
  from: SeasonDate,
  until: SeasonDate,
  priority: Type.Integer({ minimum: -1000, maximum: 1000 }),
  params: RuleParams,
};

export const Rule = Type.Object({
  id: Type.String(),
  zoneId: Type.Union([Type.Null(), Type.String()]),
  ...RuleFields,
  source: Type.Optional(Type.String({ description: '`admin`, or the external system that set the rule (e.g. `fishing-ban`); a zone\'s PUT replaces only admin rules' })),
});
export const NewRule = Type.Object(
  {
    id: Type.Optional(Id),
    ...RuleFields,
    days: Type.Optional(RuleFields.days),
    start: Type.Optional(Time),
    end: Type.Optional(Time),
    from: Type.Optional(SeasonDate),
    until: Type.Optional(SeasonDate),
    priority: Type.Optional(RuleFields.priority),
  },
  { additionalProperties: false },
);
export const RuleList = Type.Object({ rules: Type.Array(NewRule, { maxItems: 200 }) }, { additionalProperties: false });
export const Holiday = Type.Object({ date: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' }), name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

export type RuleParams = Static<typeof RuleParams>;
export type ZoneRule = Static<typeof Rule>;
export type Holiday = Static<typeof Holiday>;

export const Rules = Type.Object({ rules: Type.Array(Rule) });
export const ZoneParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
export const CalendarParams = Type.Object({ calendar: Id });
export const HolidaysBody = Type.Object({ days: Type.Array(Holiday, { maxItems: 2000 }) }, { additionalProperties: false });
export const HolidayList = Type.Object({ days: Type.Array(Holiday) });

/** One change in the rule history: who or what set or removed which rule, when. */
export const RuleChange = Type.Object({
  seq: Type.Integer(),
  ruleId: Type.String(),
  zoneId: Type.Union([Type.Null(), Type.String()]),
  action: Type.Union([Type.Literal('set'), Type.Literal('removed')]),
  source: Type.String({ description: 'admin, or the external system that set it (fishing-ban)' }),
  actor: Type.String(),
  at: Type.String(),
  rule: Type.Unknown(),
});
export const RuleHistory = Type.Object({ changes: Type.Array(RuleChange) });
export type RuleChange = Static<typeof RuleChange>;
