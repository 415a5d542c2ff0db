import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, VARIABLES, loadConfig, transportWarnings } from '../../core/config.js';

describe('configuration', () => {
  it('works with no variables at all (npm start defaults)', () => {
    const c = loadConfig({});
    expect(c.mqtt.port).toBe(1883);
    expect(c.http.port).toBe(8080);
    expect(c.database.url).toBeUndefined();
    expect(c.services).toEqual(['maintenance', 'broker', 'ingest', 'inference', 'enforcement', 'api', 'simulator']);
    expect(c.storage).toEqual({ compressAfterDays: 7, rawRetentionDays: 90, aggregateRetentionDays: 730, intervalS: 60 });
    expect(c.timezone).toBe('Asia/Shanghai');
    expect(c.noise.minDurationS).toBe(60);
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ MQTT_PORT: 'abc' })).toThrow(/MQTT_PORT/);
    expect(() => loadConfig({ HTTP_PORT: '70000' })).toThrow(/HTTP_PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ SIMULATOR: 'maybe' })).toThrow(/SIMULATOR/);
    expect(() => loadConfig({ DEFAULT_TIMEZONE: 'Mars/Olympus' })).toThrow(/DEFAULT_TIMEZONE/);
    expect(() => loadConfig({ SERVICES: 'broker,toaster' })).toThrow(/SERVICES/);
    expect(() => loadConfig({ MQTT_PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ TLS_CERT_FILE: '/x.crt' })).toThrow(/TLS_KEY_FILE/);
    expect(() => loadConfig({ MQTT_TLS_CA_FILE: '/ca.crt' })).toThrow(/MQTT_TLS_CA_FILE/);
    expect(() => loadConfig({ MQTT_DEVICE_RATE: '-1' })).toThrow(/MQTT_DEVICE_RATE/);
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
  });

  it('turns the simulator off and selects services', () => {
    expect(loadConfig({ SIMULATOR: 'off' }).services).not.toContain('simulator');
    expect(loadConfig({ SERVICES: 'ingest,inference' }).services).toEqual(['ingest', 'inference']);
    expect(loadConfig({ MQTT_PORT: '0', NOISE_MIN_DURATION_S: '20' })).toMatchObject({ mqtt: { port: 0 }, noise: { minDurationS: 20 } });
  });

  it('reads the broker and ingest settings', () => {
    const d = loadConfig({});
    expect(d.broker.persistence).toBe('journal');
    expect(d.ingest).toEqual({ clientId: 'svc-ingest', spoolMaxBytes: 1024 * 1024 * 1024, spoolMaxRecords: 2_000_000 });
    const c = loadConfig({ BROKER_PERSISTENCE: 'memory', INGEST_CLIENT_ID: 'ingest-2', INGEST_SPOOL_MAX_MB: '16' });
    expect(c).toMatchObject({ broker: { persistence: 'memory' }, ingest: { clientId: 'ingest-2', spoolMaxBytes: 16 * 1024 * 1024 } });
    expect(() => loadConfig({ BROKER_PERSISTENCE: 'disk' })).toThrow(/BROKER_PERSISTENCE/);
    expect(() => loadConfig({ INGEST_CLIENT_ID: 'has spaces' })).toThrow(/INGEST_CLIENT_ID/);
    expect(() => loadConfig({ INGEST_SPOOL_MAX_MB: '0' })).toThrow(/INGEST_SPOOL_MAX_MB/);
  });

  it('splits ingest through a shared subscription only on an external broker', () => {
    const s = loadConfig({ INGEST_SHARED_GROUP: 'ingest', MQTT_URL: 'mqtt://emqx:1883', INGEST_CLIENT_ID: 'svc-ingest-1' });
    expect(s.ingest).toMatchObject({ clientId: 'svc-ingest-1', sharedGroup: 'ingest' });
    expect(loadConfig({ INGEST_SHARED_GROUP: 'ingest', MQTT_URL: 'mqtt://emqx:1883' }).ingest.clientId).toMatch(/^svc-ingest-./);
    expect(() => loadConfig({ INGEST_SHARED_GROUP: 'ingest' })).toThrow(/INGEST_SHARED_GROUP: needs MQTT_URL/);
    expect(() => loadConfig({ INGEST_SHARED_GROUP: 'ingest', MQTT_URL: 'mqtt://a:1883', REDIS_URL: 'redis://r:6379' })).toThrow(/INGEST_SHARED_GROUP: not with REDIS_URL/);
    expect(() => loadConfig({ INGEST_SHARED_GROUP: 'a/b', MQTT_URL: 'mqtt://a:1883' })).toThrow(/INGEST_SHARED_GROUP/);
  });

  it('is documented: the README configuration table lists every variable with its default', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const v of Object.values(VARIABLES)) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${v.env}\` |`));
      expect(row, v.env).toBeDefined();
      if (v.default !== undefined) expect(row, v.env).toContain(`\`${v.default}\``);
    }
  });

  it('warns when a listener faces the network without TLS, and not on loopback or with TLS', () => {
    const open = transportWarnings(loadConfig({}));
    expect(open).toHaveLength(2);
    expect(open[0]).toMatch(/MQTT listens on 0\.0\.0\.0 without TLS/);
    expect(transportWarnings(loadConfig({ MQTT_HOST: '127.0.0.1', HTTP_HOST: 'localhost' }))).toEqual([]);
    expect(transportWarnings(loadConfig({ SERVICES: 'ingest', MQTT_HOST: '0.0.0.0' }))).toEqual([]);
  });
});
