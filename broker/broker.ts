import net from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../core/log.js';
import type { Metrics } from '../core/metrics.js';
import { listenError } from '../core/errors.js';
import { createPolicy, type PolicyDeps } from './policy.js';

export interface BrokerOptions {
  port: number;
  host: string;
}

/** The embedded MQTT broker (Aedes, MQTT 3.1.1) with the device policy plugged into its hooks. */
export class BrokerService {
  private aedes?: Aedes;
  private server?: net.Server;
  private boundPort = 0;

  constructor(
    private readonly opts: BrokerOptions,
    private readonly deps: Omit<PolicyDeps, 'log' | 'metrics'>,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server?.listening === true;
  }

  async start(): Promise<void> {
    const policy = createPolicy({ ...this.deps, log: this.log, metrics: this.metrics });
    const aedes = await Aedes.createBroker({
      authenticate: policy.authenticate,
      authorizePublish: policy.authorizePublish,
      authorizeSubscribe: policy.authorizeSubscribe,
    });
    this.aedes = aedes;
    this.metrics.gauge('mqtt_connected_clients', 'clients connected to the broker', [], function () {
      this.set(aedes.connectedClients);
    });
    aedes.on('clientError', (client, err) => this.log.debug({ clientId: client.id, err: err.message }, 'client error'));
    aedes.on('connectionError', (client, err) => this.log.debug({ clientId: client.id, err: err.message }, 'connection error'));
    const server = net.createServer(aedes.handle);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(listenError(err, 'MQTT_PORT', this.opts.port)));
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    this.boundPort = (server.address() as net.AddressInfo).port;
    this.log.info({ port: this.boundPort }, 'mqtt broker listening');
  }

  async stop(): Promise<void> {
    // Stop accepting, disconnect every client (Aedes sends their last wills), then wait for the sockets.
    const server = this.server;
    const closed = server?.listening ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    const aedes = this.aedes;
    if (aedes && !aedes.closed) await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await closed;
  }
}
