import { Body, Controller, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, MaxLength } from 'class-validator';
import { SenderAdminService } from '@tsunagu/engine';
import { ApiKeyGuard, AuthedRequest, Scopes } from '../http/api-key.guard';

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
@ApiBearerAuth()
@UseGuards(ApiKeyGuard)
@Scopes('admin')
@Controller('v1/senders')
export class SendersController {
  constructor(private readonly senders: SenderAdminService) {}

  @Get()
  list(@Req() req: AuthedRequest) {
    return this.senders.list(req.tenantId);
  }

  @Post()
  request(@Req() req: AuthedRequest, @Body() body: RequestSenderDto) {
    return this.senders.request(req.tenantId, body, `apikey:${req.apiKeyId}`);
  }

  @Post(':id/approve')
  @HttpCode(200)
  approve(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: SenderChangeDto) {
    return this.senders.transition(req.tenantId, id, 'approve', `apikey:${req.apiKeyId}`, body ?? {});
  }

  @Post(':id/suspend')
  @HttpCode(200)
  suspend(@Req() req: AuthedRequest, @Param('id') id: string, @Body() body: SenderChangeDto) {
    return this.senders.transition(req.tenantId, id, 'suspend', `apikey:${req.apiKeyId}`, body ?? {});
  }
}
