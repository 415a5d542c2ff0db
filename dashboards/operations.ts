import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { bars, board, figure, grid, markerMap, row, series, thresholds } from './lib/panels.js';
import { PROMETHEUS, promql } from './lib/queries.js';
import { placeVariables } from './lib/variables.js';

/**
 * Operations overview: is the fleet up, is data flowing, what is being raised and is anyone waiting.
 * Spool depth and message rates live only in the platform's Prometheus metrics (/metrics): those
 * panels read the Prometheus datasource; everything else reads the database.
 */
const OPEN = `state NOT IN ('closed', 'dismissed')`;
const STATES = `ARRAY['reported', 'dispatched', 'accepted', 'on_site', 'resolved_on_site', 'decision_proposed', 'under_review', 'approved', 'returned', 'decided']`;

const prometheusSeries = (title: string, description: string, queries: ReturnType<typeof promql>[], unit: string) =>
  new timeseries.PanelBuilder().title(title).description(description).datasource(PROMETHEUS).targets(queries).unit(unit).span(8).height(8);

export const operations = () =>
  board('riverside-operations', 'Operations overview', 'Device health, data flow, alerts and the cases waiting on someone.', { from: 'now-24h', to: 'now' })
    .variables(placeVariables(true))
    .withRow(row('Devices and data flow'))
    .withPanel(figure('Devices online', 'Devices whose last presence message was online.', `
      SELECT count(*) FILTER (WHERE online) AS online FROM dashboards.devices WHERE device_id IN ($device)`, { steps: [[null, 'red'], [1, 'green']] }))
    .withPanel(figure('Devices offline', 'Devices offline now (last will or never connected).', `
      SELECT count(*) FILTER (WHERE NOT online) AS offline FROM dashboards.devices WHERE device_id IN ($device)`, { steps: [[null, 'green'], [1, 'orange']] }))
    .withPanel(grid('Offline devices', 'Which devices are offline, since when, and when each was last heard from.', `
      SELECT device_id AS device, kind, zone_id AS zone, presence_changed_at AS "offline since", last_seen_at AS "last seen"
      FROM dashboards.devices WHERE NOT online AND device_id IN ($device)
      ORDER BY presence_changed_at DESC NULLS LAST, device_id`, { w: 16, h: 4 }))
    .withPanel(markerMap('Device map', 'Every selected device at its published placement (or its zone\'s centre): green online, red offline.', `
      SELECT lat, lon, device_id AS device, kind, zone_id AS zone, CASE WHEN online THEN 1 ELSE 0 END AS online
      FROM dashboards.devices WHERE device_id IN ($device) AND lat IS NOT NULL AND lon IS NOT NULL`, 'Devices', {
      size: { fixed: 7 },
      color: { field: 'online' },
      text: { field: 'device', mode: 'field' },
    }, { w: 24 }).thresholds(thresholds([[null, 'red'], [1, 'green']])))
    .withPanel(series('Readings stored', 'Readings stored per interval by stream, from the aggregates (noise, people) and the track table.', [`
      SELECT $__timeGroupAlias(bucket, $__interval), sum(samples) AS "noise readings"
      FROM dashboards.noise_1m WHERE $__timeFilter(bucket) AND device_id IN ($device) GROUP BY 1 ORDER BY 1`, `
      SELECT $__timeGroupAlias(bucket, $__interval), sum(samples) AS "people counts"
      FROM dashboards.people_5m WHERE $__timeFilter(bucket) AND device_id IN ($device) GROUP BY 1 ORDER BY 1`, `
      SELECT $__timeGroupAlias(ts, $__interval), count(*) AS "track observations"
      FROM dashboards.track_observations WHERE $__timeFilter(ts) AND device_id IN ($device) GROUP BY 1 ORDER BY 1`], { w: 8, bars: true, stacked: true }))
    .withPanel(prometheusSeries('Message and reading rates', 'From /metrics (Prometheus): readings received, committed and rejected per second.', [
      promql('sum(rate(ingest_readings_received_total[$__rate_interval]))', 'received', 'A'),
      promql('sum(rate(ingest_readings_committed_total[$__rate_interval]))', 'committed', 'B'),
      promql('sum(rate(ingest_readings_rejected_total[$__rate_interval]))', 'rejected', 'C'),
    ], 'reqps'))
    .withPanel(prometheusSeries('Spool depth and broker queue', 'From /metrics (Prometheus): readings waiting in the ingest spool (database slow or down) and QoS 1 messages queued in the broker.', [
      promql('sum(ingest_spool_depth)', 'spool depth', 'A'),
      promql('sum(mqtt_queued_messages)', 'broker queue', 'B'),
      promql('sum(mqtt_connected_clients)', 'connected clients', 'C'),
    ], 'short'))
    .withPanel(series('Ingest rejects by reason', 'Rejected telemetry kept in dead_letters, per reason (the payloads stay in the database).', [`
      SELECT $__timeGroupAlias(received_at, $__interval), reason AS metric, count(*) AS rejects
      FROM dashboards.rejects WHERE $__timeFilter(received_at) GROUP BY 1, 2 ORDER BY 1`], { w: 24, bars: true, stacked: true }))
    .withRow(row('Alerts and cases'))
    .withPanel(series('Alerts per hour by kind', 'Alerts by the hour they were detected.', [`
      SELECT $__timeGroupAlias(detected_at, '1h'), kind AS metric, count(*) AS alerts
      FROM dashboards.alerts WHERE $__timeFilter(detected_at) AND zone_id IN ($zone) GROUP BY 1, 2 ORDER BY 1`], { bars: true, stacked: true }))
    .withPanel(bars('Open cases by state', 'Cases not closed or dismissed, now, in lifecycle order.', `
      SELECT state, count(*) AS cases FROM dashboards.cases WHERE ${OPEN} AND zone_id IN ($zone)
      GROUP BY state ORDER BY array_position(${STATES}, state)`))
    .withPanel(figure('SLA breaches now', 'Open cases with a stage deadline already missed (acceptance, arrival or decision).', `
      SELECT count(DISTINCT case_id) AS breaches FROM dashboards.case_deadlines
      WHERE deadline_kind = 'deadline' AND ${OPEN} AND zone_id IN ($zone)
        AND (status = 'missed' OR (status = 'open' AND due_at < now()))`, { steps: [[null, 'green'], [1, 'red']] }))
    .withPanel(figure('Fallback queue', 'Open cases no team could take: an operator must route them.', `
      SELECT count(*) AS cases FROM dashboards.cases WHERE team_id IS NULL AND ${OPEN} AND zone_id IN ($zone)`, { steps: [[null, 'green'], [1, 'red']] }))
    .withPanel(grid('Deadlines missed on open cases', 'Each missed or overdue deadline of an open case, oldest first.', `
      SELECT case_id AS "case", kind, zone_id AS zone, team_id AS team, state, name AS deadline, due_at AS due, escalated_at AS escalated
      FROM dashboards.case_deadlines WHERE deadline_kind = 'deadline' AND ${OPEN} AND zone_id IN ($zone)
        AND (status = 'missed' OR (status = 'open' AND due_at < now()))
      ORDER BY due_at LIMIT 100`, { w: 16, h: 6 }))
    .withPanel(series('Alert → officer\'s screen', 'Seconds from an alert reaching the platform to its case being pushed on the team\'s live stream (median and p95).', [`
      SELECT $__timeGroupAlias(received_at, $__interval),
        percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM pushed_at - received_at)) AS median,
        percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM pushed_at - received_at)) AS p95
      FROM dashboards.alerts WHERE $__timeFilter(received_at) AND pushed_at IS NOT NULL AND zone_id IN ($zone)
      GROUP BY 1 ORDER BY 1`], { w: 24, unit: 's', min: 0 }));
