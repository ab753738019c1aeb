import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Response } from 'express';
import { InvalidInboundError } from '@tsunagu/channels';
import { DomainError, ERROR_STATUS, ErrorCode } from '@tsunagu/core';
import { isDatabaseAway } from '@tsunagu/engine';

interface ErrorBody {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

function fromHttpException(err: HttpException): { status: number; body: ErrorBody } {
  const status = err.getStatus();
  const response = err.getResponse() as { message?: unknown; code?: string } | string;
  if (typeof response === 'object' && response.code && response.code in ERROR_STATUS) {
    return { status, body: { code: response.code, message: String(response.message ?? response.code) } };
  }
  const messages = typeof response === 'object' && Array.isArray(response.message) ? (response.message as string[]) : [];
  if (status === 400 && messages.length) {
    const unknown = messages.filter((m) => m.includes('should not exist'));
    if (unknown.length) {
      return { status, body: { code: 'UNKNOWN_FIELD', message: 'The body has fields this API does not take.', details: { problems: unknown } } };
    }
    return { status, body: { code: 'INVALID_REQUEST', message: 'The request body is not valid.', details: { problems: messages } } };
  }
  const byStatus: Record<number, ErrorCode> = { 404: 'NOT_FOUND', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 429: 'RATE_LIMITED' };
  const code = byStatus[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_REQUEST');
  return { status, body: { code, message: typeof response === 'string' ? response : err.message } };
}

function isHealthReport(response: unknown): boolean {
  return typeof response === 'object' && response !== null && (response as { status?: unknown }).status === 'error' && 'details' in response;
}

/** One mapping from every error to `{ code, message, details? }` and its HTTP status. */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('http');
  private awayLoggedAt = 0;

  catch(err: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status: number;
    let body: ErrorBody;
    const bodyParserType = (err as { type?: string }).type;
    if (err instanceof DomainError) {
      status = err.status;
      body = { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
    } else if (err instanceof InvalidInboundError) {
      status = err.code === 'INVALID_SIGNATURE' ? 401 : 400;
      body = { code: err.code, message: err.message };
    } else if (bodyParserType === 'entity.too.large') {
      status = 413;
      body = { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is larger than this API accepts.' };
    } else if (err instanceof HttpException && isHealthReport(err.getResponse())) {
      // A failing health check answers 503 with the checker's own report of what is down.
      res.status(err.getStatus()).json(err.getResponse());
      return;
    } else if (err instanceof HttpException) {
      ({ status, body } = fromHttpException(err));
    } else if (isDatabaseAway(err)) {
      // A restart, a failover, a deadlock: the client's retry (same Idempotency-Key) is the whole
      // remedy, so it gets a 503 it can act on, and the log one line a second rather than a stack per request.
      status = 503;
      body = { code: 'UNAVAILABLE', message: 'The message store could not complete this request just now; retry with the same Idempotency-Key.', details: { retryAfterSeconds: 1 } };
      if (Date.now() - this.awayLoggedAt >= 1000) {
        this.awayLoggedAt = Date.now();
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'database away: answering 503');
      }
    } else {
      status = 500;
      body = { code: 'INTERNAL', message: 'Something went wrong on our side; the request id identifies it in our logs.' };
      this.log.error({ err: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined }, 'unhandled error');
    }
    if (res.headersSent) return;
    if (status === 429 || status === 503) res.setHeader('retry-after', String((body.details?.retryAfterSeconds as number) ?? 1));
    res.status(status).json(body);
  }
}
