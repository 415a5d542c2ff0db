import type { MqttClient } from 'mqtt';
import { connectService, type ServiceConnection } from '../core/mqtt-client.js';
import { topics } from '../contract/mqtt/topics.js';
import type { Rollout, RulesChanged } from '../contract/mqtt/control.js';
import type { ModelControl } from './routes/alerts.js';

/**
 * Control messages to inference workers: model rollouts, retained so every worker — now or later —
 * follows; and "zone rules changed", so running workers reload them at once.
 */
export class MqttModelControl implements ModelControl {
  private client?: Promise<MqttClient>;

  constructor(private readonly conn: ServiceConnection) {}

  async setRollout(name: string, rollout: Rollout): Promise<void> {
    this.client ??= connectService(this.conn, 'model-control');
    await (await this.client).publishAsync(topics.rollout(name), JSON.stringify(rollout), { qos: 1, retain: true });
  }

  async rulesChanged(): Promise<void> {
    this.client ??= connectService(this.conn, 'model-control');
    const message: RulesChanged = {};
    await (await this.client).publishAsync(topics.rulesChanged, JSON.stringify(message), { qos: 1 });
  }

  async close(): Promise<void> {
    if (this.client) await (await this.client).endAsync();
  }
}
