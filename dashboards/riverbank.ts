import { alertAnnotations, board, grid, markerMap, row, series } from './lib/panels.js';
import { placeVariables } from './lib/variables.js';

/**
 * Riverbank: how full each zone is against its capacity, where fishing alerts happen (on a map, at
 * the camera that saw them or the zone's centre), and what the loudspeaker warnings achieved.
 */

/** People per zone per 5-minute bucket: counters cover separate fields of view, so they add up. */
const ZONE_PEOPLE = `(
  SELECT bucket, zone_id, sum(max_count) AS people FROM dashboards.people_5m
  WHERE $__timeFilter(bucket) AND zone_id IN ($zone) GROUP BY bucket, zone_id
)`;

const FISHING_MAP = `
  SELECT coalesce(d.lat, z.lat) AS lat, coalesce(d.lon, z.lon) AS lon, z.zone, coalesce(a.device_id, '') AS device,
    count(*) AS alerts, max(a.detected_at) AS "last alert"
  FROM dashboards.alerts a JOIN dashboards.zones z ON z.zone_id = a.zone_id
    LEFT JOIN dashboards.devices d ON d.device_id = a.device_id
  WHERE a.kind = 'fishing' AND $__timeFilter(a.detected_at) AND a.zone_id IN ($zone)
  GROUP BY 1, 2, 3, 4`;

const fishingMap = () =>
  markerMap('Fishing alerts on the map', 'Fishing alerts in the range at the camera that raised them (or the zone\'s centre); marker size is the number of alerts.', FISHING_MAP, 'Fishing alerts', {
    size: { field: 'alerts', fixed: 8, min: 6, max: 30 },
    color: { fixed: 'red' },
    text: { field: 'zone', mode: 'field' },
  });

export const riverbank = () =>
  board('riverside-riverbank', 'Riverbank', 'People against capacity, crowding risk, fishing alerts on the map, intrusions at the water\'s edge in closed hours and loudspeaker warnings with their effect.', { from: 'now-24h', to: 'now' })
    .variables(placeVariables())
    .annotation(alertAnnotations('Alerts', 'red', `
      SELECT detected_at AS time, kind || ' alert in ' || zone_id || coalesce(' (' || device_id || ')', '') AS text, kind AS tags
      FROM dashboards.alerts WHERE kind IN ('fishing', 'crowding', 'intrusion') AND $__timeFilter(detected_at) AND zone_id IN ($zone) ORDER BY 1`))
    .withRow(row('Crowding'))
    .withPanel(series('People per zone against capacity', 'People counted per zone (5-minute peak, summed over counters) and the zone\'s capacity (dashed).', [`
      SELECT $__timeGroupAlias(bucket, $__interval), zone_id AS metric, max(people) AS people
      FROM ${ZONE_PEOPLE} p GROUP BY 1, 2 ORDER BY 1`, `
      SELECT $__timeGroupAlias(p.bucket, $__interval), 'capacity ' || p.zone_id AS metric, max(z.capacity) AS capacity
      FROM ${ZONE_PEOPLE} p JOIN dashboards.zones z USING (zone_id) WHERE z.capacity IS NOT NULL GROUP BY 1, 2 ORDER BY 1`], { min: 0 }))
    .withPanel(series('Crowding risk', 'Occupancy: people counted over the zone\'s capacity; above 80% the crowding model starts forecasting, 100% is the limit.', [`
      SELECT $__timeGroupAlias(p.bucket, $__interval), p.zone_id AS metric, max(p.people)::float8 / max(z.capacity) AS occupancy
      FROM ${ZONE_PEOPLE} p JOIN dashboards.zones z USING (zone_id) WHERE z.capacity IS NOT NULL GROUP BY 1, 2 ORDER BY 1`],
      { unit: 'percentunit', min: 0, lines: [[null, 'green'], [0.8, 'orange'], [1, 'red']] }))
    .withRow(row('Fishing and loudspeakers'))
    .withPanel(fishingMap())
    .withPanel(series('Fishing, crowding and intrusion alerts', 'Alerts per hour on the riverbank by kind (intrusion: a person stayed at the water\'s edge of a closed zone after the anti-drowning warning).', [`
      SELECT $__timeGroupAlias(detected_at, '1h'), kind AS metric, count(*) AS alerts
      FROM dashboards.alerts WHERE kind IN ('fishing', 'crowding', 'intrusion') AND $__timeFilter(detected_at) AND zone_id IN ($zone)
      GROUP BY 1, 2 ORDER BY 1`], { bars: true, stacked: true, h: 10 }))
    .withPanel(grid('Loudspeaker warnings and their measured effect', 'Per clip and zone: warnings sent, acknowledged by the device, effect measured after the window, and how often the watched value (fishing score, people count, at the water\'s edge of a closed zone: 1, gone: 0) fell.', `
      SELECT clip, zone_id AS zone, stage, count(*) AS sent, count(acked_at) AS acknowledged, count(effect_fell) AS measured,
        count(*) FILTER (WHERE effect_fell) AS "value fell",
        round((count(*) FILTER (WHERE effect_fell))::numeric / nullif(count(effect_fell), 0), 2) AS "share that worked",
        round(avg(effect_after - effect_before)::numeric, 3) AS "mean change"
      FROM dashboards.speaker_commands WHERE name = 'speaker.play' AND $__timeFilter(sent_at) AND zone_id IN ($zone)
      GROUP BY clip, zone_id, stage ORDER BY clip, zone_id, stage`, { w: 24 }));
