import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { Response } from 'express';
import { DomainError } from '@tsunagu/core';
import { MessageKey } from '../i18n/messages';
import { errorPage } from '../views/error.view';
import { ConsoleForbidden, ConsoleSignInRequired, CsrfRejected, PasswordChangeRequired } from './console-errors';
import { ConsoleRequest, pageContext, sendHtml } from './console-request';

function classify(err: unknown): { status: number; key: MessageKey } {
  if (err instanceof CsrfRejected) return { status: 403, key: 'error.csrf' };
  if (err instanceof ConsoleForbidden) return { status: 403, key: 'error.forbidden' };
  if (err instanceof DomainError) {
    if (err.code === 'NOT_FOUND' || err.code === 'INVALID_ID') return { status: 404, key: 'error.notFound' };
    if (err.status === 403) return { status: 403, key: 'error.forbidden' };
    if (err.status < 500) return { status: err.status === 409 ? 409 : 400, key: 'error.invalid' };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    if (status === 404) return { status, key: 'error.notFound' };
    if (status < 500) return { status, key: 'error.invalid' };
  }
  return { status: 500, key: 'error.internal' };
}

/** Console errors as pages (never JSON, never a stack): sign-in redirects, 403, 404, 400, 500. */
@Catch()
export class ConsoleFilter implements ExceptionFilter {
  private readonly log = new Logger('console');

  catch(err: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<ConsoleRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    if (err instanceof ConsoleSignInRequired) {
      res.redirect(303, '/console/login');
      return;
    }
    if (err instanceof PasswordChangeRequired) {
      res.redirect(303, '/console/password');
      return;
    }
    const { status, key } = classify(err);
    if (status >= 500) this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'console error');
    const ctx = pageContext(req, res);
    sendHtml(res, status, errorPage(ctx, ctx.i18n.t(key)));
  }
}
