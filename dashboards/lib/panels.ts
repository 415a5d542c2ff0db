import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as barchart from '@grafana/grafana-foundation-sdk/barchart';
import * as geomap from '@grafana/grafana-foundation-sdk/geomap';
import { POSTGRES, sql, type SqlTarget } from './queries.js';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';

/**
 * Panel helpers: every dashboard's panels are one of these shapes, so the JSON stays uniform and the
 * tests know from the panel type and the target's format what each query must return.
 */
export interface PanelSize {
  w?: number;
  h?: number;
}

type Target = cog.Builder<cog.Dataquery> | string;
const target = (q: Target, format: SqlTarget['format'], refId = 'A') => (typeof q === 'string' ? sql(q, format, refId) : q);

/** What every panel builder offers for its frame: title, description, datasource, one query, size. */
interface Framed<T> {
  title(title: string): T;
  description(description: string): T;
  datasource(datasource: typeof POSTGRES): T;
  withTarget(target: cog.Builder<cog.Dataquery>): T;
  span(w: number): T;
  height(h: number): T;
}

/** A one-query panel on the PostgreSQL datasource, the query returning a table. */
function framed<T extends Framed<T>>(p: T, title: string, description: string, query: Target, size: PanelSize, defaults: Required<PanelSize>): T {
  return p.title(title).description(description).datasource(POSTGRES).withTarget(target(query, 'table')).span(size.w ?? defaults.w).height(size.h ?? defaults.h);
}

export const thresholds = (steps: [number | null, string][]) =>
  new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps.map(([value, color]) => ({ value, color })));

/** A time series: each SQL target returns `time` plus numeric columns (and optionally `metric`). */
export function series(title: string, description: string, queries: Target[], opts: PanelSize & { unit?: string; stacked?: boolean; bars?: boolean; min?: number; lines?: [number | null, string][] } = {}) {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(POSTGRES)
    .targets(queries.map((q, i) => target(q, 'time_series', String.fromCharCode(65 + i))))
    .span(opts.w ?? 12)
    .height(opts.h ?? 8)
    .fillOpacity(opts.bars || opts.stacked ? 60 : 10)
    .spanNulls(false);
  if (opts.unit) p.unit(opts.unit);
  if (opts.min !== undefined) p.min(opts.min);
  if (opts.bars) p.drawStyle(common.GraphDrawStyle.Bars);
  if (opts.stacked) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (opts.lines) {
    p.thresholds(thresholds(opts.lines)).thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return p;
}

/** One figure (or a few): a one-row table reduced to its last value. */
export function figure(title: string, description: string, query: Target, opts: PanelSize & { unit?: string; steps?: [number | null, string][] } = {}) {
  const p = framed(new stat.PanelBuilder(), title, description, query, opts, { w: 4, h: 4 })
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(true));
  if (opts.unit) p.unit(opts.unit);
  if (opts.steps) p.thresholds(thresholds(opts.steps));
  return p;
}

export function grid(title: string, description: string, query: Target, opts: PanelSize = {}) {
  return framed(new table.PanelBuilder(), title, description, query, opts, { w: 12, h: 8 });
}

/** Bars per category: the first text column labels the bars, the numeric columns are the values. */
export function bars(title: string, description: string, query: Target, opts: PanelSize & { unit?: string; stacked?: boolean; horizontal?: boolean } = {}) {
  const p = framed(new barchart.PanelBuilder(), title, description, query, opts, { w: 12, h: 8 })
    .orientation(opts.horizontal ? common.VizOrientation.Horizontal : common.VizOrientation.Auto);
  if (opts.unit) p.unit(opts.unit);
  if (opts.stacked) p.stacking(common.StackingMode.Normal);
  return p;
}

/** A Geomap of markers placed by the query's `lat` and `lon` columns, zoomed to fit them. */
export function markerMap(title: string, description: string, query: string, layer: string, style: Record<string, unknown>, opts: PanelSize = {}) {
  return new geomap.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(POSTGRES)
    .withTarget(sql(query, 'table'))
    .span(opts.w ?? 12)
    .height(opts.h ?? 10)
    .view(new geomap.MapViewConfigBuilder().id('fit').padding(20).allLayers(true).maxZoom(17))
    .basemap(new common.MapLayerOptionsBuilder().type('default').name('Basemap'))
    .layers([
      new common.MapLayerOptionsBuilder()
        .type('markers')
        .name(layer)
        .location(new common.FrameGeometrySourceBuilder().mode(common.FrameGeometrySourceMode.Coords).latitude('lat').longitude('lon'))
        .tooltip(true)
        .config({ showLegend: true, style }),
    ]);
}

/** Alerts as annotations on every time series of a board: `time`, `text` and `tags` columns. */
export const alertAnnotations = (name: string, color: string, query: string) =>
  new dashboard.AnnotationQueryBuilder().name(name).datasource(POSTGRES).enable(true).iconColor(color).target(sql(query, 'table'));

export const row = (title: string) => new dashboard.RowBuilder(title);

/** The dashboard frame every board shares: uid, tags, time range, refresh, shared crosshair, links to the others. */
export function board(uid: string, title: string, description: string, time: { from: string; to: string }) {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['riverside'])
    .timezone('browser')
    .time(time)
    .refresh('1m')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .readonly()
    // The other Riverside boards, keeping the time range and the place variables.
    .link(new dashboard.DashboardLinkBuilder('Riverside').type(dashboard.DashboardLinkType.Dashboards).tags(['riverside']).asDropdown(true).keepTime(true).includeVars(true));
}
