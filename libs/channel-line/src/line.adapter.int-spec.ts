import { randomUUID } from 'node:crypto';
import { ContactView } from '@tsunagu/channels';
import { channelErrorOf, describeChannelContract } from '@tsunagu/channels/testing';
import { expectEventually } from '@tsunagu/testing';
// The adapter's stand-in; specs (never the library) import the sandbox app.
import { newLineUserId, startSandboxLine, StartedSandboxLine } from '../../../apps/sandbox/src/line';
import { LineAdapter } from './line.adapter';
import { signLineBody } from './line-signature.util';
import { attemptFor, closedPort, contactB } from './testing/line-fixtures.helper';
import { lineSchemaValidator } from './testing/line-openapi.helper';
import { TEST_LINE_CHANNELS, WebhookCapture } from './testing/webhook-capture.helper';

const [A1, A2, B1] = TEST_LINE_CHANNELS;

interface Env {
  sandbox: StartedSandboxLine;
  capture: WebhookCapture;
  adapter: LineAdapter;
}

// One sandbox for the whole file, so the last block can check every request the adapter sent.
let envPromise: Promise<Env> | undefined;
function env(): Promise<Env> {
  envPromise ??= (async () => {
    const capture = await WebhookCapture.start();
    const sandbox = await startSandboxLine({
      channels: TEST_LINE_CHANNELS.map(({ channelAccessToken, channelSecret, botUserId }) => ({ channelAccessToken, channelSecret, botUserId })),
      webhookUrl: capture.url,
      pnpDeliveryDelayMs: 50,
    });
    const adapter = new LineAdapter({ channels: TEST_LINE_CHANNELS, apiBaseUrl: sandbox.baseUrl, requestTimeoutMs: 5000 });
    return { sandbox, capture, adapter };
  })();
  return envPromise;
}
afterAll(async () => {
  const e = await envPromise;
  await e?.sandbox.close();
  await e?.capture.close();
});

/** A user writes to tenant B's account; resolves with the signed webhook as it arrived. */
async function inboundText(e: Env, userId: string, text = 'はい、大丈夫です') {
  const record = await e.sandbox.control.message(userId, text, { botUserId: B1.botUserId });
  return e.capture.waitFor(record.webhookEventId);
}

describeChannelContract('line', async () => {
  const e = await env();
  return {
    adapter: e.adapter,
    reachableContact: async () => contactB(),
    unreachableContact: async () => contactB(null),
    scriptSend: async (contact, outcome) => e.sandbox.control.script(contact.lineUserId ?? contact.phoneE164, outcome),
    receivedCount: async (attemptId) => e.sandbox.control.messageCount(attemptId),
    validInbound: async (attempt) => inboundText(e, attempt.to.lineUserId as string),
    badSignatureInbound: async (attempt) => {
      const hook = await inboundText(e, attempt.to.lineUserId as string);
      return { ...hook, headers: { ...hook.headers, 'x-line-signature': signLineBody(B1.channelSecret, 'x') } };
    },
    malformedInbound: async () => {
      const rawBody = Buffer.from(`{"destination":"${B1.botUserId}","events":[`);
      return { headers: { 'x-line-signature': signLineBody(B1.channelSecret, rawBody) }, rawBody };
    },
    cancelRevokes: false,
    close: async () => undefined, // the file's afterAll closes the shared sandbox
  };
});

