import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { requireBearer } from '../health/ops-token.guard';

/**
 * The operators' decisions (`/ops/*`: approving any organisation's senders) take the operator
 * token (`TSUNAGU_OPERATOR_TOKEN`), never the operations token: that one reads `/health` and
 * `/metrics` and sits in monitoring's scrape config, and whoever can read metrics must not be
 * able to approve a sender. Closed while unset; the config refuses the two being the same.
 */
@Injectable()
export class OperatorTokenGuard implements CanActivate {
  constructor(@Inject(TSUNAGU_CONFIG) private readonly config: TsunaguConfig) {}

  canActivate(context: ExecutionContext): boolean {
    return requireBearer(context, this.config.http.operatorToken, 'TSUNAGU_OPERATOR_TOKEN', 'the operator token');
  }
}
