import net from 'node:net';
import type pg from 'pg';

/**
 * Faults injected from outside the code under test: a pool whose connections fail or hang on demand,
 * and a TCP proxy whose cut looks to both ends like a process that died.
 */

/** Raised by a `fail` fault: what a repository sees when the database is down. */
export class InjectedDatabaseFault extends Error {}

export interface FaultyPool {
  /** The pool to hand to the code under test. */
  pool: pg.Pool;
  /** From now on every new connection fails (`fail`, the database is down) or waits (`hang`, it stops answering); null heals it. */
  set(mode: 'fail' | 'hang' | null): void;
  /** Connection requests and queries held by a `hang` fault right now. */
  readonly hanging: number;
  /** Of those, connection requests (`connect()`: ingest's batch transactions; its single statements are queries). */
  readonly hangingConnects: number;
}

/** Wraps a pool: `connect()` and `query()` obey the injected fault; everything else is the real pool. */
export function faultyPool(real: pg.Pool): FaultyPool {
  let mode: 'fail' | 'hang' | null = null;
  let release = () => {};
  let healed = Promise.resolve();
  let hanging = 0;
  let hangingConnects = 0;
  const obey = async (isConnect = false) => {
    if (mode === 'fail') throw new InjectedDatabaseFault('injected fault: database unavailable');
    if (mode === 'hang') {
      hanging++;
      if (isConnect) hangingConnects++;
      await healed;
      hanging--;
      if (isConnect) hangingConnects--;
    }
  };
  const connect = async () => {
    await obey(true);
    return real.connect();
  };
  const query = async (...args: unknown[]) => {
    await obey();
    return (real.query as (...a: unknown[]) => Promise<unknown>).apply(real, args);
  };
  const pool = new Proxy(real, {
    get(target, key, receiver) {
      if (key === 'connect') return connect;
      if (key === 'query') return query;
      const v: unknown = Reflect.get(target, key, receiver);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    pool,
    set(next) {
      release();
      mode = next;
      healed = new Promise<void>((resolve) => (release = resolve));
      if (next === null) release();
    },
    get hanging() {
      return hanging;
    },
    get hangingConnects() {
      return hangingConnects;
    },
  };
}

export interface Proxy {
  /** `mqtt://127.0.0.1:port` of the proxy. */
  url: string;
  /** Drops every connection at once and refuses new ones: the client behind it is gone. */
  cut(): Promise<void>;
  /** After a cut: takes connections again on the same port (the client behind it can come back). */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy to `target` (host:port of e.g. the broker). */
export async function tcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<Proxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(targetPort, targetHost);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async cut() {
      const closed = close();
      for (const s of sockets) s.destroy();
      await closed;
    },
    reopen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close,
  };
}
