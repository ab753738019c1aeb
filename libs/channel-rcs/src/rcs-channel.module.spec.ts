import { Test } from '@nestjs/testing';
import { ChannelRegistry, ChannelsModule } from '@tsunagu/channels';
import { RcsAdapter } from './rcs.adapter';
import { RcsChannelModule } from './rcs-channel.module';

const agent = {
  id: 'agent-1',
  tenantId: 't1',
  region: 'asia' as const,
  serviceAccount: { clientEmail: 'sa@example.iam.gserviceaccount.com', privateKey: 'not-used-before-a-call' },
  clientToken: 'client-token',
};

describe('RcsChannelModule', () => {
  it('registers the adapter under "rcs" with webhook path "rbm"', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ChannelsModule, RcsChannelModule.register({ agents: [agent] })],
    }).compile();
    await moduleRef.init();
    const adapter = moduleRef.get(ChannelRegistry).get('rcs');
    expect(adapter).toBeInstanceOf(RcsAdapter);
    expect(adapter.webhookPath).toBe('rbm');
    expect(adapter.traits).toEqual({
      simBound: false,
      supportsCancel: true,
      supportsReadReceipts: true,
      idempotentSend: true,
      reportsDelivery: true,
      needsMobileNumber: true,
    });
    await moduleRef.close();
  });

  it('stops boot on invalid options', () => {
    expect(() => RcsChannelModule.register({ agents: [] })).toThrow(/Invalid RCS channel options: agents/);
  });

  it('validates the request rcs object and measures text for the API', async () => {
    const adapter = new RcsAdapter({ agents: [agent] });
    expect(adapter.validateContent({ card: { title: 'ok' } })).toEqual([]);
    expect(adapter.validateContent(null)).toEqual([]);
    expect(adapter.validateContent({ card: { mediaUrl: 'http://x' }, extra: 1 })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^rcs\.card\.mediaUrl: /), expect.stringMatching(/^rcs: /)]),
    );
    expect(adapter.checkLength('🔐'.repeat(3072))).toEqual({ fits: true, limit: 3072, units: 3072 });
    expect(adapter.checkLength('a'.repeat(3073)).fits).toBe(false);
  });
});
