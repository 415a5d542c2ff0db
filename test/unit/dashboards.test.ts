import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_DIR, render } from '../../dashboards/build.js';
import { READER_ROLE } from '../../dashboards/schema.js';
import { POSTGRES, PROMETHEUS } from '../../dashboards/lib/queries.js';
import { expand, goFloat, intervalText, rfc3339Nano, type GrafanaRequest } from '../support/grafana.js';

/**
 * The dashboards as committed: generated from the code (any drift fails CI: run `npm run
 * dashboards:build` and commit), structurally sound for Grafana, and provisioned with the datasources
 * and folder they expect. The queries themselves run against a database in
 * test/integration/dashboards.test.ts.
 */
interface Target {
  refId?: string;
  datasource?: { type?: string; uid?: string };
  rawSql?: string;
  format?: string;
  rawQuery?: boolean;
  editorMode?: string;
  expr?: string;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  options?: { layers?: { location?: { mode?: string; latitude?: string; longitude?: string } }[] };
}
interface Board {
  uid: string;
  title: string;
  schemaVersion: number;
  time: { from: string; to: string };
  tags: string[];
  links: { type: string; tags: string[]; keepTime: boolean; includeVars: boolean }[];
  annotations: { list: { name: string; datasource?: { uid?: string }; target?: Target }[] };
  templating: { list: { name: string; query: string; multi: boolean; includeAll: boolean; datasource: { uid: string } }[] };
  panels: Panel[];
}

const generated = render();
const boards = [...generated.values()].map((text) => JSON.parse(text) as Board);
const BUILTIN = new Set(['__interval', '__interval_ms', '__from', '__to', '__timeFilter', '__timeFrom', '__timeTo', '__timeGroup', '__timeGroupAlias', '__all']);

