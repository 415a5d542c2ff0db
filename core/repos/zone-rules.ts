import type pg from 'pg';
import { inTransaction } from '../db/transaction.js';
import { ZoneSchedule, type DayType, type RuleKind, type RuleParams, type ZoneRule } from '../domain/zone-rules.js';

import type { Holiday, RuleChange } from '../../contract/http/zone-rules.js';

export type { Holiday, RuleChange };

export type NewZoneRule = Omit<ZoneRule, 'id' | 'zoneId'> & { id?: string };

const RULE_SELECT = `SELECT id, zone_id AS "zoneId", kind, name, name_zh AS "nameZh", days, start_time AS start, end_time AS "end",
  season_from AS "from", season_until AS "until", priority, params, source FROM zone_rules`;

type Client = pg.PoolClient;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Appends the changes from `before` to `after` (rules by id) to the rule history. */
async function recordChanges(client: Client, before: readonly ZoneRule[], after: readonly ZoneRule[], source: string, actor: string): Promise<void> {
  const next = new Map(after.map((r) => [r.id, r]));
  const prev = new Map(before.map((r) => [r.id, r]));
  const log = async (rule: ZoneRule, action: 'set' | 'removed') =>
    client.query(`INSERT INTO zone_rule_history (rule_id, zone_id, action, source, actor, rule) VALUES ($1, $2, $3, $4, $5, $6)`, [
      rule.id, rule.zoneId, action, source, actor, action === 'set' ? JSON.stringify(rule) : null,
    ]);
  for (const r of before) if (!next.has(r.id)) await log(r, 'removed');
  for (const r of after) if (!same(prev.get(r.id), r)) await log(r, 'set');
}

const rowToRule = (row: ZoneRule): ZoneRule => ({ ...row, days: row.days as DayType[], kind: row.kind as RuleKind, params: row.params as RuleParams });

/** Zone rules and holiday calendars (core/domain/zone-rules.ts): stored, listed, replaced. */
export class ZoneRuleRepository {
  constructor(private readonly pool: pg.Pool) {}

  /** Every rule, every calendar and which zone follows which: what the detectors evaluate. */
  async schedule(): Promise<ZoneSchedule> {
    const rules = await this.list();
    const holidays = await this.pool.query<{ calendar: string; day: string }>(`SELECT calendar, to_char(day, 'YYYY-MM-DD') AS day FROM holidays`);
    const zones = await this.pool.query<{ id: string; calendar: string | null }>(`SELECT id, holiday_calendar AS calendar FROM zones`);
    const calendars = new Map<string, Set<string>>();
    for (const h of holidays.rows) {
      let set = calendars.get(h.calendar);
      if (!set) calendars.set(h.calendar, (set = new Set()));
      set.add(h.day);
    }
    const zoneCalendars = new Map<string, string>();
    for (const z of zones.rows) if (z.calendar) zoneCalendars.set(z.id, z.calendar);
    return new ZoneSchedule(rules, calendars, zoneCalendars);
  }

  /** Rules of one zone (or, with null, the district-wide ones), or all of them. */
  async list(zoneId?: string | null): Promise<ZoneRule[]> {
    const r =
      zoneId === undefined
        ? await this.pool.query<ZoneRule>(`${RULE_SELECT} ORDER BY zone_id NULLS FIRST, position`)
        : await this.pool.query<ZoneRule>(`${RULE_SELECT} WHERE zone_id IS NOT DISTINCT FROM $1 ORDER BY position`, [zoneId]);
    return r.rows.map(rowToRule);
  }

