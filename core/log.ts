import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The root logger: JSON lines, pretty only on a terminal. One child per module: `log.child({ svc })`. */
export function createLogger(level: string): Logger {
  const pretty = process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  return pino({
    level,
    base: undefined,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
