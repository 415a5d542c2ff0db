import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { hashPassword, verifyPassword } from '../../core/secrets.js';

describe('password hash cost', () => {
  it('hashes at N = 16384 unless told otherwise, and by default in the configuration', async () => {
    expect(await hashPassword('correct horse')).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(loadConfig({}).auth.passwordHashCost).toBe(16384);
  });

  it('keeps the cost it was given in the hash, and checks the password against it', async () => {
    const hash = await hashPassword('correct horse', 1024);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', hash)).toBe(true);
    expect(await verifyPassword('wrong horse', hash)).toBe(false);
  });

  it('takes PASSWORD_HASH_COST as a power of two from 1024 only', () => {
    expect(loadConfig({ PASSWORD_HASH_COST: '1024' }).auth.passwordHashCost).toBe(1024);
    expect(() => loadConfig({ PASSWORD_HASH_COST: '1000' })).toThrow(/PASSWORD_HASH_COST/);
    expect(() => loadConfig({ PASSWORD_HASH_COST: '512' })).toThrow(/PASSWORD_HASH_COST/);
  });
});
