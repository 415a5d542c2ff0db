import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's own metrics (CPU, memory, event-loop delay, garbage collection), collected once per
 * process. prom-client's collectors watch for the life of the process (an event-loop monitor, a
 * garbage-collection observer) and cannot be stopped: collected into each platform's registry, they
 * kept every stopped platform — its registry, and through its gauges its database — alive.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * One metrics registry per platform instance (tests run several in one process). Services register
 * their own counters on it; the API serves it at /metrics in Prometheus text format, with the
 * process's own metrics when `withProcess`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #process: Registry | undefined;

  constructor(withProcess = false) {
    this.#process = withProcess ? processMetrics() : undefined;
  }

  readonly contentType = this.registry.contentType;

  /** Everything in Prometheus text format: this platform's metrics and, if asked for, the process's. */
  async text(): Promise<string> {
    return (this.#process ? Registry.merge([this.#process, this.registry]) : this.registry).metrics();
  }

  counter<L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: (this: Gauge<L>) => void | Promise<void>): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
  }

  /** Current value of a counter or gauge (summed over labels matching `labels`), for tests and health. */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const data = await metric.get();
    return data.values
      .filter((v) => Object.entries(labels).every(([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want))
      .reduce((sum, v) => sum + v.value, 0);
  }
}
