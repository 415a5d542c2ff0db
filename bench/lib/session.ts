import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Child } from './child.js';

/**
 * A benchmark run's housekeeping: a temporary directory, the child processes it starts, and what to
 * undo at the end — children stopped, then the `cleanups` registered (last first), then the directory
 * removed — also on Ctrl-C. Logs the load average first, since other processes skew the figures.
 */
export interface BenchSession {
  tmp: string;
  children: Child[];
  /** Runs at the end, before the temporary directory goes (in reverse order of registration). */
  onCleanup(fn: () => Promise<unknown> | unknown): void;
}

export async function benchSession(name: string, body: (s: BenchSession) => Promise<void>): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), `bench-${name}-`));
  const children: Child[] = [];
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  const cleanup = async () => {
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    await rm(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    log(`load average before the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other processes on this machine skew the figures)`);
    await body({ tmp, children, onCleanup: (fn) => cleanups.push(fn) });
  } finally {
    await cleanup();
  }
}
