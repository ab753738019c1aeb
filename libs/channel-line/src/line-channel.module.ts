import { DynamicModule, Module } from '@nestjs/common';
import { LINE_CHANNEL_OPTIONS, LineChannelOptions } from './line-channel.options';
import { LineAdapter } from './line.adapter';

/**
 * The LINE channel: `LineChannelModule.register(config.line)` in the api and worker apps. The
 * adapter is collected by the ChannelRegistry through its `@ChannelAdapter('line')` marker.
 */
@Module({})
export class LineChannelModule {
  static register(options: LineChannelOptions): DynamicModule {
    return {
      module: LineChannelModule,
      providers: [{ provide: LINE_CHANNEL_OPTIONS, useValue: options }, LineAdapter],
      exports: [LineAdapter, LINE_CHANNEL_OPTIONS],
    };
  }
}
