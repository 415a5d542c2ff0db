import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import { PeriodicSweep } from '../periodic.js';
import type { ComplaintService } from './service.js';

type Escalated = Awaited<ReturnType<ComplaintService['escalateDue']>>;

/**
 * The coordination queue's escalation: a complaint no team took waits at most COMPLAINT_COORDINATION_MIN
 * at each level (the operations desk, its lead, the agency head); the sweep raises it and records the
 * escalation in the complaint's history. Runs at start and every `intervalS` (ESCALATION_INTERVAL_S);
 * the level is kept in the database under a row lock, so a restart or a second process never escalates twice.
 */
export class CoordinationEscalation {
  private readonly periodic: PeriodicSweep<Escalated>;
  private readonly escalated;

  constructor(
    private readonly complaints: ComplaintService,
    private readonly log: Logger,
    metrics: Metrics,
    intervalS: number,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.escalated = metrics.counter('complaints_coordination_escalations_total', 'complaints escalated from the coordination queue, by level reached', ['level']);
    this.periodic = new PeriodicSweep(() => this.escalateDue(), intervalS, log, 'coordination sweep');
  }

  start(): Promise<void> {
    return this.periodic.start();
  }

  /** Escalates every queued complaint past its deadline; sweeps never overlap. */
  sweep(): Promise<Escalated> {
    return this.periodic.sweep();
  }

  private async escalateDue(): Promise<Escalated> {
    const done = await this.complaints.escalateDue(this.clock());
    for (const e of done) {
      this.escalated.inc({ level: String(e.level) });
      this.log.warn({ complaint: e.trackingNumber, level: e.level, to: e.to }, 'complaint escalated from the coordination queue');
    }
    return done;
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
