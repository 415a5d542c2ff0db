import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { AuthenticateError, Client } from 'aedes';
import { createPolicy, SERVICE_USER } from '../../broker/policy.js';
import { sameSecret } from '../../core/secrets.js';
import { createLogger } from '../../core/log.js';
import { Metrics } from '../../core/metrics.js';

// Every constant-time comparison goes through node:crypto's timingSafeEqual: watch it, through the
// builtin's own live bindings (no module mock: test files share their worker's modules).
const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
const realTimingSafeEqual = crypto.timingSafeEqual;
const compared: [Buffer, Buffer][] = [];
beforeAll(() => {
  crypto.timingSafeEqual = (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    compared.push([Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)]);
    return realTimingSafeEqual(a, b);
  };
  syncBuiltinESMExports();
});
afterAll(() => {
  crypto.timingSafeEqual = realTimingSafeEqual;
  syncBuiltinESMExports();
});

const SERVICE_PASSWORD = 'the-service-password-of-this-broker';

function login(password: string): Promise<boolean> {
  const policy = createPolicy({ verifyDevice: () => Promise.resolve(false), servicePassword: SERVICE_PASSWORD, log: createLogger('silent'), metrics: new Metrics() });
  const client = { id: 'svc-test', clean: true } as unknown as Client;
  return new Promise((resolve) => {
    policy.authenticate(client, SERVICE_USER, Buffer.from(password), (e: AuthenticateError | null, ok: boolean | null) => resolve(e === null && ok === true));
  });
}

describe('secrets compared in constant time', () => {
  afterEach(() => { compared.length = 0; });

  it('tells equal secrets from different ones, whatever their lengths', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abd', 'abc')).toBe(false);
    expect(sameSecret('ab', 'abc')).toBe(false);
    expect(sameSecret('', 'abc')).toBe(false);
  });

  it.each([
    ['the right password', SERVICE_PASSWORD, true],
    ['a wrong one of the same length', SERVICE_PASSWORD.replace(/.$/, '!'), false],
    ['a shorter one', 'the-service', false],
    ['a longer one', `${SERVICE_PASSWORD}-and-more`, false],
  ])('checks the service account’s password (%s) with timingSafeEqual on equal-length digests', async (_what, password, ok) => {
    expect(await login(password)).toBe(ok);
    expect(compared).toHaveLength(1);
    const [a, b] = compared[0]!;
    // Digests of both, never the password itself: its length is not given away either.
    expect([a.length, b.length]).toEqual([32, 32]);
    expect(a.toString('utf8')).not.toContain(password);
  });
});
