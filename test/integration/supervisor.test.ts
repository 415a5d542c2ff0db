import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratchDatabase, type Scratch } from '../../core/db/scratch.js';
import { waitFor } from '../support/platform.js';

/**
 * `SERVICES=a,b|c,d npm start` as an operator runs it: one child per group under a supervisor, a child
 * killed with -9 restarted, SIGTERM draining every group to exit 0, a group that cannot start ending
 * the whole with a one-line reason. Process groups need a database server (the embedded engine serves
 * one process), so the runs happen only with DATABASE_URL; the refusal without it is checked always.
 */
const url = process.env.DATABASE_URL;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

async function start(env: Record<string, string>): Promise<Run> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-super-'));
  const scratch: Scratch | undefined = url ? await scratchDatabase(url, 'rp_super') : undefined;
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    env: { ...inherited, DATA_DIR: dataDir, MQTT_PORT: '0', MQTT_HOST: '127.0.0.1', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'info', SIMULATOR: 'off', ADMIN_PASSWORD: 'supervisor-pw', ...(scratch ? { DATABASE_URL: scratch.url } : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await scratch?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { child, out: () => out, err: () => err, exited };
}

/** The pids the supervisor logged for each group, newest last. */
function groupPids(out: string, services: string): number[] {
  return out
    .split('\n')
    .filter((l) => l.includes('"process group started"'))
    .map((l) => JSON.parse(l) as { services: string; pid: number })
    .filter((l) => l.services === services)
    .map((l) => l.pid);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const banners = (out: string) => out.split('Riverside & Park Enforcement Platform is running').length - 1;
const lastHttp = (out: string) => [...out.matchAll(/web +(http:\/\/localhost:\d+)\//g)].pop()?.[1];

describe('process groups under one supervisor', () => {
  it('refuses process groups on the embedded database, naming DATABASE_URL', async () => {
    const { DATABASE_URL: _none, ...env } = process.env;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rp-super-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], { env: { ...env, DATA_DIR: dataDir, SERVICES: 'broker|api' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    await rm(dataDir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(err.trim()).toMatch(/^error: Invalid SERVICES: process groups .* need DATABASE_URL/);
  });

  it.skipIf(!url)('runs each group in its own process, restarts one killed with -9, and drains all on SIGTERM', async () => {
    const run = await start({ SERVICES: 'maintenance,broker,ingest|enforcement,api' });
    await waitFor(() => banners(run.out()) === 2, 'both groups running', 180_000);
    const [brokerPid] = groupPids(run.out(), 'maintenance,broker,ingest');
    const [apiPid] = groupPids(run.out(), 'enforcement,api');
    expect(brokerPid).toBeGreaterThan(0);
    expect(apiPid).toBeGreaterThan(0);
    expect(new Set([brokerPid, apiPid, run.child.pid]).size).toBe(3);
    const ready = async () => (await fetch(`${lastHttp(run.out())}/readyz`)).status;
    expect(await ready()).toBe(200);

    process.kill(apiPid!, 'SIGKILL');
    await waitFor(() => banners(run.out()) === 3, 'the API group started again', 180_000);
    const restarted = groupPids(run.out(), 'enforcement,api');
    expect(restarted).toHaveLength(2);
    expect(restarted[1]).not.toBe(apiPid);
    expect(run.out()).toContain('process group exited: restarting it');
    expect(await ready()).toBe(200);
    expect(alive(brokerPid!)).toBe(true); // the other group went on

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(alive(brokerPid!)).toBe(false);
    expect(alive(restarted[1]!)).toBe(false);
  });

  it.skipIf(!url)('stops everything and exits 1 with the reason when a group cannot start', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    cleanup.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as net.AddressInfo).port;
    const run = await start({ SERVICES: 'broker,ingest|api', HTTP_PORT: String(port) });
    expect(await run.exited).toBe(1);
    expect(run.err()).toContain(`set HTTP_PORT to a free port`);
    expect(run.err()).toMatch(/error: process group api exited during start-up \(code 1\)/);
    const [brokerPid] = groupPids(run.out(), 'broker,ingest');
    expect(alive(brokerPid!)).toBe(false);
  });
});
