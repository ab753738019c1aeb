import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { SmsAdapter } from './sms.adapter';
import { SMS_CHANNEL_OPTIONS, SmsChannelOptions } from './sms-channel.options';

export interface SmsChannelAsyncOptions {
  /** Modules whose providers the factory (or the adapter's CHANNEL_EVENT_SINK) needs. */
  imports?: ModuleMetadata['imports'];
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory(...args: never[]): SmsChannelOptions | Promise<SmsChannelOptions>;
}

/**
 * The SMS channel: SmsAdapter (@ChannelAdapter('sms')) and its options. CHANNEL_EVENT_SINK is not
 * provided here: the app provides it, globally or through `imports`.
 */
@Module({})
export class SmsChannelModule {
  static register(options: SmsChannelOptions, extra: { imports?: ModuleMetadata['imports'] } = {}): DynamicModule {
    return SmsChannelModule.build({ provide: SMS_CHANNEL_OPTIONS, useValue: options }, extra.imports);
  }

  static registerAsync(options: SmsChannelAsyncOptions): DynamicModule {
    const provider: Provider = { provide: SMS_CHANNEL_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] };
    return SmsChannelModule.build(provider, options.imports);
  }

  private static build(optionsProvider: Provider, imports: ModuleMetadata['imports'] = []): DynamicModule {
    return {
      module: SmsChannelModule,
      imports,
      providers: [optionsProvider, SmsAdapter],
      exports: [SmsAdapter, SMS_CHANNEL_OPTIONS],
    };
  }
}
