import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';
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
  @ApiPropertyOptional({ description: 'Replace the routes the sender is approved for.' })
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
  @ApiOperation({ summary: 'Register a sender address (requested; usable once approved)', description: 'Anti-spoofing: a message may name only an approved sender, on a route it is approved for.' })
  @ApiAnswer(201, SENDER_SCHEMA)
  @ApiErrors([400, 409, 422], { 400: ['INVALID_JSON', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 409: ['CONFLICT'], 422: ['VALIDATION_FAILED'] })
  request(@Req() req: AuthedRequest, @Body() body: RequestSenderDto) {
    return this.senders.request(req.tenantId, body, `apikey:${req.apiKeyId}`);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a sender (after the carriers screened it)', description: 'Audited with who approved it and why.' })
  @ApiAnswer(200, SENDER_SCHEMA)
  @ApiErrors([400, 404, 409], { 400: ['INVALID_ID', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 404: ['NOT_FOUND'], 409: ['CONFLICT'] })
  approve(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: SenderChangeDto) {
    return this.senders.transition(req.tenantId, id, 'approve', `apikey:${req.apiKeyId}`, body ?? {});
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend a sender: messages naming it are refused from now on' })
  @ApiAnswer(200, SENDER_SCHEMA)
  @ApiErrors([400, 404, 409], { 400: ['INVALID_ID', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 404: ['NOT_FOUND'], 409: ['CONFLICT'] })
  suspend(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: SenderChangeDto) {
    return this.senders.transition(req.tenantId, id, 'suspend', `apikey:${req.apiKeyId}`, body ?? {});
  }
}