describe('generated dashboards', () => {
  it('are exactly the committed JSON files, byte for byte, and the same on every build', async () => {
    const committed = (await readdir(OUTPUT_DIR)).filter((f) => f.endsWith('.json')).sort();
    expect(committed).toEqual([...generated.keys()].sort());
    for (const [file, text] of generated) {
      expect(await readFile(path.join(OUTPUT_DIR, file), 'utf8'), `${file} is stale: run npm run dashboards:build`).toBe(text);
    }
    expect([...render()]).toEqual([...generated]);
  });

  it('are the five boards, each with unique uid, numbered panels and a layout inside 24 columns', () => {
    expect(boards.map((b) => b.title).sort()).toEqual(['Enforcement', 'Model quality', 'Noise', 'Operations overview', 'Riverbank']);
    expect(new Set(boards.map((b) => b.uid)).size).toBe(boards.length);
    for (const b of boards) {
      expect(b.schemaVersion, b.title).toBeGreaterThanOrEqual(36);
      expect(b.time.from, b.title).toMatch(/^now-\d+[hdw]$/);
      // Each links to the others by their shared tag, keeping time range and places.
      expect(b.tags, b.title).toContain('riverside');
      expect(b.links, b.title).toEqual([expect.objectContaining({ type: 'dashboards', tags: ['riverside'], keepTime: true, includeVars: true })]);
      const ids = b.panels.map((p) => p.id);
      expect(ids, b.title).toEqual(ids.map((_, i) => i + 1));
      for (const p of b.panels) {
        const g = p.gridPos!;
        expect(g.w > 0 && g.h > 0 && g.x >= 0 && g.x + g.w <= 24, `${b.title} / ${p.title}: gridPos`).toBe(true);
      }
    }
  });

  it('carry the place variables, chained and multi-value with All, on the PostgreSQL datasource', () => {
    for (const b of boards) {
      const names = b.templating.list.map((v) => v.name);
      expect(names.slice(0, 3), b.title).toEqual(['district', 'street', 'zone']);
      for (const v of b.templating.list) {
        expect(v.multi && v.includeAll, `${b.title} $${v.name}`).toBe(true);
        expect(v.datasource.uid).toBe(POSTGRES.uid);
        expect(v.query).toMatch(/^SELECT .* AS __value, .* AS __text FROM dashboards\./);
      }
      expect(b.templating.list[1]!.query).toContain('IN ($district)');
      expect(b.templating.list[2]!.query).toContain('IN ($street)');
    }
    for (const title of ['Noise', 'Operations overview']) expect(boards.find((b) => b.title === title)!.templating.list.map((v) => v.name)).toContain('device');
  });

  it('have panels whose every target is a code-mode SQL query on the dashboards schema or a PromQL query', () => {
    let sqlCount = 0;
    for (const b of boards) {
      const variables = new Set(b.templating.list.map((v) => v.name));
      for (const p of b.panels.filter((x) => x.type !== 'row')) {
        const where = `${b.title} / ${p.title}`;
        expect(p.targets?.length, where).toBeGreaterThan(0);
        expect(new Set(p.targets!.map((q) => q.refId)).size, where).toBe(p.targets!.length);
        for (const q of p.targets!) {
          if (q.datasource?.uid === PROMETHEUS.uid) {
            expect(q.expr, where).toBeTruthy();
            continue;
          }
          sqlCount++;
          expect(q.datasource, where).toEqual(POSTGRES);
          expect([q.rawQuery, q.editorMode], where).toEqual([true, 'code']);
          expect(['time_series', 'table'], where).toContain(q.format);
          const text = q.rawSql!;
          // Only the read-only views: nothing Grafana's role could not read anyway.
          for (const m of text.matchAll(/(?<!(?:extract\(\w+|DISTINCT) )\b(?:FROM|JOIN)\s+([a-z_.]+)/gi)) {
            if (m[1]!.includes('.')) expect(m[1], where).toMatch(/^dashboards\./);
          }
          // Comments are stripped by newer Grafana versions only: the queries have none, so every version sees the same SQL.
          expect(text, where).not.toMatch(/--|\/\*/);
          // Every $name is a variable of this board or a Grafana built-in; macro arguments hold no parenthesis
          // (Grafana's macro pattern stops at the first ')').
          for (const m of text.matchAll(/\$(\w+)/g)) expect(variables.has(m[1]!) || BUILTIN.has(m[1]!), `${where}: $${m[1]}`).toBe(true);
          for (const m of text.matchAll(/\$__\w+\(([^)]*)\)/g)) expect(m[1], where).not.toContain('(');
          if (q.format === 'time_series') expect(text, where).toMatch(/ORDER BY 1\s*$/);
        }
      }
    }
    expect(sqlCount).toBeGreaterThan(30);
  });

  it('annotate the noise and riverbank boards with their alerts, from the dashboards schema', () => {
    for (const title of ['Noise', 'Riverbank']) {
      const a = boards.find((b) => b.title === title)!.annotations.list.filter((x) => x.target);
      expect(a.map((x) => [x.name, x.datasource?.uid]), title).toEqual([['Alerts', POSTGRES.uid]]);
      expect(a[0]!.target!.rawSql, title).toMatch(/AS time, .* AS text, .* AS tags\s+FROM dashboards\.alerts WHERE .*\$__timeFilter\(detected_at\)/s);
    }
  });

  it('place fishing alerts and devices on Geomap panels by the latitude and longitude their queries return', () => {
    const maps = boards.flatMap((b) => b.panels.filter((p) => p.type === 'geomap').map((p) => `${b.title} / ${p.title}`));
    expect(maps).toEqual(['Operations overview / Device map', 'Riverbank / Fishing alerts on the map']);
    for (const b of boards) {
      for (const map of b.panels.filter((p) => p.type === 'geomap')) {
        expect(map.options!.layers![0]!.location).toEqual({ mode: 'coords', latitude: 'lat', longitude: 'lon' });
        expect(map.targets![0]!.rawSql).toMatch(/^SELECT (?:.+ AS )?lat, (?:.+ AS )?lon,/);
      }
    }
  });
});

