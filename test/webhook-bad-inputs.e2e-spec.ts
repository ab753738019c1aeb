import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expectEventually } from '@tsunagu/testing';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';
import { addBodyCanary, allowBotUserId } from './support/log-canaries';

/**
 * BAD-INPUTS rows 32–37 over real HTTP: the LINE and RBM channels as configured in production,
 * each bad webhook posted to the running api, with its status, its code and what it stored.
 */

const LINE = { id: '2000000032', botUserId: `U${randomBytes(16).toString('hex')}`, channelSecret: randomBytes(16).toString('hex'), channelAccessToken: randomBytes(24).toString('base64url') };
const RBM = { id: 'tsunagu_bad_inputs_agent', clientToken: randomBytes(16).toString('hex') };
const MB = 1024 * 1024;
/** Unique text in every webhook body: the log must never hold it. */
const TEXT = `webhook-body-${randomBytes(6).toString('hex')}`;
addBodyCanary(TEXT);
allowBotUserId(LINE.botUserId);

// Signatures as the providers compute them, independently of our verifiers.
const lineSignature = (body: string, secret = LINE.channelSecret) => createHmac('sha256', secret).update(body).digest('base64');
const rbmSignature = (data: Buffer, token = RBM.clientToken) => createHmac('sha512', token).update(data).digest('base64');

type Sent = { body: string; headers: Record<string, string> };

function lineEvents(events: Record<string, unknown>[], destination = LINE.botUserId) {
  return { destination, events };
}

function lineText(userId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'message',
    mode: 'active',
    timestamp: Date.now(),
    webhookEventId: `01J${randomBytes(11).toString('hex').toUpperCase()}`,
    deliveryContext: { isRedelivery: false },
    source: { type: 'user', userId },
    message: { type: 'text', id: String(Date.now()), text: TEXT },
    ...overrides,
  };
}

/** A LINE request signed over its exact bytes (or the signature given). */
function lineSigned(payload: unknown, signature?: string): Sent {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return { body, headers: { 'x-line-signature': signature ?? lineSignature(body) } };
}

/** A Pub/Sub push as RBM sends it: base64 data, signed over the decoded bytes. */
function rbmPush(data: unknown, opts: { token?: string; rawData?: string } = {}): Sent {
  const bytes = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
  const message = { data: opts.rawData ?? bytes.toString('base64'), messageId: String(Date.now()), publishTime: new Date().toISOString() };
  return { body: JSON.stringify({ message, subscription: 'projects/p/subscriptions/s' }), headers: { 'x-goog-signature': rbmSignature(bytes, opts.token) } };
}

function rbmUserMessage(agentId: string, phone: string): Record<string, unknown> {
  return { agentId: `${agentId}@rbm.goog`, senderPhoneNumber: phone, messageId: randomUUID(), sendTime: new Date().toISOString(), text: TEXT };
}

