import type { Static } from '@sinclair/typebox';
import type pg from 'pg';
import { CASE_STATES } from './domain/case-lifecycle.js';

/**
 * The bureau's figures (DESIGN §3 Enforcement): discovery-to-disposal time, on-time closure rate,
 * discretion consistency and open cases by state. Plain SQL with percentile_cont: the same on the
 * embedded engine and on a PostgreSQL server.
 *
 * - discovery: the earliest `detected_at` of the alerts of the case's incident;
 * - disposal: `disposed_at` (resolved on site, or decided). A dismissed case (false alarm) is no
 *   disposal: it is counted apart (`falseAlarms`), never in the discovery-to-disposal time;
 * - baseline: the median before the platform (DISPOSAL_BASELINE_MIN, per kind) beside the measured
 *   median of every team, with the reduction and whether it reaches the −40 % target;
 * - on time: disposed by its deadline — the decision deadline (`decision_due_at`) for a decided case,
 *   otherwise the matter's SLA from the report (`sla_due_at`); cases without one are not counted;
 * - discretion: the fines of decided cases (their final proposal) per matter × party kind × tier.
 */

import { FigureFilter, Figures, TARGET_REDUCTION_PCT, type Disposal, type Discretion } from '../contract/http/figures.js';

export { FigureFilter, Figures };

type DisposalRow = Static<typeof Disposal>;
type DiscretionRow = Static<typeof Discretion>;

export class FigureQueries {
  constructor(
    private readonly pool: pg.Pool,
    /** DISPOSAL_BASELINE_MIN: minutes per kind. */
    private readonly baselineMinutes: Readonly<Record<string, number>> = {},
  ) {}

