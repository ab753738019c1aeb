import { inProcessConfig } from '@tsunagu/config';
import { registerBuiltinChannels } from './builtin-channels';
import { channelModules } from './channel-modules';

const route = { name: 'jp-direct', kind: 'domestic_direct', host: '127.0.0.1', port: 2775, systemId: 'tsunagu', password: 'secret' };
const withSms = (routes: Record<string, unknown>[]) => inProcessConfig({ channels: { sms: { routes } } });

describe('the SMS channel block at start-up', () => {
  beforeAll(() => registerBuiltinChannels());

  it('refuses an alphanumeric default sender on a domestic direct route, naming where, never the password', () => {
    let refused: Error | undefined;
    try {
      channelModules(withSms([{ ...route, defaultSender: 'BANK-JP' }]), 'api');
    } catch (err) {
      refused = err as Error;
    }
    expect(refused?.message).toContain('channels.sms.routes.0.defaultSender: a domestic direct route cannot send from an alphanumeric id');
    expect(refused?.message).not.toContain('secret');
  });

  it('takes a short code at home and an alphanumeric id abroad', () => {
    expect(channelModules(withSms([{ ...route, defaultSender: '00051234' }, { ...route, name: 'intl', kind: 'international', defaultSender: 'BANK-JP' }]), 'api')).toHaveLength(1);
  });
});
