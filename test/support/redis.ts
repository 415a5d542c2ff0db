import net from 'node:net';
import { createRequire } from 'node:module';

/**
 * The Redis the clustering tests use: REDIS_URL, else the local server. Each test file takes its own
 * database number (keys of sessions and retained messages are per database; publishes carry ids
 * unique to the run) and empties it first.
 */
const require = createRequire(import.meta.url);

export const REDIS_BASE = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Whether Redis answers at all (a test skips with a message when it does not). */
export async function redisReachable(url = REDIS_BASE): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A Redis URL on database `db`, emptied. */
export async function freshRedis(db: number): Promise<string> {
  const url = `${REDIS_BASE.replace(/\/\d*$/, '')}/${db}`;
  const Redis = require('ioredis') as new (url: string) => { flushdb(): Promise<unknown>; quit(): Promise<unknown> };
  const r = new Redis(url);
  await r.flushdb();
  await r.quit();
  return url;
}
