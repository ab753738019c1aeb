import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

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
