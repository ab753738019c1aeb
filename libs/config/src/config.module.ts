import { DynamicModule, Global, Module } from '@nestjs/common';
import { loadConfig } from './load-config';
import { TSUNAGU_CONFIG, TsunaguConfig } from './tsunagu-config';

@Global()
@Module({})
export class ConfigModule {
  /** Loads from the environment, or takes a ready object (tests and the demo build their own). */
  static forRoot(config?: TsunaguConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: TSUNAGU_CONFIG, useFactory: () => config ?? loadConfig() }],
      exports: [TSUNAGU_CONFIG],
    };
  }
}
