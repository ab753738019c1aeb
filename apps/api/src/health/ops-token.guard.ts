import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Request } from 'express';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { DomainError } from '@tsunagu/core';
import { safeEqual } from '@tsunagu/security';

/**
 * The request's bearer token against `expected` (compared in constant time), from the variable
 * named `variable`: closed (403) while that is unset, 401 for any other token.
 */
export function requireBearer(context: ExecutionContext, expected: string | undefined, variable: string, what: string): true {
  if (!expected) throw new DomainError('FORBIDDEN', `This endpoint is closed until ${variable} is set; then send it as Authorization: Bearer <token>.`);
  const header = context.switchToHttp().getRequest<Request>().headers.authorization;
  const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
  if (!token || !safeEqual(token, expected)) throw new DomainError('UNAUTHENTICATED', `Send ${what} (${variable}) as Authorization: Bearer <token>.`);
  return true;
}

/**
 * The operators' endpoints (`/health` with every channel's detail, `/metrics`) name providers'
 * accounts, hosts and load: they take the operations token (`TSUNAGU_OPS_TOKEN`) as a bearer
 * token, compared in constant time, and stay closed while none is configured. The orchestrator's
 * probes, `/health/live` and `/health/ready`, say only up or down and need none.
 */
@Injectable()
export class OpsTokenGuard implements CanActivate {
  constructor(@Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig) {}

  canActivate(context: ExecutionContext): boolean {
    return requireBearer(context, this.config.http.opsToken, 'TSUNAGU_OPS_TOKEN', 'the operations token');
  }
}
