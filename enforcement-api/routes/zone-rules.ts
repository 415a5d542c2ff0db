import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import { AppError } from '../errors.js';
import { DAY_TYPES, RULE_KINDS, ruleProblem } from '../../core/domain/zone-rules.js';
import type { ZoneRepository } from '../../core/repos/zones.js';
import type { NewZoneRule, ZoneRuleRepository } from '../../core/repos/zone-rules.js';

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' });
const Time = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'local time HH:MM' });
const SeasonDate = Type.Union([Type.Null(), Type.String({ pattern: '^(\\d{4}-)?(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$', description: 'YYYY-MM-DD (one period) or MM-DD (every year)' })]);

const Params = Type.Object(
  {
    laeq: Type.Optional(Type.Number({ minimum: 20, maximum: 120, description: 'noise: LAeq limit, dB(A)' })),
    lamax: Type.Optional(Type.Union([Type.Null(), Type.Number({ minimum: 20, maximum: 140, description: 'noise: LAmax limit, dB(A); null = none; default none by day, LAeq + 15 at night' })])),
    fishingBan: Type.Optional(Type.Boolean({ description: 'fishing: banned or allowed' })),
    capacity: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'crowding: people' })),
  },
  { additionalProperties: false },
);

const RuleFields = {
  kind: Type.Union(RULE_KINDS.map((k) => Type.Literal(k))),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  days: Type.Array(Type.Union(DAY_TYPES.map((d) => Type.Literal(d))), { uniqueItems: true, maxItems: 8, description: 'empty = every day; `holiday` = dates of the zone calendar' }),
  start: Time,
  end: Time,
  from: SeasonDate,
  until: SeasonDate,
  priority: Type.Integer({ minimum: -1000, maximum: 1000 }),
  params: Params,
};

const Rule = Type.Object({ id: Type.String(), zoneId: Type.Union([Type.Null(), Type.String()]), ...RuleFields });
const NewRule = Type.Object(
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
const RuleList = Type.Object({ rules: Type.Array(NewRule, { maxItems: 200 }) }, { additionalProperties: false });
const Holiday = Type.Object({ date: Type.String({ pattern: '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$' }), name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });

const errors = { 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } };

/** Fills defaults and checks what the schema cannot (a noise rule has a limit, …); 400 RULE_INVALID names the rule. */
function normalise(rules: Static<typeof NewRule>[]): NewZoneRule[] {
  const ids = new Set<string>();
  return rules.map((r, i) => {
    const rule: NewZoneRule = { ...r, days: r.days ?? [], start: r.start ?? '00:00', end: r.end ?? '00:00', from: r.from ?? null, until: r.until ?? null, priority: r.priority ?? 0 };
    const problem = ruleProblem(rule);
    if (problem) throw new AppError(400, 'RULE_INVALID', `rules[${i}] (${r.name}): ${problem}`);
    if (r.id !== undefined) {
      if (ids.has(r.id)) throw new AppError(400, 'RULE_INVALID', `rules[${i}]: id ${r.id} appears twice`);
      ids.add(r.id);
    }
    return rule;
  });
}

/**
 * Zone rules and holiday calendars (core/domain/zone-rules.ts): everyone signed in reads them (they
 * explain alerts); admins and operators replace a zone's list, or the district-wide one, as a whole.
 * A change is announced on `v1/control/rules`, so inference applies it at once.
 */
const routes: FastifyPluginAsyncTypebox<{ zones: ZoneRepository; rules: ZoneRuleRepository; rulesChanged: () => Promise<void> }> = async (app, { zones, rules, rulesChanged }) => {
  const zoneParams = Type.Object({ id: Type.String({ maxLength: 100 }) });
  const mustExist = async (id: string) => {
    if (!(await zones.exists(id))) throw new AppError(404, 'ZONE_NOT_FOUND', `no zone ${id}`);
  };
  const replace = async (zoneId: string | null, body: Static<typeof RuleList>) => {
    const list = normalise(body.rules);
    try {
      const stored = await rules.replace(zoneId, list);
      await rulesChanged();
      return { rules: stored };
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new AppError(400, 'RULE_INVALID', 'a rule id is already used by another zone');
      throw err;
    }
  };

  app.get('/api/v1/zones/:id/rules', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: "A zone's own rules, in the order they were given", security: [{ bearer: [] }], params: zoneParams, response: { 200: Type.Object({ rules: Type.Array(Rule) }), ...errors } },
  }, async (req) => {
    await mustExist(req.params.id);
    return { rules: await rules.list(req.params.id) };
  });

  app.put('/api/v1/zones/:id/rules', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['registry'], summary: "Replaces a zone's rules", security: [{ bearer: [] }], params: zoneParams, body: RuleList, response: { 200: Type.Object({ rules: Type.Array(Rule) }), ...errors } },
  }, async (req) => {
    await mustExist(req.params.id);
    const out = await replace(req.params.id, req.body);
    req.log.info({ zone: req.params.id, rules: out.rules.length, by: req.user.username }, 'zone rules replaced');
    return out;
  });

  app.get('/api/v1/district/rules', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: 'Rules that apply in every zone', security: [{ bearer: [] }], response: { 200: Type.Object({ rules: Type.Array(Rule) }), ...errors } },
  }, async () => ({ rules: await rules.list(null) }));

  app.put('/api/v1/district/rules', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['registry'], summary: 'Replaces the district-wide rules', security: [{ bearer: [] }], body: RuleList, response: { 200: Type.Object({ rules: Type.Array(Rule) }), ...errors } },
  }, async (req) => {
    const out = await replace(null, req.body);
    req.log.info({ rules: out.rules.length, by: req.user.username }, 'district rules replaced');
    return out;
  });

  const calendarParams = Type.Object({ calendar: Id });
  app.get('/api/v1/holidays/:calendar', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: "A holiday calendar's dates", security: [{ bearer: [] }], params: calendarParams, response: { 200: Type.Object({ days: Type.Array(Holiday) }), ...errors } },
  }, async (req) => ({ days: await rules.holidays(req.params.calendar) }));

  app.put('/api/v1/holidays/:calendar', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['registry'], summary: "Replaces a holiday calendar's dates", security: [{ bearer: [] }], params: calendarParams, body: Type.Object({ days: Type.Array(Holiday, { maxItems: 2000 }) }, { additionalProperties: false }), response: { 200: Type.Object({ days: Type.Array(Holiday) }), ...errors } },
  }, async (req) => {
    const dates = req.body.days.map((d) => d.date);
    if (new Set(dates).size !== dates.length) throw new AppError(400, 'HOLIDAY_INVALID', 'a date appears twice');
    for (const d of dates) if (Number.isNaN(Date.parse(`${d}T00:00:00Z`)) || new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) !== d) throw new AppError(400, 'HOLIDAY_INVALID', `${d} is not a date`);
    const days = await rules.replaceHolidays(req.params.calendar, req.body.days);
    await rulesChanged();
    req.log.info({ calendar: req.params.calendar, days: days.length, by: req.user.username }, 'holiday calendar replaced');
    return { days };
  });
};
export default routes;
