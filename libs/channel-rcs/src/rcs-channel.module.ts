import { DynamicModule, Module } from '@nestjs/common';
import { RcsAdapter } from './rcs.adapter';
import { RCS_CHANNEL_OPTIONS, RcsChannelOptions, resolveRcsOptions } from './rcs.options';

/**
 * `RcsChannelModule.register(config.channels.rcs)` in the app module enables the channel: the
 * registry finds the adapter by its `@ChannelAdapter('rcs')` mark. Options are validated here,
 * at boot, so a bad agent entry stops start-up instead of failing the first send.
 */
@Module({})
export class RcsChannelModule {
  static register(options: RcsChannelOptions): DynamicModule {
    return {
      module: RcsChannelModule,
      providers: [{ provide: RCS_CHANNEL_OPTIONS, useValue: resolveRcsOptions(options) }, RcsAdapter],
      exports: [RcsAdapter],
    };
  }
}
