import { channelErrorOf, describeChannelContract, ScriptedSendOutcome } from '@tsunagu/channels/testing';
import { expectEventually } from '@tsunagu/testing';
import { RbmScript } from '../../../apps/sandbox/src/rbm';
import { attemptTo, nextPhone, RbmTestEnv, signedPush, startRbmTestEnv, TENANT } from './testing/rbm-test-env';

let env: RbmTestEnv;

beforeAll(async () => {
  env = await startRbmTestEnv();
});
afterAll(async () => {
  await env?.close();
});

const CONTRACT_SCRIPTS: Record<ScriptedSendOutcome, RbmScript> = {
  // Delivered late enough that the contract's cancel (right after the send) comes first.
  accept: { outcome: 'delivered', afterMs: 400 },
  retryable: { outcome: '429', retryAfterSeconds: 1 },
  permanent: { outcome: '403' },
  unknown_outcome: { outcome: '500_after_applying', afterMs: 400 },
};

describeChannelContract('rcs', async () => {
  const reachable = nextPhone();
  const unreachable = nextPhone();
  env.sandbox.control.script(unreachable, 'not_capable');
  const contact = (phoneE164: string) => ({ tenantId: TENANT, contactId: phoneE164, phoneE164, optOuts: [] });
  return {
    adapter: env.adapter,
    reachableContact: async () => contact(reachable),
    unreachableContact: async () => contact(unreachable),
    scriptSend: async (c, outcome) => env.sandbox.control.script(c.phoneE164, CONTRACT_SCRIPTS[outcome]),
    receivedCount: async (attemptId) => env.sandbox.control.records().messages[attemptId]?.createCount ?? 0,
    // The real push the sandbox sent for this attempt, bytes and headers as received.
    validInbound: async (attempt) =>
      expectEventually(() => {
        const [push] = env.receiver.pushesFor(attempt.attemptId, 'DELIVERED');
        expect(push).toBeDefined();
        return push.request;
      }),
    badSignatureInbound: async (attempt) =>
      signedPush({ senderPhoneNumber: reachable, eventType: 'DELIVERED', eventId: 'e-1', messageId: attempt.attemptId }, 'not-the-client-token'),
    malformedInbound: async () => {
      const request = signedPush({}, env.clientToken);
      const body = JSON.parse(request.rawBody.toString()) as { message: { data: string } };
      body.message.data = '%%% not base64 %%%';
      return { ...request, rawBody: Buffer.from(JSON.stringify(body)) };
    },
    cancelRevokes: true,
    close: async () => undefined,
  };
});

