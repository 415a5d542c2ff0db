import type pg from 'pg';

/** A value kept in the database (e.g. the generated token signing key), created once. */
export async function settingOrCreate(pool: pg.Pool, key: string, make: () => string): Promise<string> {
  await pool.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, make()]);
  const r = await pool.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
  const value = r.rows[0]?.value;
  if (value === undefined) throw new Error(`setting ${key} missing after insert`);
  return value;
}
