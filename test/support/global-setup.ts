import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { MIGRATIONS } from '../../migrations.js';
import { createLogger } from '../../core/log.js';
import { openDatabase } from '../../core/db/database.js';
import { scratchDatabase } from '../../core/db/scratch.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An embedded database as `openDatabase` leaves a new one (every migration applied), to copy. */
    embeddedTemplate: string;
    /** The same on the DATABASE_URL server: the name of a migrated database to create others from. */
    serverTemplate: string;
  }
}

/**
 * Once per run: a new database, migrated, then closed. Each test platform starts from a copy of it
 * instead of creating and migrating its own (the embedded engine's initdb and the migrations took
 * seconds of CPU per platform). The migrations still run here on a new database, through the same code.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  const server = process.env.DATABASE_URL;
  // Against a server (DATABASE_URL) each platform gets a database of its own there, created from a
  // migrated one.
  if (server) {
    const template = await scratchDatabase(server, 'rp_template');
    const db = await openDatabase({ url: template.url, dataDir: os.tmpdir() }, log, MIGRATIONS);
    await db.close();
    project.provide('embeddedTemplate', '');
    project.provide('serverTemplate', new URL(template.url).pathname.slice(1));
    return () => template.drop();
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rp-template-'));
  const pg = path.join(dir, 'pg');
  const db = await openDatabase({ dataDir: dir }, log, MIGRATIONS);
  await db.close();
  project.provide('embeddedTemplate', pg);
  project.provide('serverTemplate', '');
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
