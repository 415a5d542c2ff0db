import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { RestartBudget, startOrder } from '../../supervisor.js';

describe('process groups', () => {
  it('split SERVICES at | and refuse a service in two groups', () => {
    const env = { DATABASE_URL: 'postgres://db/x' };
    const c = loadConfig({ ...env, SERVICES: 'broker,ingest|inference,api' });
    expect(c.processGroups).toEqual([['broker', 'ingest'], ['inference', 'api']]);
    expect(c.services).toEqual(['broker', 'ingest', 'inference', 'api']);
    expect(loadConfig({ SERVICES: 'broker,ingest' }).processGroups).toEqual([['broker', 'ingest']]);
    expect(() => loadConfig({ ...env, SERVICES: 'broker,ingest|ingest' })).toThrow(/ingest is in two process groups/);
    expect(() => loadConfig({ ...env, SERVICES: 'broker||api' })).toThrow(/SERVICES/);
    expect(() => loadConfig({ SERVICES: 'broker|api' })).toThrow(/need DATABASE_URL/);
  });

  it('start the broker group first', () => {
    expect(startOrder([['inference', 'api'], ['broker', 'ingest']])).toEqual([['broker', 'ingest'], ['inference', 'api']]);
    expect(startOrder([['api'], ['enforcement']])).toEqual([['api'], ['enforcement']]);
  });
});

describe('restart budget', () => {
  it('allows a few restarts per window, then gives up; old ones age out', () => {
    const b = new RestartBudget(3, 60_000);
    expect([0, 1000, 2000].map((t) => b.allow(t))).toEqual([true, true, true]);
    expect(b.allow(3000)).toBe(false);
    expect(b.allow(60_001)).toBe(true); // the first death is more than a window old
    expect(b.allow(60_002)).toBe(false);
  });
});
