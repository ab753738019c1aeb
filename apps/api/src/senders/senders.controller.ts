import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';
import { DomainError } from '@tsunagu/core';
import { SenderAdminService } from '@tsunagu/engine';
import { ApiKeyGuard, AuthedRequest, Scopes } from '../http/api-key.guard';
import { ApiAnswer, ApiErrors, ApiKeyErrors } from '../http/openapi/api-errors';
import { SENDER_LIST_SCHEMA, SENDER_SCHEMA } from './sender.schemas';

export class RequestSenderDto {
  @ApiProperty({ example: '00051234', description: 'Short code (0005 + 4–6 digits), long number, or alphanumeric id.' })
  @IsString()
  @MaxLength(20)
  address!: string;

  @ApiProperty({ example: ['docomo-direct'], description: 'Routes the sender is registered for; empty = every route.' })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  routes!: string[];
}

export class SenderChangeDto {
  @ApiPropertyOptional({ description: 'Replace the routes the sender is approved for (operators only).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  routes?: string[];

  @ApiPropertyOptional({ description: 'Why (kept in the audit log).' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class SenderSuspendDto {
  @ApiPropertyOptional({ description: 'Why (kept in the audit log).' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

@ApiTags('senders')
@ApiBearerAuth('bearer')
@ApiKeyErrors()
@UseGuards(ApiKeyGuard)
@Scopes('admin')
@Controller('v1/senders')
export class SendersController {
  constructor(private readonly senders: SenderAdminService) {}

  @Get()
  @ApiOperation({ summary: 'The sender addresses registered for this tenant', description: 'Needs the `admin` scope.' })
  @ApiAnswer(200, SENDER_LIST_SCHEMA)
  list(@Req() req: AuthedRequest) {
    return this.senders.list(req.tenantId);
  }

  @Post()
  @ApiOperation({ summary: 'Register a sender address (requested; usable once an operator approves it)', description: 'Anti-spoofing: a message may name only an approved sender, on a route it is approved for; the platform operators approve it after the carriers have screened it.' })
  @ApiAnswer(201, SENDER_SCHEMA)
  @ApiErrors([400, 409, 422], { 400: ['INVALID_JSON', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 409: ['CONFLICT'], 422: ['VALIDATION_FAILED'] })
  request(@Req() req: AuthedRequest, @Body() body: RequestSenderDto) {
    return this.senders.request(req.tenantId, body, `apikey:${req.apiKeyId}`);
  }

  @Post(':id/approve')
  @HttpCode(403)
  @ApiOperation({
    summary: 'Not for organisations: senders are approved by the platform operators',
    description: 'Always 403 `OPERATOR_APPROVAL_REQUIRED`. A registered sender waits, `requested`, until an operator approves it after the carriers have screened it (`POST /ops/senders/{id}/approve`, or the CLI).',
    deprecated: true,
  })
  @ApiErrors([400, 403, 404], { 400: ['INVALID_ID'], 403: ['OPERATOR_APPROVAL_REQUIRED'], 404: ['NOT_FOUND'] })
  async approve(@Req() req: AuthedRequest, @Param('id') id: string): Promise<never> {
    await this.senders.get(req.tenantId, id); // another organisation's sender is not found, as on every route
    throw new DomainError('OPERATOR_APPROVAL_REQUIRED', 'A sender is approved by the platform operators once the carriers have screened it; it stays requested until then.');
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend a sender: messages naming it are refused from now on', description: 'Only an operator can approve it again.' })
  @ApiAnswer(200, SENDER_SCHEMA)
  @ApiErrors([400, 404, 409], { 400: ['INVALID_ID', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 404: ['NOT_FOUND'], 409: ['CONFLICT'] })
  suspend(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: SenderSuspendDto) {
    return this.senders.suspend(req.tenantId, id, `apikey:${req.apiKeyId}`, body ?? {});
  }
}
