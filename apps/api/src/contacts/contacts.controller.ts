import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { DomainError } from '@tsunagu/core';
import { ContactErasureService, ContactService, ConversationService, LineLinkService } from '@tsunagu/engine';
import { parsePhone } from '@tsunagu/security';
import { ApiKeyGuard, AuthedRequest, Scopes } from '../http/api-key.guard';
import { ApiAnswer, ApiErrors, ApiKeyErrors } from '../http/openapi/api-errors';
import { CONVERSATION_SCHEMA, ERASURE_SCHEMA, LINE_LINK_SCHEMA, LOOKUP_SCHEMA } from './contact.schemas';

export class LookupDto {
  @ApiProperty({ example: '+819012345678' })
  @IsString()
  @MaxLength(64)
  phone!: string;
}

export class LineLinkDto {
  @ApiProperty({ example: 'U4af4980629e1a2b3c4d5e6f708192a3b', description: 'The LINE user id from your account-linking flow.' })
  @IsString()
  @MaxLength(64)
  lineUserId!: string;
}

/** Phone numbers travel in bodies only, never in URLs (they end up in access logs). */
@ApiTags('contacts')
@ApiBearerAuth('bearer')
@ApiKeyErrors()
@UseGuards(ApiKeyGuard)
@Controller('v1/contacts')
export class ContactsController {
  constructor(
    private readonly contacts: ContactService,
    private readonly conversations: ConversationService,
    private readonly lineLinks: LineLinkService,
    private readonly erasure: ContactErasureService,
  ) {}

  /** LINE account linking: the CRM hands over the user id its linking flow obtained. */
  @Put(':id/line-link')
  @Scopes('messages:send')
  @ApiOperation({ summary: 'Link a contact to a LINE user', description: 'The user id your LINE account-linking flow obtained; LINE becomes a channel for this contact (never for OTPs).' })
  @ApiAnswer(200, LINE_LINK_SCHEMA)
  @ApiErrors([400, 404, 409, 422], { 400: ['INVALID_ID', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 404: ['NOT_FOUND'], 409: ['CONFLICT'], 422: ['VALIDATION_FAILED'] })
  linkLine(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: LineLinkDto) {
    return this.lineLinks.link(req.tenantId, id, body.lineUserId, `apikey:${req.apiKeyId}`);
  }

  @Delete(':id/line-link')
  @Scopes('messages:send')
  @ApiOperation({ summary: 'Unlink a contact from LINE' })
  @ApiAnswer(200, LINE_LINK_SCHEMA)
  @ApiErrors([400, 404], { 400: ['INVALID_ID'], 404: ['NOT_FOUND'] })
  unlinkLine(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.lineLinks.unlink(req.tenantId, id, `apikey:${req.apiKeyId}`);
  }

  @Post('lookup')
  @HttpCode(200)
  @Scopes('messages:read')
  @ApiOperation({ summary: 'Find a contact by phone number', description: 'The number goes in the body, never in a URL (URLs end up in access logs).' })
  @ApiAnswer(200, LOOKUP_SCHEMA)
  @ApiErrors([400, 404, 422], { 400: ['INVALID_JSON', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 404: ['NOT_FOUND'], 422: ['INVALID_PHONE_NUMBER'] })
  async lookup(@Req() req: AuthedRequest, @Body() body: LookupDto) {
    const id = await this.contacts.findIdByPhone(req.tenantId, parsePhone(body.phone).e164);
    if (!id) throw new DomainError('NOT_FOUND', 'No contact with this number.');
    return { id };
  }

  @Get(':id/conversation')
  @Scopes('messages:read')
  @ApiOperation({ summary: "A contact's one conversation across channels", description: 'Every notification, attempt, receipt and reply, newest first; `limit` 1–100 (50), `before` the previous page\'s `nextCursor`.' })
  @ApiAnswer(200, CONVERSATION_SCHEMA)
  @ApiErrors([400, 404], { 400: ['INVALID_ID', 'INVALID_REQUEST'], 404: ['NOT_FOUND'] })
  conversation(@Req() req: AuthedRequest, @Param('id') id: string, @Query('limit') limit?: string, @Query('before') before?: string) {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new DomainError('INVALID_REQUEST', 'limit must be 1 to 100.');
    return this.conversations.timeline(req.tenantId, id, { limit: n, before });
  }

  /** APPI erasure: ContactErasureService says what goes and what stays. */
  @Delete(':id')
  @Scopes('admin')
  @ApiOperation({
    summary: "Erase a person's data on request",
    description:
      'Removes the number, the LINE link and the text, rich content and metadata of every message to and from the contact (and from their pending callbacks); ids, states, routes, events and the audit trail stay. ' +
      'Refused while a message is in flight. Repeating it answers the same. The next message to the number starts a new contact. Needs the `admin` scope; audited.',
  })
  @ApiAnswer(200, ERASURE_SCHEMA)
  @ApiErrors([400, 404, 409], { 400: ['INVALID_ID'], 404: ['NOT_FOUND'], 409: ['CONFLICT'] })
  erase(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.erasure.erase(req.tenantId, id, `apikey:${req.apiKeyId}`);
  }
}
