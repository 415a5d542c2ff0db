import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { listenError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { buildApp, type AppDeps } from './app.js';

/** Listens with the built app; closes gracefully (open streams end, in-flight requests finish). */
export class ApiService {
  private app?: FastifyInstance;
  private boundPort = 0;

  constructor(
    private readonly opts: { port: number; host: string },
    private readonly deps: AppDeps,
    private readonly log: Logger,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  get instance(): FastifyInstance {
    if (!this.app) throw new Error('api not started');
    return this.app;
  }

  async start(): Promise<void> {
    const app = await buildApp(this.deps);
    this.app = app;
    app.server.keepAliveTimeout = 65_000;
    app.server.requestTimeout = 30_000;
    try {
      await app.listen({ port: this.opts.port, host: this.opts.host });
    } catch (err) {
      await app.close();
      throw listenError(err, 'HTTP_PORT', this.opts.port);
    }
    this.boundPort = (app.server.address() as AddressInfo).port;
    this.log.info({ port: this.boundPort }, 'api listening');
  }

  async stop(): Promise<void> {
    await this.app?.close();
  }
}
