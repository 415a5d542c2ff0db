import { filters } from '../../contract/mqtt/topics.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { MqttClient } from 'mqtt';
import type { Logger } from '../../core/log.js';
import type { Metrics } from '../../core/metrics.js';
import { connectService, type ServiceConnection } from '../../core/mqtt-client.js';
import { Alert } from '../../contract/mqtt/alert.js';
import type { LiveBus } from '../live.js';
import type { CaseRepository } from './repository.js';

export const ALERT_FILTER = filters.alerts;
const checkAlert = TypeCompiler.Compile(Alert);

/**
 * Alerts from the broker → incidents and cases (idempotent by alert id) → the live stream. Alerts are
 * handled one at a time, in arrival order.
 */
export class AlertIntakeService {
  private client?: MqttClient;
  private chain: Promise<void> = Promise.resolve();
  private readonly outcomes;
  private readonly invalid;

  constructor(
    private readonly conn: ServiceConnection,
    private readonly cases: CaseRepository,
    private readonly bus: LiveBus,
    private readonly incidentWindowMin: number,
    private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.counter('enforcement_alerts_total', 'alerts taken in, by outcome', ['outcome']);
    this.invalid = metrics.counter('enforcement_alerts_invalid_total', 'alert messages refused', ['reason']);
  }

  get ready(): boolean {
    return this.client?.connected === true;
  }

  async start(): Promise<void> {
    const client = await connectService(this.conn, 'enforcement');
    this.client = client;
    client.on('message', (topic, payload) => {
      this.chain = this.chain.then(() => this.handle(topic, payload)).catch((err: unknown) => {
        this.outcomes.inc({ outcome: 'error' });
        this.log.error({ err, topic }, 'alert intake failed');
      });
    });
    await client.subscribeAsync(ALERT_FILTER, { qos: 1 });
  }

  private async handle(topic: string, payload: Buffer): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      this.invalid.inc({ reason: 'invalid_json' });
      this.log.warn({ topic }, 'alert is not JSON');
      return;
    }
    if (!checkAlert.Check(body)) {
      this.invalid.inc({ reason: 'schema' });
      this.log.warn({ topic, error: checkAlert.Errors(body).First()?.message }, 'alert does not match the schema');
      return;
    }
    const result = await this.cases.intake(body, this.incidentWindowMin);
    this.outcomes.inc({ outcome: result.outcome });
    switch (result.outcome) {
      case 'duplicate':
        return;
      // The intake transaction wrote the live event (outbox); this process's streams get it at once.
      case 'attached':
        this.bus.notify();
        return;
      case 'opened':
        if (result.case.teamId === null) this.log.warn({ case: result.case.id, zone: result.case.zoneId, route: result.route }, 'case in the fallback queue: no team can take it');
        else this.log.info({ case: result.case.id, team: result.case.teamId, route: result.route }, 'case opened');
        this.bus.notify();
        return;
      default: {
        const never: never = result;
        throw new Error(`unknown intake outcome ${JSON.stringify(never)}`);
      }
    }
  }

  async stop(): Promise<void> {
    if (this.client?.connected) await this.client.unsubscribeAsync(ALERT_FILTER);
    await this.chain;
    await this.client?.endAsync();
  }
}
