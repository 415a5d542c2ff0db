import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import { CalendarParams, HolidayList, HolidaysBody, NewRule, RuleHistory, RuleList, Rules, ZoneParams } from '../../contract/http/zone-rules.js';
import { AppError } from '../errors.js';
import { ruleProblem } from '../../core/domain/zone-rules.js';
import type { ZoneRepository } from '../zones.js';
import type { NewZoneRule, ZoneRuleRepository } from '../../core/repos/zone-rules.js';

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
  const zoneParams = ZoneParams;
  const mustExist = async (id: string) => {
    if (!(await zones.exists(id))) throw new AppError(404, 'ZONE_NOT_FOUND', `no zone ${id}`);
  };
  const replace = async (zoneId: string | null, body: Static<typeof RuleList>, actor: string) => {
    const list = normalise(body.rules);
    try {
      const stored = await rules.replace(zoneId, list, actor);
      await rulesChanged();
      return { rules: stored };
    } catch (err) {
      if ((err as { code?: string }).code === '23505') throw new AppError(400, 'RULE_INVALID', 'a rule id is already used by another zone');
      throw err;
    }
  };

  app.get('/api/v1/zones/:id/rules', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: "A zone's own rules, in the order they were given", security: [{ bearer: [] }], params: zoneParams, response: { 200: Rules, ...errors } },
  }, async (req) => {
    await mustExist(req.params.id);
    return { rules: await rules.list(req.params.id) };
  });

  app.put('/api/v1/zones/:id/rules', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['registry'], summary: "Replaces a zone's rules", security: [{ bearer: [] }], params: zoneParams, body: RuleList, response: { 200: Rules, ...errors } },
  }, async (req) => {
    await mustExist(req.params.id);
    const out = await replace(req.params.id, req.body, req.user.username);
    req.log.info({ zone: req.params.id, rules: out.rules.length, by: req.user.username }, 'zone rules replaced');
    return out;
  });

  app.get('/api/v1/zones/:id/rules/history', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: "Every change of a zone's rules: by an admin, or by an external system such as the fishing-ban platform", security: [{ bearer: [] }], params: zoneParams, response: { 200: RuleHistory, ...errors } },
  }, async (req) => {
    await mustExist(req.params.id);
    return { changes: await rules.history(req.params.id) };
  });

  app.get('/api/v1/district/rules/history', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: 'Every change of the district-wide rules', security: [{ bearer: [] }], response: { 200: RuleHistory, ...errors } },
  }, async () => ({ changes: await rules.history(null) }));

  app.get('/api/v1/district/rules', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: 'Rules that apply in every zone', security: [{ bearer: [] }], response: { 200: Rules, ...errors } },
  }, async () => ({ rules: await rules.list(null) }));

  app.put('/api/v1/district/rules', {
    preHandler: app.requireRole('admin', 'operator'),
    schema: { tags: ['registry'], summary: 'Replaces the district-wide rules', security: [{ bearer: [] }], body: RuleList, response: { 200: Rules, ...errors } },
  }, async (req) => {
    const out = await replace(null, req.body, req.user.username);
    req.log.info({ rules: out.rules.length, by: req.user.username }, 'district rules replaced');
    return out;
  });

  const calendarParams = CalendarParams;
  app.get('/api/v1/holidays/:calendar', {
    preHandler: app.authenticate,
    schema: { tags: ['registry'], summary: "A holiday calendar's dates", security: [{ bearer: [] }], params: calendarParams, response: { 200: HolidayList, ...errors } },
  }, async (req) => ({ days: await rules.holidays(req.params.calendar) }));

  app.put('/api/v1/holidays/:calendar', {
    preHandler: app.requireRole('admin'),
    schema: { tags: ['registry'], summary: "Replaces a holiday calendar's dates", security: [{ bearer: [] }], params: calendarParams, body: HolidaysBody, response: { 200: HolidayList, ...errors } },
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
