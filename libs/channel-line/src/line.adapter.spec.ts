import { randomUUID } from 'node:crypto';
import { ContactView, OutboundAttempt } from '@tsunagu/channels';
import { channelErrorOf } from '@tsunagu/channels/testing';
import { hashPhoneForPnp, LineAdapter } from './line.adapter';
import { LineChannelConfig } from './line-channel.options';

// Nothing here reaches the network: every case ends before the adapter calls LINE, and the base
// URL points at a port nothing listens on so a mistake would fail loudly, not silently pass.
const channel = (id: string, tenantId: string, hex: string, extra: Partial<LineChannelConfig> = {}): LineChannelConfig => ({
  id,
  tenantId,
  botUserId: `U${hex.repeat(32)}`,
  channelSecret: `secret-${id}`,
  channelAccessToken: `token-${id}`,
  pnpEnabled: false,
  ...extra,
});
const adapter = new LineAdapter({
  apiBaseUrl: 'http://127.0.0.1:9',
  channels: [
    channel('a1', 'tenant-a', 'a', { pnpEnabled: true, default: true }),
    channel('a2', 'tenant-a', 'c'),
    channel('b1', 'tenant-b', 'b'),
  ],
});
const contact = (over: Partial<ContactView> = {}): ContactView => ({
  tenantId: 'tenant-b',
  contactId: 'c1',
  phoneE164: '+819012345678',
  optOuts: [],
  ...over,
});
const attempt = (over: Partial<OutboundAttempt> = {}): OutboundAttempt => ({
  attemptId: randomUUID(),
  messageId: randomUUID(),
  tenantId: 'tenant-b',
  category: 'transactional',
  to: { phoneE164: '+819012345678', lineUserId: `U${'1'.repeat(32)}` },
  text: 'hello',
  timeoutSeconds: 60,
  allowInternational: false,
  ...over,
});

