import { alertAnnotations, bars, board, grid, row, series } from './lib/panels.js';
import { LAEQ, NOISE_ROWS, placeVariables } from './lib/variables.js';

/**
 * Noise: levels per zone and device from the energetic per-minute aggregate (per-hour beyond two
 * days) beside the limit in force — the zone's rules and its class's day/night limit, computed by
 * dashboards.noise_limit as the detectors apply it — and how often and where it was broken.
 */

/** Per zone and minute: energetic LAeq of the zone's meters and the limit in force then (its segment). */
const ZONE_MINUTES = `(
  SELECT m.bucket, m.zone_id, m.laeq, s.limit_laeq
  FROM (SELECT bucket, zone_id, ${LAEQ} AS laeq FROM dashboards.noise_1m
        WHERE $__timeFilter(bucket) AND zone_id IN ($zone) AND device_id IN ($device) GROUP BY bucket, zone_id) m
    JOIN dashboards.noise_limit_segments($__timeFrom(), $__timeTo()) s
      ON s.zone_id = m.zone_id AND m.bucket >= s.starts AND m.bucket < s.ends
)`;

export const noise = () =>
  board('riverside-noise', 'Noise', 'LAeq against the limit in force, exceedance minutes per night, top zones and the source class mix.', { from: 'now-24h', to: 'now' })
    .variables(placeVariables(true))
    .annotation(alertAnnotations('Alerts', 'orange', `
      SELECT detected_at AS time, kind || ' alert in ' || zone_id || coalesce(' (' || device_id || ')', '') AS text, kind AS tags
      FROM dashboards.alerts WHERE kind IN ('noise') AND $__timeFilter(detected_at) AND zone_id IN ($zone) ORDER BY 1`))
    .withRow(row('Now'))
    .withPanel(grid('Levels now', 'Each meter\'s last minute of raw readings (the aggregates refresh a minute or two behind): energetic LAeq, highest LAmax, and the limit in force now.', `
      SELECT z.zone, r.device_id AS device, max(r.ts) AS "last reading",
        round((10 * log(avg(power(10::float8, r.laeq / 10.0))))::numeric, 1) AS "LAeq (last minute)", max(r.lamax) AS "LAmax (last minute)",
        max(dashboards.noise_limit(r.zone_id, now())) AS "limit now",
        round((10 * log(avg(power(10::float8, r.laeq / 10.0))) - max(dashboards.noise_limit(r.zone_id, now())))::numeric, 1) AS "over the limit by"
      FROM dashboards.noise_recent r JOIN dashboards.zones z ON z.zone_id = r.zone_id
      WHERE r.zone_id IN ($zone) AND r.device_id IN ($device)
        AND r.ts > (SELECT max(x.ts) FROM dashboards.noise_recent x WHERE x.device_id = r.device_id) - interval '1 minute'
      GROUP BY z.zone, r.device_id ORDER BY 7 DESC`, { w: 24, h: 6 }))
    .withRow(row('Levels'))
    .withPanel(series('LAeq per zone and the limit in force', 'Energetic LAeq of each zone\'s meters; the dashed series is the limit in force (zone rules, day/night).', [`
      SELECT $__timeGroupAlias(bucket, $__interval), zone_id AS metric, ${LAEQ} AS laeq
      FROM ${NOISE_ROWS} n WHERE zone_id IN ($zone) AND device_id IN ($device) GROUP BY 1, 2 ORDER BY 1`, `
      SELECT time, 'limit ' || zone_id AS metric, dashboards.noise_limit(zone_id, first_bucket) AS "limit"
      FROM (SELECT $__timeGroupAlias(bucket, $__interval), zone_id, min(bucket) AS first_bucket
            FROM ${NOISE_ROWS} n WHERE zone_id IN ($zone) AND device_id IN ($device) GROUP BY 1, 2) g
      ORDER BY 1`], { w: 24, unit: 'dB' }))
    .withPanel(series('LAeq and LAmax per device', 'Each selected meter: energetic LAeq and the highest LAmax of each interval.', [`
      SELECT $__timeGroupAlias(bucket, $__interval), device_id || ' LAeq' AS metric, ${LAEQ} AS level
      FROM ${NOISE_ROWS} n WHERE zone_id IN ($zone) AND device_id IN ($device) GROUP BY 1, 2 ORDER BY 1`, `
      SELECT $__timeGroupAlias(bucket, $__interval), device_id || ' LAmax' AS metric, max(lamax) AS level
      FROM ${NOISE_ROWS} n WHERE zone_id IN ($zone) AND device_id IN ($device) GROUP BY 1, 2 ORDER BY 1`], { w: 24, unit: 'dB' }))
    .withRow(row('Exceedances'))
    .withPanel(series('Exceedance minutes per night', 'Minutes of each night (22:00–06:00 local, shown at its start) whose LAeq broke the limit in force.', [`
      SELECT (m.night + time '22:00') AT TIME ZONE m.timezone AS time, m.zone_id AS metric, count(*) AS minutes
      FROM (SELECT zm.*, z.timezone, ((zm.bucket AT TIME ZONE z.timezone) - interval '6 hours')::date AS night,
              extract(hour FROM zm.bucket AT TIME ZONE z.timezone) AS local_hour
            FROM ${ZONE_MINUTES} zm JOIN dashboards.zones z USING (zone_id)) m
      WHERE (m.local_hour >= 22 OR m.local_hour < 6) AND m.laeq > m.limit_laeq
      GROUP BY 1, 2 ORDER BY 1`], { bars: true, unit: 'm' }))
    .withPanel(grid('Top zones', 'Zones ranked by minutes over the limit in force in the range, with their loudest minute.', `
      SELECT z.zone, z.street, count(*) FILTER (WHERE m.laeq > m.limit_laeq) AS "minutes over the limit",
        round(max(m.laeq)::numeric, 1) AS "loudest minute (dB)", count(*) AS "minutes measured"
      FROM ${ZONE_MINUTES} m JOIN dashboards.zones z USING (zone_id)
      GROUP BY z.zone, z.street ORDER BY 3 DESC, 4 DESC LIMIT 10`))
    .withPanel(bars('Class mix of noise alerts', 'The model\'s mean class scores over the noise alerts\' evidence windows, summed per class.', `
      SELECT label AS class, round(sum(score)::numeric, 2) AS score
      FROM dashboards.alert_scores
      WHERE kind = 'noise' AND $__timeFilter(detected_at) AND zone_id IN ($zone) AND device_id IN ($device)
      GROUP BY label ORDER BY 2 DESC`));
