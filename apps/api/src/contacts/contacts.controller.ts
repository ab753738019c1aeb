import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { DomainError } from '@tsunagu/core';
import { ContactService, ConversationService, LineLinkService } from '@tsunagu/engine';
import { parsePhone } from '@tsunagu/security';
import { ApiKeyGuard, AuthedRequest, Scopes } from '../http/api-key.guard';

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
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Controller('v1/contacts')
export class ContactsController {
  constructor(
    private readonly contacts: ContactService,
    private readonly conversations: ConversationService,
    private readonly lineLinks: LineLinkService,
  ) {}

  /** LINE account linking: the CRM hands over the user id its linking flow obtained. */
  @Put(':id/line-link')
  @Scopes('messages:send')
  linkLine(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: LineLinkDto) {
    return this.lineLinks.link(req.tenantId, id, body.lineUserId, `apikey:${req.apiKeyId}`);
  }

  @Delete(':id/line-link')
  @Scopes('messages:send')
  unlinkLine(@Req() req: AuthedRequest, @Param('id') id: string) {
    return this.lineLinks.unlink(req.tenantId, id, `apikey:${req.apiKeyId}`);
  }

  @Post('lookup')
  @HttpCode(200)
  @Scopes('messages:read')
  async lookup(@Req() req: AuthedRequest, @Body() body: LookupDto) {
    const id = await this.contacts.findIdByPhone(req.tenantId, parsePhone(body.phone).e164);
    if (!id) throw new DomainError('NOT_FOUND', 'No contact with this number.');
    return { id };
  }

  @Get(':id/conversation')
  @Scopes('messages:read')
  conversation(@Req() req: AuthedRequest, @Param('id') id: string, @Query('limit') limit?: string, @Query('before') before?: string) {
    const n = limit === undefined ? 50 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new DomainError('INVALID_REQUEST', 'limit must be 1 to 100.');
    return this.conversations.timeline(req.tenantId, id, { limit: n, before });
  }
}
