import { InvalidInboundError } from '@tsunagu/channels';
import { expectEventually } from '@tsunagu/testing';
import { attemptTo, nextPhone, RbmTestEnv, signedPush, startRbmTestEnv, TENANT } from './testing/rbm-test-env';

// RBM webhooks as the sandbox pushes them to a stand-in of the engine's POST /webhooks/rbm.
let env: RbmTestEnv;

beforeAll(async () => {
  env = await startRbmTestEnv();
});
afterAll(async () => {
  await env?.close();
});

describe('RcsAdapter against the sandbox RBM: webhooks', () => {
  it('refuses a bad or missing signature, data that is not base64, and data that is not JSON', async () => {
    const data = { senderPhoneNumber: '+819012345678', eventType: 'DELIVERED', eventId: 'e1', messageId: 'm1' };
    await expect(env.adapter.parseInbound(signedPush(data, 'wrong-token'))).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    const unsigned = signedPush(data, env.clientToken);
    delete unsigned.headers['x-goog-signature'];
    await expect(env.adapter.parseInbound(unsigned)).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    await expect(env.adapter.parseInbound(signedPush('not json {', env.clientToken))).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
    });
    const notBase64 = signedPush(data, env.clientToken);
    const body = JSON.parse(notBase64.rawBody.toString()) as { message: { data: string } };
    body.message.data = 'eyJ@@@';
    await expect(env.adapter.parseInbound({ ...notBase64, rawBody: Buffer.from(JSON.stringify(body)) })).rejects.toMatchObject({
      code: 'INVALID_PAYLOAD',
    });
    await expect(env.adapter.parseInbound({ headers: { 'x-goog-signature': 'x' }, rawBody: Buffer.from('<xml/>') })).rejects.toBeInstanceOf(
      InvalidInboundError,
    );
  });

  it('a replayed webhook (Pub/Sub redelivery) parses to the same ids', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, { outcome: 'delivered', afterMs: 20, duplicateEvents: true });
    const attempt = attemptTo(phone);
    await env.adapter.send(attempt);
    const pushes = await expectEventually(() => {
      const found = env.receiver.pushesFor(attempt.attemptId, 'DELIVERED');
      expect(found).toHaveLength(2);
      return found;
    });
    expect(pushes[0].request.rawBody.equals(pushes[1].request.rawBody)).toBe(true);
    const [first, second] = pushes.map((p) => p.events);
    expect(first).toHaveLength(1);
    expect(second.map((e) => [e.providerEventId, e.attemptId, e.type])).toEqual(first.map((e) => [e.providerEventId, e.attemptId, e.type]));
    expect(first[0]).toMatchObject({ channel: 'rcs', type: 'delivered', account: 'tsunagu-test-agent', tenantId: TENANT });
  });

  it('READ before DELIVERED: both are parsed, in the order they came', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, { outcome: 'read', afterMs: 20, readBeforeDelivered: true });
    const attempt = attemptTo(phone);
    await env.adapter.send(attempt);
    const types = await expectEventually(() => {
      const seen = env.receiver.events().filter((e) => e.attemptId === attempt.attemptId).map((e) => e.type);
      expect(seen).toHaveLength(2);
      return seen;
    });
    expect(types).toEqual(['read', 'delivered']);
    expect(await env.adapter.cancel(attempt)).toBe('too_late');
  });

  it('TTL expiry: revoked → expired ttl_expired_revoked; revoke failed → expired ttl_revoke_failed', async () => {
    const revokedPhone = nextPhone();
    const failedPhone = nextPhone();
    env.sandbox.control.script(revokedPhone, 'never_delivered');
    env.sandbox.control.script(failedPhone, { outcome: 'never_delivered', ttlRevokeFails: true });
    const revoked = attemptTo(revokedPhone, { timeoutSeconds: 1 });
    const failed = attemptTo(failedPhone, { timeoutSeconds: 1 });
    await env.adapter.send(revoked);
    await env.adapter.send(failed);
    await expectEventually(() => {
      const byAttempt = (id: string) => env.receiver.events().find((e) => e.attemptId === id);
      expect(byAttempt(revoked.attemptId)).toMatchObject({ type: 'expired', reason: 'ttl_expired_revoked' });
      expect(byAttempt(failed.attemptId)).toMatchObject({ type: 'expired', reason: 'ttl_revoke_failed' });
    });
  });

  it('user replies become inbound_message events with the sender and text', async () => {
    const phone = nextPhone();
    const textId = env.sandbox.control.reply({ phone, text: 'はい、伺います' });
    const suggestionId = env.sandbox.control.reply({ phone, suggestion: { text: 'Reschedule', postbackData: 'reschedule' } });
    const locationId = env.sandbox.control.reply({ phone, location: { latitude: 35.68, longitude: 139.76 } });
    await expectEventually(() => {
      const byId = (id: string) => env.receiver.events().find((e) => e.providerEventId === id);
      expect(byId(textId)).toMatchObject({ type: 'inbound_message', from: { phoneE164: phone }, contentType: 'text', text: 'はい、伺います' });
      expect(byId(suggestionId)).toMatchObject({ contentType: 'suggestion', text: 'reschedule' });
      expect(byId(locationId)).toMatchObject({ contentType: 'location', text: 'location 35.68,139.76' });
    });
  });

  it('unsubscribing in Google Messages is an opt_out from that number, and subscribing again an opt_in', async () => {
    const phone = nextPhone();
    const out = env.sandbox.control.reply({ phone, event: 'UNSUBSCRIBE' });
    const back = env.sandbox.control.reply({ phone, event: 'SUBSCRIBE' });
    await expectEventually(() => {
      const byId = (id: string) => env.receiver.events().find((e) => e.providerEventId === id);
      expect(byId(out)).toMatchObject({ type: 'opt_out', from: { phoneE164: phone }, account: 'tsunagu-test-agent', tenantId: TENANT });
      expect(byId(back)).toMatchObject({ type: 'opt_in', from: { phoneE164: phone }, tenantId: TENANT });
    });
  });

  it('answers the verification handshake only for the right clientToken, never echoing the secret otherwise', async () => {
    const handshake = (clientToken: string) => ({ headers: {}, rawBody: Buffer.from(JSON.stringify({ clientToken, secret: 's3cr3t-value' })) });
    expect(await env.adapter.directReply(handshake(env.clientToken))).toEqual({ status: 200, body: { secret: 's3cr3t-value' } });
    const err: unknown = await env.adapter.directReply(handshake('wrong')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInboundError);
    expect(err).toMatchObject({ code: 'INVALID_PAYLOAD' });
    expect(String((err as Error).message)).not.toContain('s3cr3t');
    // Ordinary pushes are not handshakes.
    expect(await env.adapter.directReply(signedPush({ eventType: 'READ' }, env.clientToken))).toBeNull();
  });

  it('a signed push naming an agent we do not configure is not ours: no events, not the signing agent\'s (BAD-INPUTS 36)', async () => {
    // One partner client token signs for all its agents; only the named agent says whose it is.
    const data = { senderPhoneNumber: nextPhone(), eventType: 'DELIVERED', eventId: 'e-foreign', messageId: 'm-foreign' };
    expect(await env.adapter.parseInbound(signedPush({ ...data, agentId: 'someone-elses-agent' }, env.clientToken))).toEqual([]);
    // The same push naming our agent is parsed, and put on that agent's tenant.
    const ours = await env.adapter.parseInbound(signedPush({ ...data, agentId: 'tsunagu-test-agent' }, env.clientToken));
    expect(ours.map((e) => [e.type, e.account, e.tenantId])).toEqual([['delivered', 'tsunagu-test-agent', TENANT]]);
  });

  it('an unknown event type parses to no events (the caller answers 200)', async () => {
    const request = signedPush({ eventType: 'SOMETHING_NEW', eventId: 'x', messageId: 'y', agentId: 'tsunagu-test-agent' }, env.clientToken);
    expect(await env.adapter.parseInbound(request)).toEqual([]);
  });
});

