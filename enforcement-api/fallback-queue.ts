import type { Metrics } from '../core/metrics.js';
import type { CaseRepository } from './cases/repository.js';

/** The alarm on the fallback queue, wherever /metrics is served: open cases no team could take. */
export function watchFallbackQueue(metrics: Metrics, cases: CaseRepository): void {
  metrics.gauge('enforcement_fallback_queue_cases', 'open cases no team could take, waiting in the fallback queue for an operator', [], async function () {
    try {
      this.set(await cases.fallbackCount());
    } catch {
      // The database is unavailable: /metrics still answers, with the last value.
    }
  });
}