describe('RcsAdapter against the sandbox RBM: send', () => {
  it('sends a rich card with the documented body shape', async () => {
    const phone = nextPhone();
    const attempt = attemptTo(phone, {
      text: 'Your parcel arrives today',
      rcs: {
        card: {
          title: 'Delivery today',
          mediaUrl: 'https://cdn.example.jp/parcel.png',
          suggestions: [{ type: 'reply', text: 'Reschedule', postbackData: 'reschedule' }],
        },
        suggestions: [
          { type: 'open_url', text: 'Track', url: 'https://example.jp/track/1' },
          { type: 'dial', text: 'Call us', phoneNumber: '+81312345678' },
        ],
      },
    });
    await env.adapter.send(attempt);
    const record = env.sandbox.control.records().messages[attempt.attemptId];
    expect(record.body).toEqual({
      contentMessage: {
        richCard: {
          standaloneCard: {
            cardOrientation: 'VERTICAL',
            cardContent: {
              title: 'Delivery today',
              description: 'Your parcel arrives today',
              media: { height: 'MEDIUM', contentInfo: { fileUrl: 'https://cdn.example.jp/parcel.png', forceRefresh: false } },
              suggestions: [{ reply: { text: 'Reschedule', postbackData: 'reschedule' } }],
            },
          },
        },
        suggestions: [
          { action: { text: 'Track', postbackData: 'Track', openUrlAction: { url: 'https://example.jp/track/1' } } },
          { action: { text: 'Call us', postbackData: 'Call us', dialAction: { phoneNumber: '+81312345678' } } },
        ],
      },
      messageTrafficType: 'TRANSACTION',
      ttl: '72s', // the 60 s fallback timeout plus the backstop margin
    });
    expect(record.phone).toBe(phone);
  });

  it.each([
    ['otp', 'AUTHENTICATION'],
    ['transactional', 'TRANSACTION'],
    ['marketing', 'PROMOTION'],
  ] as const)('maps category %s to messageTrafficType %s, with the fallback timeout plus a margin as ttl', async (category, traffic) => {
    const attempt = attemptTo(nextPhone(), { category, timeoutSeconds: 45 });
    const result = await env.adapter.send(attempt);
    expect(result.providerMessageId).toBe(attempt.attemptId);
    const record = env.sandbox.control.records().messages[attempt.attemptId];
    expect(record.messageTrafficType).toBe(traffic);
    expect(record.ttl).toBe('54s');
    expect(record.body.contentMessage).toEqual({ text: 'ご予約は明日10時です' });
  });

  it('500 after applying, then a retry with the same messageId: the sandbox holds one message', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, { outcome: '500_after_applying', afterMs: 5000 });
    const attempt = attemptTo(phone);
    const err = await channelErrorOf(env.adapter.send(attempt));
    expect(err).toMatchObject({ kind: 'retryable', code: 'rbm_internal' });
    const retried = await env.adapter.send(attempt);
    expect(retried).toMatchObject({ providerMessageId: attempt.attemptId, note: 'already_exists' });
    const records = env.sandbox.control.records();
    expect(records.messages[attempt.attemptId]).toMatchObject({ createCount: 1, requestCount: 2 });
    expect(Object.values(records.messages).filter((m) => m.phone === phone)).toHaveLength(1);
  });

  it('429 is retryable and honours Retry-After', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, { outcome: '429', retryAfterSeconds: 3 });
    const err = await channelErrorOf(env.adapter.send(attemptTo(phone)));
    expect(err).toMatchObject({ kind: 'retryable', code: 'rbm_rate_limited', retryAfterMs: 3000 });
  });

  it('400 and 403 are permanent with the provider reason', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, '403');
    expect(await channelErrorOf(env.adapter.send(attemptTo(phone)))).toMatchObject({ kind: 'permanent', code: 'rbm_permission_denied' });
    env.sandbox.control.script(phone, '400');
    const err = await channelErrorOf(env.adapter.send(attemptTo(phone)));
    expect(err).toMatchObject({ kind: 'permanent', code: 'rbm_invalid_argument' });
    expect(err.message).toContain('invalid argument');
  });

  it('a send to a number that is not RCS capable is permanent not_rcs_capable', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, 'not_capable');
    expect(await channelErrorOf(env.adapter.send(attemptTo(phone)))).toMatchObject({ kind: 'permanent', code: 'not_rcs_capable' });
  });

  it('chooses the agent named by attempt.sender, else the tenant default; never another tenant’s', async () => {
    const named = attemptTo(nextPhone(), { sender: 'tsunagu-test-agent-2' });
    const byDefault = attemptTo(nextPhone(), { sender: 'SOME-SMS-SENDER' });
    await env.adapter.send(named);
    await env.adapter.send(byDefault);
    const { messages } = env.sandbox.control.records();
    expect(messages[named.attemptId].agentId).toBe('tsunagu-test-agent-2');
    expect(messages[byDefault.attemptId].agentId).toBe('tsunagu-test-agent');
    const foreign = attemptTo(nextPhone(), { sender: 'tenant-b-agent' });
    expect(await channelErrorOf(env.adapter.send(foreign))).toMatchObject({ kind: 'permanent', code: 'rcs_agent_not_allowed' });
    const tenantB = await env.adapter.send(attemptTo(nextPhone(), { tenantId: 'tenant-b' }));
    expect(tenantB.route).toBe('tenant-b-agent');
    expect(await channelErrorOf(env.adapter.send(attemptTo(nextPhone(), { tenantId: 'no-such-tenant' })))).toMatchObject({
      kind: 'permanent',
      code: 'rcs_agent_not_configured',
    });
  });
});

