import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CallbackLogService } from '@tsunagu/engine';
import { ApiKeyGuard, AuthedRequest, Scopes } from '../http/api-key.guard';
import { ApiAnswer, ApiErrors, ApiKeyErrors } from '../http/openapi/api-errors';
import { SchemaPipe } from '../http/schema.pipe';
import { CALLBACK_LIST_SCHEMA, CALLBACK_VIEW_SCHEMA, RECOVERED_SCHEMA, RECOVER_SCHEMA } from './callback.log.schemas';

/**
 * The CRM's status callbacks: what was sent for a message and how each try went, and sending
 * them again (one, or all that failed in a period: a CRM down longer than the 24 h of retries).
 */
@ApiTags('callbacks')
@ApiBearerAuth('bearer')
@ApiKeyErrors()
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class CallbacksController {
  constructor(private readonly callbacks: CallbackLogService) {}

  @Get('messages/:id/callbacks')
  @Scopes('messages:read')
  @ApiOperation({ summary: "A message's status callbacks", description: 'Each callback written for it, its state and every try: when, to which host, what came back.' })
  @ApiAnswer(200, CALLBACK_LIST_SCHEMA)
  @ApiErrors([400, 404], { 400: ['INVALID_ID'], 404: ['NOT_FOUND'] })
  forMessage(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.callbacks.forMessage(req.tenantId, id);
  }

  @Post('callbacks/:id/redeliver')
  @HttpCode(202)
  @Scopes('admin')
  @ApiOperation({
    summary: 'Send one callback again',
    description: 'Whatever became of it (delivered, failed, cancelled): tried now at the current callback URL, with a new retry period, under the same `webhook-id`.',
  })
  @ApiAnswer(202, CALLBACK_VIEW_SCHEMA)
  @ApiErrors([400, 404, 409, 422], { 400: ['INVALID_ID'], 404: ['NOT_FOUND'], 409: ['CALLBACK_ALREADY_PENDING'], 422: ['NO_CALLBACK_URL'] })
  redeliver(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.callbacks.redeliver(req.tenantId, id);
  }

  @Post('callbacks/recover')
  @HttpCode(202)
  @Scopes('admin')
  @ApiOperation({
    summary: 'Send again every callback that failed or was cancelled in a period',
    description: 'After an outage of the CRM longer than the retry period: each is tried now, oldest first, at the current callback URL, under its own `webhook-id`.',
  })
  @ApiBody({ schema: RECOVER_SCHEMA })
  @ApiAnswer(202, RECOVERED_SCHEMA)
  @ApiErrors([400], { 400: ['INVALID_JSON', 'INVALID_REQUEST', 'UNKNOWN_FIELD'] })
  recover(@Req() req: AuthedRequest, @Body(new SchemaPipe<{ since: string; until?: string; after?: string }>(RECOVER_SCHEMA)) body: { since: string; until?: string; after?: string }) {
    return this.callbacks.recover(req.tenantId, body);
  }
}
