import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { importsOf, line, parse, sources, visit, type Source } from '../support/source-scan.js';

/**
 * The layout holds: no import circles, the contract depends on nothing, the core on the contract
 * only, and no service reaches into another service's folder (they meet through the contract, the
 * broker and the database). The root (main.ts, platform.ts, migrations.ts), bench/ and test/ compose
 * everything.
 */
const SERVICES = ['broker', 'ingest', 'inference', 'enforcement-api', 'simulator', 'dashboards'];
const top = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '');
/** Training builds its data sets with the simulator. */
const MAY_USE_SIMULATOR = (file: string) => file.startsWith('inference/train/');
/** Commands of a service (npm scripts) are roots of their own: they open the database with every migration. */
const COMMANDS = new Set(['enforcement-api/cases/audit-verify.ts', 'inference/train/models-retrain.ts']);

function layerViolations(all: Source[]): string[] {
  const out: string[] = [];
  for (const s of all) {
    const from = top(s.file);
    for (const target of importsOf(s)) {
      const to = top(target);
      if (to === from) continue;
      const allowed =
        COMMANDS.has(s.file) ? to === '' || to === 'contract' || to === 'core' || to === from
          : from === 'contract' ? false
          : from === 'core' ? to === 'contract'
            : SERVICES.includes(from) ? to === 'contract' || to === 'core' || (to === 'simulator' && MAY_USE_SIMULATOR(s.file))
              : true; // the root, bench/
      if (!allowed) out.push(`${s.file} → ${target}`);
    }
  }
  return out;
}

/**
 * SQL lives in repositories: the modules below (the database layer, and each service's repositories
 * and query modules) are the only ones that run a statement. Workflows (transitions, intake,
 * escalation, evidence, the live bus) call them, inside one transaction where they write.
 */
const REPOSITORIES = new Set([
  'core/db/database.ts', 'core/db/embedded.ts', 'core/db/migrate.ts', 'core/db/scratch.ts', 'core/db/transaction.ts', 'demo/seed.ts',
  'core/repos/devices.ts', 'core/repos/settings.ts', 'core/repos/zone-rules.ts',
  'ingest/repository.ts', 'ingest/writers.ts', 'ingest/maintenance.ts', 'ingest/policies.ts',
  'inference/repository.ts', 'inference/lease-repository.ts',
  'enforcement-api/alerts.ts', 'enforcement-api/users.ts', 'enforcement-api/sessions.ts', 'enforcement-api/zones.ts', 'enforcement-api/models.ts',
  'enforcement-api/readings.ts', 'enforcement-api/figures.ts', 'enforcement-api/live-repository.ts', 'enforcement-api/directory.ts', 'enforcement-api/idempotency.ts',
  'enforcement-api/cases/repository.ts', 'enforcement-api/cases/transition-repository.ts', 'enforcement-api/cases/evidence-repository.ts',
  'enforcement-api/cases/events.ts', 'enforcement-api/cases/deadline-repository.ts', 'enforcement-api/cases/legal-repository.ts',
  'enforcement-api/cases/notice-repository.ts',
  // An alert's intake: the alert, its incident, the case it opens (the step itself in intake-workflow.ts).
  'enforcement-api/cases/intake-repository.ts',
  // The legal catalogue (versions in force, admin writes with the change log), parties, the case's legal view, presence.
  'enforcement-api/legal/catalogue.ts', 'enforcement-api/legal/catalogue-admin-repository.ts', 'enforcement-api/legal/parties.ts',
  'enforcement-api/legal/case-view.ts', 'enforcement-api/legal/presence-repository.ts',
  // Inspections: checklist and inspectors, market entities and credit, plans, inspections.
  'enforcement-api/inspections/checklist-repository.ts', 'enforcement-api/inspections/entity-repository.ts', 'enforcement-api/inspections/plan-repository.ts',
  'enforcement-api/inspections/inspection-repository.ts',
  // Complaints: the complaint, its photos, events and contact views, the coordination queue, the sensor record's readings.
  'enforcement-api/complaints/repository.ts',
  // Webhook subscribers, their sealed keys, the outbox queue, inbound ids and ban notices.
  'enforcement-api/webhooks/repository.ts',
]);

/** Statements run (`….query(…)` calls) outside the repositories. */
function sqlOutsideRepositories(all: Source[]): string[] {
  const out: string[] = [];
  for (const s of all) {
    if (REPOSITORIES.has(s.file)) continue;
    visit(s.sf, (n) => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && n.expression.name.text === 'query') out.push(`${s.file}:${line(s, n)}`);
    });
  }
  return out;
}

/** Strongly connected components with more than one module (or a module importing itself). */
function cycles(all: Source[]): string[][] {
  const graph = new Map(all.map((s) => [s.file, importsOf(s)]));
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return found;
}

describe('architecture', () => {
  const production = sources().filter((s) => !s.file.startsWith('test/'));

  it('has no import circles (type-only imports included)', () => {
    expect(cycles(production)).toEqual([]);
  });

  it('keeps the layers: contract ← core ← services, no service importing another', () => {
    expect(layerViolations(production)).toEqual([]);
  });

  it('runs SQL only in repositories', () => {
    // dashboards/ never opens the database: its `.query(…)` is the Grafana variable builder's (its SQL
    // runs in Grafana, and in test/integration/dashboards.test.ts).
    const services = production.filter((s) => !s.file.startsWith('bench/') && !s.file.startsWith('dashboards/') && s.file.includes('/'));
    expect(sqlOutsideRepositories(services)).toEqual([]);
  });

  it('allows SQL only in modules that exist (a moved repository takes its place in the list with it)', () => {
    const files = new Set(production.map((s) => s.file));
    expect([...REPOSITORIES].filter((f) => !files.has(f))).toEqual([]);
  });

  it('the checks see what they look for', () => {
    const fake = [
      parse('enforcement-api/a.ts', "import { b } from './b.js';"),
      parse('enforcement-api/b.ts', "import type { a } from './a.js';"),
      parse('core/mqtt-client.ts', "import { SERVICE_USER } from '../broker/policy.js';"),
      parse('simulator/audio.ts', "import type { NoiseFrame } from '../inference/features/noise.js';"),
      parse('contract/x.ts', "import { y } from '../core/y.js';"),
    ];
    expect(cycles(fake)).toEqual([['enforcement-api/a.ts', 'enforcement-api/b.ts']]);
    expect(layerViolations(fake)).toHaveLength(3);
    expect(sqlOutsideRepositories([parse('enforcement-api/cases/transitions.ts', "await client.query('SELECT 1'); const q = req.query;")])).toHaveLength(1);
  });
});
