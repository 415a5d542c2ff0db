import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../core/config.js';

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
  });

  it('turns the simulator off and selects services', () => {
    expect(loadConfig({ SIMULATOR: 'off' }).services).not.toContain('simulator');
    expect(loadConfig({ SERVICES: 'ingest,inference' }).services).toEqual(['ingest', 'inference']);
    expect(loadConfig({ MQTT_PORT: '0', NOISE_MIN_DURATION_S: '20' })).toMatchObject({ mqtt: { port: 0 }, noise: { minDurationS: 20 } });
  });
});
