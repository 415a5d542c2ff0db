import type pg from 'pg';
import { inTransaction } from '../db/transaction.js';
import { ZoneSchedule, type DayType, type RuleKind, type RuleParams, type ZoneRule } from '../domain/zone-rules.js';

import type { Holiday } from '../../contract/http/zone-rules.js';

export type { Holiday };

export type NewZoneRule = Omit<ZoneRule, 'id' | 'zoneId'> & { id?: string };

const RULE_SELECT = `SELECT id, zone_id AS "zoneId", kind, name, days, start_time AS start, end_time AS "end",
  season_from AS "from", season_until AS "until", priority, params FROM zone_rules`;

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
    return r.rows.map((row) => ({ ...row, days: row.days as DayType[], kind: row.kind as RuleKind, params: row.params as RuleParams }));
  }

  /** Replaces a zone's rules (null: the district-wide ones) in one transaction; ids are kept or made. */
  async replace(zoneId: string | null, rules: readonly NewZoneRule[]): Promise<ZoneRule[]> {
    await inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM zone_rules WHERE zone_id IS NOT DISTINCT FROM $1', [zoneId]);
      for (const [position, r] of rules.entries()) {
        const id = r.id ?? `${zoneId ?? 'district'}-${r.kind}-${position + 1}`;
        await client.query(
          `INSERT INTO zone_rules (id, zone_id, kind, name, days, start_time, end_time, season_from, season_until, priority, params, position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [id, zoneId, r.kind, r.name, r.days, r.start, r.end, r.from, r.until, r.priority, JSON.stringify(r.params), position],
        );
      }
    });
    return this.list(zoneId);
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