  async figures(f: FigureFilter): Promise<Figures> {
    const params = [f.from ?? null, f.to ?? null, f.kind ?? null, f.teamId ?? null];
    const scoped = `SELECT c.*, (SELECT min(a.detected_at) FROM alerts a WHERE a.incident_id = c.incident_id) AS discovered_at,
        CASE WHEN c.state <> 'dismissed' THEN c.disposed_at END AS disposal_at
      FROM cases c WHERE ($1::timestamptz IS NULL OR c.created_at >= $1::timestamptz) AND ($2::timestamptz IS NULL OR c.created_at < $2::timestamptz)
        AND ($3::text IS NULL OR c.kind = $3) AND ($4::text IS NULL OR c.team_id = $4)`;
    const disposal = await this.pool.query<DisposalRow>(
      `SELECT kind, team_id AS "teamId", count(*) FILTER (WHERE disposal_at IS NOT NULL)::int AS disposed,
         count(*) FILTER (WHERE state = 'dismissed')::int AS "falseAlarms",
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM disposal_at - discovered_at)::float8) FILTER (WHERE disposal_at IS NOT NULL) AS "medianS",
         percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM disposal_at - discovered_at)::float8) FILTER (WHERE disposal_at IS NOT NULL) AS "p90S",
         count(due) FILTER (WHERE disposal_at IS NOT NULL)::int AS "withDeadline", count(*) FILTER (WHERE disposal_at <= due)::int AS "onTime"
       FROM (SELECT s.*, CASE WHEN s.decision_no IS NOT NULL THEN s.decision_due_at ELSE s.sla_due_at END AS due
             FROM (${scoped}) s WHERE (s.disposal_at IS NOT NULL OR s.state = 'dismissed') AND s.discovered_at IS NOT NULL) d
       GROUP BY kind, team_id HAVING count(*) FILTER (WHERE disposal_at IS NOT NULL) > 0 ORDER BY kind, team_id NULLS FIRST`,
      params,
    );
    const discretion = await this.pool.query<DiscretionRow>(
      `SELECT s.matter_code AS "matterCode", p.party_kind AS "partyKind", p.tier, count(*)::int AS count,
         min(p.fine_yuan)::int AS "minFineYuan", max(p.fine_yuan)::int AS "maxFineYuan",
         percentile_cont(0.5) WITHIN GROUP (ORDER BY p.fine_yuan::float8) AS "medianFineYuan",
         avg(p.fine_yuan)::float8 AS "meanFineYuan", (stddev_pop(p.fine_yuan) / avg(p.fine_yuan))::float8 AS cv,
         count(*) FILTER (WHERE p.outside_benchmark)::int AS "outsideBenchmark"
       FROM (${scoped}) s
       JOIN LATERAL (SELECT * FROM case_proposals cp WHERE cp.case_id = s.id ORDER BY cp.revision DESC LIMIT 1) p ON true
       WHERE s.decision_no IS NOT NULL AND p.fine_yuan IS NOT NULL AND p.tier IS NOT NULL AND s.matter_code IS NOT NULL
       GROUP BY s.matter_code, p.party_kind, p.tier ORDER BY s.matter_code, p.party_kind,
         array_position(ARRAY['no_penalty', 'mitigated', 'normal', 'aggravated'], p.tier)`,
      params,
    );
    const perKind = await this.pool.query<{ kind: string; disposed: number; medianS: number | null; falseAlarms: number }>(
      `SELECT kind, count(disposal_at)::int AS disposed, count(*) FILTER (WHERE state = 'dismissed')::int AS "falseAlarms",
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM disposal_at - discovered_at)::float8) FILTER (WHERE disposal_at IS NOT NULL) AS "medianS"
       FROM (${scoped}) s WHERE s.discovered_at IS NOT NULL GROUP BY kind`,
      params,
    );
    const baseline = Object.entries(this.baselineMinutes)
      .filter(([kind]) => f.kind === undefined || f.kind === kind)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, minutes]) => {
        const row = perKind.rows.find((r) => r.kind === kind);
        const baselineMedianS = minutes * 60;
        const measured = row?.medianS ?? null;
        const reductionPct = measured === null ? null : 100 * (1 - measured / baselineMedianS);
        return {
          kind, baselineMedianS, targetMedianS: baselineMedianS * (1 - TARGET_REDUCTION_PCT / 100), measuredMedianS: measured,
          disposed: row?.disposed ?? 0, reductionPct, meetsTarget: reductionPct === null ? null : reductionPct >= TARGET_REDUCTION_PCT,
        };
      });
    const open = await this.pool.query<{ state: string; count: number }>(
      `SELECT state, count(*)::int AS count FROM cases c WHERE state NOT IN ('closed', 'dismissed')
         AND ($1::text IS NULL OR c.kind = $1) AND ($2::text IS NULL OR c.team_id = $2) GROUP BY state`,
      [f.kind ?? null, f.teamId ?? null],
    );
    // Complaints: the team filter is the team holding the complaint now; kind filters by the category's kind.
    const complaints = await this.pool.query<Figures['complaints'][number]>(
      `SELECT c.team_id AS "teamId", c.matter_code AS "matterCode", count(*)::int AS received,
         count(*) FILTER (WHERE c.first_replied_at IS NOT NULL OR c.reply_due_at < now())::int AS due,
         count(*) FILTER (WHERE c.first_replied_at <= c.reply_due_at)::int AS "closedOnTime",
         count(*) FILTER (WHERE c.status = 'coordination')::int AS "inCoordination"
       FROM complaints c WHERE ($1::timestamptz IS NULL OR c.received_at >= $1::timestamptz) AND ($2::timestamptz IS NULL OR c.received_at < $2::timestamptz)
         AND ($3::text IS NULL OR (CASE c.category WHEN 'other' THEN 'complaint' ELSE c.category END) = $3 OR $3 = 'complaint')
         AND ($4::text IS NULL OR c.team_id = $4)
       GROUP BY c.team_id, c.matter_code ORDER BY c.team_id NULLS FIRST, c.matter_code NULLS FIRST`,
      params,
    );
    const rows = disposal.rows.map((r) => ({ ...r, onTimeRate: r.withDeadline > 0 ? r.onTime / r.withDeadline : null }));
    const withDeadline = rows.reduce((n, r) => n + r.withDeadline, 0);
    const onTime = rows.reduce((n, r) => n + r.onTime, 0);
    const order = (s: string) => (CASE_STATES as readonly string[]).indexOf(s);
    return {
      filter: { from: f.from ?? null, to: f.to ?? null, kind: f.kind ?? null, teamId: f.teamId ?? null },
      disposal: rows,
      baseline,
      falseAlarms: perKind.rows.reduce((n, r) => n + r.falseAlarms, 0),
      onTime: { withDeadline, onTime, rate: withDeadline > 0 ? onTime / withDeadline : null },
      discretion: discretion.rows,
      complaints: complaints.rows.map((r) => ({ ...r, onTimeRate: r.due > 0 ? r.closedOnTime / r.due : null })),
      openByState: open.rows.sort((a, b) => order(a.state) - order(b.state)),
    };
  }
}
