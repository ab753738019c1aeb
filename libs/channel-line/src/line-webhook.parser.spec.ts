import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InvalidInboundError } from '@tsunagu/channels';
import { signLineBody } from './line-signature.util';
import { parseLineWebhook } from './line-webhook.parser';
import { lineSpecDir } from './testing/line-openapi.helper';

const A = { id: 'ch-a', tenantId: 't1', botUserId: `U${'a'.repeat(32)}`, channelSecret: 'secret-a' };
const B = { id: 'ch-b', tenantId: 't2', botUserId: `U${'b'.repeat(32)}`, channelSecret: 'secret-b' };
const channels = [A, B];
const USER = `U${'1'.repeat(32)}`;

function follow(destination: string, id = '01HXAAAAAAAAAAAAAAAAAAAAAA'): string {
  return JSON.stringify({
    destination,
    events: [
      {
        type: 'follow',
        source: { type: 'user', userId: USER },
        timestamp: 1_700_000_000_000,
        mode: 'active',
        webhookEventId: id,
        deliveryContext: { isRedelivery: false },
        replyToken: 'r',
        follow: { isUnblocked: false },
      },
    ],
  });
}
const request = (body: string, signature?: string | string[]) => ({
  headers: signature === undefined ? {} : { 'x-line-signature': signature },
  rawBody: Buffer.from(body, 'utf8'),
});
function refusal(fn: () => unknown): InvalidInboundError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidInboundError) return err;
    throw err;
  }
  throw new Error('expected InvalidInboundError');
}

describe('parseLineWebhook', () => {
  it("picks the channel by destination and verifies with that channel's secret", () => {
    const body = follow(B.botUserId);
    const result = parseLineWebhook(request(body, signLineBody(B.channelSecret, body)), channels);
    expect(result.status).toBe('parsed');
    expect(result.events[0]).toMatchObject({ type: 'opt_in', account: 'ch-b', tenantId: 't2' });
  });

  it("refuses a body signed with another channel's secret", () => {
    const body = follow(B.botUserId);
    expect(refusal(() => parseLineWebhook(request(body, signLineBody(A.channelSecret, body)), channels)).code).toBe('INVALID_SIGNATURE');
  });

  it.each([
    ['missing header', undefined],
    ['empty header', ''],
    ['not base64', '***'],
    ['two headers', ['x', 'y']],
    ['a truncated signature', 'AAAA'],
  ])('refuses %s', (_name, signature) => {
    const body = follow(A.botUserId);
    expect(refusal(() => parseLineWebhook(request(body, signature as string | undefined), channels)).code).toBe('INVALID_SIGNATURE');
  });

  it('refuses a signature over re-serialised JSON', () => {
    const body = follow(A.botUserId).replace('{"destination"', '{ "destination"');
    const reserialised = JSON.stringify(JSON.parse(body));
    expect(reserialised).not.toBe(body);
    expect(refusal(() => parseLineWebhook(request(body, signLineBody(A.channelSecret, reserialised)), channels)).code).toBe('INVALID_SIGNATURE');
  });

  it('refuses malformed JSON as INVALID_PAYLOAD when signed by one of our channels, else INVALID_SIGNATURE', () => {
    const body = '{"destination":"U';
    expect(refusal(() => parseLineWebhook(request(body, signLineBody(A.channelSecret, body)), channels)).code).toBe('INVALID_PAYLOAD');
    expect(refusal(() => parseLineWebhook(request(body, signLineBody('other', body)), channels)).code).toBe('INVALID_SIGNATURE');
  });

  it("refuses a signed body that does not match webhook.yml's shape", () => {
    const body = JSON.stringify({ destination: A.botUserId, events: [{ type: 'follow' }] });
    expect(refusal(() => parseLineWebhook(request(body, signLineBody(A.channelSecret, body)), channels)).code).toBe('INVALID_PAYLOAD');
    const noEvents = JSON.stringify({ destination: A.botUserId });
    expect(refusal(() => parseLineWebhook(request(noEvents, signLineBody(A.channelSecret, noEvents)), channels)).code).toBe('INVALID_PAYLOAD');
  });

  it('answers an unknown destination with no events (so LINE does not retry forever)', () => {
    const body = follow(`U${'c'.repeat(32)}`);
    expect(parseLineWebhook(request(body, signLineBody('whatever', body)), channels)).toEqual({ status: 'unknown_destination', events: [] });
  });

  it('accepts the verification request LINE sends with no events', () => {
    const body = JSON.stringify({ destination: A.botUserId, events: [] });
    expect(parseLineWebhook(request(body, signLineBody(A.channelSecret, body)), channels)).toMatchObject({ status: 'parsed', events: [] });
  });

  it('drops __proto__ keys without polluting prototypes', () => {
    const body = follow(A.botUserId).replace('{"destination"', '{"__proto__":{"polluted":true},"destination"');
    const result = parseLineWebhook(request(body, signLineBody(A.channelSecret, body)), channels);
    expect(result.events).toHaveLength(1);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it("answers every event type webhook.yml lists: the four Tsunagu uses mapped, the rest skipped, none refused", () => {
    const spec = YAML.parse(readFileSync(path.join(lineSpecDir(), 'webhook.yml'), 'utf8'));
    const types = Object.keys(spec.components.schemas.Event.discriminator.mapping as Record<string, string>);
    expect(types).toEqual(expect.arrayContaining(['message', 'follow', 'unfollow', 'delivery', 'postback', 'membership', 'unsend', 'videoPlayComplete', 'beacon', 'accountLink']));
    const events = types.map((type, i) => ({
      type,
      source: { type: 'user', userId: USER },
      timestamp: 1_700_000_000_000,
      mode: 'active',
      webhookEventId: `01HX${String(i).padStart(22, '0')}`,
      deliveryContext: { isRedelivery: false },
      ...(type === 'message' ? { message: { type: 'text', id: '1', text: 'x' } } : {}),
      ...(type === 'delivery' ? { delivery: { data: '0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b' } } : {}),
    }));
    const body = JSON.stringify({ destination: A.botUserId, events });
    const result = parseLineWebhook(request(body, signLineBody(A.channelSecret, body)), channels);
    expect(result.events.map((e) => e.type).sort()).toEqual(['delivered', 'inbound_message', 'opt_in', 'opt_out']);
  });
});