/** `[[[…]]]` nested `depth` deep: small on the wire, deep for a recursive reader. */
const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('webhook bad inputs over HTTP (BAD-INPUTS 32–37)', () => {
  let h: EngineHarness;
  let lineUserId: string;
  let phone: string;

  const hook = async (path: 'line' | 'rbm', sent: Sent) => {
    const res = await fetch(`${h.baseUrl}/webhooks/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...sent.headers }, body: sent.body });
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as { code?: string } };
  };
  const stored = async () => (await h.query<{ n: string }>(`SELECT (SELECT count(*) FROM events) + (SELECT count(*) FROM messages) + (SELECT count(*) FROM unparsed_inbound) AS n`))[0].n;
  const counter = async (channel: string, outcome: string) => {
    const text = await (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${h.config.http.opsToken}` } })).text();
    const line = text.split('\n').find((l) => l.startsWith(`tsunagu_webhook_requests_total{channel="${channel}",outcome="${outcome}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const alive = async () => (await fetch(`${h.baseUrl}/health/live`)).status;

  beforeAll(async () => {
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    h = await startEngine({
      label: 'webhook_bad_inputs',
      startWorker: false,
      realChannels: (tenantId) => ({
        line: { channels: [{ ...LINE, tenantId, pnpEnabled: false, default: true }], apiBaseUrl: 'http://127.0.0.1:9' },
        rcs: {
          agents: [{ id: RBM.id, tenantId, region: 'asia', baseUrl: 'http://127.0.0.1:9', tokenUrl: 'http://127.0.0.1:9/token', serviceAccount: { clientEmail: 'a@b.iam', privateKey }, clientToken: RBM.clientToken }],
        },
      }),
    });
    // A contact the LINE user is known as, so a valid webhook from them is stored.
    lineUserId = `U${randomBytes(16).toString('hex')}`;
    phone = mobile();
    const sent = await post(h, '/v1/messages', { to: { phone, lineUserId }, category: 'transactional', text: 'webhook fixture' }, { 'idempotency-key': 'fixture-1' });
    expect(sent.status).toBe(202);
  });
  afterAll(async () => h?.close());

  const refused: [string, number, string, 'line' | 'rbm', () => Sent][] = [
    ['32 LINE: a bad x-line-signature', 401, 'INVALID_SIGNATURE', 'line', () => lineSigned(lineEvents([lineText(lineUserId)]), lineSignature('{}', randomBytes(16).toString('hex')))],
    ['32 LINE: no x-line-signature', 401, 'INVALID_SIGNATURE', 'line', () => ({ body: JSON.stringify(lineEvents([lineText(lineUserId)])), headers: {} })],
    ['32 LINE: signed over re-serialised (pretty) JSON', 401, 'INVALID_SIGNATURE', 'line', () => {
      const payload = lineEvents([lineText(lineUserId)]);
      return lineSigned(payload, lineSignature(JSON.stringify(payload, null, 2)));
    }],
    ['34 RBM: a bad X-Goog-Signature', 401, 'INVALID_SIGNATURE', 'rbm', () => rbmPush(rbmUserMessage(RBM.id, phone), { token: randomBytes(16).toString('hex') })],
    ['34 RBM: message.data not base64', 400, 'INVALID_PAYLOAD', 'rbm', () => rbmPush(rbmUserMessage(RBM.id, phone), { rawData: `${TEXT}@@@` })],
    ['34 RBM: message.data decodes to non-JSON', 400, 'INVALID_PAYLOAD', 'rbm', () => rbmPush(`${TEXT} {not json`)],
    ['35 RBM: handshake with the wrong clientToken', 400, 'INVALID_PAYLOAD', 'rbm', () => ({ body: JSON.stringify({ clientToken: randomBytes(16).toString('hex'), secret: `${TEXT}-secret` }), headers: {} })],
    ['37 LINE: 5 MB, unsigned', 413, 'PAYLOAD_TOO_LARGE', 'line', () => ({ body: JSON.stringify({ destination: LINE.botUserId, pad: 'x'.repeat(5 * MB) }), headers: {} })],
    ['37 RBM: 5 MB, unsigned', 413, 'PAYLOAD_TOO_LARGE', 'rbm', () => ({ body: JSON.stringify({ message: { data: 'e30='.repeat(1.25 * MB) } }), headers: {} })],
    ['37 LINE: 100k-deep array, validly signed', 400, 'INVALID_PAYLOAD', 'line', () => lineSigned(deep(100_000))],
    ['37 LINE: 100k-deep events, validly signed', 400, 'INVALID_PAYLOAD', 'line', () => lineSigned(`{"destination":"${LINE.botUserId}","events":${deep(100_000)}}`)],
    ['37 RBM: 100k-deep message.data, validly signed', 400, 'INVALID_PAYLOAD', 'rbm', () => rbmPush(deep(100_000))],
    ['37 RBM: 100k-deep envelope', 400, 'INVALID_PAYLOAD', 'rbm', () => ({ body: deep(100_000), headers: { 'x-goog-signature': rbmSignature(Buffer.from(deep(100_000))) } })],
  ];

  it.each(refused)('row %s → %i %s, nothing stored, the api stays up', async (_label, status, code, path, make) => {
    const channel = path === 'rbm' ? 'rcs' : 'line';
    const [before, refusedBefore] = [await stored(), await counter(channel, 'refused')];
    const res = await hook(path, make());
    expect([res.status, res.body.code]).toEqual([status, code]);
    // Every refusal the controller sees, the handshake's included, is counted; 413 never reaches it (row 37 below).
    expect(await counter(channel, 'refused')).toBe(refusedBefore + (status === 413 ? 0 : 1));
    // Neither the body nor any secret comes back.
    for (const secret of [TEXT, RBM.clientToken, LINE.channelSecret]) expect(res.text).not.toContain(secret);
    expect(await stored()).toBe(before);
    expect(await alive()).toBe(200);
  });

  it('row 32: refused LINE webhooks are logged, without their body', async () => {
    const refusals = () => readFileSync(h.config.logFile!, 'utf8').split('\n').filter((l) => l.includes('"webhook refused"') && l.includes('"line"')).length;
    const before = refusals();
    // The three row-32 inputs of the table above, sent again.
    for (const row of refused.filter(([label]) => label.startsWith('32 '))) expect((await hook('line', row[4]())).status).toBe(401);
    // The engine writes its log asynchronously: wait for these three lines, then read what it holds.
    await expectEventually(() => expect(refusals()).toBeGreaterThanOrEqual(before + 3));
    const log = readFileSync(h.config.logFile!, 'utf8');
    expect(log).not.toContain(TEXT);
    expect(log).not.toContain(lineUserId);
  });

  it('row 33: a replayed LINE webhook, and its redelivery, store one event and one message', async () => {
    const event = lineText(lineUserId);
    const first = lineSigned(lineEvents([event]));
    const redelivered = lineSigned(lineEvents([{ ...event, deliveryContext: { isRedelivery: true } }]));
    for (const sent of [first, first, redelivered]) {
      const res = await hook('line', sent);
      expect([res.status, res.body]).toEqual([200, { received: 1 }]);
    }
    const id = event.webhookEventId as string;
    const [events] = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE source = 'line' AND provider_event_id = $1`, [id]);
    const [messages] = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE channel = 'line' AND provider_event_id = $1`, [id]);
    expect([events.n, messages.n]).toEqual([1, 1]);
  });

  it('row 35: the handshake with the right clientToken echoes the secret, as RBM asks', async () => {
    const secret = randomBytes(12).toString('hex');
    const res = await hook('rbm', { body: JSON.stringify({ clientToken: RBM.clientToken, secret }), headers: {} });
    expect([res.status, res.body]).toEqual([200, { secret }]);
  });

  const ignored: [string, 'line' | 'rbm', 'line' | 'rcs', () => Sent][] = [
    ['LINE: a destination we hold no channel for', 'line', 'line', () => {
      const payload = lineEvents([lineText(lineUserId)], `U${randomBytes(16).toString('hex')}`);
      return lineSigned(payload, lineSignature(JSON.stringify(payload), randomBytes(16).toString('hex')));
    }],
    ['LINE: an event type we do not know', 'line', 'line', () => lineSigned(lineEvents([lineText(lineUserId, { type: 'membership', message: undefined })]))],
    ['RBM: an agent we do not hold, under our client token', 'rbm', 'rcs', () => rbmPush(rbmUserMessage('someone_elses_agent', mobile()))],
    ['RBM: an event type we do not know', 'rbm', 'rcs', () => rbmPush({ agentId: `${RBM.id}@rbm.goog`, eventType: 'SOMETHING_NEW', eventId: randomUUID(), messageId: randomUUID() })],
  ];

  it.each(ignored)('row 36 %s → 200, ignored, counted on /metrics', async (_label, path, channel, make) => {
    const [count, before] = [await counter(channel, 'ignored'), await stored()];
    const res = await hook(path, make());
    expect([res.status, res.body]).toEqual([200, { received: 0 }]);
    expect(await counter(channel, 'ignored')).toBe(count + 1);
    expect(await stored()).toBe(before);
  });

  it('row 36 control: the same RBM push naming our agent is applied and stored', async () => {
    const [count, before] = [await counter('rcs', 'applied'), await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE channel = 'rcs'`)];
    const res = await hook('rbm', rbmPush(rbmUserMessage(RBM.id, phone)));
    expect([res.status, res.body]).toEqual([200, { received: 1 }]);
    expect(await counter('rcs', 'applied')).toBe(count + 1);
    expect((await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE channel = 'rcs'`))[0].n).toBe(before[0].n + 1);
  });

  it('row 37: 5 MB is refused before the controller: no signature was checked, nothing counted as refused', async () => {
    const refusedBefore = [await counter('line', 'refused'), await counter('rcs', 'refused')];
    for (const path of ['line', 'rbm'] as const) {
      const res = await hook(path, { body: 'x'.repeat(5 * MB), headers: { 'x-line-signature': 'AAAA', 'x-goog-signature': 'AAAA' } });
      expect([res.status, res.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    }
    expect([await counter('line', 'refused'), await counter('rcs', 'refused')]).toEqual(refusedBefore);
    expect(await alive()).toBe(200);
  });
});
