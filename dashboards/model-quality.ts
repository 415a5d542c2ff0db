import { board, grid, row, series } from './lib/panels.js';
import { placeVariables } from './lib/variables.js';

/**
 * Model quality: what the models raise against what officers confirm or dismiss (their verdicts are
 * the labels of the next training), precision per model version and zone, and how a model running in
 * shadow agrees with the active one.
 */

/** A shadow result and an active alert agree when they name the same kind, zone and device and start within 5 minutes. */
const AGREEMENT = `
  WITH s AS (SELECT * FROM dashboards.shadow_alerts WHERE $__timeFilter(detected_at) AND zone_id IN ($zone)),
  a AS (SELECT * FROM dashboards.alerts WHERE $__timeFilter(detected_at) AND zone_id IN ($zone)),
  m AS (
    SELECT s.model_version, s.kind, EXISTS (
      SELECT 1 FROM a WHERE a.kind = s.kind AND a.zone_id = s.zone_id AND a.device_id IS NOT DISTINCT FROM s.device_id
        AND abs(extract(epoch FROM a.started_at - s.started_at)) <= 300) AS matched
    FROM s
  )
  SELECT m.model_version AS "shadow version", m.kind, count(*) AS "shadow alerts",
    (SELECT count(*) FROM a WHERE a.kind = m.kind) AS "active alerts",
    count(*) FILTER (WHERE m.matched) AS "both raised",
    round((count(*) FILTER (WHERE m.matched))::numeric
      / nullif(count(*) + (SELECT count(*) FROM a WHERE a.kind = m.kind) - count(*) FILTER (WHERE m.matched), 0), 3) AS agreement
  FROM m GROUP BY m.model_version, m.kind ORDER BY 1, 2`;

export const modelQuality = () =>
  board('riverside-model-quality', 'Model quality', 'Alerts against officers\' confirmations and dismissals, precision per model version and zone, shadow against active agreement.', { from: 'now-7d', to: 'now' })
    .variables(placeVariables())
    .withRow(row('Verdicts'))
    .withPanel(series('Alerts, confirmations and dismissals', 'Alerts raised per interval and, of those, how many officers confirmed or dismissed as false alarms.', [`
      SELECT $__timeGroupAlias(detected_at, $__interval), count(*) AS alerts,
        count(*) FILTER (WHERE verdict = 'confirmed') AS confirmed, count(*) FILTER (WHERE verdict = 'false_alarm') AS dismissed
      FROM dashboards.alerts WHERE $__timeFilter(detected_at) AND zone_id IN ($zone) GROUP BY 1 ORDER BY 1`], { w: 24, bars: true }))
    .withPanel(grid('Precision per model version and zone', 'Precision = confirmed / (confirmed + false alarms), over the alerts officers gave a verdict on; unreviewed alerts are not counted.', `
      SELECT coalesce(a.model_version, 'none') AS "model version", z.zone, a.kind, count(*) AS alerts,
        count(*) FILTER (WHERE a.verdict = 'confirmed') AS confirmed, count(*) FILTER (WHERE a.verdict = 'false_alarm') AS "false alarms",
        count(*) FILTER (WHERE a.verdict IS NULL) AS unreviewed,
        round((count(*) FILTER (WHERE a.verdict = 'confirmed'))::numeric / nullif(count(a.verdict), 0), 3) AS precision
      FROM dashboards.alerts a JOIN dashboards.zones z ON z.zone_id = a.zone_id
      WHERE $__timeFilter(a.detected_at) AND a.zone_id IN ($zone)
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`, { w: 24 }))
    .withRow(row('Shadow models'))
    .withPanel(grid('Shadow against active agreement', 'Per shadow model version: its results, the active model\'s alerts of that kind, how many both raised (same zone and device, start within 5 minutes) and the agreement (both / either).', AGREEMENT, { w: 24 }));
