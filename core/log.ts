import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Hides credentials carried in URLs (the live stream takes its token as `access_token`). */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:access_token|token|password)=)[^&]*/gi, '$1[redacted]');
}

interface RequestLike {
  method?: string;
  url?: string;
  ip?: string;
}

/** The root logger: JSON lines, pretty only on a terminal. One child per module: `log.child({ svc })`. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const pretty = !destination && process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  const options: pino.LoggerOptions = {
    level,
    base: undefined,
    serializers: {
      err: pino.stdSerializers.err,
      req: (req: RequestLike) => ({ method: req.method, url: req.url === undefined ? undefined : redactUrl(req.url), ip: req.ip }),
    },
    redact: { paths: ['password', '*.password', 'secret', '*.secret', 'req.headers.authorization'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
  return destination ? pino(options, destination) : pino(options);
}
