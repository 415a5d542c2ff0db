import type pg from 'pg';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import { inTransaction } from '../../core/db/transaction.js';
import { appendLiveEvent, type LiveBus } from '../live.js';
import { dueDeadlines, escalateDeadline, type Escalation } from './deadlines.js';
import { PeriodicSweep } from '../periodic.js';

export interface EscalationOptions {
  /** ESCALATION_INTERVAL_S: how often due deadlines are looked for. */
  intervalS: number;
  /** The time deadlines are measured against (tests move it). */
  clock?: () => Date;
  /** Deadlines escalated per query. */
  batch?: number;
}

/**
 * Finds SLA deadlines that passed while still open (enforcement-api/domain/sla.ts) and escalates each exactly
 * once: the deadline is marked and its `sla.escalated` (or, for a decision-deadline warning,
 * `sla.warning`) case event appended in one transaction, then the team — its lead — is told on the live
 * stream. Runs at start (so a deadline missed while the process was down escalates then) and every
 * `intervalS`. Deadlines live in the database: a restart, or a second process, never escalates twice.
 */
export class EscalationService {
  private readonly periodic: PeriodicSweep<Escalation[]>;
  private readonly clock: () => Date;
  private readonly escalations;

  constructor(
    private readonly pool: pg.Pool,
    private readonly bus: LiveBus,
    private readonly log: Logger,
    metrics: Metrics,
    private readonly options: EscalationOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.escalations = metrics.counter('enforcement_sla_escalations_total', 'SLA deadlines missed and escalated to the team lead (type=escalated), decision-deadline warnings crossed (type=warning)', ['type', 'deadline', 'kind']);
    this.periodic = new PeriodicSweep(() => this.escalateDue(), options.intervalS, log, 'deadline sweep');
  }

  start(): Promise<void> {
    return this.periodic.start();
  }

  /** Escalates every deadline due now; sweeps never overlap. Returns what it escalated. */
  sweep(): Promise<Escalation[]> {
    return this.periodic.sweep();
  }

  private async escalateDue(): Promise<Escalation[]> {
    const now = this.clock();
    const batch = this.options.batch ?? 100;
    const done: Escalation[] = [];
    for (;;) {
      const due = await dueDeadlines(this.pool, now, batch);
      let progressed = 0;
      for (const d of due) {
        // The live event is written in the escalation's own transaction: it exists iff the escalation does.
        const e = await inTransaction(this.pool, async (client) => {
          const escalated = await escalateDeadline(client, d.caseId, d.name, now);
          // Team-scoped: the team's lead (and its officers) get it; with no team, the operations centre.
          if (escalated) await appendLiveEvent(client, { type: 'case.updated', teamId: escalated.teamId, caseId: escalated.caseId, reason: escalated.event.type });
          return escalated;
        });
        if (!e) continue;
        progressed++;
        done.push(e);
        this.escalations.inc({ type: e.deadline.kind === 'warning' ? 'warning' : 'escalated', deadline: e.deadline.name, kind: e.kind });
        this.log.warn({ case: e.caseId, deadline: e.deadline.name, dueAt: e.deadline.dueAt, team: e.teamId, to: e.deadline.escalatedTo }, e.event.type);
        this.bus.notify();
      }
      if (due.length < batch || progressed === 0) return done;
    }
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }
}
