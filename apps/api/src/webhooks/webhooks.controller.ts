import { Controller, HttpCode, Logger, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { ChannelAdapterInstance, ChannelRegistry } from '@tsunagu/channels';
import { DomainError } from '@tsunagu/core';
import { IngestEventsService } from '@tsunagu/engine';
import { ApiMetrics } from '../health/api-metrics';

/**
 * Provider webhooks: the adapter verifies the signature over the exact bytes received, before
 * anything is parsed or stored; then events are persisted and applied, and the provider gets 200.
 */
@ApiExcludeController()
@Controller('webhooks')
export class WebhooksController {
  private readonly log = new Logger('webhooks');

  constructor(
    private readonly registry: ChannelRegistry,
    private readonly ingest: IngestEventsService,
    private readonly metrics: ApiMetrics,
  ) {}

  private adapterFor(path: string): ChannelAdapterInstance {
    for (const name of this.registry.names()) {
      const adapter = this.registry.get(name);
      if ((adapter.webhookPath ?? adapter.channel) === path) return adapter;
    }
    throw new DomainError('NOT_FOUND', 'No webhook at this path.');
  }

  @Post(':path')
  @HttpCode(200)
  async receive(@Param('path') path: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const adapter = this.adapterFor(path);
    const request = { headers: req.headers, rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) };
    // A refused handshake (a wrong RBM clientToken) is a refused webhook like a bad signature:
    // logged and counted, so someone probing for the secret shows on /metrics.
    const reply = adapter.directReply ? await adapter.directReply(request).catch((err: unknown) => this.refused(adapter, err)) : null;
    if (reply) {
      res.status(reply.status).json(reply.body);
      return;
    }
    const events = await adapter.parseInbound(request).catch((err: unknown) => this.refused(adapter, err));
    this.metrics.webhook(adapter.channel, events.length ? 'applied' : 'ignored');
    if (events.length === 0) this.log.log({ channel: adapter.channel }, 'webhook had no events we act on');
    await this.ingest.ingest(events);
    res.status(200).json({ received: events.length });
  }

  private refused(adapter: ChannelAdapterInstance, err: unknown): never {
    // Logged without the body: it may hold a person's message.
    this.log.warn({ channel: adapter.channel, error: (err as Error).message }, 'webhook refused');
    this.metrics.webhook(adapter.channel, 'refused');
    throw err;
  }
}
