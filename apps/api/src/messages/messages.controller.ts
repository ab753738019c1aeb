import { Body, Controller, Get, Headers, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { ChannelRegistry } from '@tsunagu/channels';
import { DomainError } from '@tsunagu/core';
import { AcceptMessageService, BackpressureService, MessageRequest, MessageViewService } from '@tsunagu/engine';
import { normalizeText } from '@tsunagu/security';
import { ApiKeyGuard, AuthedRequest, Scopes } from '../http/api-key.guard';
import { SchemaPipe } from '../http/schema.pipe';
import { AcceptedDto, PreviewDto } from './messages.dto';
import { SEND_MESSAGE_SCHEMA } from './send-message.schema';

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

@ApiTags('messages')
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/messages')
export class MessagesController {
  constructor(
    private readonly accept: AcceptMessageService,
    private readonly views: MessageViewService,
    private readonly registry: ChannelRegistry,
    private readonly backpressure: BackpressureService,
  ) {}

  @Post()
  @Scopes('messages:send')
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Printable ASCII, 1–255 characters; scoped by tenant.' })
  @ApiBody({ schema: SEND_MESSAGE_SCHEMA })
  @ApiResponse({ status: 202, type: AcceptedDto })
  async send(
    @Req() req: AuthedRequest,
    @Headers('idempotency-key') key: string | undefined,
    @Body(new SchemaPipe<MessageRequest>(SEND_MESSAGE_SCHEMA)) body: MessageRequest,
    @Res({ passthrough: true }) res: Response,
  ): Promise<AcceptedDto> {
    if (key === undefined || key === '') throw new DomainError('IDEMPOTENCY_KEY_REQUIRED', 'Send an Idempotency-Key header: the same key replays the same answer.');
    if (!KEY_FORMAT.test(key)) throw new DomainError('INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key must be 1–255 printable ASCII characters.');
    await this.backpressure.assertAccepting();
    const result = await this.accept.accept(req.tenantId, key, body);
    res.status(result.status);
    if (result.replayed) res.setHeader('idempotent-replayed', 'true');
    return result.body;
  }

  @Post('preview')
  @HttpCode(200)
  @Scopes('messages:send')
  preview(@Body() body: PreviewDto) {
    const channel = body.channel ?? 'sms';
    const text = normalizeText(body.text);
    const check = this.registry.get(channel).checkLength?.(text);
    return { channel, ...(check ?? { fits: true, limit: null, units: text.length }) };
  }

  @Get(':id')
  @Scopes('messages:read')
  get(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.views.get(req.tenantId, id);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @Scopes('messages:send')
  cancel(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.views.cancel(req.tenantId, id);
  }
}
