import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string>;
  body: string;
}

/**
 * A real HTTP webhook receiver on an ephemeral port of 127.0.0.1: records every request and answers
 * `status` (200 unless told otherwise). `down()` closes the port (connections refused) and `up()`
 * listens again on the same port, as a subscriber that was down for a while.
 */
export class Receiver {
  readonly received: Received[] = [];
  status = 200;
  private server?: http.Server;
  private port = 0;

  async up(): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        this.received.push({ headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(this.status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Messages received with this webhook-id. */
  withId(id: string): Received[] {
    return this.received.filter((r) => r.headers['webhook-id'] === id);
  }

  /** Parsed bodies of the messages received so far. */
  bodies<T = { type: string; data: { case: { id: string; kind: string } } }>(): T[] {
    return this.received.map((r) => JSON.parse(r.body) as T);
  }
}
