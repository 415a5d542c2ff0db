import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config, ServiceName } from './core/config.js';
import type { Logger } from './core/log.js';
import { newSecret } from './core/secrets.js';

/**
 * `SERVICES=broker,ingest|inference,enforcement,api npm start`: one child process per group, on one
 * machine, so the services use every core. The supervisor starts the groups one after another (the
 * broker's first, the others then told where it listens), restarts a child that dies after it was
 * running (at most RESTARTS times in RESTART_WINDOW_MS, then everything stops and the supervisor exits
 * 1 naming the group), and on SIGTERM / SIGINT stops the groups in reverse order, each draining as
 * `npm start` does, and exits 0 when all of them did. A child that fails to start stops everything at
 * once (a port in use or a bad setting would fail again).
 */
export const RESTARTS = 3;
export const RESTART_WINDOW_MS = 60_000;
/** How long a child may take to drain after SIGTERM before it is killed. */
const STOP_TIMEOUT_MS = 60_000;

/** Whether a child that died may be started again: at most `max` restarts within `windowMs`. */
export class RestartBudget {
  private readonly times: number[] = [];
  constructor(
    private readonly max = RESTARTS,
    private readonly windowMs = RESTART_WINDOW_MS,
  ) {}

  /** Records a death at `now`; true = restart it, false = the budget is spent. */
  allow(now: number): boolean {
    while (this.times.length > 0 && now - this.times[0]! >= this.windowMs) this.times.shift();
    if (this.times.length >= this.max) return false;
    this.times.push(now);
    return true;
  }
}

/** What a child reports once its services run (main.ts sends it through the IPC channel). */
export interface ReadyMessage {
  type: 'ready';
  mqttPort?: number;
  httpPort?: number;
}

/** The groups in start order: the broker's first (the others connect to it), then as written. */
export function startOrder(groups: readonly (readonly ServiceName[])[]): ServiceName[][] {
  const withBroker = groups.filter((g) => g.includes('broker'));
  return [...withBroker, ...groups.filter((g) => !g.includes('broker'))].map((g) => [...g]);
}

interface Member {
  services: ServiceName[];
  name: string;
  child?: ChildProcess;
  budget: RestartBudget;
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

export class SupervisorError extends Error {}

export class Supervisor {
  private readonly members: Member[];
  private stopping = false;
  private failed?: (err: Error) => void;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly config: Config,
    env: NodeJS.ProcessEnv,
    private readonly log: Logger,
  ) {
    this.members = startOrder(config.processGroups).map((services) => ({ services, name: services.join(','), budget: new RestartBudget() }));
    // Every child uses the same service account password, so the others can log in to the broker's.
    this.env = { ...env, MQTT_SERVICE_PASSWORD: config.mqtt.servicePassword ?? newSecret() };
  }

  /** Starts every group; resolves with the exit code once they stopped (signal) or one failed. */
  async run(): Promise<number> {
    const failure = new Promise<Error>((resolve) => (this.failed = resolve));
    try {
      for (const m of this.members) await this.spawn(m);
    } catch (err) {
      if (!this.stopping) {
        process.stderr.write(`error: ${(err as Error).message}\n`);
        await this.stopAll();
        return 1;
      }
    }
    if (!this.stopping) this.log.info({ groups: this.members.map((m) => ({ services: m.name, pid: m.child?.pid })) }, 'all process groups running');
    const err = await failure;
    if (!(err instanceof SupervisorError)) return err.message === 'stopped' ? 0 : 1;
    process.stderr.write(`error: ${err.message}\n`);
    await this.stopAll();
    return 1;
  }

  /** SIGTERM / SIGINT: stop in reverse start order, each group draining. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    const clean = await this.stopAll();
    this.failed?.(new Error(clean ? 'stopped' : 'a process group did not stop cleanly'));
  }

  private async stopAll(): Promise<boolean> {
    this.stopping = true;
    let clean = true;
    for (const m of [...this.members].reverse()) {
      const child = m.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) {
        clean = false;
        this.log.error({ services: m.name, code }, 'process group did not stop cleanly');
      }
    }
    return clean;
  }

  /** Forks one group and waits for it to report ready; later deaths are handled by `died`. */
  private async spawn(m: Member): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...this.env, SERVICES: m.services.join(',') };
    const child = fork(MAIN, [], { env, execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    m.child = child;
    this.log.info({ services: m.name, pid: child.pid }, 'process group started');
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      child.once('exit', (code, signal) => reject(new SupervisorError(`process group ${m.name} exited during start-up (${signal ?? `code ${code}`})`)));
      child.on('message', (msg: ReadyMessage) => {
        if (msg?.type === 'ready') resolve(msg);
      });
    });
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => void this.died(m, child, code, signal));
    // The groups started after the broker's reach it where it listens (its port may have been 0).
    if (m.services.includes('broker') && ready.mqttPort && !this.config.mqtt.url) this.env.MQTT_URL = `mqtt://127.0.0.1:${ready.mqttPort}`;
  }

  private async died(m: Member, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    if (this.stopping || m.child !== child) return;
    const how = signal ?? `code ${code}`;
    if (!m.budget.allow(Date.now())) {
      this.failed?.(new SupervisorError(`process group ${m.name} exited (${how}) ${RESTARTS + 1} times within ${RESTART_WINDOW_MS / 1000} s: giving up`));
      return;
    }
    this.log.warn({ services: m.name, exit: how }, 'process group exited: restarting it');
    try {
      await this.spawn(m);
    } catch (err) {
      this.failed?.(err as Error);
    }
  }
}
