import { SetMetadata } from '@nestjs/common';

export const CHANNEL_ADAPTER_METADATA = 'tsunagu:channel-adapter';

/** Marks an injectable class as the adapter of a channel; the registry collects it at boot. */
export const ChannelAdapter = (channel: string): ClassDecorator =>
  SetMetadata(CHANNEL_ADAPTER_METADATA, channel);
