import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { expectEventually } from '@tsunagu/testing';
import { newLineUserId, startSandboxLine, StartedSandboxLine } from '.';

const BOT = `U${'e'.repeat(32)}`;
const channel = { channelAccessToken: 'sandbox-token', channelSecret: 'sandbox-secret', botUserId: BOT };

/** Receives the sandbox's webhooks with their exact bytes. */
async function webhookReceiver(): Promise<{ url: string; hooks: { signature: string; raw: string }[]; server: Server }> {
  const hooks: { signature: string; raw: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hooks.push({ signature: String(req.headers['x-line-signature']), raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/line`, hooks, server };
}

describe('sandbox LINE over HTTP', () => {
  let sandbox: StartedSandboxLine;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;

  beforeAll(async () => {
    receiver = await webhookReceiver();
    sandbox = await startSandboxLine({ channels: [channel], webhookUrl: receiver.url, pnpDeliveryDelayMs: 20, monthlyQuota: 1000 });
  });
  afterAll(async () => {
    await sandbox.close();
    receiver.server.closeAllConnections();
    await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${sandbox.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sandbox-token', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const push = (to: string, messages: unknown[], retryKey: string = randomUUID()) => post('/v2/bot/message/push', { to, messages }, { 'x-line-retry-key': retryKey });

  it('refuses a missing or unknown token with 401', async () => {
    const res = await post('/v2/bot/message/push', { to: newLineUserId(), messages: [{ type: 'text', text: 'x' }] }, { authorization: 'Bearer nope' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: expect.stringContaining('Authentication failed') });
    expect(res.headers.get('x-line-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers bad messages with LINE's error body", async () => {
    const res = await push(newLineUserId(), [{ type: 'text', text: 'x'.repeat(5001) }, { type: 'image', originalContentUrl: 'http://insecure' }]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      message: 'The request body has 3 error(s)',
      details: [
        { message: 'Length must be between 0 and 5000', property: 'messages[0].text' },
        { message: 'Must be a valid HTTPS URL', property: 'messages[1].originalContentUrl' },
        { message: 'Must be specified', property: 'messages[1].previewImageUrl' },
      ],
    });
    expect((await push('+819012345678', [{ type: 'text', text: 'x' }])).status).toBe(400);
    expect((await post('/v2/bot/message/push', '{not json', { 'x-line-retry-key': randomUUID() })).status).toBe(400);
    expect((await push(newLineUserId(), [{ type: 'text', text: 'x' }], 'not-a-uuid')).status).toBe(400);
  });

  it('answers a reused retry key with 409, the accepted request id, and no second message', async () => {
    const key = randomUUID();
    const to = newLineUserId();
    const first = await push(to, [{ type: 'text', text: 'one' }], key);
    expect(first.status).toBe(200);
    const { sentMessages } = (await first.json()) as { sentMessages: { id: string }[] };
    const second = await push(to, [{ type: 'text', text: 'one' }], key);
    expect(second.status).toBe(409);
    expect(second.headers.get('x-line-accepted-request-id')).toBe(first.headers.get('x-line-request-id'));
    expect(await second.json()).toEqual({ message: 'The retry key is already accepted', sentMessages: [{ id: sentMessages[0].id }] });
    expect(sandbox.control.records().messagesByRetryKey[key]).toBe(1);
  });

  it('plays scripts per recipient over /control/script, one per send', async () => {
    const to = newLineUserId();
    for (const outcome of ['rate_limited', 'monthly_quota', 'server_error', 'forbidden']) {
      expect((await post('/control/script', { to, outcome })).status).toBe(200);
    }
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const res = await push(to, [{ type: 'text', text: 'x' }]);
      answers.push([res.status, ((await res.json()) as { message?: string }).message ?? 'ok']);
    }
    expect(answers).toEqual([
      [429, 'Too Many Requests'],
      [429, 'You have reached your monthly limit.'],
      [500, 'Internal server error'],
      [403, 'Access to this API is not available for your account'],
      [200, 'ok'],
    ]);
    expect((await post('/control/script', { to, outcome: 'explode' })).status).toBe(400);
  });

  it('sends a signed PNP delivery event carrying the delivery tag', async () => {
    const hash = createHash('sha256').update('+819012340000').digest('hex');
    const tag = randomUUID();
    // Like LINE, the PNP API refuses a retry key (only push, multicast, narrowcast and broadcast take one).
    const withKey = await post('/bot/pnp/push', { to: hash, messages: [{ type: 'text', text: 'お知らせ' }] }, { 'x-line-retry-key': randomUUID(), 'x-line-delivery-tag': tag });
    expect([withKey.status, await withKey.json()]).toEqual([400, { message: "The 'X-Line-Retry-Key' header is not supported by this API" }]);
    const res = await post('/bot/pnp/push', { to: hash, messages: [{ type: 'text', text: 'お知らせ' }] }, { 'x-line-delivery-tag': tag });
    expect(res.status).toBe(200);
    expect(sandbox.control.records().messages.filter((m) => m.deliveryTag === tag)).toHaveLength(1);
    const hook = await expectEventually(() => {
      const h = receiver.hooks.find((w) => w.raw.includes(tag));
      if (!h) throw new Error('no delivery webhook yet');
      return h;
    });
    expect(hook.signature).toBe(createHmac('sha256', 'sandbox-secret').update(hook.raw).digest('base64'));
    expect(JSON.parse(hook.raw)).toMatchObject({ destination: BOT, events: [{ type: 'delivery', delivery: { data: tag } }] });
    // A PNP `to` that is not a SHA-256 hex is refused, as LINE does.
    expect((await post('/bot/pnp/push', { to: '+819012340000', messages: [{ type: 'text', text: 'x' }] })).status).toBe(400);
  });

  it('serves profiles of followers only, and sends follow/message webhooks over /control', async () => {
    const followed = (await (await post('/control/follow', {})).json()) as { userId: string };
    const profile = await fetch(`${sandbox.baseUrl}/v2/bot/profile/${followed.userId}`, { headers: { authorization: 'Bearer sandbox-token' } });
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ userId: followed.userId, displayName: expect.any(String) });
    const stranger = await fetch(`${sandbox.baseUrl}/v2/bot/profile/${newLineUserId()}`, { headers: { authorization: 'Bearer sandbox-token' } });
    expect(stranger.status).toBe(404);

    const sent = (await (await post('/control/message', { userId: followed.userId, text: 'こんにちは' })).json()) as { webhookEventId: string };
    const hook = await expectEventually(() => {
      const h = receiver.hooks.find((w) => w.raw.includes(sent.webhookEventId));
      if (!h) throw new Error('no message webhook yet');
      return h;
    });
    // Non-ASCII is escaped on the wire (see lineWireJson), so re-serialised JSON differs.
    expect(hook.raw).toContain('\\u3053\\u3093');
    expect(JSON.parse(hook.raw).events[0].message.text).toBe('こんにちは');

    const again = await post('/control/redeliver', { webhookEventId: sent.webhookEventId });
    expect(again.status).toBe(200);
    await expectEventually(() => expect(receiver.hooks.filter((w) => w.raw.includes(sent.webhookEventId))).toHaveLength(2));
    const redelivered = JSON.parse(receiver.hooks.filter((w) => w.raw.includes(sent.webhookEventId))[1].raw);
    expect(redelivered.events[0]).toMatchObject({ webhookEventId: sent.webhookEventId, deliveryContext: { isRedelivery: true } });
    expect((await post('/control/redeliver', { webhookEventId: 'nope' })).status).toBe(404);
  });

  it('lists records over HTTP and clears them on reset', async () => {
    const records = (await (await fetch(`${sandbox.baseUrl}/control/records`)).json()) as { requests: { rawBody: string }[] };
    expect(records.requests.length).toBeGreaterThan(0);
    expect(JSON.stringify(records)).not.toContain('sandbox-token');
    expect((await post('/control/reset', {})).status).toBe(200);
    expect(sandbox.control.records().requests).toEqual([]);
  });

  it('answers the monthly-limit 429 once the configured quota is used', async () => {
    const small = await startSandboxLine({ channels: [channel], monthlyQuota: 1 });
    const send = () =>
      fetch(`${small.baseUrl}/v2/bot/message/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sandbox-token', 'x-line-retry-key': randomUUID() },
        body: JSON.stringify({ to: newLineUserId(), messages: [{ type: 'text', text: 'x' }] }),
      });
    try {
      expect((await send()).status).toBe(200);
      const over = await send();
      expect([over.status, await over.json()]).toEqual([429, { message: 'You have reached your monthly limit.' }]);
    } finally {
      await small.close();
    }
  });

  it('clears pending delivery timers on close', async () => {
    const slow = await startSandboxLine({ channels: [channel], webhookUrl: receiver.url, pnpDeliveryDelayMs: 60_000 });
    const hash = createHash('sha256').update('+819012349999').digest('hex');
    const res = await fetch(`${slow.baseUrl}/bot/pnp/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sandbox-token' },
      body: JSON.stringify({ to: hash, messages: [{ type: 'text', text: 'x' }] }),
    });
    expect(res.status).toBe(200);
    expect(slow.control.pendingTimers()).toBe(1);
    await slow.close();
    expect(slow.control.pendingTimers()).toBe(0);
  });
});

describe('sandbox LINE stateless channel access tokens over HTTP', () => {
  const issuing = { channelId: '1650000099', channelSecret: 'issuing-secret', botUserId: `U${'d'.repeat(32)}` };
  let sandbox: StartedSandboxLine;
  beforeAll(async () => {
    sandbox = await startSandboxLine({ channels: [issuing, channel], issuedTokenTtlSeconds: 60 });
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const issue = (fields: Record<string, string>, contentType = 'application/x-www-form-urlencoded') =>
    fetch(`${sandbox.baseUrl}/oauth2/v3/token`, { method: 'POST', headers: { 'content-type': contentType }, body: new URLSearchParams(fields).toString() });
  const pushWith = (token: string) =>
    fetch(`${sandbox.baseUrl}/v2/bot/message/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-line-retry-key': randomUUID() },
      body: JSON.stringify({ to: newLineUserId(), messages: [{ type: 'text', text: 'x' }] }),
    });

  it('issues a token the Messaging API accepts, beside the configured long-lived one', async () => {
    const res = await issue({ grant_type: 'client_credentials', client_id: issuing.channelId, client_secret: issuing.channelSecret });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const grant = (await res.json()) as { access_token: string; expires_in: number; token_type: string };
    expect(grant).toEqual({ access_token: expect.any(String), expires_in: 60, token_type: 'Bearer' });
    expect((await pushWith(grant.access_token)).status).toBe(200);
    expect((await pushWith('sandbox-token')).status).toBe(200);
    const [issued, configured] = sandbox.control.records().requests.slice(-2);
    expect([issued.botUserId, configured.botUserId]).toEqual([issuing.botUserId, BOT]);
  });

  it("refuses a wrong secret, an unknown channel and a JSON body with LINE's 400", async () => {
    const wrong = await issue({ grant_type: 'client_credentials', client_id: issuing.channelId, client_secret: 'nope' });
    expect([wrong.status, await wrong.json()]).toEqual([400, { error: 'invalid_client', error_description: expect.any(String) }]);
    const unknown = await issue({ grant_type: 'client_credentials', client_id: '1', client_secret: issuing.channelSecret });
    expect(((await unknown.json()) as { error: string }).error).toBe('invalid_client');
    const json = await issue({ grant_type: 'client_credentials' }, 'application/json');
    expect([json.status, ((await json.json()) as { error: string }).error]).toEqual([400, 'invalid_request']);
  });

  it('answers 401 to an expired issued token, and the control expires them over HTTP', async () => {
    const res = await issue({ grant_type: 'client_credentials', client_id: issuing.channelId, client_secret: issuing.channelSecret });
    const { access_token: token } = (await res.json()) as { access_token: string };
    expect((await pushWith(token)).status).toBe(200);
    const expired = await fetch(`${sandbox.baseUrl}/control/expire-tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(((await expired.json()) as { expired: number }).expired).toBeGreaterThan(0);
    const refused = await pushWith(token);
    expect([refused.status, await refused.json()]).toEqual([401, { message: expect.stringContaining('Authentication failed') }]);
    // The configured long-lived token is not an issued one: it still works.
    expect((await pushWith('sandbox-token')).status).toBe(200);
  });

  it('keeps no secret and no issued token in the records it serves', async () => {
    const served = await (await fetch(`${sandbox.baseUrl}/control/records`)).text();
    expect(served).not.toContain(issuing.channelSecret);
    for (const token of sandbox.control.issuedTokens()) expect(served).not.toContain(token);
    const records = JSON.parse(served) as { tokensIssued: Record<string, number>; tokenRefusals: number; tokenRequests: { form: Record<string, string> | null }[] };
    expect(records.tokensIssued).toEqual({ [issuing.channelId]: 2 });
    expect(records.tokenRefusals).toBe(3);
    expect(records.tokenRequests[0].form).toEqual({ grant_type: 'client_credentials', client_id: issuing.channelId, client_secret: '[redacted]' });
  });
});
