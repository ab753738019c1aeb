import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TSUNAGU_CONFIG, TsunaguConfig } from '@tsunagu/config';
import { dataSourceOptions } from './data-source';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [TSUNAGU_CONFIG],
      useFactory: (config: TsunaguConfig) => ({
        ...dataSourceOptions(config.databaseUrl, {}, config.database.poolMax),
        // Keep retrying at start-up so the api comes up when PostgreSQL does.
        retryAttempts: 10,
        retryDelay: 1000,
      }),
    }),
  ],
})
export class DatabaseModule {}
