import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';

/**
 * Datasources and queries. The provisioning files (dashboards/provisioning/datasources) give both
 * datasources these fixed uids, so the dashboards need no datasource variable.
 */
export const POSTGRES: common.DataSourceRef = { type: 'grafana-postgresql-datasource', uid: 'riverside-pg' };
export const PROMETHEUS: common.DataSourceRef = { type: 'prometheus', uid: 'riverside-prom' };

/** What a panel's SQL must return: Grafana's time-series frame (a `time` column) or a table. */
export type SqlFormat = 'time_series' | 'table';

export interface SqlTarget {
  refId: string;
  datasource: common.DataSourceRef;
  rawSql: string;
  format: SqlFormat;
  rawQuery: true;
  editorMode: 'code';
}

/**
 * The foundation SDK has no PostgreSQL query builder: this one emits the target Grafana's own
 * PostgreSQL editor saves in code mode.
 */
export class SqlQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly target: SqlTarget;

  constructor(refId: string, rawSql: string, format: SqlFormat) {
    this.target = { refId, datasource: POSTGRES, rawSql, format, rawQuery: true, editorMode: 'code' };
  }

  build(): cog.Dataquery {
    const target = { ...this.target, _implementsDataqueryVariant: () => undefined };
    // The marker method is a type-level tag only: JSON.stringify drops it.
    return target;
  }
}

export const sql = (rawSql: string, format: SqlFormat = 'time_series', refId = 'A') => new SqlQueryBuilder(refId, rawSql.trim().replace(/\n\s+/g, '\n  '), format);

/** A PromQL range query against the Prometheus that scrapes the platform's /metrics. */
export const promql = (expr: string, legend: string, refId = 'A') =>
  new prometheus.DataqueryBuilder().datasource(PROMETHEUS).expr(expr).legendFormat(legend).range().refId(refId);
