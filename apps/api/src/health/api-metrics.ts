import { Injectable } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';

/** What a provider webhook came to: events applied, nothing we act on (200 all the same), or refused (4xx). */
export type WebhookOutcome = 'applied' | 'ignored' | 'refused';

/**
 * This api process's metrics registry, served on `/metrics`. Most figures are read from
 * PostgreSQL or Redis at scrape time; what only this process sees (the webhooks it answered) is
 * counted here, so each api process is scraped on its own, as Prometheus does.
 */
@Injectable()
export class ApiMetrics {
  readonly registry = new Registry();

  /**
   * BAD-INPUTS 36: a webhook for an account or event type we do not know is answered 200 (so the
   * provider does not retry it forever) and ignored, but never silently: it is counted here.
   */
  readonly webhooks = new Counter({
    name: 'tsunagu_webhook_requests_total',
    help: 'Provider webhook requests by channel and outcome (applied, ignored: nothing we act on, refused: bad signature or body)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  webhook(channel: string, outcome: WebhookOutcome): void {
    this.webhooks.inc({ channel, outcome });
  }
}
