import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** `npm start`'s process as a user runs it: start-up message, one-line errors, Ctrl-C. */
interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function runMain(env: Record<string, string>, onStdout?: (text: string, kill: () => void) => void, shared?: string): Promise<Run> {
  const dataDir = shared ?? await mkdtemp(path.join(os.tmpdir(), 'rp-main-'));
  const { DATABASE_URL: _server, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    env: { ...inherited, DATA_DIR: dataDir, MQTT_PORT: '0', HTTP_PORT: '0', LOG_LEVEL: 'warn', ADMIN_PASSWORD: 'main-test-pw', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    onStdout?.(stdout, () => child.kill('SIGINT'));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  if (!shared) await rm(dataDir, { recursive: true, force: true });
  return { code, stdout, stderr };
}

describe('the platform process', () => {
  it('prints the URLs and login, and drains and exits 0 on Ctrl-C (SIGINT)', async () => {
    let sent = false;
    const run = await runMain({ SIMULATOR: 'on' }, (out, kill) => {
      if (!sent && out.includes('stop       Ctrl-C')) {
        sent = true;
        kill();
      }
    });
    expect(run.stdout).toMatch(/web +http:\/\/localhost:\d+\//);
    expect(run.stdout).toMatch(/mqtt +mqtt:\/\/localhost:\d+/);
    expect(run.stdout).toContain('admin / the password set in ADMIN_PASSWORD');
    expect(run.stdout).not.toContain('main-test-pw');
    expect(run.stdout).toContain('embedded + TimescaleDB');
    expect(run.code, run.stderr).toBe(0);
  });

  it('names the variable to change when a port is taken, in one line, and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '0.0.0.0', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = await runMain({ HTTP_PORT: String(port), SIMULATOR: 'off' });
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toBe(`error: Port ${port} is already in use: set HTTP_PORT to a free port`);
    } finally {
      blocker.close();
    }
  });

  it('refuses to open a data directory another platform process is using, and leaves that one running', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-main-'));
    try {
      let second: Run | undefined;
      let started = false;
      const first = await runMain({ SIMULATOR: 'off' }, (out, kill) => {
        if (started || !out.includes('stop       Ctrl-C')) return;
        started = true;
        void runMain({ SIMULATOR: 'off' }, undefined, dataDir).then((r) => {
          second = r;
          kill();
        });
      }, dataDir);
      expect(second?.code).toBe(1);
      expect(second?.stderr.trim()).toMatch(new RegExp(`^error: the embedded database in ${path.join(dataDir, 'pg')} is in use by process \\d+: stop that process first, or set DATA_DIR to another directory$`));
      // The first one was unharmed: it drained and exited cleanly, and gave the directory back.
      expect(first.code, first.stderr).toBe(0);
      await expect(access(`${path.join(dataDir, 'pg')}.lock`)).rejects.toThrow();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a bad setting with a one-line error naming it', async () => {
    const run = await runMain({ MQTT_PORT: 'eighteen' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^error: Invalid MQTT_PORT="eighteen"/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
