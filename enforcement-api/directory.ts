import type pg from 'pg';

import type { Colleague, Overview } from '../contract/http/directory.js';
import { localDate } from './domain/legal-rules.js';

/** Look-ups the screens need around a case: colleagues, reviewers, the ops overview. */
const SERIES = ['noise_readings', 'people_counts', 'track_observations', 'smoke_readings', 'device_status'];

export class DirectoryQueries {
  /** `timezone`: whose calendar day "today" is (DEFAULT_TIMEZONE, the legal rules' own). */
  constructor(private readonly pool: pg.Pool, private readonly timezone = 'UTC') {}

  /**
   * Users of one team with their enforcement certificate (a second officer on site is one of them): the
   * version in force on `on` (legal-rules.ts `certificateOn`; it may have expired), or, before any has
   * begun, the first to come. The history: GET /api/v1/catalogue/officers/{userId}/certificates.
   */
  async colleagues(teamId: string, on = localDate(new Date(), this.timezone)): Promise<Colleague[]> {
    const r = await this.pool.query<Colleague>(
      `SELECT u.id AS "userId", u.display_name AS name, u.name_zh AS "nameZh", u.role, c.certificate_no AS "certificateNo",
              to_char(c.valid_from, 'YYYY-MM-DD') AS "certificateValidFrom", to_char(c.valid_until, 'YYYY-MM-DD') AS "certificateValidUntil",
              coalesce(c.domains, '{}') AS domains
       FROM users u LEFT JOIN officers o ON o.user_id = u.id
       LEFT JOIN LATERAL (SELECT * FROM officer_certificates k WHERE k.officer_id = o.id
                          ORDER BY k.valid_from <= $2 DESC, CASE WHEN k.valid_from <= $2 THEN k.valid_from END DESC, k.valid_from, k.id DESC LIMIT 1) c ON true
       WHERE u.team_id = $1 ORDER BY u.display_name`,
      [teamId, on],
    );
    return r.rows;
  }

  /** Reviewers of one legal review post (the colleagues a centre reviewer may consult). */
  async reviewers(postId: string): Promise<Colleague[]> {
    const r = await this.pool.query<Colleague>(
      `SELECT id AS "userId", display_name AS name, name_zh AS "nameZh", role, NULL AS "certificateNo", NULL AS "certificateValidFrom", NULL AS "certificateValidUntil", '{}'::text[] AS domains
       FROM users WHERE role = 'reviewer' AND review_post_id = $1 ORDER BY display_name`,
      [postId],
    );
    return r.rows;
  }

  async overview(now = new Date()): Promise<Overview> {
    const since = new Date(now.getTime() - 24 * 3_600_000);
    const devices = await this.pool.query<{ online: number; total: number }>(`SELECT count(*) FILTER (WHERE online)::int AS online, count(*)::int AS total FROM devices`);
    const d = devices.rows[0] ?? { online: 0, total: 0 };
    const readings = await this.pool.query<{ hour: Date; readings: number }>(
      `SELECT hour, sum(n)::int AS readings FROM (${SERIES.map((t) => `SELECT date_trunc('hour', ts) AS hour, count(*) AS n FROM ${t} WHERE ts >= $1 GROUP BY 1`).join(' UNION ALL ')}) s
       GROUP BY hour ORDER BY hour`,
      [since],
    );
    const alerts = await this.pool.query<{ hour: Date; alerts: number }>(
      `SELECT date_trunc('hour', detected_at) AS hour, count(*)::int AS alerts FROM alerts WHERE detected_at >= $1 GROUP BY 1 ORDER BY 1`,
      [since],
    );
    const open = await this.pool.query<{ state: string; cases: number }>(
      `SELECT state, count(*)::int AS cases FROM cases WHERE state NOT IN ('closed', 'dismissed') GROUP BY state ORDER BY state`,
    );
    const breaches = await this.pool.query<{ caseId: string; number: number; deadline: string; dueAt: Date; teamId: string | null; teamName: string | null; teamNameZh: string | null; title: string; titleZh: string | null }>(
      `SELECT c.id AS "caseId", c.number::int AS number, d.name AS deadline, d.due_at AS "dueAt", c.team_id AS "teamId",
         tm.name AS "teamName", tm.name_zh AS "teamNameZh", c.title, c.title_zh AS "titleZh"
       FROM case_deadlines d JOIN cases c ON c.id = d.case_id LEFT JOIN teams tm ON tm.id = c.team_id
       WHERE d.kind = 'deadline' AND (d.status = 'missed' OR (d.status = 'open' AND d.due_at < $1)) AND c.state NOT IN ('closed', 'dismissed')
       ORDER BY d.due_at LIMIT 100`,
      [now],
    );
    const fallback = await this.pool.query<{ caseId: string; number: number; title: string; titleZh: string | null; zoneName: string; zoneNameZh: string | null; createdAt: Date }>(
      `SELECT c.id AS "caseId", c.number::int AS number, c.title, c.title_zh AS "titleZh", z.name AS "zoneName", z.name_zh AS "zoneNameZh", c.created_at AS "createdAt"
       FROM cases c JOIN zones z ON z.id = c.zone_id WHERE c.team_id IS NULL AND c.state = 'reported' ORDER BY c.created_at LIMIT 100`,
    );
    return {
      devices: { online: d.online, offline: d.total - d.online, total: d.total },
      readingsPerHour: readings.rows.map((r) => ({ hour: r.hour.toISOString(), readings: r.readings })),
      alertsPerHour: alerts.rows.map((r) => ({ hour: r.hour.toISOString(), alerts: r.alerts })),
      openByState: open.rows,
      slaBreaches: breaches.rows.map((r) => ({ ...r, dueAt: r.dueAt.toISOString() })),
      fallbackQueue: fallback.rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    };
  }
}