describe('RcsAdapter against the sandbox RBM: capability', () => {
  const contact = (phoneE164: string) => ({ tenantId: TENANT, contactId: 'c', phoneE164, optOuts: [] });

  it('not capable → reachable false with the negative TTL, and nothing is sent', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, 'not_capable');
    const result = await env.adapter.capability(contact(phone));
    expect(result).toMatchObject({ reachable: false, reason: 'not_rcs_capable', ttlSeconds: 86400 });
    const capable = await env.adapter.capability(contact(nextPhone()));
    expect(capable).toMatchObject({ reachable: true, ttlSeconds: 3600 });
    expect(Object.values(env.sandbox.control.records().messages).some((m) => m.phone === phone)).toBe(false);
  });

  it('capability 500 → not capable, capability_lookup_failed, not cached', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, '500');
    expect(await env.adapter.capability(contact(phone))).toMatchObject({
      reachable: false,
      reason: 'capability_lookup_failed',
      ttlSeconds: 0,
    });
  });
});

describe('RcsAdapter against the sandbox RBM: revoke', () => {
  it('revoke before delivery → revoked, and no DELIVERED webhook follows', async () => {
    const revokedPhone = nextPhone();
    const sentinelPhone = nextPhone();
    env.sandbox.control.script(revokedPhone, { outcome: 'delivered', afterMs: 300 });
    env.sandbox.control.script(sentinelPhone, { outcome: 'delivered', afterMs: 450 });
    const revoked = attemptTo(revokedPhone);
    const sent = await env.adapter.send(revoked);
    expect(await env.adapter.cancel({ ...revoked, providerMessageId: sent.providerMessageId, route: sent.route })).toBe('revoked');
    // A later message's DELIVERED proves the revoked one's moment has passed: no fixed sleep.
    const sentinel = attemptTo(sentinelPhone);
    await env.adapter.send(sentinel);
    await expectEventually(() => expect(env.receiver.pushesFor(sentinel.attemptId, 'DELIVERED')).toHaveLength(1));
    expect(env.receiver.events().filter((e) => e.attemptId === revoked.attemptId)).toEqual([]);
    expect(env.sandbox.control.records().messages[revoked.attemptId].state).toBe('revoked');
  });

  it('revoke after a DELIVERED webhook was seen → too_late, without calling RBM', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, { outcome: 'delivered', afterMs: 20 });
    const attempt = attemptTo(phone);
    await env.adapter.send(attempt);
    await expectEventually(() => expect(env.receiver.pushesFor(attempt.attemptId, 'DELIVERED')).toHaveLength(1));
    const revokesBefore = env.sandbox.control.records().revokes.length;
    expect(await env.adapter.cancel(attempt)).toBe('too_late');
    expect(env.sandbox.control.records().revokes).toHaveLength(revokesBefore);
  });

  it('revoke of a delivered message by an adapter that never saw the DELIVERED (another process) → too_late, from RBM\'s 404', async () => {
    const phone = nextPhone();
    env.sandbox.control.script(phone, { outcome: 'delivered', afterMs: 20 });
    const attempt = attemptTo(phone);
    await env.adapter.send(attempt);
    await expectEventually(() => expect(env.receiver.pushesFor(attempt.attemptId, 'DELIVERED')).toHaveLength(1));
    // The worker that withdraws is not the process that took the webhook.
    const worker = env.makeAdapter([env.agent()]);
    try {
      expect(await worker.cancel(attempt)).toBe('too_late');
    } finally {
      worker.onApplicationShutdown();
    }
    expect(env.sandbox.control.records().revokes.at(-1)).toEqual({ messageId: attempt.attemptId, status: 404 });
    expect(env.sandbox.control.records().messages[attempt.attemptId].state).toBe('delivered');
  });

  it('revoke of a message RBM does not know (404) → too_late', async () => {
    expect(await env.adapter.cancel(attemptTo(nextPhone()))).toBe('too_late');
  });
});
