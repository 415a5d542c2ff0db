import type { Logger } from '../core/log.js';

/**
 * A sweep run at start and then every `intervalS`, never two at once (a sweep asked for while one runs
 * waits for it). The timer does not hold the process open; stop() waits for the running sweep.
 */
export class PeriodicSweep<T> {
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = true;

  constructor(
    private readonly work: () => Promise<T>,
    private readonly intervalS: number,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    await this.sweep();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.sweep()
        .catch((err: unknown) => this.log.error({ err }, `${this.what} failed`))
        .finally(() => this.schedule());
    }, this.intervalS * 1000);
    this.timer.unref();
  }

  sweep(): Promise<T> {
    const next = this.running.catch(() => undefined).then(() => this.work());
    this.running = next;
    return next;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running.catch(() => undefined);
  }
}
