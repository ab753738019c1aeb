import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { ChannelRegistry } from '@tsunagu/channels';
import { DomainError } from '@tsunagu/core';
import { AcceptMessageService, BackpressureService, MessageListService, MessageRequest, MessageViewService } from '@tsunagu/engine';
import { assertSendableText, normalizeText } from '@tsunagu/security';
import { ApiKeyGuard, AuthedRequest, Scopes } from '../http/api-key.guard';
import { SchemaPipe } from '../http/schema.pipe';
import { ApiAnswer, ApiErrors, ApiKeyErrors } from '../http/openapi/api-errors';
import { ACCEPTED_SCHEMA, CANCELLING_SCHEMA, MESSAGE_LIST_SCHEMA, MESSAGE_VIEW_SCHEMA, PREVIEW_SCHEMA } from './message.schemas';
import { AcceptedDto, PreviewDto } from './messages.dto';
import { SEND_MESSAGE_SCHEMA } from './send-message.schema';

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

@ApiTags('messages')
@ApiBearerAuth('bearer')
@ApiKeyErrors()
@UseGuards(ApiKeyGuard)
@Controller('v1/messages')
export class MessagesController {
  constructor(
    private readonly accept: AcceptMessageService,
    private readonly views: MessageViewService,
    private readonly lists: MessageListService,
    private readonly registry: ChannelRegistry,
    private readonly backpressure: BackpressureService,
  ) {}

  @Post()
  @Scopes('messages:send')
  @ApiOperation({
    summary: 'Send a notification',
    description:
      'Accepted once, delivered by the best channel the person can receive: RCS, else SMS over a domestic direct route, else LINE (or the order of `channels`), each tried until its timeout. ' +
      'One-time passwords go only by SIM-bound channels; SMS bodies with card numbers or My Number are refused; the sender must be registered and approved for the route. ' +
      'The same Idempotency-Key with the same body replays the first answer (header `idempotent-replayed: true`).',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: 'Printable ASCII, 1–255 characters; scoped by tenant.' })
  @ApiBody({ schema: SEND_MESSAGE_SCHEMA })
  @ApiAnswer(202, ACCEPTED_SCHEMA, 'Accepted: it will end in a final state with a reason, reported by callback and by GET.', {
    'idempotent-replayed': { description: '`true` when this is the first answer again, for a repeated Idempotency-Key.', schema: { type: 'string' } },
  })
  @ApiErrors([400, 409, 413, 415, 422, 503], {
    400: ['INVALID_JSON', 'INVALID_REQUEST', 'UNKNOWN_FIELD', 'IDEMPOTENCY_KEY_REQUIRED', 'INVALID_IDEMPOTENCY_KEY'],
    409: ['IDEMPOTENCY_IN_PROGRESS'],
  })
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

  @Get()
  @Scopes('messages:read')
  @ApiOperation({ summary: 'The messages sent under one of your references', description: 'By `metadata.reference` (an order, a case), newest first; `status` narrows it.' })
  @ApiQuery({ name: 'reference', required: true, description: 'The `metadata.reference` the messages were sent with, exactly.' })
  @ApiQuery({ name: 'status', required: false, description: 'Only messages in this state.' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100 (50).' })
  @ApiQuery({ name: 'before', required: false, description: "The previous page's `nextCursor`." })
  @ApiAnswer(200, MESSAGE_LIST_SCHEMA)
  @ApiErrors([400], { 400: ['INVALID_REQUEST'] })
  list(
    @Req() req: AuthedRequest,
    @Query('reference') reference?: string,
    @Query('status') status?: string,
    @Query('limit') limit?: string,
    @Query('before') before?: string,
  ) {
    const one = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return this.lists.byReference(req.tenantId, {
      reference: one(reference) ?? '',
      status: one(status),
      limit: limit === undefined ? 50 : Number(limit),
      before: one(before),
    });
  }

  @Post('preview')
  @HttpCode(200)
  @Scopes('messages:send')
  @ApiOperation({ summary: 'How a text would go on a channel', description: 'SMS: its encoding, segments and what is left in the last one; nothing is sent.' })
  @ApiAnswer(200, PREVIEW_SCHEMA)
  @ApiErrors([400, 422], { 400: ['INVALID_JSON', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 422: ['UNKNOWN_CHANNEL', 'BODY_EMPTY', 'INVALID_TEXT'] })
  preview(@Body() body: PreviewDto) {
    const channel = body.channel ?? 'sms';
    const text = normalizeText(body.text);
    // The send's own text rules: a preview never answers "fits" for a text the send would refuse.
    assertSendableText(text);
    const check = this.registry.get(channel).checkLength?.(text);
    return { channel, ...(check ?? { fits: true, limit: null, units: text.length }) };
  }

  @Get(':id')
  @Scopes('messages:read')
  @ApiOperation({ summary: 'A message: its state, every attempt (with the route it took), every event and decision' })
  @ApiAnswer(200, MESSAGE_VIEW_SCHEMA)
  @ApiErrors([400, 404], { 400: ['INVALID_ID'], 404: ['NOT_FOUND'] })
  get(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.views.get(req.tenantId, id);
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @Scopes('messages:send')
  @ApiOperation({ summary: 'Cancel a message', description: 'Withdraws what is in flight where the channel allows it; the final state comes by callback.' })
  @ApiAnswer(202, CANCELLING_SCHEMA)
  @ApiErrors([400, 404, 409], { 400: ['INVALID_ID'], 404: ['NOT_FOUND'], 409: ['MESSAGE_ALREADY_FINAL'] })
  cancel(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.views.cancel(req.tenantId, id);
  }
}
