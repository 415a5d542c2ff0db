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
  const status = err.statusCode ?? 500;
  if (status < 500) {
    const code = err.code?.startsWith('FST_JWT') ? 'UNAUTHORIZED' : (FRAMEWORK_CODES[err.code] ?? err.code ?? 'BAD_REQUEST');
    void reply.status(status).send({ code, message: err.message });
    return;
  }
  request.log.error({ err, method: request.method, url: request.url }, 'request failed');
  void reply.status(500).send({ code: 'INTERNAL', message: 'internal error' });
}
