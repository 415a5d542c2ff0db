import type pg from 'pg';
import { isSealed, seal, unseal } from '../secrets.js';

/** A value kept in the database (e.g. the generated token signing key), created once. */
export async function settingOrCreate(pool: pg.Pool, key: string, make: () => string): Promise<string> {
  await pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, make()]);
  const r = await pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
  const value = r.rows[0]?.value;
  if (value === undefined) throw new Error(`setting ${key} missing after insert`);
  return value;
}

/**
 * A secret kept in the database sealed under `key` (core/secrets.ts), created once. A value stored in
 * plain text by an earlier version is sealed in place on first read.
 */
export async function sealedSettingOrCreate(pool: pg.Pool, name: string, key: Buffer, make: () => string): Promise<string> {
  const stored = await settingOrCreate(pool, name, () => seal(make(), key));
  if (isSealed(stored)) {
    try {
      return unseal(stored, key);
    } catch {
      throw new Error(`setting ${name} cannot be opened with this SECRETS_KEY / SECRETS_KEY_FILE (was it changed?)`);
    }
  }
  await pool.query('UPDATE settings SET value = $2 WHERE key = $1', [name, seal(stored, key)]);
  return stored;
}
