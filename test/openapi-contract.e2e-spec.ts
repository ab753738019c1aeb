import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { expectEventually } from '@tsunagu/testing';
import { CrmReceiver, startCrmReceiver } from './support/crm-receiver';
import { EngineHarness, mobile, startEngine } from './support/engine-harness';

type Operation = {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
  callbacks?: Record<string, Record<string, { post: { requestBody: { content: Record<string, { schema: object }> } } }>>;
};
type Doc = { paths: Record<string, Record<string, Operation>> };

/**
 * The OpenAPI document is the CRM's contract, so every answer the api gives in a run through the
 * whole engine — successes, refusals and the status callbacks it posts — is checked against the
 * schema the document gives for that path, method and status. The response schemas allow no
 * undocumented field, so a field added to an answer without its documentation fails here.
 */
describe('OpenAPI: every answer and callback matches its documented schema', () => {
  let h: EngineHarness;
  let doc: Doc;
  let crm: CrmReceiver;
  let callbackUrl: string;
  const ajv = new Ajv({ strict: false, discriminator: true, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<object, ValidateFunction>();
  const checked = new Set<string>();

  function schemaFor(path: string, method: string, status: number): object {
    const op = doc.paths[path]?.[method];
    expect([path, method, op ? 'documented' : 'missing']).toEqual([path, method, 'documented']);
    const response = op.responses[String(status)];
    expect([path, method, status, response ? 'documented' : 'missing']).toEqual([path, method, status, 'documented']);
    const schema = response.content?.['application/json']?.schema;
    expect([path, method, status, schema ? 'has a schema' : 'no schema']).toEqual([path, method, status, 'has a schema']);
    return schema!;
  }

  function expectValid(schema: object, value: unknown, label: string): void {
    let validate = compiled.get(schema);
    if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
    const ok = validate(value);
    expect([label, ok ? 'valid' : ajv.errorsText(validate.errors)]).toEqual([label, 'valid']);
  }

  /** Calls the api and checks the answer against the documented schema of `template` (the path as documented). */
  async function call(method: string, template: string, path: string, body?: unknown, headers: Record<string, string> = {}, key = h.apiKey) {
    const res = await fetch(`${h.baseUrl}${path}`, {
      method: method.toUpperCase(),
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    expectValid(schemaFor(template, method, res.status), json, `${method.toUpperCase()} ${template} → ${res.status}`);
    checked.add(`${method} ${template} ${res.status}`);
    return { status: res.status, body: json };
  }

  beforeAll(async () => {
    crm = await startCrmReceiver();
    callbackUrl = crm.url;
    h = await startEngine({ label: 'openapi_contract' });
    // Replies go to the tenant's callback URL (a reply has no callbackUrl of its own).
    await h.admin.setCallbackUrl(h.tenantId, callbackUrl);
    doc = (await (await fetch(`${h.baseUrl}/docs/openapi.json`)).json()) as Doc;
  }, 30_000);

  afterAll(async () => {
    await h?.close();
    await crm?.close();
  });

  it('messages, contacts and senders: successes and refusals', async () => {
    // RCS takes it and never delivers: withdrawn at its timeout, then SMS delivers.
    const phone = mobile();
    h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
    const send = { to: { phone }, category: 'transactional', text: 'ご予約は明日10時です。', callbackUrl, metadata: { reference: 'order-7' } };
    const accepted = await call('post', '/v1/messages', '/v1/messages', send, { 'idempotency-key': 'contract-1' });
    expect(accepted.status).toBe(202);
    const id = accepted.body.id as string;
    await call('post', '/v1/messages', '/v1/messages', send, { 'idempotency-key': 'contract-1' }); // a replay
    await expectEventually(async () => expect((await call('get', '/v1/messages/{id}', `/v1/messages/${id}`)).body.status).toBe('delivered'), { timeoutMs: 15_000 });
    const view = await call('get', '/v1/messages/{id}', `/v1/messages/${id}`);
    expect((view.body.attempts as { channel: string; status: string }[]).map((a) => `${a.channel}:${a.status}`)).toEqual(['rcs:revoked', 'sms:delivered']);

    // The person answers by SMS: the reply joins the conversation (and goes to the CRM).
    await h.providers.sms.sink!([{ channel: 'sms', type: 'inbound_message', providerEventId: `mo-${id}`, tenantId: h.tenantId, from: { phoneE164: phone }, text: '了解です', occurredAt: new Date() }]);

    const contactId = view.body.contactId as string;
    expect((await call('post', '/v1/contacts/lookup', '/v1/contacts/lookup', { phone })).body).toEqual({ id: contactId });
    await expectEventually(
      async () => {
        const conversation = await call('get', '/v1/contacts/{id}/conversation', `/v1/contacts/${contactId}/conversation`);
        expect((conversation.body.items as { direction: string }[]).map((i) => i.direction)).toEqual(['inbound', 'outbound']);
      },
      { timeoutMs: 10_000 },
    );
    await call('put', '/v1/contacts/{id}/line-link', `/v1/contacts/${contactId}/line-link`, { lineUserId: 'U0123456789abcdef0123456789abcdef' });
    await call('delete', '/v1/contacts/{id}/line-link', `/v1/contacts/${contactId}/line-link`);
    await call('post', '/v1/messages/preview', '/v1/messages/preview', { text: '承認コード🔐 123456' });
    expect((await call('get', '/v1/messages', '/v1/messages?reference=order-7')).body.items).toHaveLength(1);
    expect((await call('get', '/v1/messages', '/v1/messages')).status).toBe(400);

    // A message scheduled for later is still cancellable.
    const later = await call('post', '/v1/messages', '/v1/messages', { ...send, sendAt: new Date(Date.now() + 3_600_000).toISOString() }, { 'idempotency-key': 'contract-2' });
    expect((await call('post', '/v1/messages/{id}/cancel', `/v1/messages/${later.body.id as string}/cancel`)).status).toBe(202);

    const sender = await call('post', '/v1/senders', '/v1/senders', { address: '00059876', routes: ['jp-direct'] });
    expect(sender.status).toBe(201);
    expect((await call('post', '/v1/senders/{id}/approve', `/v1/senders/${sender.body.id as string}/approve`, { reason: 'screened' })).status).toBe(403);
    const ops = { authorization: `Bearer ${h.config.http.operatorToken!}` };
    expect((await call('get', '/ops/senders', '/ops/senders?state=requested', undefined, ops)).status).toBe(200);
    expect((await call('post', '/ops/senders/{id}/approve', `/ops/senders/${sender.body.id as string}/approve`, { reason: 'screened', by: 'contract' }, ops)).status).toBe(200);
    await call('post', '/v1/senders/{id}/suspend', `/v1/senders/${sender.body.id as string}/suspend`, { reason: 'no longer used' });
    await call('get', '/v1/senders', '/v1/senders');

    // Refusals: each status the document lists for the operation, each body its error schema.
    const refusals: [number, Promise<{ status: number; body: Record<string, unknown> }>][] = [
      [400, call('post', '/v1/messages', '/v1/messages', { ...send, extra: 1 }, { 'idempotency-key': 'contract-3' })],
      [400, call('post', '/v1/messages', '/v1/messages', send)],
      [422, call('post', '/v1/messages', '/v1/messages', { ...send, text: 'カード 4111 1111 1111 1111', channels: ['sms'] }, { 'idempotency-key': 'contract-4' })],
      [422, call('post', '/v1/messages', '/v1/messages', { ...send, category: 'otp', channels: ['line'] }, { 'idempotency-key': 'contract-5' })],
      [401, call('post', '/v1/messages', '/v1/messages', send, { 'idempotency-key': 'contract-6' }, 'tsk_nope_nope')],
      [400, call('get', '/v1/messages/{id}', '/v1/messages/not-a-uuid')],
      [404, call('get', '/v1/messages/{id}', `/v1/messages/${contactId}`)],
      [409, call('post', '/v1/messages/{id}/cancel', `/v1/messages/${id}/cancel`)],
      [404, call('post', '/v1/contacts/lookup', '/v1/contacts/lookup', { phone: mobile() })],
      [422, call('post', '/v1/contacts/lookup', '/v1/contacts/lookup', { phone: '12' })],
      [409, call('post', '/v1/senders', '/v1/senders', { address: '00059876', routes: [] })],
      [422, call('post', '/v1/senders', '/v1/senders', { address: 'not a sender!', routes: [] })],
    ];
    for (const [status, answer] of refusals) expect((await answer).status).toBe(status);
    const readOnly = (await h.admin.createApiKey(h.tenantId, ['messages:read'])).token;
    expect((await call('get', '/v1/senders', '/v1/senders', undefined, {}, readOnly)).status).toBe(403);
  }, 60_000);

  it('the status callbacks the CRM received, each signed and as documented', async () => {
    const schema = doc.paths['/v1/messages'].post.callbacks!.status['{$request.body#/callbackUrl}'].post.requestBody.content['application/json'].schema;
    await expectEventually(async () => expect(crm.received.map((c) => JSON.parse(c.body).type as string)).toContain('message.inbound'), { timeoutMs: 10_000 });
    const kinds = new Set<string>();
    for (const c of crm.received) {
      const body = JSON.parse(c.body) as { id: string; type: string; status: string };
      expectValid(schema, body, `callback ${body.type} ${body.status}`);
      expect(c.headers['webhook-id']).toBe(body.id);
      expect(String(c.headers['webhook-signature'])).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      kinds.add(`${body.type}:${body.status}`);
    }
    expect([...kinds]).toEqual(expect.arrayContaining(['attempt.status:revoked', 'attempt.status:delivered', 'message.status:delivered', 'message.inbound:received']));
  });

  it("a message's callbacks, one sent again and a period's failures recovered, as documented", async () => {
    const sent = await call('post', '/v1/messages', '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: '通知の確認', callbackUrl }, { 'idempotency-key': 'contract-callbacks' });
    const id = sent.body.id as string;
    const delivered = await expectEventually(
      async () => {
        const list = await call('get', '/v1/messages/{id}/callbacks', `/v1/messages/${id}/callbacks`);
        const views = list.body as unknown as { id: string; status: string; event: { status: string } }[];
        expect(views.map((v) => v.event.status)).toContain('delivered');
        expect(views.map((v) => v.status)).toEqual(views.map(() => 'delivered'));
        return views;
      },
      { timeoutMs: 15_000 },
    );
    expect((await call('post', '/v1/callbacks/{id}/redeliver', `/v1/callbacks/${delivered[0].id}/redeliver`)).status).toBe(202);
    expect((await call('post', '/v1/callbacks/{id}/redeliver', `/v1/callbacks/${id}/redeliver`)).status).toBe(404);
    expect((await call('post', '/v1/callbacks/{id}/redeliver', '/v1/callbacks/not-a-uuid/redeliver')).status).toBe(400);
    expect((await call('get', '/v1/messages/{id}/callbacks', '/v1/messages/not-a-uuid/callbacks')).status).toBe(400);
    expect((await call('post', '/v1/callbacks/recover', '/v1/callbacks/recover', { since: new Date(Date.now() - 3_600_000).toISOString() })).body).toEqual({ redelivered: 0, nextCursor: null });
    expect((await call('post', '/v1/callbacks/recover', '/v1/callbacks/recover', { since: 'last week' })).status).toBe(400);
  }, 30_000);

  it("erases a person's data, as documented", async () => {
    const phone = mobile();
    const sent = await call('post', '/v1/messages', '/v1/messages', { to: { phone }, category: 'transactional', text: '消去の確認' }, { 'idempotency-key': 'contract-erase' });
    await expectEventually(async () => expect((await call('get', '/v1/messages/{id}', `/v1/messages/${sent.body.id as string}`)).body.status).toBe('delivered'), { timeoutMs: 15_000 });
    const contactId = (await call('get', '/v1/messages/{id}', `/v1/messages/${sent.body.id as string}`)).body.contactId as string;
    expect((await call('delete', '/v1/contacts/{id}', `/v1/contacts/${contactId}`)).status).toBe(200);
    expect((await call('get', '/v1/contacts/{id}/conversation', `/v1/contacts/${contactId}/conversation`)).body.contact).toMatchObject({ phone: null });
    expect((await call('delete', '/v1/contacts/{id}', `/v1/contacts/${sent.body.id as string}`)).status).toBe(404);
  }, 30_000);

  it('covers every /v1 operation the document lists', () => {
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`));
    const exercised = new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
    expect(documented.filter((op) => !exercised.has(op))).toEqual([]);
  });
});
