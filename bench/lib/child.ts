import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Child processes of the benchmarks: TypeScript entry points run with `node --import tsx`, an IPC
 * channel for commands and replies, optional CPU pinning (taskset) so the broker under test and the
 * load generators do not steal each other's core, and CPU-time accounting from /proc.
 */
export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Sends a command and resolves with the child's next reply of type `expect` (rejects on `error`). */
  request<T extends { type: string }>(msg: { type: string } & Record<string, unknown>, expect: string, timeoutMs?: number): Promise<T>;
  /** Resolves with the next message of this type. */
  next<T extends { type: string }>(expect: string, timeoutMs?: number): Promise<T>;
  /** Graceful stop (`stop` command), then SIGKILL after a grace period. */
  stop(graceMs?: number): Promise<void>;
}

interface Reply {
  type: string;
  message?: string;
}

const isReply = (m: unknown): m is Reply => typeof m === 'object' && m !== null && typeof (m as Reply).type === 'string';

/**
 * The CPUs this process may use, counted when the module loads: bench:broker then pins itself to the
 * load cores, after which the count would be theirs alone and the broker would share them.
 */
const CPUS = os.availableParallelism();

/** CPUs to pin to, or undefined when pinning is off or pointless (one CPU, no taskset). */
export function cpuSet(which: 'broker' | 'load'): string | undefined {
  if (process.env.BENCH_PIN === '0' || CPUS < 2) return undefined;
  const n = CPUS;
  // The broker under test gets the last core to itself; load generators and the subscriber share the rest.
  return which === 'broker' ? String(n - 1) : `0-${n - 2}`;
}

/** Starts `bench/<file>` (TypeScript) as a child with an IPC channel. */
export function startChild(name: string, file: string, env: Record<string, string>, cpus?: string, nodeArgs: string[] = []): Child {
  const script = fileURLToPath(new URL(`../${file}`, import.meta.url));
  const node = [...nodeArgs, '--import', 'tsx', script];
  const [cmd, args] = cpus ? ['taskset', ['-c', cpus, process.execPath, ...node]] : [process.execPath, node];
  const proc = spawn(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  if (proc.pid === undefined) throw new Error(`cannot start ${name}`);
  const waiters: { expect: string; resolve(m: Reply): void; reject(e: Error): void }[] = [];
  let exited: Error | undefined;
  proc.on('message', (m: unknown) => {
    if (!isReply(m)) return;
    const i = m.type === 'error' ? 0 : waiters.findIndex((w) => w.expect === m.type);
    const w = i >= 0 ? waiters.splice(i, 1)[0] : undefined;
    if (!w) return;
    if (m.type === 'error') w.reject(new Error(`${name}: ${m.message ?? 'failed'}`));
    else w.resolve(m);
  });
  proc.on('exit', (code, signal) => {
    exited = new Error(`${name} exited (${signal ?? code})`);
    for (const w of waiters.splice(0)) w.reject(exited);
  });
  const next = <T>(expect: string, timeoutMs = 300_000) =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(exited);
      const timer = setTimeout(() => reject(new Error(`${name}: no '${expect}' within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({
        expect,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  return {
    name,
    proc,
    pid: proc.pid,
    next,
    request<T>(msg: { type: string }, expect: string, timeoutMs?: number) {
      const p = next<T>(expect, timeoutMs);
      proc.send(msg);
      return p;
    },
    async stop(graceMs = 20_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      if (proc.connected) proc.send({ type: 'stop' });
      else proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}

/** USER_HZ: 100 on every Linux we run on (`getconf CLK_TCK`). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process (all its threads) has used so far; NaN where /proc is missing. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** In a child: handles parent commands; errors are sent back instead of crashing silently. */
export function serve(handlers: Record<string, (msg: Record<string, unknown>) => Promise<Record<string, unknown> & { type: string }>>): void {
  if (!process.send) throw new Error('run this file through the benchmark, not directly');
  const send = (m: unknown) => process.send?.(m);
  process.on('message', (m: unknown) => {
    if (!isReply(m)) return;
    const h = handlers[m.type];
    if (!h) return void send({ type: 'error', message: `unknown command ${m.type}` });
    h(m as unknown as Record<string, unknown>).then(send, (err: unknown) => send({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
  });
  // The parent going away (Ctrl-C, crash) must not leave this process behind.
  process.on('disconnect', () => process.exit(0));
}

/**
 * Seconds a process's threads have spent on a CPU and runnable but waiting for one, so far
 * (/proc/<pid>/task/<tid>/schedstat, summed over threads); NaN where it is missing. A process that
 * waits as long as it runs is held back by the machine, not by itself.
 */
export function schedSeconds(pid: number): { run: number; wait: number } {
  try {
    let run = 0;
    let wait = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const [r, w] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
      run += (r ?? 0) / 1e9;
      wait += (w ?? 0) / 1e9;
    }
    return { run, wait };
  } catch {
    return { run: Number.NaN, wait: Number.NaN };
  }
}

/**
 * The node flags `npm start` runs the platform with (package.json's start script, before `--import`),
 * so the platform under test runs as it does in production; BENCH_PLATFORM_NODE_ARGS replaces them.
 */
export function platformNodeArgs(): string[] {
  const override = process.env.BENCH_PLATFORM_NODE_ARGS;
  if (override !== undefined) return override.split(' ').filter(Boolean);
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  return words.slice(1, words.indexOf('--import')).filter((w) => w.startsWith('--'));
}

/**
 * The platform process under test (bench/target.ts) with `services`, its DATA_DIR `tmp/data`, `devices`
 * provisioned and their credentials written to `tmp/devices.json`, run with platformNodeArgs().
 */
export function startPlatformChild(services: string, tmp: string, devices: number, servicePassword: string, databaseUrl: string | undefined): Child {
  return startChild('platform', 'target.ts', {
    SERVICES: services,
    DATA_DIR: path.join(tmp, 'data'),
    MQTT_SERVICE_PASSWORD: servicePassword,
    BENCH_DEVICES: String(devices),
    BENCH_DEVICES_FILE: path.join(tmp, 'devices.json'),
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  }, undefined, platformNodeArgs());
}

/**
 * A second platform process (bench/target.ts) beside a first whose broker listens on `mqttPort` and
 * whose DATA_DIR is `tmp/data`: its own DATA_DIR, no devices of its own, the same service password,
 * database and key sealing the database's secrets — as `SERVICES=…|…` runs a second group.
 */
export function startSecondPlatform(services: string, tmp: string, mqttPort: number, servicePassword: string, databaseUrl: string): Child {
  return startChild('platform-2', 'target.ts', {
    SERVICES: services,
    DATA_DIR: path.join(tmp, 'data-2'),
    MQTT_URL: `mqtt://127.0.0.1:${mqttPort}`,
    MQTT_SERVICE_PASSWORD: servicePassword,
    BENCH_DEVICES: '0',
    SECRETS_KEY_FILE: path.join(tmp, 'data', 'secrets.key'),
    DATABASE_URL: databaseUrl,
  }, undefined, platformNodeArgs());
}
