import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lockDataDir } from '../../core/db/embedded.js';
import { StartupError } from '../../core/errors.js';

describe('the embedded database directory lock', () => {
  it('lets one process at a time hold a data directory, takes over a lock its process left behind, and gives it back', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'rp-lock-'));
    const dataDir = path.join(root, 'pg');
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      // Held by another live process: refused, naming it.
      await writeFile(`${dataDir}.lock`, `${sleeper.pid}\n`);
      const refused = await lockDataDir(dataDir).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(StartupError);
      expect((refused as Error).message).toBe(`the embedded database in ${dataDir} is in use by process ${sleeper.pid}: stop that process first, or set DATA_DIR to another directory`);
      // That process dies without cleaning up (kill -9): the lock is stale and taken over.
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.once('exit', resolve));
      const unlock = await lockDataDir(dataDir);
      expect((await readFile(`${dataDir}.lock`, 'utf8')).trim()).toBe(String(process.pid));
      await unlock();
      await expect(readFile(`${dataDir}.lock`, 'utf8')).rejects.toThrow(/ENOENT/);
      // Unreadable content is no owner either.
      await writeFile(`${dataDir}.lock`, 'garbage');
      await (await lockDataDir(dataDir))();
    } finally {
      sleeper.kill('SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });
});
