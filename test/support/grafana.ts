/**
 * Grafana's expansion of a PostgreSQL panel query, reproduced for tests, in Grafana's order:
 *
 * 1. the browser's template service replaces variables — `$name`, `${name}`, `[[name]]` — with the
 *    SQL datasource's formatting: a multi-value or "All"-capable variable becomes a list of quoted
 *    literals ('a','b', quotes doubled), "All" without a custom value is every option; a plain
 *    variable is inserted with its quotes doubled; `$__interval` / `$__interval_ms` are the panel's
 *    interval ("1m" / 60000) and `$__from` / `$__to` epoch milliseconds;
 * 2. the server (pkg/tsdb/grafana-postgresql-datasource/macros.go) replaces `$__unixEpochFrom()`,
 *    `$__unixEpochTo()` and every `$__macro(args)`: `$__timeFilter(c)` → `c BETWEEN '<from>' AND
 *    '<to>'` (RFC 3339 UTC, fraction without trailing zeros), `$__timeFrom()` / `$__timeTo()`,
 *    `$__timeGroup(c, iv)` → `floor(extract(epoch from c)/S)*S` or, with the datasource's TimescaleDB
 *    option, `time_bucket('S.SSSs',c)`; `$__timeGroupAlias` adds ` AS "time"`, as does a
 *    `$__timeGroup(...)` directly followed by a comma (pre-5.3 compatibility).
 */
export interface GrafanaVariable {
  multi: boolean;
  includeAll: boolean;
  /** Selected values, or 'all'. */
  selected: string[] | 'all';
  /** Every option the variable's query returned (what "All" stands for). */
  options: string[];
}

export interface GrafanaRequest {
  from: Date;
  to: Date;
  intervalMs: number;
  /** The datasource's "TimescaleDB" switch (jsonData.timescaledb). */
  timescaledb: boolean;
  variables: Record<string, GrafanaVariable>;
}

const quote = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** rangeutil's interval text: the largest whole unit (1m, 30s, 2h, 1d, 500ms). */
export function intervalText(ms: number): string {
  const units: [number, string][] = [[31_536_000_000, 'y'], [604_800_000, 'w'], [86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return ms >= 1000 ? `${Math.round(ms / 1000)}s` : `${ms}ms`;
}

/** gtime.ParseInterval: a number and a unit (ms, s, m, h, d, w, y), seconds returned. */
export function parseIntervalS(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!m) throw new Error(`error parsing interval ${text}`);
  const n = Number(m[1]);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 }[m[2] as 'ms'];
  return n * unit;
}

/** Go's %v of a float64 (shortest representation, exponent form from 1e21 down to 1e6 as %g does). */
export function goFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  if (Math.abs(x) >= 1e6 || (x !== 0 && Math.abs(x) < 1e-4)) {
    const [mant, exp] = x.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${mant}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(x);
}

/** Go's time.RFC3339Nano in UTC: trailing zeros of the fraction dropped, no fraction when zero. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d*?)0*Z$/, (_m, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

const TEMPLATE = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}/g;

function templateReplace(sql: string, req: GrafanaRequest): string {
  return sql.replace(TEMPLATE, (match: string, a?: string, b?: string, _bf?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    if (name === '__interval') return intervalText(req.intervalMs);
    if (name === '__interval_ms') return String(req.intervalMs);
    if (name === '__from') return String(req.from.getTime());
    if (name === '__to') return String(req.to.getTime());
    const v = req.variables[name];
    if (!v) return match;
    const values = v.selected === 'all' ? v.options : v.selected;
    if (v.multi || v.includeAll) return values.map(quote).join(',');
    return (values[0] ?? '').replace(/'/g, "''");
  });
}

function macro(req: GrafanaRequest, name: string, args: string[]): string {
  const from = rfc3339Nano(req.from);
  const to = rfc3339Nano(req.to);
  switch (name) {
    case '__time':
      return `${args[0]} AS "time"`;
    case '__timeEpoch':
      return `extract(epoch from ${args[0]}) as "time"`;
    case '__timeFilter':
      return `${args[0]} BETWEEN '${from}' AND '${to}'`;
    case '__timeFrom':
      return `'${from}'`;
    case '__timeTo':
      return `'${to}'`;
    case '__timeGroup': {
      if (args.length < 2) throw new Error(`macro ${name} needs time column and interval and optional fill value`);
      const s = parseIntervalS(args[1]!.replace(/^'+|'+$/g, ''));
      return req.timescaledb ? `time_bucket('${s.toFixed(3)}s',${args[0]})` : `floor(extract(epoch from ${args[0]})/${goFloat(s)})*${goFloat(s)}`;
    }
    case '__timeGroupAlias':
      return `${macro(req, '__timeGroup', args)} AS "time"`;
    case '__unixEpochFilter':
      return `${args[0]} >= ${Math.floor(req.from.getTime() / 1000)} AND ${args[0]} <= ${Math.floor(req.to.getTime() / 1000)}`;
    default:
      throw new Error(`unknown macro "${name}"`);
  }
}

/** The SQL Grafana sends to PostgreSQL for this panel query and request. */
export function expand(sql: string, req: GrafanaRequest): string {
  let out = templateReplace(sql, req)
    .replaceAll('$__unixEpochFrom()', String(Math.floor(req.from.getTime() / 1000)))
    .replaceAll('$__unixEpochTo()', String(Math.floor(req.to.getTime() / 1000)));
  const original = out;
  out = out.replace(/\$([_a-zA-Z0-9]+)\(([^)]*)\)/g, (whole: string, name: string, argText: string) => {
    let macroName = name;
    if (name === '__timeGroup') {
      const at = original.indexOf(whole);
      if (at >= 0 && original[at + whole.length] === ',') macroName = '__timeGroupAlias';
    }
    return macro(req, macroName, argText.split(',').map((s) => s.trim()));
  });
  return out;
}
