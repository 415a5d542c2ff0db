import { describe, expect, it } from 'vitest';
import { createLogger, redactUrl } from '../../core/log.js';

describe('logging', () => {
  it('hides tokens carried in URLs', () => {
    expect(redactUrl('/api/v1/stream?access_token=eyJabc.def&x=1')).toBe('/api/v1/stream?access_token=[redacted]&x=1');
    expect(redactUrl('/api/v1/cases?limit=5')).toBe('/api/v1/cases?limit=5');
  });

  it('never writes a token, password or secret', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (line: string) => void lines.push(line) });
    log.child({ svc: 'api' }).info({ req: { method: 'GET', url: '/api/v1/stream?access_token=tok-123' } }, 'incoming request');
    log.info({ body: { password: 'pw-456' }, secret: 'sec-789' }, 'something');
    const out = lines.join('');
    expect(out).toContain('/api/v1/stream?access_token=[redacted]');
    for (const leaked of ['tok-123', 'pw-456', 'sec-789']) expect(out).not.toContain(leaked);
  });
});
