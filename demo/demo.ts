import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import type { Config } from '../core/config.js';
import { newSecret } from '../core/secrets.js';
import type { DeviceRepository } from '../core/repos/devices.js';
import type { SimulatedDevice } from '../simulator/fleet.js';
import { seedDemo } from './seed.js';

/**
 * The demo of `npm start`: the seeded district (seed.ts) and its login, and the simulated fleet's
 * credentials. The composition root calls these; no service depends on them.
 */

/** The demo users' password and where it came from (`unknown`: seeded at an earlier start, not kept). */
export interface DemoLogin {
  value: string;
  source: 'ADMIN_PASSWORD' | 'generated' | 'file' | 'unknown';
}

async function demoPassword(config: Config): Promise<DemoLogin & { file: string }> {
  const file = path.join(config.database.dataDir, 'admin-password');
  if (config.adminPassword) return { value: config.adminPassword, source: 'ADMIN_PASSWORD', file };
  try {
    return { value: (await readFile(file, 'utf8')).trim(), source: 'file', file };
  } catch {
    return { value: newSecret().slice(0, 16), source: 'generated', file };
  }
}

/**
 * Seeds the demo district on an empty database, with ADMIN_PASSWORD or a generated password for its
 * users (kept in DATA_DIR/admin-password, mode 600); returns the login to print.
 */
export async function prepareDemo(pool: pg.Pool, config: Config): Promise<DemoLogin> {
  const password = await demoPassword(config);
  const seeded = await seedDemo(pool, password.value, config.timezone, config.auth.passwordHashCost);
  if (seeded && password.source !== 'ADMIN_PASSWORD') {
    await mkdir(config.database.dataDir, { recursive: true });
    await writeFile(password.file, `${password.value}\n`, { mode: 0o600 });
  }
  return seeded || password.source !== 'generated' ? { value: password.value, source: password.source } : { value: '', source: 'unknown' };
}

/**
 * Credentials for the simulated fleet: the registry gives every device flagged `simulated` a fresh
 * secret (only its hash is stored), as an operator rotating it would.
 */
export async function simulatedFleet(devices: DeviceRepository): Promise<SimulatedDevice[]> {
  const fleet: SimulatedDevice[] = [];
  for (const device of await devices.listSimulated()) {
    const secret = (await devices.rotateSecret(device.id))?.secret;
    if (secret) fleet.push({ device, secret });
  }
  return fleet;
}
