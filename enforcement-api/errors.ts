import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** An error a client can act on: HTTP status + stable machine-readable code. */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export { ErrorBody } from '../contract/http/common.js';

/** Fastify's own 4xx codes, as this API's stable ones. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VALIDATION',
};

/**
 * Text PostgreSQL cannot store: NUL (U+0000) and unpaired UTF-16 surrogates. Refused at the edge with
 * 400 rather than reaching the database as a 500 (and, on the embedded engine, a dropped connection).
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The first path in a request part (params, query, JSON body) whose text PostgreSQL cannot store. */
export function unstorableText(value: unknown, at = '', depth = 0): string | undefined {
  if (typeof value === 'string') return UNSTORABLE.test(value) ? at || '/' : undefined;
  if (depth > 32 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const hit = UNSTORABLE.test(k) ? `${at}/${k}` : unstorableText(v, `${at}/${k}`, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/** Fastify hook: every request's params, query and JSON body are checked before validation. */
export async function refuseUnstorableText(request: FastifyRequest): Promise<void> {
  for (const part of ['params', 'query', 'body'] as const) {
    const at = unstorableText(request[part]);
    if (at) throw new AppError(400, 'VALIDATION', `${part}${at === '/' ? '' : at} holds a NUL character or an unpaired surrogate`);
  }
}

/** PostgreSQL's class 22 (data exception: bad text, number out of range, invalid date…) is the caller's input. */
const isDataException = (err: unknown) => /^22/.test(String((err as { code?: unknown }).code ?? ''));

/** One central handler: 4xx carry their message and code; 5xx are logged and answered generically. */
export function errorHandler(err: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof AppError) {
    void reply.status(err.statusCode).send({ code: err.code, message: err.message });
    return;
  }
  if (err.validation) {
    void reply.status(400).send({ code: 'VALIDATION', message: err.message });
    return;
  }
  if (isDataException(err)) {
    request.log.warn({ err, method: request.method, url: request.url }, 'input refused by the database');
    void reply.status(400).send({ code: 'VALIDATION', message: 'a value is not valid for its field' });
    return;
  }
  const status = err.statusCode ?? 500;
  if (status < 500) {
    const code = err.code?.startsWith('FST_JWT') ? 'UNAUTHORIZED' : (FRAMEWORK_CODES[err.code] ?? err.code ?? 'BAD_REQUEST');
    void reply.status(status).send({ code, message: err.message });
    return;
  }
  request.log.error({ err, method: request.method, url: request.url }, 'request failed');
  void reply.status(500).send({ code: 'INTERNAL', message: 'internal error' });
}
