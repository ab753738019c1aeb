import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ChannelRegistry } from './channel.registry';

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [ChannelRegistry],
  exports: [ChannelRegistry],
})
export class ChannelsModule {}
