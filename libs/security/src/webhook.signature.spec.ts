import { createHmac } from 'node:crypto';
import {
  generateWebhookSecret,
  hmacBase64,
  signWebhook,
  verifyHmacBase64,
  verifyWebhook,
} from './webhook.signature';

/**
 * Test vector published in the Standard Webhooks specification and reference libraries
 * (https://github.com/standard-webhooks/standard-webhooks): this pins us to the real scheme,
 * not to our own reading of it.
 */
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('signWebhook', () => {
  it('matches the Standard Webhooks reference vector', () => {
    expect(signWebhook(VECTOR)).toBe(VECTOR.signature);
  });

  it('signs a Buffer body like the same string', () => {
    expect(signWebhook({ ...VECTOR, body: Buffer.from(VECTOR.body) } as never)).toBe(VECTOR.signature);
  });

  it('refuses a malformed secret without printing it', () => {
    expect(() => signWebhook({ ...VECTOR, secret: 'whsec_not base64!' })).toThrow(/whsec_/);
    expect(() => signWebhook({ ...VECTOR, secret: 'whsec_' })).toThrow(/base64/);
  });

  it('generateWebhookSecret gives whsec_ + 24 random bytes', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(generateWebhookSecret()).not.toBe(secret);
    expect(signWebhook({ ...VECTOR, secret })).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });
});

describe('verifyWebhook', () => {
  const now = new Date(VECTOR.timestamp * 1000);
  const headers = {
    'webhook-id': VECTOR.id,
    'webhook-timestamp': String(VECTOR.timestamp),
    'webhook-signature': VECTOR.signature,
  };
  const verify = (over: Partial<Parameters<typeof verifyWebhook>[0]> = {}): boolean =>
    verifyWebhook({ secret: VECTOR.secret, headers, body: VECTOR.body, now, ...over });

  it('accepts the reference vector', () => {
    expect(verify()).toBe(true);
  });

  it('accepts one good signature among several (secret rotation) and mixed-case header names', () => {
    const other = signWebhook({ ...VECTOR, secret: generateWebhookSecret() });
    expect(verify({ headers: { ...headers, 'webhook-signature': `v2,abc ${other} ${VECTOR.signature}` } })).toBe(true);
    expect(
      verify({ headers: { 'Webhook-Id': VECTOR.id, 'WEBHOOK-TIMESTAMP': String(VECTOR.timestamp), 'Webhook-Signature': VECTOR.signature } }),
    ).toBe(true);
  });

  it('enforces the tolerance in both directions', () => {
    expect(verify({ now: new Date((VECTOR.timestamp + 300) * 1000) })).toBe(true);
    expect(verify({ now: new Date((VECTOR.timestamp + 301) * 1000) })).toBe(false);
    expect(verify({ now: new Date((VECTOR.timestamp - 301) * 1000) })).toBe(false);
    expect(verify({ now: new Date((VECTOR.timestamp + 30) * 1000), toleranceSeconds: 10 })).toBe(false);
    expect(verifyWebhook({ secret: VECTOR.secret, headers, body: VECTOR.body })).toBe(false); // real clock: 2021 is stale
  });

  it.each([
    ['another body', { body: '{"test": 2432232315}' }],
    ['another secret', { secret: generateWebhookSecret() }],
    ['another id', { headers: { ...headers, 'webhook-id': 'msg_other' } }],
    ['a non-numeric timestamp', { headers: { ...headers, 'webhook-timestamp': '1614265330.0' } }],
    ['a missing signature', { headers: { 'webhook-id': VECTOR.id, 'webhook-timestamp': String(VECTOR.timestamp) } }],
    ['a v2 signature only', { headers: { ...headers, 'webhook-signature': VECTOR.signature.replace('v1,', 'v2,') } }],
    ['no comma', { headers: { ...headers, 'webhook-signature': VECTOR.signature.replace(',', '') } }],
    ['junk base64', { headers: { ...headers, 'webhook-signature': 'v1,!!!' } }],
    ['a truncated signature', { headers: { ...headers, 'webhook-signature': VECTOR.signature.slice(0, -4) } }],
    ['repeated headers', { headers: { ...headers, 'webhook-id': [VECTOR.id, VECTOR.id] } }],
  ])('refuses %s', (_name, over) => {
    expect(verify(over as never)).toBe(false);
  });
});

describe('hmacBase64 / verifyHmacBase64', () => {
  const body = Buffer.from('{"destination":"U123","events":[]}');

  it('computes LINE-style (sha256) and RBM-style (sha512) signatures', () => {
    expect(hmacBase64('sha256', 'channel-secret', body)).toBe(createHmac('sha256', 'channel-secret').update(body).digest('base64'));
    expect(hmacBase64('sha512', 'client-token', body)).toBe(createHmac('sha512', 'client-token').update(body).digest('base64'));
  });

  it('verifies good signatures', () => {
    expect(verifyHmacBase64('sha256', 'channel-secret', body, hmacBase64('sha256', 'channel-secret', body))).toBe(true);
    expect(verifyHmacBase64('sha512', Buffer.from('k'), body.toString(), hmacBase64('sha512', 'k', body))).toBe(true);
  });

  it.each([
    ['wrong key', 'sha256', 'other', body, null],
    ['wrong algorithm', 'sha512', 'channel-secret', body, null],
    ['re-serialised body', 'sha256', 'channel-secret', Buffer.from('{"destination": "U123", "events": []}'), null],
    ['empty signature', 'sha256', 'channel-secret', body, ''],
    ['non-base64 signature', 'sha256', 'channel-secret', body, '%%%'],
    ['undefined signature', 'sha256', 'channel-secret', body, undefined],
    ['array signature', 'sha256', 'channel-secret', body, ['x']],
    ['unknown algorithm', 'md5', 'channel-secret', body, null],
    ['empty key', 'sha256', '', body, null],
  ])('returns false for %s, without throwing', (_name, algorithm, key, data, signature) => {
    const good = hmacBase64('sha256', 'channel-secret', body);
    const sig = signature === null ? good : signature;
    expect(verifyHmacBase64(algorithm as never, key as string, data as Buffer, sig)).toBe(false);
  });
});
