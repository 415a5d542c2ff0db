import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS } from '../../migrations.js';
import { createLogger } from '../../core/log.js';
import { openDatabase } from '../../core/db/database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An embedded database as `openDatabase` leaves a new one (every migration applied), to copy. */
    embeddedTemplate: string;
  }
}

/**
 * Once per run: a new embedded database, migrated, then closed. Each test platform starts from a copy
 * of it instead of creating and migrating its own (the engine's initdb and the migrations took seconds
 * of CPU per platform). The migrations still run here on a new database, through the same code.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // Against a server (DATABASE_URL) each platform gets a database of its own there instead.
  if (process.env.DATABASE_URL) {
    project.provide('embeddedTemplate', '');
    return undefined;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rp-template-'));
  const pg = path.join(dir, 'pg');
  const db = await openDatabase({ dataDir: dir }, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), MIGRATIONS);
  await db.close();
  project.provide('embeddedTemplate', pg);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
