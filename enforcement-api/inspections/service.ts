import type pg from 'pg';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import type { AdHocBody, ChecklistItemBody, InspectorBody, MarketEntityBody, OpenBody, ResultBody } from '../../contract/http/inspections.js';
import type { Position } from '../../contract/http/legal.js';
import type { Actor, Rejection } from '../domain/case-lifecycle.js';
import { periodKey, type CreditPolicy, type Period } from '../domain/credit.js';
import { localDate } from '../domain/legal-rules.js';
import { checklistOn, inspectors, itemChanges, itemVersions, putInspector, putItem } from './checklist-repository.js';
import { creditHistory, entities, entity, putEntity, recomputeCredit } from './entity-repository.js';
import { getInspection, listInspections, publicResults, recordRefusal, refusals, type InspectionSettings } from './inspection-repository.js';
import { confirmSecond, openFollowUpCase, openInspection, recordResult } from './workflow.js';
import { createPlan, drawPlanNow, publicPlans, type PlanRates } from './plan-repository.js';

export interface InspectionConfig extends InspectionSettings {
  timezone: string;
  rates: PlanRates;
  credit: { policy: CreditPolicy; lookbackDays: number; recompute: Period; checkIntervalS: number };
}

/**
 * Everything of inspections behind one object the API and the credit schedule take: reads and admin
 * writes go to the *-repository.ts modules, an inspection's steps to workflow.ts (one transaction
 * each); a refused step is recorded and counted here.
 */
export class InspectionService {
  private readonly refused;

  constructor(
    private readonly pool: pg.Pool,
    readonly config: InspectionConfig,
    metrics: Metrics,
  ) {
    this.refused = metrics.counter('inspection_refusals_total', 'inspection steps refused (opening outside the checklist, unregistered inspector, one inspector, repeat within the period …), by code', ['code']);
  }

  today(now = new Date()): string {
    return localDate(now, this.config.timezone);
  }

  checklist(on: string) { return checklistOn(this.pool, on); }
  async itemHistory(code: string) { return { code, versions: await itemVersions(this.pool, code), changes: await itemChanges(this.pool, code) }; }
  putItem(code: string, body: ChecklistItemBody, by: string) { return putItem(this.pool, code, body, by); }
  inspectors() { return inspectors(this.pool, this.today()); }
  putInspector(userId: string, body: InspectorBody, by: string) { return putInspector(this.pool, userId, body, by); }

  entities(colour?: string) { return entities(this.pool, colour); }
  entity(id: string) { return entity(this.pool, id); }
  creditHistory(id: string) { return creditHistory(this.pool, id); }
  putEntity(id: string | null, body: MarketEntityBody, party: { id: string; idType: string; kind: string } | null, by: string) {
    return putEntity(this.pool, id, body, party, by, this.today());
  }

  /** Recomputes the colour of one entity or all, now (trigger `demand`) or as the period's scheduled run. */
  async recompute(entityId: string | null, trigger: 'schedule' | 'demand', by: string | null, now = new Date()) {
    const period = periodKey(this.config.credit.recompute, new Date(`${this.today(now)}T00:00:00Z`));
    const r = await recomputeCredit(this.pool, entityId, { trigger, period, by, lookbackDays: this.config.credit.lookbackDays, policy: this.config.credit.policy, now });
    return { ...r, period };
  }

  createPlan(colour: 'yellow' | 'red', on: Date, by: string) { return createPlan(this.pool, colour, on, localDate(on, this.config.timezone), this.config.rates, by); }
  drawPlan(id: string, by: string) { return drawPlanNow(this.pool, id, by); }
  publicPlans(id?: string) { return publicPlans(this.pool, id); }
  publicResults(limit: number) { return publicResults(this.pool, this.today(), limit); }

  list(viewer: Actor, q: { state?: string; mine?: boolean }) { return listInspections(this.pool, viewer, q, this.config, this.today()); }
  get(id: string, viewer: Actor) { return getInspection(this.pool, id, viewer, this.config, this.today()); }
  refusals(limit: number) { return refusals(this.pool, limit); }

  /** Opens a planned inspection or one on the spot; a refusal is recorded and counted. */
  async open(actor: Actor, target: { id: string; body: OpenBody } | { adHoc: AdHocBody }): Promise<{ ok: true; id: string } | Rejection> {
    const r = await openInspection(this.pool, actor, target, this.config, this.today());
    if (!r.ok) await this.refuse(actor, r, 'id' in target ? { inspectionId: target.id } : { entityId: target.adHoc.entityId, itemCode: target.adHoc.itemCode });
    return r;
  }

  async confirm(id: string, actor: Actor, at: Position) {
    const r = await confirmSecond(this.pool, id, actor, at, this.config);
    if (!r.ok) await this.refuse(actor, r, { inspectionId: id });
    return r;
  }

  async result(id: string, actor: Actor, body: ResultBody) {
    const r = await recordResult(this.pool, id, actor, body);
    if (!r.ok) await this.refuse(actor, r, { inspectionId: id });
    return r;
  }

  followUp(id: string, actor: Actor, note: string | undefined) { return openFollowUpCase(this.pool, id, actor, note, this.today()); }

  private async refuse(actor: Actor, r: Rejection, what: { inspectionId?: string; entityId?: string; itemCode?: string }): Promise<void> {
    this.refused.inc({ code: r.code });
    await recordRefusal(this.pool, actor.id, r, what);
  }
}

/**
 * Recomputes every entity's colour once per CREDIT_RECOMPUTE period (quarterly by default): at start
 * and every CREDIT_CHECK_INTERVAL_S it runs the period's scheduled computation unless one exists.
 */
export class CreditSchedule {
  private timer?: NodeJS.Timeout;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly inspections: InspectionService,
    private readonly log: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => {
      this.running = this.tick();
    }, this.inspections.config.credit.checkIntervalS * 1000);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    try {
      const r = await this.inspections.recompute(null, 'schedule', null, this.clock());
      if (r.computed > 0) this.log.info({ period: r.period, computed: r.computed, changed: r.changed }, 'credit colours recomputed');
    } catch (err) {
      this.log.error({ err }, 'credit recomputation failed');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
