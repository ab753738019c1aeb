import { Test } from '@nestjs/testing';
import { ChannelRegistry, ChannelsModule } from '@tsunagu/channels';
import { LineAdapter } from './line.adapter';
import { LineChannelModule } from './line-channel.module';

describe('LineChannelModule', () => {
  it('registers the adapter with the channel registry under "line"', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ChannelsModule,
        LineChannelModule.register({
          channels: [
            { id: '1', tenantId: 't', botUserId: `U${'a'.repeat(32)}`, channelSecret: 's', channelAccessToken: 'k', pnpEnabled: false },
          ],
        }),
      ],
    }).compile();
    await moduleRef.init();
    const registry = moduleRef.get(ChannelRegistry);
    expect(registry.get('line')).toBeInstanceOf(LineAdapter);
    expect(registry.traits()['line'].simBound).toBe(false);
    await moduleRef.close();
  });
});
