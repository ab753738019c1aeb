import { Controller, Get, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Response } from 'express';
import { ContactErasureService, MessageViewService } from '@tsunagu/engine';
import { DomainError } from '@tsunagu/core';
import { ConsoleAuthGuard, RequireRole } from '../http/console-auth.guard';
import { ConsoleFilter } from '../http/console.filter';
import { ConsoleRequest, actorOf, pageContext, sendHtml } from '../http/console-request';
import { namesPhoneNumber } from '../search/audit-reason';
import { HistoryService, REVEAL_REASON_MAX, REVEAL_REASON_MIN } from '../search/history.service';
import { SearchService, SearchType } from '../search/search.service';
import { searchPage } from '../views/search.view';
import { timelinePage } from '../views/timeline.view';

const TYPES: SearchType[] = ['phone', 'message', 'ref'];

function bodyField(req: ConsoleRequest, name: string, max: number): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.slice(0, max) : '';
}

/** Search and the per-contact timeline: read-only for every role, each view audited. */
@ApiExcludeController()
@UseFilters(ConsoleFilter)
@UseGuards(ConsoleAuthGuard)
@Controller('console')
export class HistoryController {
  constructor(
    private readonly search: SearchService,
    private readonly history: HistoryService,
    private readonly messages: MessageViewService,
    private readonly erasure: ContactErasureService,
  ) {}

  @Get('search')
  form(@Req() req: ConsoleRequest, @Res() res: Response): void {
    sendHtml(res, 200, searchPage(pageContext(req, res), { type: 'phone', query: '' }));
  }

  /** POST so a phone number never travels in a URL; the CSRF check comes with it. */
  @Post('search')
  async run(@Req() req: ConsoleRequest, @Res() res: Response): Promise<void> {
    const rawType = bodyField(req, 'type', 10) as SearchType;
    const type = TYPES.includes(rawType) ? rawType : 'phone';
    const query = bodyField(req, 'q', 200);
    const page = Number.parseInt(bodyField(req, 'page', 6) || '0', 10);
    const outcome = await this.search.searchAs(req.staff!, type, query, Number.isFinite(page) ? page : 0);
    sendHtml(res, 200, searchPage(pageContext(req, res), { type, query, outcome }));
  }

  /** A message id (from a CRM, a callback) leads to its contact's timeline, at that message. */
  @Get('messages/:id')
  async message(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const m = await this.messages.find(req.staff!.tenantId, id);
    res.redirect(303, `/console/contacts/${m.contactId}#m-${m.id}`);
  }

  @Get('contacts/:id')
  async timeline(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string, @Query('before') before?: string): Promise<void> {
    const cursor = typeof before === 'string' && before.length <= 200 ? before : undefined;
    const t = await this.history.view(req.staff!, id, cursor);
    sendHtml(res, 200, timelinePage(pageContext(req, res), t, { older: !!cursor }));
  }

  @Post('contacts/:id/reveal')
  @RequireRole('supervisor')
  async reveal(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const reason = bodyField(req, 'reason', REVEAL_REASON_MAX + 1).trim();
    const ctx = pageContext(req, res, `/console/contacts/${id}`);
    if (reason.length < REVEAL_REASON_MIN || reason.length > REVEAL_REASON_MAX || namesPhoneNumber(reason)) {
      const t = await this.history.view(req.staff!, id, undefined);
      sendHtml(res, 400, timelinePage(ctx, t, { older: false, revealError: true }));
      return;
    }
    const number = await this.history.reveal(req.staff!, id, reason);
    const t = await this.history.view(req.staff!, id, undefined);
    sendHtml(res, 200, timelinePage(ctx, t, { older: false, revealed: number }));
  }

  /** A person's erasure request, taken by an admin: the reference is required and kept in the audit row. */
  @Post('contacts/:id/erase')
  @RequireRole('admin')
  async erase(@Req() req: ConsoleRequest, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const reason = bodyField(req, 'reason', REVEAL_REASON_MAX + 1).trim();
    const ctx = pageContext(req, res, `/console/contacts/${id}`);
    const confirmed = bodyField(req, 'confirm', 3) === 'yes';
    if (!confirmed || reason.length < REVEAL_REASON_MIN || reason.length > REVEAL_REASON_MAX || namesPhoneNumber(reason)) {
      const t = await this.history.view(req.staff!, id, undefined);
      sendHtml(res, 400, timelinePage(ctx, t, { older: false, eraseError: 'needReason' }));
      return;
    }
    try {
      await this.erasure.erase(req.staff!.tenantId, id, actorOf(req.staff!), reason);
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== 'CONFLICT') throw err;
      const t = await this.history.view(req.staff!, id, undefined);
      sendHtml(res, 409, timelinePage(ctx, t, { older: false, eraseError: 'inFlight' }));
      return;
    }
    res.redirect(303, `/console/contacts/${id}`);
  }
}
