import type { MqttClient } from 'mqtt';
import { connectService, type ServiceConnection } from '../core/mqtt-client.js';
import { rolloutTopic, type Rollout } from '../inference/model-store.js';
import type { ModelControl } from './routes/alerts.js';

/** Publishes model rollouts as retained messages, so every inference worker — now or later — follows. */
export class MqttModelControl implements ModelControl {
  private client?: Promise<MqttClient>;

  constructor(
    private readonly conn: ServiceConnection,
    readonly dirs: readonly string[],
  ) {}

  async setRollout(name: string, rollout: Rollout): Promise<void> {
    this.client ??= connectService(this.conn, 'model-control');
    await (await this.client).publishAsync(rolloutTopic(name), JSON.stringify(rollout), { qos: 1, retain: true });
  }

  async close(): Promise<void> {
    if (this.client) await (await this.client).endAsync();
  }
}