describe('LineAdapter (no network)', () => {
  it('is never an OTP channel', async () => {
    expect(adapter.traits).toEqual({
      simBound: false,
      supportsCancel: false,
      supportsReadReceipts: false,
      idempotentSend: true,
      reportsDelivery: false,
      needsMobileNumber: false,
    });
    const err = await channelErrorOf(adapter.send(attempt({ category: 'otp' })));
    expect([err.kind, err.code]).toEqual(['permanent', 'line_not_allowed_for_otp']);
  });

  it.each([
    ['a linked follower', contact({ lineUserId: `U${'1'.repeat(32)}` }), true, 'line_linked'],
    ['a follower of unknown state', contact({ lineUserId: `U${'1'.repeat(32)}`, lineFollowing: undefined }), true, 'line_linked'],
    ['a linked user who blocked the account', contact({ lineUserId: `U${'1'.repeat(32)}`, lineFollowing: false }), false, 'line_unfollowed'],
    ['a blocked user, even where PNP is on', contact({ tenantId: 'tenant-a', lineUserId: `U${'1'.repeat(32)}`, lineFollowing: false }), false, 'line_unfollowed'],
    ['no link, no PNP', contact({ lineUserId: null }), false, 'no_line_link'],
    ['no link, PNP on', contact({ tenantId: 'tenant-a', lineUserId: null }), true, 'line_pnp'],
    ['a tenant with no LINE channel', contact({ tenantId: 'tenant-z' }), false, 'no_line_link'],
  ])('capability: %s', async (_name, c, reachable, reason) => {
    const result = await adapter.capability(c);
    expect([result.reachable, result.reason]).toEqual([reachable, reason]);
    expect(result.ttlSeconds).toBe(0);
  });

  it('refuses invalid LINE message objects before calling LINE', async () => {
    const err = await channelErrorOf(adapter.send(attempt({ line: [{ type: 'text' }] })));
    expect([err.kind, err.code]).toEqual(['permanent', 'line_invalid_message']);
    expect(err.message).toContain('messages[0].text: must be specified');
  });

  it('refuses a plain text over 5000 characters', async () => {
    const err = await channelErrorOf(adapter.send(attempt({ text: 'x'.repeat(5001) })));
    expect(err.code).toBe('line_invalid_message');
  });

  it('refuses an attempt id that is not a UUID (LINE requires one as retry key)', async () => {
    const err = await channelErrorOf(adapter.send(attempt({ attemptId: 'not-a-uuid' })));
    expect(err.code).toBe('line_invalid_retry_key');
  });

  it('refuses a tenant without a LINE channel, and an unlinked contact without PNP', async () => {
    expect((await channelErrorOf(adapter.send(attempt({ tenantId: 'tenant-z' })))).code).toBe('line_channel_not_configured');
    expect((await channelErrorOf(adapter.send(attempt({ to: { phoneE164: '+819012345678', lineUserId: null } })))).code).toBe('no_line_link');
  });

  it('checks length and content for the accept-time validation', () => {
    expect(adapter.checkLength('あ'.repeat(5000))).toMatchObject({ fits: true, limit: 5000, units: 5000 });
    expect(adapter.checkLength('🔐'.repeat(2501)).fits).toBe(false);
    expect(adapter.validateContent([{ type: 'sticker', packageId: '1', stickerId: '2' }])).toEqual([]);
    expect(adapter.validateContent([{ type: 'fax' }])[0]).toContain('messages[0].type');
  });

  it('hashes the E.164 number as lower-case SHA-256 hex for PNP', () => {
    // Fixed value: `printf '%s' '+819012345678' | sha256sum`
    expect(hashPhoneForPnp('+819012345678')).toBe('3d06a39d40790f11761295e053029378ae28c4b4f6f301693005e079f3d4ca64');
  });

  it('stops start-up on a bad configuration, naming the problem but not the secrets', () => {
    expect(
      () =>
        new LineAdapter({
          channels: [
            channel('x', 't', 'a', { default: true }),
            channel('x', 't', 'b', { default: true, channelSecret: '' }),
          ],
        }),
    ).toThrow(/duplicate channel id[\s\S]*channelSecret is required[\s\S]*already has default channel x/);
    try {
      new LineAdapter({ channels: [channel('y', 't', 'z')] });
    } catch (err) {
      expect(String(err)).toContain('botUserId must be');
      expect(String(err)).not.toMatch(/secret-y|token-y/);
    }
    expect.assertions(4);
    expect(() => new LineAdapter({ channels: [], apiBaseUrl: 'http://host/prefix' })).toThrow(/without a path/);
  });

  it('takes a configured token or issueAccessTokens, exactly one, and issues only for a numeric channel id', () => {
    const issuing = (id: string, extra: Partial<LineChannelConfig> = {}) =>
      channel(id, `t-${id}`, 'd', { channelAccessToken: undefined, issueAccessTokens: true, ...extra });
    expect(() => new LineAdapter({ channels: [issuing('1650000001')] })).not.toThrow();
    const build = (c: LineChannelConfig) => () => new LineAdapter({ channels: [c] });
    expect(build(issuing('1650000001', { channelAccessToken: 'token-x' }))).toThrow(/not both/);
    expect(build(channel('1650000001', 't', 'd', { channelAccessToken: undefined }))).toThrow(/channelAccessToken is required, or issueAccessTokens: true/);
    expect(build(channel('1650000001', 't', 'd', { channelAccessToken: '' }))).toThrow(/channelAccessToken must be a non-empty string/);
    expect(build(issuing('a1'))).toThrow(/LINE channel id \(digits\)/);
    expect(build(issuing('1650000001', { issueAccessTokens: 'yes' as unknown as boolean }))).toThrow(/issueAccessTokens must be true or false/);
    // issueAccessTokens: false is the same as leaving it out.
    expect(() => new LineAdapter({ channels: [channel('a9', 't', 'd', { issueAccessTokens: false })] })).not.toThrow();
  });
});
