import { EngineHarness, get, mobile, post, startEngine } from './support/engine-harness';

/**
 * What the /v1 body may carry beyond the fields BAD-INPUTS.md names, as a CRM integrator would
 * send it by mistake: every refusal a 4xx with a code, nothing stored, never a 500 or a 503.
 */
describe('inputs PostgreSQL cannot store, and others the API must refuse rather than fail on', () => {
  let h: EngineHarness;
  let n = 0;
  const key = () => `storable-${Date.now()}-${++n}`;
  const base = { to: { phone: '+819012345678' }, category: 'transactional', text: 'ご予約の確認です' };
  const send = (body: unknown) => post(h, '/v1/messages', body, { 'idempotency-key': key() });
  const messages = async () => (await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages`))[0].n;

  beforeAll(async () => {
    h = await startEngine({ label: 'storable', startWorker: false });
  });
  afterAll(async () => h?.close());

  it.each([
    ['a NUL in metadata', { metadata: { note: 'a\u0000b' } }, 'metadata.note'],
    ['an unpaired surrogate in metadata', { metadata: { note: 'x\uD83D' } }, 'metadata.note'],
    ['a NUL in a metadata key', { metadata: { 'k\u0000': 1 } }, 'metadata.k\u0000'],
    ['a NUL in the reference', { metadata: { reference: 'A-1\u0000' } }, 'metadata.reference'],
    ['a NUL in the RCS content', { channels: ['rcs', 'sms'], rcs: { richCard: { title: '\u0000' } } }, 'rcs.richCard.title'],
    ['a NUL in the sender', { sender: 'TSUNAGU\u0000' }, 'sender'],
    ['a NUL in the callback URL', { callbackUrl: 'https://crm.example.com/cb\u0000' }, 'callbackUrl'],
    ['a NUL in the LINE user id', { to: { phone: '+819012345678', lineUserId: 'U\u0000' } }, 'to.lineUserId'],
  ])('%s → 400 INVALID_REQUEST naming the field, nothing stored', async (_label, extra, path) => {
    const before = await messages();
    const res = await send({ ...base, ...extra });
    expect([res.status, res.body.code]).toEqual([400, 'INVALID_REQUEST']);
    expect(res.body.details.problems).toEqual([`${path} must not contain a NUL character or an unpaired surrogate`]);
    expect(await messages()).toBe(before);
  });

  it('the preview refuses what the send refuses: a lone surrogate, a NUL, a blank text (422, the send\'s own codes)', async () => {
    for (const [text, code] of [['x\uD83D', 'INVALID_TEXT'], ['a\u0000', 'INVALID_TEXT'], ['\u200B ', 'BODY_EMPTY']]) {
      const preview = await post(h, '/v1/messages/preview', { text });
      expect([preview.status, preview.body.code]).toEqual([422, code]);
      expect((await send({ ...base, text })).body.code).toBe(code);
    }
    expect((await post(h, '/v1/messages/preview', { text: '承認コード🔐 123456' })).status).toBe(200);
  });

  it('a NUL or a lone surrogate in the text or the phone keeps its own code (rows 2, 13, 16)', async () => {
    expect((await send({ ...base, text: 'a\u0000', metadata: { note: '\u0000' } })).body.code).toBe('INVALID_TEXT');
    expect((await send({ ...base, text: '\uDC00' })).body.code).toBe('INVALID_TEXT');
    expect((await send({ ...base, to: { phone: '090\u00001234' }, sender: '\u0000' })).body.code).toBe('INVALID_PHONE_NUMBER');
  });

  it('a reference longer than the list takes → 400; one of exactly 200 characters is sent and listed', async () => {
    const before = await messages();
    const tooLong = await send({ ...base, metadata: { reference: 'r'.repeat(201) } });
    expect([tooLong.status, tooLong.body.code, tooLong.body.details.problems]).toEqual([400, 'INVALID_REQUEST', ['metadata.reference must NOT have more than 200 characters']]);
    // Random characters do not compress: the reference index would refuse such a row (a 500).
    const random = Array.from({ length: 6000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 89))).join('');
    expect((await send({ ...base, metadata: { reference: random } })).status).toBe(400);
    expect(await messages()).toBe(before);
    const reference = `R${Date.now()}`.padEnd(200, 'x');
    const ok = await send({ ...base, metadata: { reference } });
    expect(ok.status).toBe(202);
    const listed = await get(h, `/v1/messages?reference=${encodeURIComponent(reference)}`);
    expect(listed.body.items.map((m: { id: string }) => m.id)).toEqual([ok.body.id]);
  });

  it('a body that is not UTF-8 (Shift_JIS without its charset) → 400 INVALID_JSON, not sent as 「���」', async () => {
    const before = await messages();
    // ご確認 in Shift_JIS (not 予, whose second byte is `\`: that one breaks the JSON anyway).
    const sjis = Buffer.from([0x82, 0xb2, 0x8a, 0x6d, 0x94, 0x46]);
    const res = await fetch(`${h.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.apiKey}`, 'idempotency-key': key() },
      body: Buffer.concat([Buffer.from('{"to":{"phone":"+819012345678"},"category":"transactional","text":"'), sjis, Buffer.from('"}')]),
    });
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([400, 'INVALID_JSON']);
    expect(await messages()).toBe(before);
    // A UTF-8 byte order mark is still fine (RFC 8259 §8.1 lets a parser ignore it).
    expect((await send('\uFEFF' + JSON.stringify(base))).status).toBe(202);
  });

  it('page cursors we did not make → 400 INVALID_REQUEST, on the list and the conversation', async () => {
    const sent = await send({ ...base, to: { phone: mobile() }, metadata: { reference: 'cursor-ref' } });
    const { contactId } = (await get(h, `/v1/messages/${sent.body.id}`)).body;
    const forged = [
      Buffer.from('2026-01-01T00:00:00.000Z|not-a-uuid').toString('base64url'),
      Buffer.from("2026-01-01T00:00:00.000Z|0190a000-0000-7000-8000-000000000000' OR 1=1").toString('base64url'),
      Buffer.from('1|0190a000-0000-7000-8000-000000000000').toString('base64url'),
    ];
    for (const before of forged) {
      for (const path of [`/v1/messages?reference=cursor-ref&before=${before}`, `/v1/contacts/${contactId}/conversation?before=${before}`]) {
        const res = await get(h, path);
        expect([path, res.status, res.body.code]).toEqual([path, 400, 'INVALID_REQUEST']);
      }
    }
  });

  it('a malformed LINE user id → 422 VALIDATION_FAILED, as on the line-link route; nothing stored on the contact', async () => {
    const phone = mobile();
    const bad = await send({ ...base, to: { phone, lineUserId: 'not-a-line-id' } });
    expect([bad.status, bad.body.code, bad.body.details]).toEqual([422, 'VALIDATION_FAILED', { field: 'to.lineUserId' }]);
    expect(await h.query(`SELECT 1 FROM contacts WHERE line_user_id = 'not-a-line-id'`)).toEqual([]);
    const good = await send({ ...base, to: { phone, lineUserId: `U${'0a'.repeat(16)}` } });
    expect(good.status).toBe(202);
  });

  it('a reference with a NUL in the list query → 400, not a 500', async () => {
    const res = await get(h, '/v1/messages?reference=A-1%00');
    expect([res.status, res.body.code]).toEqual([400, 'INVALID_REQUEST']);
  });

  it('a date that does not exist is refused, not moved to the next day', async () => {
    const year = new Date().getUTCFullYear() + 1;
    const res = await send({ ...base, sendAt: `${year}-04-31T10:00:00+09:00` });
    expect([res.status, res.body.code, res.body.message]).toEqual([422, 'INVALID_SCHEDULE', expect.stringContaining('does not exist')]);
  });

  it('the Bearer scheme is case-insensitive (RFC 9110 §11.1)', async () => {
    const res = await get(h, '/v1/messages/0190a000-0000-7000-8000-000000000000', { authorization: `bearer ${h.apiKey}` });
    expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
    const none = await get(h, '/v1/messages/0190a000-0000-7000-8000-000000000000', { authorization: `bearer` });
    expect([none.status, none.body.code]).toEqual([401, 'UNAUTHENTICATED']);
  });
});
