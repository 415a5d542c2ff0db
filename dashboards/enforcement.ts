import { bars, board, grid, row, series } from './lib/panels.js';
import { placeVariables } from './lib/variables.js';

/**
 * Enforcement: the bureau's figures (the same definitions as GET /api/v1/figures) — discovery to
 * disposal against the pre-platform baseline and the −40% target, on-time closure per team, cases per
 * matter, discretion consistency and legal review turnaround.
 */

/** Disposed cases with their discovery-to-disposal time in minutes. */
const DISPOSED = `(
  SELECT c.*, extract(epoch FROM c.disposal_at - c.discovered_at) / 60 AS minutes
  FROM dashboards.cases c
  WHERE c.disposal_at IS NOT NULL AND c.discovered_at IS NOT NULL AND c.zone_id IN ($zone)
)`;

export const enforcement = () =>
  board('riverside-enforcement', 'Enforcement', 'Discovery to disposal against the baseline and target, on-time closure, cases per matter, discretion consistency and review turnaround.', { from: 'now-30d', to: 'now' })
    .variables(placeVariables())
    .withRow(row('Discovery to disposal'))
    .withPanel(grid('Discovery to disposal per kind', 'Cases disposed of in the range (resolved on site, decided or dismissed): median and p90 minutes from the first alert, against the pre-platform baseline and the −40% target (baseline × 0.6).', `
      SELECT d.kind, count(*) AS disposed,
        round(percentile_cont(0.5) WITHIN GROUP (ORDER BY d.minutes)::numeric, 1) AS "median (min)",
        round(percentile_cont(0.9) WITHIN GROUP (ORDER BY d.minutes)::numeric, 1) AS "p90 (min)",
        max(b.baseline_minutes) AS "baseline (min)", round((max(b.baseline_minutes) * 0.6)::numeric, 1) AS "target (min)",
        round((100 * (percentile_cont(0.5) WITHIN GROUP (ORDER BY d.minutes) / max(b.baseline_minutes) - 1))::numeric, 1) AS "median vs baseline (%)"
      FROM ${DISPOSED} d LEFT JOIN dashboards.disposal_baselines b ON b.kind = d.kind
      WHERE $__timeFilter(d.disposal_at)
      GROUP BY d.kind ORDER BY d.kind`, { w: 24, h: 6 }))
    .withPanel(series('Median and p90 against the baseline', 'Per kind, discovery-to-disposal time as a share of its baseline: the dashed line at 60% is the −40% target, 100% the baseline.', [`
      SELECT $__timeGroupAlias(d.disposal_at, $__interval), d.kind || ' median' AS metric,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY d.minutes) / max(b.baseline_minutes) AS "share of baseline"
      FROM ${DISPOSED} d JOIN dashboards.disposal_baselines b ON b.kind = d.kind
      WHERE $__timeFilter(d.disposal_at) GROUP BY 1, 2 ORDER BY 1`, `
      SELECT $__timeGroupAlias(d.disposal_at, $__interval), d.kind || ' p90' AS metric,
        percentile_cont(0.9) WITHIN GROUP (ORDER BY d.minutes) / max(b.baseline_minutes) AS "share of baseline"
      FROM ${DISPOSED} d JOIN dashboards.disposal_baselines b ON b.kind = d.kind
      WHERE $__timeFilter(d.disposal_at) GROUP BY 1, 2 ORDER BY 1`],
      { w: 24, unit: 'percentunit', min: 0, lines: [[null, 'green'], [0.6, 'orange'], [1, 'red']] }))
    .withRow(row('Teams and matters'))
    .withPanel(bars('On-time closure per team', 'Share of cases disposed of by their deadline (decision deadline when decided, otherwise the matter\'s SLA), cases reported in the range.', `
      SELECT coalesce(t.team, 'fallback queue') AS team,
        count(*) FILTER (WHERE d.disposal_at <= d.due_at)::float8 / count(*) AS "on time"
      FROM ${DISPOSED} d LEFT JOIN dashboards.teams t ON t.team_id = d.team_id
      WHERE d.due_at IS NOT NULL AND $__timeFilter(d.created_at)
      GROUP BY 1 ORDER BY 1`, { unit: 'percentunit', horizontal: true }))
    .withPanel(bars('Cases per matter', 'Cases reported in the range per matter, open or finished.', `
      SELECT coalesce(matter_code, 'no matter') AS matter,
        count(*) FILTER (WHERE state NOT IN ('closed', 'dismissed')) AS open,
        count(*) FILTER (WHERE state = 'closed') AS closed,
        count(*) FILTER (WHERE state = 'dismissed') AS dismissed
      FROM dashboards.cases WHERE $__timeFilter(created_at) AND zone_id IN ($zone)
      GROUP BY 1 ORDER BY 1`, { stacked: true }))
    .withPanel(grid('Discretion consistency', 'Fines decided in the range within one matter, party kind and tier: their spread (coefficient of variation = population standard deviation / mean; 0 = every fine alike) and how many fell outside their tier.', `
      SELECT matter_code AS matter, party_kind AS party, tier, count(*) AS decisions, min(fine_yuan) AS "min ¥", max(fine_yuan) AS "max ¥",
        percentile_cont(0.5) WITHIN GROUP (ORDER BY fine_yuan) AS "median ¥", round(avg(fine_yuan)::numeric, 0) AS "mean ¥",
        round((stddev_pop(fine_yuan) / nullif(avg(fine_yuan), 0))::numeric, 3) AS cv,
        count(*) FILTER (WHERE outside_benchmark) AS "outside the benchmark"
      FROM dashboards.case_fines WHERE $__timeFilter(disposed_at) AND zone_id IN ($zone)
      GROUP BY matter_code, party_kind, tier
      ORDER BY matter_code, party_kind, array_position(ARRAY['no_penalty', 'mitigated', 'normal', 'aggravated'], tier)`, { w: 24, h: 7 }))
    .withRow(row('Legal review'))
    .withPanel(grid('Review turnaround', 'Legal reviews in the range per level: hours from submission to the reviewer\'s outcome, and how many were returned.', `
      SELECT coalesce(review_level, 'unset') AS level, count(*) AS reviews,
        round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM reviewed_at - submitted_at)) / 3600)::numeric, 2) AS "median (h)",
        round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM reviewed_at - submitted_at)) / 3600)::numeric, 2) AS "p90 (h)",
        count(*) FILTER (WHERE outcome = 'returned') AS returned
      FROM dashboards.case_reviews WHERE submitted_at IS NOT NULL AND $__timeFilter(reviewed_at) AND zone_id IN ($zone)
      GROUP BY 1 ORDER BY 1`))
    .withPanel(series('Review turnaround over time', 'Median hours from submission to outcome, per review level.', [`
      SELECT $__timeGroupAlias(reviewed_at, $__interval), coalesce(review_level, 'unset') AS metric,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM reviewed_at - submitted_at)) / 3600 AS hours
      FROM dashboards.case_reviews WHERE submitted_at IS NOT NULL AND $__timeFilter(reviewed_at) AND zone_id IN ($zone)
      GROUP BY 1, 2 ORDER BY 1`], { unit: 'h', bars: true }));