describe('LINE adapter against the sandbox', () => {
  let e: Env;
  beforeAll(async () => {
    e = await env();
  });

  describe('webhook signature (BAD-INPUTS #32)', () => {
    it('refuses a bad signature and a missing header', async () => {
      const hook = await inboundText(e, newLineUserId());
      await expect(e.adapter.parseInbound({ ...hook, headers: { ...hook.headers, 'x-line-signature': 'AAAA' } })).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
      const { 'x-line-signature': _dropped, ...unsigned } = hook.headers;
      await expect(e.adapter.parseInbound({ ...hook, headers: unsigned })).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
    });

    it('refuses a signature computed over re-serialised JSON', async () => {
      const hook = await inboundText(e, newLineUserId(), '了解しました');
      const reserialised = JSON.stringify(JSON.parse(hook.rawBody.toString('utf8')));
      // The sandbox escapes non-ASCII, so the bytes differ; otherwise this test could not fail.
      expect(reserialised).not.toBe(hook.rawBody.toString('utf8'));
      await expect(
        e.adapter.parseInbound({ ...hook, headers: { ...hook.headers, 'x-line-signature': signLineBody(B1.channelSecret, reserialised) } }),
      ).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
      await expect(e.adapter.parseInbound({ ...hook, rawBody: Buffer.from(reserialised) })).rejects.toMatchObject({ code: 'INVALID_SIGNATURE' });
      // The untouched request passes: the refusals above are about the bytes, not the event.
      await expect(e.adapter.parseInbound(hook)).resolves.toHaveLength(1);
    });
  });

  it('parses a message, and its redelivery to the same providerEventId', async () => {
    const userId = newLineUserId();
    const hook = await inboundText(e, userId, '予約を変更したい');
    const [first] = await e.adapter.parseInbound(hook);
    expect(first).toMatchObject({ type: 'inbound_message', from: { lineUserId: userId }, text: '予約を変更したい', contentType: 'text', account: B1.id, tenantId: 'tenant-b' });

    const webhookEventId = hook.body.events[0].webhookEventId;
    await e.sandbox.control.redeliver(webhookEventId);
    const again = await e.capture.waitFor(webhookEventId, true);
    const [replayed] = await e.adapter.parseInbound(again);
    expect(replayed.providerEventId).toBe(first.providerEventId);
    expect(replayed.raw).toMatchObject({ isRedelivery: true });
  });

  it('maps follow, unfollow, sticker and image webhooks', async () => {
    const { userId, webhook } = await e.sandbox.control.follow(undefined, A1.botUserId);
    const [optIn] = await e.adapter.parseInbound(await e.capture.waitFor(webhook.webhookEventId));
    expect(optIn).toMatchObject({ type: 'opt_in', from: { lineUserId: userId }, account: A1.id, tenantId: 'tenant-a' });

    const sticker = await e.sandbox.control.message(userId, '', { type: 'sticker', botUserId: A1.botUserId });
    const [s] = await e.adapter.parseInbound(await e.capture.waitFor(sticker.webhookEventId));
    expect(s).toMatchObject({ type: 'inbound_message', contentType: 'sticker', text: '[sticker 446/1988]' });
    const image = await e.sandbox.control.message(userId, '', { type: 'image', botUserId: A1.botUserId });
    const [i] = await e.adapter.parseInbound(await e.capture.waitFor(image.webhookEventId));
    expect(i).toMatchObject({ type: 'inbound_message', contentType: 'image', text: '[image]' });

    const unfollow = await e.sandbox.control.unfollow(userId, A1.botUserId);
    const [optOut] = await e.adapter.parseInbound(await e.capture.waitFor(unfollow.webhookEventId));
    expect(optOut).toMatchObject({ type: 'opt_out', from: { lineUserId: userId }, account: A1.id });
  });

  it('turns a retry answered 409 into success, with one message in the sandbox', async () => {
    const contact = contactB();
    e.sandbox.control.script(contact.lineUserId as string, 'accept_then_error');
    const attempt = attemptFor(contact);
    const err = await channelErrorOf(e.adapter.send(attempt));
    expect([err.kind, err.code]).toEqual(['retryable', 'line_server_error']);

    const result = await e.adapter.send(attempt);
    expect(result.awaitsDelivery).toBe(false);
    expect(e.sandbox.control.messageCount(attempt.attemptId)).toBe(1);
    const records = e.sandbox.control.records();
    const [message] = records.messages.filter((m) => m.retryKey === attempt.attemptId);
    expect(result.providerMessageId).toBe(message.sentMessageIds[0]);
    expect(records.requests.filter((r) => r.retryKey === attempt.attemptId).map((r) => r.status)).toEqual([500, 409]);
    // For LINE's support: the request that was accepted (x-line-accepted-request-id), not the 409's.
    const health = await e.adapter.health();
    expect(health.detail).toMatchObject({ channels: { [B1.id]: { lastStatus: 409, lastRequestId: message.requestId } } });
  });

  it('times out a hung call as retryable, and the retry with the same key reaches the person once', async () => {
    const adapter = new LineAdapter({ channels: TEST_LINE_CHANNELS, apiBaseUrl: e.sandbox.baseUrl, requestTimeoutMs: 150 });
    const contact = contactB();
    e.sandbox.control.script(contact.lineUserId as string, 'slow_accept');
    const attempt = attemptFor(contact);
    const err = await channelErrorOf(adapter.send(attempt));
    expect([err.kind, err.code]).toEqual(['retryable', 'line_timeout']);
    const retried = await adapter.send(attempt);
    expect(retried.providerMessageId).toMatch(/^\d+$/);
    expect(e.sandbox.control.messageCount(attempt.attemptId)).toBe(1);
  });

  it('classifies the monthly quota as permanent and a 429 as retryable', async () => {
    const contact = contactB();
    e.sandbox.control.script(contact.lineUserId as string, 'monthly_quota');
    const quota = await channelErrorOf(e.adapter.send(attemptFor(contact)));
    expect([quota.kind, quota.code]).toEqual(['permanent', 'line_monthly_quota']);

    e.sandbox.control.script(contact.lineUserId as string, 'rate_limited');
    const limited = await channelErrorOf(e.adapter.send(attemptFor(contact)));
    expect([limited.kind, limited.code]).toEqual(['retryable', 'line_rate_limited']);
  });

  it('sends a PNP message by the SHA-256 of the E.164 number, never the number', async () => {
    const phone = '+819087654321';
    const contact: ContactView = { tenantId: 'tenant-a', contactId: randomUUID(), phoneE164: phone, lineUserId: null, optOuts: [] };
    expect(await e.adapter.capability(contact)).toMatchObject({ reachable: true, reason: 'line_pnp' });
    const attempt = attemptFor(contact);
    const result = await e.adapter.send(attempt);
    expect(result).toMatchObject({ awaitsDelivery: true, route: A1.id, note: 'pnp' });

    const records = e.sandbox.control.records();
    const pnp = records.requests.filter((r) => r.path === '/bot/pnp/push' && r.deliveryTag === attempt.attemptId);
    expect(pnp).toHaveLength(1);
    expect((pnp[0].body as { to: string }).to).toMatch(/^[0-9a-f]{64}$/);
    // LINE refuses X-Line-Retry-Key on this API with 400 (only push, multicast, narrowcast and broadcast take one).
    expect([pnp[0].status, pnp[0].retryKey]).toEqual([200, null]);
    const everything = JSON.stringify(records);
    expect(everything).not.toContain(phone);
    expect(everything).not.toContain('9087654321');

    // LINE's delivery completion event names the delivery tag: our attempt id.
    const hook = await e.capture.waitForDelivery(attempt.attemptId);
    const [delivered] = await e.adapter.parseInbound(hook);
    expect(delivered).toMatchObject({ type: 'delivered', attemptId: attempt.attemptId, account: A1.id, tenantId: 'tenant-a' });
  });

  it('sends no delivery event for a PNP message scripted never_delivered', async () => {
    const lost = attemptFor({ tenantId: 'tenant-a', contactId: 'x', phoneE164: '+819055550001', optOuts: [] });
    const control = attemptFor({ tenantId: 'tenant-a', contactId: 'y', phoneE164: '+819055550002', optOuts: [] });
    e.sandbox.control.script('+819055550001', 'never_delivered');
    await e.adapter.send(lost);
    await e.adapter.send(control);
    // Same delay for both: once the later one's event arrived, the earlier one's would have too.
    await e.capture.waitForDelivery(control.attemptId);
    expect(e.capture.received.some((w) => w.rawBody.includes(lost.attemptId))).toBe(false);
  });

  describe('PNP failures: no retry key, so nothing that may have been accepted is resent', () => {
    const pnpContact = (phoneE164: string): ContactView => ({ tenantId: 'tenant-a', contactId: randomUUID(), phoneE164, lineUserId: null, optOuts: [] });

    it('a 500 after LINE applied the request is unknown_outcome, and the person got it once', async () => {
      const contact = pnpContact('+819055550101');
      e.sandbox.control.script(contact.phoneE164, 'accept_then_error');
      const attempt = attemptFor(contact);
      const err = await channelErrorOf(e.adapter.send(attempt));
      expect([err.kind, err.code]).toEqual(['unknown_outcome', 'line_server_error']);
      expect(e.sandbox.control.records().messages.filter((m) => m.deliveryTag === attempt.attemptId)).toHaveLength(1);
      // The delivery event still arrives and names the attempt, so the engine can settle it.
      const [delivered] = await e.adapter.parseInbound(await e.capture.waitForDelivery(attempt.attemptId));
      expect(delivered).toMatchObject({ type: 'delivered', attemptId: attempt.attemptId });
    });

    it('a timeout is unknown_outcome', async () => {
      const adapter = new LineAdapter({ channels: TEST_LINE_CHANNELS, apiBaseUrl: e.sandbox.baseUrl, requestTimeoutMs: 150 });
      const contact = pnpContact('+819055550102');
      e.sandbox.control.script(contact.phoneE164, 'slow_accept');
      const err = await channelErrorOf(adapter.send(attemptFor(contact)));
      expect([err.kind, err.code]).toEqual(['unknown_outcome', 'line_timeout']);
    });

    it('a 429 and a refused connection are retryable (LINE did not take the request)', async () => {
      const contact = pnpContact('+819055550103');
      e.sandbox.control.script(contact.phoneE164, 'rate_limited');
      const limited = await channelErrorOf(e.adapter.send(attemptFor(contact)));
      expect([limited.kind, limited.code]).toEqual(['retryable', 'line_rate_limited']);

      const adapter = new LineAdapter({ channels: [A1], apiBaseUrl: `http://127.0.0.1:${await closedPort()}` });
      const refused = await channelErrorOf(adapter.send(attemptFor(contact)));
      expect([refused.kind, refused.code, refused.message]).toEqual(['retryable', 'line_network_error', 'LINE API unreachable: ECONNREFUSED']);
    });
  });

  it("sends from attempt.sender when it names one of the tenant's channels, else the default", async () => {
    const userId = newLineUserId();
    const contact: ContactView = { tenantId: 'tenant-a', contactId: 'z', phoneE164: '+819011110000', lineUserId: userId, optOuts: [] };
    const named = attemptFor(contact, { sender: A2.id });
    const foreign = attemptFor(contact, { sender: B1.id }); // tenant B's channel: never used for tenant A
    expect((await e.adapter.send(named)).route).toBe(A2.id);
    expect((await e.adapter.send(foreign)).route).toBe(A1.id);
    const byKey = new Map(e.sandbox.control.records().messages.map((m) => [m.retryKey, m.botUserId]));
    expect(byKey.get(named.attemptId)).toBe(A2.botUserId);
    expect(byKey.get(foreign.attemptId)).toBe(A1.botUserId);
  });

  it('sends LINE message objects when the attempt carries them', async () => {
    const contact = contactB();
    const line = [
      { type: 'text', text: 'ご予約ありがとうございます' },
      { type: 'sticker', packageId: '446', stickerId: '1988' },
      { type: 'location', title: '本店', address: '東京都千代田区丸の内1-1', latitude: 35.681, longitude: 139.767 },
      { type: 'template', altText: '確認', template: { type: 'confirm', text: '来店しますか', actions: [{ type: 'message', label: 'はい', text: 'はい' }, { type: 'message', label: 'いいえ', text: 'いいえ' }] } },
      { type: 'flex', altText: '予約', contents: { type: 'bubble', body: { type: 'box', layout: 'vertical', contents: [{ type: 'text', text: '10:00' }] } } },
    ];
    const attempt = attemptFor(contact, { line });
    await e.adapter.send(attempt);
    const [message] = e.sandbox.control.records().messages.filter((m) => m.retryKey === attempt.attemptId);
    expect(message.messages).toEqual(line);
  });

  it('reports a bad token as permanent line_unauthorized and health down', async () => {
    const adapter = new LineAdapter({ channels: [{ ...B1, channelAccessToken: 'wrong' }], apiBaseUrl: e.sandbox.baseUrl });
    const err = await channelErrorOf(adapter.send(attemptFor(contactB())));
    expect([err.kind, err.code]).toEqual(['permanent', 'line_unauthorized']);
    const health = await adapter.health();
    expect(health.up).toBe(false);
    expect(health.detail).toMatchObject({ channels: { [B1.id]: { lastStatus: 401, lastCode: 'line_unauthorized', lastRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/) } } });
    expect(JSON.stringify(health)).not.toContain('wrong');
  });

  it('classifies an unreachable API as retryable line_network_error', async () => {
    const port = await closedPort();
    const adapter = new LineAdapter({ channels: [B1], apiBaseUrl: `http://127.0.0.1:${port}` });
    const err = await channelErrorOf(adapter.send(attemptFor(contactB())));
    expect([err.kind, err.code]).toEqual(['retryable', 'line_network_error']);
    expect((await adapter.health()).up).toBe(false);
  });

  it('reports per-channel status in health', async () => {
    const health = await e.adapter.health();
    expect(health.up).toBe(true);
    expect(Object.keys(health.detail['channels'] as object).sort()).toEqual([A1.id, A2.id, B1.id].sort());
  });
});

