import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig, VARIABLES } from '../../core/config.js';

/**
 * deploy/compose.yaml, checked without Docker: every platform service's environment (its env files,
 * then its `environment`, with `${…}` filled from .env.example as compose fills it from .env) is made
 * only of variables the platform knows and passes its configuration schema; every file the compose
 * file names exists; the roles cover the deployment the README describes.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DEPLOY = path.join(ROOT, 'deploy');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  env_file?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, unknown>;
}

const compose = parse(readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** KEY=value lines, comments and blank lines skipped (compose's env_file format). */
function envFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const eq = t.indexOf('=');
    expect(eq, `${file}: ${t}`).toBeGreaterThan(0);
    out[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return out;
}

const dotenv = envFile(path.join(DEPLOY, '.env.example'));

/** Compose interpolation: ${VAR}, ${VAR:?message}, ${VAR:-default}. */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([?-])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const v = dotenv[name];
    if (v !== undefined && v !== '') return v;
    if (op === '-') return arg;
    throw new Error(`\${${name}} is not set in .env.example${op === '?' ? ` (${arg})` : ''}`);
  });
}

const platformServices = Object.entries(services).filter(([, s]) => s.build?.dockerfile === 'deploy/Dockerfile');

function environmentOf(s: Service): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of s.env_file ?? []) Object.assign(env, envFile(path.join(DEPLOY, f)));
  for (const [k, v] of Object.entries(s.environment ?? {})) env[k] = interpolate(String(v));
  return env;
}

const KNOWN = new Set<string>(Object.values(VARIABLES).map((v) => v.env));

describe('deploy/compose.yaml', () => {
  it('has the database, Redis, two broker nodes, inference, two API replicas and Grafana', () => {
    for (const name of ['timescaledb', 'redis', 'broker-1', 'broker-2', 'inference', 'api-1', 'api-2', 'grafana']) expect(services, name).toHaveProperty(name);
    expect(platformServices.map(([n]) => n).sort()).toEqual(['api-1', 'api-2', 'broker-1', 'broker-2', 'inference']);
  });

  it("gives every platform service an environment the configuration schema accepts", () => {
    const ran = new Map<string, string[]>();
    for (const [name, s] of platformServices) {
      const env = environmentOf(s);
      const unknown = Object.keys(env).filter((k) => !KNOWN.has(k));
      expect(unknown, `${name}: variables the platform does not read`).toEqual([]);
      const config = loadConfig(env);
      for (const svc of config.services) ran.set(svc, [...(ran.get(svc) ?? []), name]);
      // Processes sharing the database share its sealing key and the service account.
      expect(env.SECRETS_KEY, name).toBe(dotenv.SECRETS_KEY);
      expect(env.MQTT_SERVICE_PASSWORD, name).toBe(dotenv.MQTT_SERVICE_PASSWORD);
      // Where a service points at another container, that container exists.
      const db = new URL(env.DATABASE_URL!);
      expect(services, `${name}: DATABASE_URL host`).toHaveProperty(db.hostname);
      for (const node of (env.MQTT_URL ?? '').split(',').filter(Boolean)) expect(services[new URL(node).hostname]?.env_file, `${name}: MQTT_URL host is a broker node`).toContain('env/broker.env');
      expect(config.processGroups, name).toHaveLength(1);
    }
    // Every service runs somewhere; the simulator nowhere; ingest on each broker node with its own session.
    for (const svc of ['maintenance', 'broker', 'ingest', 'inference', 'enforcement', 'api'] as const) expect(ran.get(svc), svc).toBeDefined();
    expect(ran.get('simulator')).toBeUndefined();
    expect(ran.get('maintenance')).toHaveLength(1);
    expect(ran.get('ingest')).toEqual(ran.get('broker'));
    const clientIds = (ran.get('ingest') ?? []).map((n) => loadConfig(environmentOf(services[n]!)).ingest.clientId);
    expect(new Set(clientIds).size).toBe(clientIds.length);
    expect(ran.get('api')).toHaveLength(2);
  });

  it('names only files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const f of s.env_file ?? []) expect(existsSync(path.join(DEPLOY, f)), `${name}: ${f}`).toBe(true);
      if (s.build) {
        expect(existsSync(path.join(DEPLOY, s.build.context, s.build.dockerfile)), `${name}: Dockerfile`).toBe(true);
        expect(existsSync(path.join(DEPLOY, s.build.context, 'package.json')), `${name}: build context`).toBe(true);
      }
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.')) continue; // a named volume
        expect(existsSync(path.join(DEPLOY, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('preloads TimescaleDB on the database server with room for its jobs', () => {
    const args = [services.timescaledb!.command ?? []].flat().join(' ');
    expect(args).toMatch(/shared_preload_libraries=timescaledb\b/);
    const workers = Number(/timescaledb\.max_background_workers=(\d+)/.exec(args)?.[1]);
    const processes = Number(/max_worker_processes=(\d+)/.exec(args)?.[1]);
    expect(workers).toBeGreaterThanOrEqual(8);
    expect(processes).toBeGreaterThan(workers);
  });

  it('provisions Grafana from dashboards/, with the variables its datasource file reads', () => {
    const g = services.grafana!;
    const mounts = (g.volumes ?? []).map((v) => v.split(':'));
    expect(mounts).toContainEqual(['../dashboards/provisioning/datasources', '/etc/grafana/provisioning/datasources', 'ro']);
    expect(mounts).toContainEqual(['../dashboards/provisioning/dashboards', '/etc/grafana/provisioning/dashboards', 'ro']);
    const datasource = readFileSync(path.join(ROOT, 'dashboards/provisioning/datasources/riverside.yaml'), 'utf8');
    const wanted = new Set([...datasource.matchAll(/\$\{(RIVERSIDE_[A-Z_]+)\}/g)].map((m) => m[1]!));
    const env = environmentOf(g);
    for (const v of wanted) expect(env[v], v).toBeTruthy();
    expect(env.RIVERSIDE_DB_HOST?.split(':')[0]).toBe('timescaledb');
  });

  it('runs the image with the node flags of `npm start`', () => {
    const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8'))?.[1];
    expect(cmd).toBeDefined();
    expect(JSON.parse(cmd!)).toEqual(start);
    expect(start).toContain('--max-semi-space-size=64');
  });
});
