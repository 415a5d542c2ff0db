import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { POSTGRES } from './queries.js';

/**
 * Template variables, chained district → street → zone → device. Each is multi-value with "All"
 * (no custom all value), so Grafana always substitutes a quoted list ('a','b'): panels filter with
 * `IN ($zone)`, never `= '$zone'`.
 */
function variable(name: string, label: string, query: string) {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(POSTGRES)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(dashboard.VariableRefresh.OnDashboardLoad)
    .sort(dashboard.VariableSort.AlphabeticalAsc);
}

export const district = () => variable('district', 'District', 'SELECT DISTINCT district_id AS __value, district AS __text FROM dashboards.zones');
export const street = () => variable('street', 'Street', 'SELECT DISTINCT street_id AS __value, street AS __text FROM dashboards.zones WHERE district_id IN ($district)');
export const zone = () => variable('zone', 'Zone', 'SELECT zone_id AS __value, zone AS __text FROM dashboards.zones WHERE street_id IN ($street)');
export const device = () => variable('device', 'Device', 'SELECT device_id AS __value, device_id || \' (\' || kind || \')\' AS __text FROM dashboards.devices WHERE zone_id IN ($zone)');

/** The place variables every dashboard carries; `withDevice` adds the device one. */
export const placeVariables = (withDevice = false) => [district(), street(), zone(), ...(withDevice ? [device()] : [])];

/**
 * Per-device noise rows for the dashboard's range: the per-minute aggregate up to two days, the
 * per-hour one beyond (both energetic; Grafana's `$__timeGroup` then regroups them). Exactly one
 * branch runs: its condition is a constant once the macros are expanded.
 */
export const NOISE_ROWS = `(
  SELECT bucket, device_id, zone_id, energy_sum, samples, lamax FROM dashboards.noise_1m
  WHERE $__timeFilter(bucket) AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz <= interval '2 days'
  UNION ALL
  SELECT bucket, device_id, zone_id, energy_sum, samples, lamax FROM dashboards.noise_1h
  WHERE $__timeFilter(bucket) AND $__timeTo()::timestamptz - $__timeFrom()::timestamptz > interval '2 days'
)`;

/** Energetic mean of grouped rows (never arithmetic): 10·log10(Σ energy / Σ samples). */
export const LAEQ = '10 * log(sum(energy_sum) / sum(samples))';