describe("every request the adapter sent matches LINE's OpenAPI description", () => {
  it('validates push and PNP bodies and headers against messaging-api.yml', async () => {
    const e = await env();
    const schema = lineSchemaValidator('messaging-api.yml');
    const push = schema('PushMessageRequest');
    const pnp = schema('PnpMessagesRequest');
    // The validator must be able to fail, or this test proves nothing.
    expect(push({ to: 'U1', messages: [{ type: 'text' }] })).toBe(false);
    expect(pnp({ to: 'x', messages: [{ type: 'fax' }] })).toBe(false);

    const sent = e.sandbox.control.records().requests.filter((r) => r.method === 'POST' && r.botUserId !== null);
    expect(sent.filter((r) => r.path === '/v2/bot/message/push').length).toBeGreaterThan(5);
    expect(sent.filter((r) => r.path === '/bot/pnp/push').length).toBeGreaterThan(1);
    const problems: string[] = [];
    for (const r of sent) {
      const validate = r.path === '/bot/pnp/push' ? pnp : push;
      if (!validate(r.body)) problems.push(`#${r.seq} ${r.path}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
      if (r.path === '/bot/pnp/push') {
        // The PNP operation declares no X-Line-Retry-Key, and LINE answers one with 400.
        if (r.retryKey !== null) problems.push(`#${r.seq}: X-Line-Retry-Key sent to the PNP API`);
        if (!(r.deliveryTag && r.deliveryTag.length >= 16 && r.deliveryTag.length <= 100)) {
          problems.push(`#${r.seq}: X-Line-Delivery-Tag must be 16-100 characters`);
        }
      } else if (!r.retryKey || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(r.retryKey)) {
        problems.push(`#${r.seq}: retry key ${r.retryKey}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("validates every webhook the sandbox sent against webhook.yml's CallbackRequest", async () => {
    const e = await env();
    const callback = lineSchemaValidator('webhook.yml')('CallbackRequest');
    expect(callback({ destination: 'x', events: [{ type: 'message' }] })).toBe(false);
    await expectEventually(() => expect(e.capture.received.length).toBeGreaterThan(5));
    const problems: string[] = [];
    for (const w of e.capture.received) {
      const type = w.body.events[0]?.type;
      if (!callback(w.body)) problems.push(`${type}: ${JSON.stringify(callback.errors?.slice(0, 3))}`);
    }
    expect(problems).toEqual([]);
  });
});
