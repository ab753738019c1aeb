import { ChannelError } from '@tsunagu/channels';
import { flushIssuance as flush, tokenIssuerByHand } from '@tsunagu/channels/testing';
import { LineChannelConfig } from './line-channel.options';
import { ConfiguredLineToken, IssuedLineTokens, lineTokenSource } from './line-token.provider';

/*
 * What is LINE's own here: issuing, holding and renewing are RenewingToken's, specified in
 * libs/channels/src/renewing-token.spec.ts.
 */

describe('IssuedLineTokens', () => {
  it('turns anything but a ChannelError from the issuer into retryable line_token_unavailable', async () => {
    const issuer = tokenIssuerByHand();
    const tokens = new IssuedLineTokens(issuer.issue, issuer.now);
    const first = expect(tokens.token()).rejects.toMatchObject({ kind: 'retryable', code: 'line_token_unavailable' });
    await flush();
    await issuer.fail(new Error('surprise'));
    await first;
    expect(tokens.state()).toEqual({ auth: 'line_token_unavailable', authValidUntil: null, up: false });
  });

  it('is worth one retry after a 401, and shows health in the fields LINE always has', async () => {
    const issuer = tokenIssuerByHand();
    const tokens = new IssuedLineTokens(issuer.issue, issuer.now);
    expect(tokens.mode).toBe('issued');
    expect(tokens.state()).toEqual({ auth: 'not_issued', authValidUntil: null, up: true });
    const first = tokens.token();
    await issuer.answer();
    expect(tokens.refused(await first)).toBe(true);
    const refused = ChannelError.permanent('line_token_invalid_client', 'wrong secret');
    const retry = expect(tokens.token()).rejects.toBe(refused);
    await flush();
    await issuer.fail(refused);
    await retry;
    expect(tokens.state()).toEqual({ auth: 'line_token_invalid_client', authValidUntil: null, up: false });
  });
});

describe('ConfiguredLineToken', () => {
  it('is the configured token, and a 401 to it is not worth a retry', async () => {
    const configured = new ConfiguredLineToken('long-lived');
    expect(await configured.token()).toBe('long-lived');
    expect(configured.refused()).toBe(false);
    expect(configured.state()).toEqual({ auth: 'configured', authValidUntil: null, up: true });
  });
});

describe('lineTokenSource', () => {
  const channel: LineChannelConfig = { id: '1650000001', tenantId: 't', botUserId: `U${'a'.repeat(32)}`, channelSecret: 's', pnpEnabled: false };
  it('gives the configured token, or issues tokens when the channel asks to', () => {
    expect(lineTokenSource({ ...channel, channelAccessToken: 'long-lived' }, 'http://127.0.0.1:9', 1000).mode).toBe('configured');
    expect(lineTokenSource({ ...channel, issueAccessTokens: true }, 'http://127.0.0.1:9', 1000).mode).toBe('issued');
  });
});
