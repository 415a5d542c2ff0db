import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import type pg from 'pg';
import { loadConfig } from '../core/config.js';
import { createLogger } from '../core/log.js';
import { startPlatform } from '../platform.js';
import { serve } from './lib/child.js';
import { noiseRows, rawWrite } from './lib/db.js';
import { provisionDevices } from './lib/workload.js';

/**
 * The system under test, in its own process: the platform (`startPlatform`) with the services named
 * by SERVICES (`broker` for bench:broker, `broker,ingest` for bench:ingest), on ephemeral ports and
 * the database given by DATABASE_URL / DATA_DIR. Provisions BENCH_DEVICES devices through the device
 * registry, writes their credentials to BENCH_DEVICES_FILE and reports where everything listens.
 */
const env = process.env;
const config = loadConfig({
  SERVICES: env.SERVICES ?? 'broker',
  MQTT_PORT: env.MQTT_PORT ?? '0',
  MQTT_HOST: '127.0.0.1',
  HTTP_PORT: '0',
  HTTP_HOST: '127.0.0.1',
  SIMULATOR: 'off',
  DATA_DIR: env.DATA_DIR,
  DATABASE_URL: env.DATABASE_URL,
  MQTT_SERVICE_PASSWORD: env.MQTT_SERVICE_PASSWORD,
  MQTT_URL: env.MQTT_URL,
  MQTT_MAX_CONNECTIONS: env.MQTT_MAX_CONNECTIONS,
  // Every simulated device of a run connects from this one machine, thousands at once.
  MQTT_MAX_PENDING_PER_ADDRESS: env.MQTT_MAX_PENDING_PER_ADDRESS ?? '0',
  SECRETS_KEY_FILE: env.SECRETS_KEY_FILE,
  BROKER_PERSISTENCE: env.BROKER_PERSISTENCE,
  ADMIN_PASSWORD: 'bench-password',
  LOG_LEVEL: env.BENCH_LOG_LEVEL ?? 'warn',
  // Readings are stamped at publish time; nothing in a run is older than a few minutes.
  MAINTENANCE_INTERVAL_S: '3600',
});
const log = createLogger(config.logLevel);
const platform = await startPlatform(config, log);
const devices = await provisionDevices(platform.devices, Number(env.BENCH_DEVICES ?? 1000));
await writeFile(env.BENCH_DEVICES_FILE ?? 'devices.json', JSON.stringify(devices));

/** How another process reaches the same database (the embedded engine serves a loopback port too). */
function databaseTarget(): pg.ClientConfig {
  const o = platform.db.pool.options;
  return o.connectionString ? { connectionString: o.connectionString } : { host: o.host, port: o.port, user: o.user, database: o.database };
}

// CPU profile of a measured window only (bench:broker with BENCH_PROFILE=dir), not of start-up.
const inspector = new Session();
serve({
  async 'profile-start'() {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
    return { type: 'profiling' };
  },
  async 'profile-stop'(msg) {
    const { profile } = await inspector.post('Profiler.stop');
    inspector.disconnect();
    const file = String(msg.file);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(profile));
    return { type: 'profiled', file };
  },
  /**
   * SQL through the platform's own pool (bench:ingest on the embedded engine): PGlite is one backend
   * shared by every connection, so a second client must not interleave with ingest's statements.
   */
  async sql(msg) {
    const r = await platform.db.pool.query({ text: String(msg.text), values: msg.values as unknown[] });
    return { type: 'rows', rows: r.rows };
  },
  /**
   * bench:ingest's baseline: identical rows written by the engine's fastest raw method. On a server a
   * CHECKPOINT first, so the baseline does not pay for flushing what the measured steps wrote (without
   * it one run's rounds gave 86,000–94,000 rows/s and another's 148,000–176,000).
   */
  async raw(msg) {
    const rows = noiseRows(devices.map((d) => d.id), Number(msg.rows), Number(msg.seqStart), Number(msg.tsMs));
    if (platform.db.engine === 'server') await platform.db.pool.query('CHECKPOINT').catch(() => undefined);
    return { type: 'raw-done', ...(await rawWrite(platform.db.pool, platform.db.engine, rows)) };
  },
  /** Memory after a full collection when the process runs with --expose-gc (bench:connections). */
  async memory() {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    return { type: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external };
  },
  async stop() {
    await platform.stop();
    setImmediate(() => process.exit(0));
    return { type: 'stopped' };
  },
});
process.send?.({
  type: 'ready',
  mqttPort: platform.broker?.port,
  httpPort: platform.api?.port,
  database: databaseTarget(),
  engine: platform.db.engine,
  timescale: platform.db.timescale,
});
