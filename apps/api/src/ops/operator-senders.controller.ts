import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { DomainError } from '@tsunagu/core';
import { SenderState } from '@tsunagu/database';
import { SenderAdminService } from '@tsunagu/engine';
import { ApiAnswer, ApiErrors } from '../http/openapi/api-errors';
import { OPERATOR_SENDER_LIST_SCHEMA, SENDER_SCHEMA } from '../senders/sender.schemas';
import { OperatorTokenGuard } from './operator-token.guard';

const STATES: SenderState[] = ['requested', 'approved', 'suspended'];

export class OperatorDecisionDto {
  @ApiProperty({ example: 'KDDI screening ref. SC-2026-0412', description: 'Why, with the carriers\' screening reference: kept in the audit log.' })
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason!: string;

  @ApiPropertyOptional({ example: 'yamada', description: 'The operator deciding, recorded as `operator:<by>` (else `operator:operator-token`).' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9._@-]{1,64}$/)
  by?: string;

  @ApiPropertyOptional({ description: 'Replace the routes the sender is approved for (approve only).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  routes?: string[];
}

/**
 * The platform operators' side of the sender registry (anti-spoofing): an organisation registers
 * an address, the operators approve it once the carriers have screened it. Behind the operator
 * token, not the operations token monitoring reads `/health` and `/metrics` with; every decision
 * is audited under the organisation's log.
 */
@ApiTags('operations')
@ApiBearerAuth('operator')
@UseGuards(OperatorTokenGuard)
@Controller('ops/senders')
export class OperatorSendersController {
  constructor(private readonly senders: SenderAdminService) {}

  @Get()
  @ApiOperation({ summary: "Every organisation's senders, oldest first (operators)", description: 'Needs the operator token. At most 1,000: filter by `state` (`requested` is the queue to screen).' })
  @ApiQuery({ name: 'state', required: false, enum: STATES })
  @ApiAnswer(200, OPERATOR_SENDER_LIST_SCHEMA)
  @ApiErrors([400, 401, 403], { 400: ['INVALID_REQUEST'], 401: ['UNAUTHENTICATED'], 403: ['FORBIDDEN'] })
  list(@Query('state') state?: string) {
    if (state !== undefined && !STATES.includes(state as SenderState)) throw new DomainError('INVALID_REQUEST', `state is one of ${STATES.join(', ')}.`);
    return this.senders.listForReview(state as SenderState | undefined);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Approve a sender after the carriers screened it (operators)', description: 'An address is approved for one organisation at a time.' })
  @ApiAnswer(200, SENDER_SCHEMA)
  @ApiErrors([400, 401, 403, 404, 409, 422], { 400: ['INVALID_ID', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 401: ['UNAUTHENTICATED'], 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['CONFLICT'], 422: ['VALIDATION_FAILED'] })
  approve(@Param('id') id: string, @Body() body: OperatorDecisionDto) {
    return this.senders.review(id, 'approve', `operator:${body.by ?? 'operator-token'}`, body);
  }

  @Post(':id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: "Suspend any organisation's sender (operators)" })
  @ApiAnswer(200, SENDER_SCHEMA)
  @ApiErrors([400, 401, 403, 404, 409], { 400: ['INVALID_ID', 'INVALID_REQUEST', 'UNKNOWN_FIELD'], 401: ['UNAUTHENTICATED'], 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['CONFLICT'] })
  suspend(@Param('id') id: string, @Body() body: OperatorDecisionDto) {
    return this.senders.review(id, 'suspend', `operator:${body.by ?? 'operator-token'}`, { reason: body.reason });
  }
}
