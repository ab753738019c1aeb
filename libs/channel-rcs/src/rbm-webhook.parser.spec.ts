import { InboundRequest } from '@tsunagu/channels';
import { decodeRbmPush, rbmSignature, readRbmHandshake, safeEqual } from './rbm-webhook.parser';

const signers = [
  { clientToken: 'token-a', owner: 'agent-a' },
  { clientToken: 'token-b', owner: 'agent-b' },
];

function push(data: string, signWith: string | null, messageOverrides: Record<string, unknown> = {}): InboundRequest {
  const bytes = Buffer.from(data);
  const body = { message: { data: bytes.toString('base64'), messageId: '1', publishTime: '2025-01-01T00:00:00Z', ...messageOverrides }, subscription: 's' };
  return {
    headers: signWith ? { 'x-goog-signature': rbmSignature(signWith, bytes) } : {},
    rawBody: Buffer.from(JSON.stringify(body)),
  };
}

describe('decodeRbmPush', () => {
  it('verifies the signature over the decoded data and names the agent whose token matched', () => {
    const decoded = decodeRbmPush(push('{"eventType":"READ"}', 'token-b'), signers);
    expect(decoded).toEqual({ owners: ['agent-b'], data: { eventType: 'READ' }, pubsubMessageId: '1', publishTime: '2025-01-01T00:00:00Z' });
  });

  it('accepts the header as a list (repeated header)', () => {
    const request = push('{}', 'token-a');
    request.headers['x-goog-signature'] = [String(request.headers['x-goog-signature']), 'other'];
    expect(decodeRbmPush(request, signers).owners).toEqual(['agent-a']);
  });

  it.each([
    ['a missing signature', push('{}', null), 'INVALID_SIGNATURE'],
    ['a signature from an unknown token', push('{}', 'token-x'), 'INVALID_SIGNATURE'],
    ['a body that is not JSON', { headers: { 'x-goog-signature': 'x' }, rawBody: Buffer.from('nope') }, 'INVALID_PAYLOAD'],
    ['no message.data', { headers: { 'x-goog-signature': 'x' }, rawBody: Buffer.from('{"message":{}}') }, 'INVALID_PAYLOAD'],
    ['data that is not base64', push('{}', 'token-a', { data: 'e30=!' }), 'INVALID_PAYLOAD'],
    ['data that decodes to non-JSON', push('not json', 'token-a'), 'INVALID_PAYLOAD'],
  ])('refuses %s', (_what, request, code) => {
    expect(() => decodeRbmPush(request as InboundRequest, signers)).toThrow(expect.objectContaining({ code }));
  });

  it('checks the signature before parsing the data', () => {
    expect(() => decodeRbmPush(push('not json', 'token-x'), signers)).toThrow(expect.objectContaining({ code: 'INVALID_SIGNATURE' }));
  });

  it('drops __proto__ keys from the data', () => {
    const decoded = decodeRbmPush(push('{"__proto__":{"polluted":true},"eventType":"READ"}', 'token-a'), signers);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((decoded.data as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('readRbmHandshake', () => {
  it('reads { clientToken, secret } and nothing else', () => {
    expect(readRbmHandshake(Buffer.from('{"clientToken":"t","secret":"s"}'))).toEqual({ clientToken: 't', secret: 's' });
    expect(readRbmHandshake(Buffer.from('{"message":{"data":""},"clientToken":"t","secret":"s"}'))).toBeNull();
    expect(readRbmHandshake(Buffer.from('{"clientToken":"t"}'))).toBeNull();
    expect(readRbmHandshake(Buffer.from('garbage'))).toBeNull();
  });
});

describe('safeEqual', () => {
  it.each([
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['', '', true],
    ['', 'a', false],
  ])('%j vs %j → %s', (a, b, same) => {
    expect(safeEqual(a, b)).toBe(same);
  });
});
