import { describe, expect, it } from 'vitest';
import { isSealed, seal, secretsKey, unseal } from '../../core/secrets.js';

describe('sealed secrets', () => {
  const key = secretsKey('11'.repeat(32));
  it('round-trips, never stores the plain value, and refuses another key', () => {
    const sealed = seal('the-signing-key', key);
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('the-signing-key');
    expect(seal('the-signing-key', key)).not.toBe(sealed); // a fresh IV each time
    expect(unseal(sealed, key)).toBe('the-signing-key');
    expect(() => unseal(sealed, secretsKey('22'.repeat(32)))).toThrow();
  });

  it('takes hex, base64 or any other text as key material', () => {
    expect(secretsKey('ab'.repeat(32))).toHaveLength(32);
    expect(secretsKey(Buffer.alloc(32, 7).toString('base64'))).toEqual(Buffer.alloc(32, 7));
    expect(secretsKey('a passphrase of any length')).toHaveLength(32);
  });
});