describe('provisioning', () => {
  const dir = path.dirname(path.dirname(OUTPUT_DIR));
  it('defines both datasources under the uids the dashboards use, as the read-only role, password from the environment', async () => {
    const yaml = await readFile(path.join(dir, 'datasources', 'riverside.yaml'), 'utf8');
    expect(yaml).toContain(`uid: ${POSTGRES.uid}\n    type: ${POSTGRES.type}`);
    expect(yaml).toContain(`uid: ${PROMETHEUS.uid}\n    type: ${PROMETHEUS.type}`);
    expect(yaml).toMatch(new RegExp(`^\\s+user: ${READER_ROLE}$`, 'm'));
    expect(yaml).toMatch(/secureJsonData:\n\s+password: \$\{RIVERSIDE_DB_PASSWORD\}/);
    expect(yaml).not.toMatch(/password: [^$]/);
  });

  it('loads the generated folder with a file provider', async () => {
    const yaml = await readFile(path.join(dir, 'dashboards', 'riverside.yaml'), 'utf8');
    expect(yaml).toMatch(/type: file/);
    expect(yaml).toContain(`path: \${GF_PATHS_PROVISIONING}/dashboards/${path.basename(OUTPUT_DIR)}`);
  });
});

describe("Grafana's PostgreSQL query expansion (test/support/grafana.ts)", () => {
  const req: GrafanaRequest = {
    from: new Date('2018-04-12T18:00:00Z'),
    to: new Date('2018-04-12T18:05:00.500Z'),
    intervalMs: 300_000,
    timescaledb: false,
    variables: {
      zone: { multi: true, includeAll: true, selected: 'all', options: ['z-a', "z-o'b"] },
      one: { multi: false, includeAll: false, selected: ["it's"], options: [] },
      pick: { multi: true, includeAll: true, selected: ['x'], options: ['x', 'y'] },
    },
  };

  it('expands the time macros as the datasource does', () => {
    expect(expand('WHERE $__timeFilter(ts)', req)).toBe("WHERE ts BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00.5Z'");
    expect(expand('$__timeFrom() $__timeTo()', req)).toBe("'2018-04-12T18:00:00Z' '2018-04-12T18:05:00.5Z'");
    expect(expand("SELECT $__timeGroupAlias(ts, '5m')", req)).toBe('SELECT floor(extract(epoch from ts)/300)*300 AS "time"');
    expect(expand('SELECT $__timeGroup(ts,$__interval) AS t', req)).toBe('SELECT floor(extract(epoch from ts)/300)*300 AS t');
    // A $__timeGroup directly followed by a comma gets the alias (Grafana before 5.3 wrote it so).
    expect(expand("SELECT $__timeGroup(ts,'5m'), v", req)).toBe('SELECT floor(extract(epoch from ts)/300)*300 AS "time", v');
    expect(expand("GROUP BY $__timeGroup(ts , '5m')", { ...req, timescaledb: true })).toBe("GROUP BY time_bucket('300.000s',ts)");
    expect(expand("$__timeGroup(ts, '20ms')", { ...req, timescaledb: true })).toBe("time_bucket('0.020s',ts)");
    expect(expand('$__unixEpochFilter(t) $__unixEpochFrom()', req)).toBe('t >= 1523556000 AND t <= 1523556300 1523556000');
    expect(() => expand('$__nope(x)', req)).toThrow(/unknown macro/);
  });

  it('formats variables as the SQL datasources do: quoted lists for multi-value and All, quotes doubled', () => {
    expect(expand('zone_id IN ($zone)', req)).toBe("zone_id IN ('z-a','z-o''b')");
    expect(expand('zone_id IN (${zone})', req)).toBe("zone_id IN ('z-a','z-o''b')");
    expect(expand("x IN ($pick) AND y = '$one'", req)).toBe("x IN ('x') AND y = 'it''s'");
    expect(expand('$__interval $__interval_ms $unknown', req)).toBe('5m 300000 $unknown');
  });

  it('writes times and intervals as Go and Grafana print them', () => {
    expect(rfc3339Nano(new Date('2026-01-02T03:04:05.120Z'))).toBe('2026-01-02T03:04:05.12Z');
    expect(rfc3339Nano(new Date('2026-01-02T03:04:05.000Z'))).toBe('2026-01-02T03:04:05Z');
    expect([intervalText(60_000), intervalText(30_000), intervalText(3_600_000), intervalText(86_400_000), intervalText(500)]).toEqual(['1m', '30s', '1h', '1d', '500ms']);
    expect([goFloat(300), goFloat(0.5), goFloat(1_036_800), goFloat(2_592_000)]).toEqual(['300', '0.5', '1.0368e+06', '2.592e+06']);
  });
});