  /**
   * Replaces a zone's own rules (null: the district-wide ones) in one transaction; ids are kept or made.
   * Rules an external system set (source other than admin) stay. Every change goes to the history.
   */
  async replace(zoneId: string | null, rules: readonly NewZoneRule[], actor = 'admin'): Promise<ZoneRule[]> {
    await inTransaction(this.pool, async (client) => {
      const before = (await client.query<ZoneRule>(`${RULE_SELECT} WHERE zone_id IS NOT DISTINCT FROM $1 AND source = 'admin'`, [zoneId])).rows.map(rowToRule);
      await client.query(`DELETE FROM zone_rules WHERE zone_id IS NOT DISTINCT FROM $1 AND source = 'admin'`, [zoneId]);
      for (const [position, r] of rules.entries()) {
        const id = r.id ?? `${zoneId ?? 'district'}-${r.kind}-${position + 1}`;
        await client.query(
          `INSERT INTO zone_rules (id, zone_id, kind, name, days, start_time, end_time, season_from, season_until, priority, params, position, name_zh)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [id, zoneId, r.kind, r.name, r.days, r.start, r.end, r.from, r.until, r.priority, JSON.stringify(r.params), position, r.nameZh ?? null],
        );
      }
      const after = (await client.query<ZoneRule>(`${RULE_SELECT} WHERE zone_id IS NOT DISTINCT FROM $1 AND source = 'admin'`, [zoneId])).rows.map(rowToRule);
      await recordChanges(client, before, after, 'admin', actor);
    });
    return this.list(zoneId);
  }

  /**
   * Replaces the rules an external system keeps under one id prefix (e.g. one ban notice's rules in
   * every zone it covers), in one transaction with `alongside` (the caller's record of the message).
   */
  async replaceExternal(source: string, prefix: string, rules: readonly (NewZoneRule & { id: string; zoneId: string })[], actor: string, alongside?: (client: Client) => Promise<void>): Promise<ZoneRule[]> {
    return inTransaction(this.pool, async (client) => {
      const mine = `${RULE_SELECT} WHERE source = $1 AND starts_with(id, $2) ORDER BY id`;
      const before = (await client.query<ZoneRule>(mine, [source, prefix])).rows.map(rowToRule);
      await client.query('DELETE FROM zone_rules WHERE source = $1 AND starts_with(id, $2)', [source, prefix]);
      for (const r of rules) {
        if (!r.id.startsWith(prefix)) throw new RangeError(`rule ${r.id} is not under ${prefix}`);
        await client.query(
          `INSERT INTO zone_rules (id, zone_id, kind, name, days, start_time, end_time, season_from, season_until, priority, params, position, source, name_zh)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13)`,
          [r.id, r.zoneId, r.kind, r.name, r.days, r.start, r.end, r.from, r.until, r.priority, JSON.stringify(r.params), source, r.nameZh ?? null],
        );
      }
      const after = (await client.query<ZoneRule>(mine, [source, prefix])).rows.map(rowToRule);
      await recordChanges(client, before, after, source, actor);
      await alongside?.(client);
      return after;
    });
  }

  /** A zone's rule changes (null: the district-wide rules'), oldest first. */
  async history(zoneId: string | null, limit = 500): Promise<RuleChange[]> {
    const r = await this.pool.query<RuleChange>(
      `SELECT seq::int AS seq, rule_id AS "ruleId", zone_id AS "zoneId", action, source, actor, to_json(at) #>> '{}' AS at, rule
       FROM zone_rule_history WHERE zone_id IS NOT DISTINCT FROM $1 ORDER BY seq DESC LIMIT $2`,
      [zoneId, limit],
    );
    return r.rows.reverse();
  }

  async holidays(calendar: string): Promise<Holiday[]> {
    const r = await this.pool.query<Holiday>(`SELECT to_char(day, 'YYYY-MM-DD') AS date, name FROM holidays WHERE calendar = $1 ORDER BY day`, [calendar]);
    return r.rows;
  }

  /** Replaces one calendar's dates. */
  async replaceHolidays(calendar: string, days: readonly Holiday[]): Promise<Holiday[]> {
    await inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM holidays WHERE calendar = $1', [calendar]);
      if (days.length > 0) {
        await client.query(`INSERT INTO holidays (calendar, day, name) SELECT $1, d::date, n FROM unnest($2::text[], $3::text[]) AS t(d, n)`, [
          calendar,
          days.map((d) => d.date),
          days.map((d) => d.name),
        ]);
      }
    });
    return this.holidays(calendar);
  }
}
