import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsObject, IsOptional, IsString, MaxLength, ValidateNested, ArrayMaxSize } from 'class-validator';
import { CATEGORIES, Category } from '@tsunagu/core';

export class RecipientDto {
  @ApiProperty({ example: '+819012345678', description: 'Any common Japanese or E.164 form; normalised to E.164.' })
  @IsString()
  @MaxLength(64)
  phone!: string;

  @ApiPropertyOptional({ description: 'LINE user id, when the CRM has linked the account.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  lineUserId?: string;
}

export class SendMessageDto {
  @ApiProperty({ type: RecipientDto })
  @ValidateNested()
  @Type(() => RecipientDto)
  to!: RecipientDto;

  @ApiProperty({ enum: CATEGORIES })
  @IsIn(CATEGORIES)
  category!: Category;

  @ApiProperty({ description: 'The plain text every channel can carry (NFC-normalised).', example: 'ご予約は明日10時です。' })
  @IsString()
  @MaxLength(5000)
  text!: string;

  @ApiPropertyOptional({ description: 'RCS rich card and suggestions.' })
  @IsOptional()
  @IsObject()
  rcs?: Record<string, unknown>;

  @ApiPropertyOptional({ description: 'LINE message objects (at most 5).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5)
  @IsObject({ each: true })
  line?: Record<string, unknown>[];

  @ApiPropertyOptional({ example: ['rcs', 'sms', 'line'], description: 'Channel order, overriding the policy.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  channels?: string[];

  @ApiPropertyOptional({ example: { rcs: 60, sms: 600 }, description: 'Seconds per channel before falling back.' })
  @IsOptional()
  @IsObject()
  timeouts?: Record<string, number>;

  @ApiPropertyOptional({ enum: ['delivered', 'read'] })
  @IsOptional()
  @IsIn(['delivered', 'read'])
  successOn?: 'delivered' | 'read';

  @ApiPropertyOptional({ example: '2026-12-01T09:00:00+09:00' })
  @IsOptional()
  @IsString()
  sendAt?: string;

  @ApiPropertyOptional({ example: '2026-12-01T12:00:00+09:00' })
  @IsOptional()
  @IsString()
  expiresAt?: string;

  @ApiPropertyOptional({ description: 'A registered, approved sender (short code, long number or alphanumeric id).' })
  @IsOptional()
  @IsString()
  @MaxLength(20)
  sender?: string;

  @ApiPropertyOptional({ description: 'Where status callbacks go; defaults to the tenant callback URL.' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  callbackUrl?: string;

  @ApiPropertyOptional({ description: 'Echoed in callbacks; `reference` is searchable in the console.' })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

export class PreviewDto {
  @ApiProperty()
  @IsString()
  @MaxLength(5000)
  text!: string;

  @ApiPropertyOptional({ example: 'sms' })
  @IsOptional()
  @IsString()
  channel?: string;
}

export class AcceptedDto {
  @ApiProperty() id!: string;
  @ApiProperty({ example: 'accepted' }) status!: string;
}
