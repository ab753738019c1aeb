import { createHash } from 'node:crypto';
import { EngineHarness, get, post, startEngine } from './support/engine-harness';

/** Every row of BAD-INPUTS.md that reaches the HTTP API, with its exact status and code. */
describe('bad inputs at the HTTP API (BAD-INPUTS.md)', () => {
  let h: EngineHarness;
  let n = 0;
  const key = () => `bad-${Date.now()}-${++n}`;
  const base = { to: { phone: '+819012345678' }, category: 'transactional', text: 'ご予約の確認です' };
  const send = (body: unknown, headers: Record<string, string> = {}) => post(h, '/v1/messages', body, { 'idempotency-key': key(), ...headers });

  beforeAll(async () => {
    h = await startEngine({ label: 'badinputs', startWorker: false });
  });
  afterAll(async () => h?.close());

  it('row 1: every written form of one number is one contact', async () => {
    const ids = new Set<string>();
    for (const phone of ['+81 90-1234-5678', '09012345678', '+8109012345678', '０９０１２３４５６７８']) {
      const res = await send({ ...base, to: { phone } });
      expect(res.status).toBe(202);
      const msg = await get(h, `/v1/messages/${res.body.id}`);
      ids.add(msg.body.contactId);
    }
    expect(ids.size).toBe(1);
  });

  it.each([
    ['row 2: control character', '090-1234-5678\u0000'],
    ['row 3: extension', '090 1234 5678 ext. 12'],
    ['row 3: ;ext=', '09012345678;ext=1'],
    ['row 4: 81 without + is ambiguous (refused)', '81 90 1234 5678'],
    ['row 5: too short', '+81901234567'],
    ['row 5: too long', '+819012345678901'],
    ['row 5: empty', ''],
    ['row 5: plus only', '+'],
    ['row 5: 300 digits', '9'.repeat(300)],
  ])('%s → 422 INVALID_PHONE_NUMBER, the value not echoed', async (_label, phone) => {
    const res = await send({ ...base, to: { phone } });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('INVALID_PHONE_NUMBER');
    if (phone.length > 3) expect(JSON.stringify(res.body)).not.toContain(phone.replace(/\D/g, '').slice(-6));
  });

  it.each(['0120-123-456', '0570-000-000', '050-1234-5678', '020-1234-5678', '+81 3-1234-5678'])(
    'row 6: %s cannot receive SMS → 422 NUMBER_CANNOT_RECEIVE_SMS',
    async (phone) => {
      const res = await send({ ...base, to: { phone }, category: 'otp', text: '認証コード 123456' });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('NUMBER_CANNOT_RECEIVE_SMS');
    },
  );

  it('row 7: a foreign number under a domestic-only policy → 422 DESTINATION_NOT_ALLOWED', async () => {
    const res = await send({ ...base, to: { phone: '+1 415 555 2671' } });
    expect([res.status, res.body.code]).toEqual([422, 'DESTINATION_NOT_ALLOWED']);
  });

  it.each(['0005999999', 'BANK'])('row 8: unregistered sender %s → 422 SENDER_NOT_APPROVED', async (sender) => {
    const res = await send({ ...base, sender });
    expect([res.status, res.body.code]).toEqual([422, 'SENDER_NOT_APPROVED']);
  });

  it.each([
    // The code before the text: the title prints the first two, and a card number has no place in it.
    ['row 9: card number', 'BODY_CONTAINS_CARD_NUMBER', 'カード 4111 1111 1111 1111 で'],
    ['row 9: full-width card number', 'BODY_CONTAINS_CARD_NUMBER', '４１１１-１１１１-１１１１-１１１１'],
    ['row 10: My Number', 'BODY_CONTAINS_MY_NUMBER', 'マイナンバー 1234 5678 9018'],
  ])('%s → 422 %s with the offset only, and nothing stored', async (_label, code, text) => {
    const res = await send({ ...base, text });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe(code);
    expect(typeof res.body.details.offset).toBe('number');
    expect(JSON.stringify(res.body)).not.toMatch(/1111|9018/);
    const stored = await h.query(`SELECT 1 FROM messages WHERE text LIKE '%1111%' OR text LIKE '%9018%' OR text LIKE '%１１１１%'`);
    expect(stored).toEqual([]);
  });

  it.each(['番号 1234 5678 9019 です', '注文番号 1234567812345678'])('row 11: %s is accepted (negative control)', async (text) => {
    const res = await send({ ...base, text });
    expect(res.status).toBe(202);
  });

  it.each([
    ['row 13: lone surrogate', '\uD83D', 'INVALID_TEXT'],
    ['row 15: empty', '', 'BODY_EMPTY'],
    ['row 15: whitespace', '   \n ', 'BODY_EMPTY'],
    ['row 15: zero-width only', '\u200B\u200B', 'BODY_EMPTY'],
    ['row 16: NUL', 'abc\u0000def', 'INVALID_TEXT'],
    ['row 16: ANSI escape', '\u001b[31mred', 'INVALID_TEXT'],
  ])('%s → 422 %s', async (_label, text, code) => {
    const res = await send({ ...base, text });
    expect([res.status, res.body.code]).toEqual([422, code]);
  });

  it('row 14: a 100 KB request is refused by the size limit before parsing → 413', async () => {
    const res = await send({ ...base, text: 'あ'.repeat(40_000) });
    expect([res.status, res.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it.each([
    ['row 18: unknown channel', { channels: ['rcs', 'fax'] }, 'UNKNOWN_CHANNEL'],
    ['row 18: empty list', { channels: [] }, 'INVALID_CHANNEL_POLICY'],
    ['row 18: duplicates', { channels: ['sms', 'sms'] }, 'INVALID_CHANNEL_POLICY'],
    ['row 19: OTP by LINE', { category: 'otp', channels: ['line'] }, 'CHANNEL_NOT_ALLOWED_FOR_OTP'],
    ['row 19: OTP falling back to LINE', { category: 'otp', channels: ['sms', 'line'] }, 'CHANNEL_NOT_ALLOWED_FOR_OTP'],
  ])('%s → 422 %s', async (_label, extra, code) => {
    const res = await send({ ...base, ...extra });
    expect([res.status, res.body.code]).toEqual([422, code]);
  });

  it('row 20: the same key and body, sequentially and 20× concurrently → one message, the same answer', async () => {
    const k = key();
    const body = { ...base, text: 'idempotent' };
    const first = await post(h, '/v1/messages', body, { 'idempotency-key': k });
    const again = await post(h, '/v1/messages', body, { 'idempotency-key': k });
    expect(first.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const k2 = key();
    const results = await Promise.all(Array.from({ length: 20 }, () => post(h, '/v1/messages', body, { 'idempotency-key': k2 })));
    const ids = new Set(results.filter((r) => r.status === 202).map((r) => r.body.id));
    expect(ids.size).toBe(1);
    for (const r of results) expect([202, 409]).toContain(r.status);
    const rows = await h.query(`SELECT count(*)::int AS n FROM messages WHERE text = 'idempotent'`);
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('row 21: the same key with another body → 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const k = key();
    await post(h, '/v1/messages', base, { 'idempotency-key': k });
    const res = await post(h, '/v1/messages', { ...base, text: 'different' }, { 'idempotency-key': k });
    expect([res.status, res.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it('row 21: an optional field sent as null is the same request as one without it (a replay, not a reuse)', async () => {
    const k = key();
    const first = await post(h, '/v1/messages', base, { 'idempotency-key': k });
    const again = await post(h, '/v1/messages', { ...base, sender: null, to: { ...base.to, lineUserId: null } }, { 'idempotency-key': k });
    expect(first.status).toBe(202);
    expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([202, first.body, 'true']);
    // A key stored before nulls meant "not given" holds the hash of the body with its nulls: a
    // retry of that same body still replays.
    const k2 = key();
    const withNull = { ...base, text: 'legacy key', sender: null };
    const stored = await post(h, '/v1/messages', withNull, { 'idempotency-key': k2 });
    const legacy = createHash('sha256').update(JSON.stringify({ category: base.category, sender: null, text: 'legacy key', to: base.to })).digest('hex');
    await h.query(`UPDATE idempotency_keys SET request_hash = $1 WHERE key = $2`, [legacy, k2]);
    const retried = await post(h, '/v1/messages', withNull, { 'idempotency-key': k2 });
    expect([retried.status, retried.body]).toEqual([202, stored.body]);
    const changed = await post(h, '/v1/messages', { ...withNull, text: 'another' }, { 'idempotency-key': k2 });
    expect([changed.status, changed.body.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
  });

  it.each([
    ['missing', undefined, 'IDEMPOTENCY_KEY_REQUIRED'],
    ['empty', '', 'IDEMPOTENCY_KEY_REQUIRED'],
    ['256 characters', 'k'.repeat(256), 'INVALID_IDEMPOTENCY_KEY'],
    ['non-ASCII (percent-free)', 'キー', 'INVALID_IDEMPOTENCY_KEY'],
  ])('row 22: %s key → 400 %s', async (_label, k, code) => {
    const headers: Record<string, string> = k === undefined ? {} : { 'idempotency-key': k };
    const res = await fetch(`${h.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.apiKey}`, ...headers },
      body: JSON.stringify(base),
    }).catch(() => null);
    // Node's fetch refuses non-Latin-1 header values itself; a raw client would reach us and get 400.
    if (res === null) return expect(k).toBe('キー');
    const body = (await res.json()) as { code: string };
    expect([res.status, body.code]).toEqual([400, code]);
  });

  it('row 23: the same key in another tenant is an independent message', async () => {
    const k = key();
    const mine = await post(h, '/v1/messages', base, { 'idempotency-key': k });
    const other = await h.admin.createTenant(`other-${Date.now()}`);
    const otherKey = await h.admin.createApiKey(other.id, ['messages:send', 'messages:read']);
    const theirs = await post({ ...h, apiKey: otherKey.token }, '/v1/messages', base, { 'idempotency-key': k });
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
    // Row 30: and neither tenant can read the other's message.
    const cross = await get({ ...h, apiKey: otherKey.token }, `/v1/messages/${mine.body.id}`);
    expect([cross.status, cross.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('row 24: a 10 MB body → 413; a 10⁶-element array → 413', async () => {
    const big = await send('{"text":"' + 'a'.repeat(10 * 1024 * 1024) + '"}');
    expect([big.status, big.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const arr = await send(JSON.stringify({ ...base, channels: Array.from({ length: 1_000_000 }, () => 1) }));
    expect(arr.status).toBe(413);
  });

  it('row 24: 10⁵-deep nesting → 413; 10⁴ levels, within the size limit → 400 INVALID_JSON, not a stack overflow', async () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    const deeper = await send(`{"to":{"phone":"+819012345678"},"category":"transactional","text":"x","metadata":${nested(100_000)}}`);
    expect([deeper.status, deeper.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const deep = await send(`{"to":{"phone":"+819012345678"},"category":"transactional","text":"x","metadata":${nested(10_000)}}`);
    expect([deep.status, deep.body.code]).toEqual([400, 'INVALID_JSON']);
    const arrays = await send('['.repeat(30_000) + ']'.repeat(30_000));
    expect([arrays.status, arrays.body.code]).toEqual([400, 'INVALID_JSON']);
    // Nesting a LINE flex message or an RCS card really uses is fine.
    const fine = await send(`{"to":{"phone":"+819012345678"},"category":"transactional","text":"x","metadata":${nested(60)}}`);
    expect(fine.status).toBe(202);
  });

  it('row 25: __proto__ and constructor.prototype are refused, nothing polluted', async () => {
    const res = await send('{"to":{"phone":"+819012345678"},"category":"transactional","text":"x","__proto__":{"admin":true}}');
    expect([res.status, res.body.code]).toEqual([400, 'INVALID_JSON']);
    const res2 = await send('{"constructor":{"prototype":{"admin":true}},"text":"x"}');
    expect(res2.status).toBe(400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('row 26: duplicate keys — documented last-wins (JSON.parse); the later value is the one validated', async () => {
    const res = await send('{"to":{"phone":"+819012345678"},"category":"transactional","text":"first","text":"カード 4111111111111111"}');
    expect([res.status, res.body.code]).toEqual([422, 'BODY_CONTAINS_CARD_NUMBER']);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form-urlencoded', 'application/x-www-form-urlencoded'],
    ['Shift_JIS', 'application/json; charset=Shift_JIS'],
  ])('row 27: %s → 415 UNSUPPORTED_MEDIA_TYPE', async (_label, type) => {
    const res = await post(h, '/v1/messages', JSON.stringify(base), { 'idempotency-key': key(), 'content-type': type });
    expect([res.status, res.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
  });

  it('row 28: extra fields → 400 UNKNOWN_FIELD, no mass assignment', async () => {
    const res = await send({ ...base, tenantId: 'other', status: 'delivered' });
    expect([res.status, res.body.code]).toEqual([400, 'UNKNOWN_FIELD']);
  });

  it('row 30: a non-UUID id → 400 INVALID_ID; an unknown one → 404', async () => {
    expect((await get(h, '/v1/messages/not-a-uuid')).body.code).toBe('INVALID_ID');
    const res = await get(h, '/v1/messages/0190a000-0000-7000-8000-000000000000');
    expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('row 31: missing, revoked, wrong-scope and query-string keys', async () => {
    const none = await fetch(`${h.baseUrl}/v1/messages/0190a000-0000-7000-8000-000000000000`);
    expect([none.status, ((await none.json()) as { code: string }).code]).toEqual([401, 'UNAUTHENTICATED']);
    const readOnly = await h.admin.createApiKey(h.tenantId, ['messages:read']);
    const scoped = await post({ ...h, apiKey: readOnly.token }, '/v1/messages', base, { 'idempotency-key': key() });
    expect([scoped.status, scoped.body.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    await h.admin.revokeApiKey(readOnly.id);
    const revoked = await get({ ...h, apiKey: readOnly.token }, '/v1/messages/0190a000-0000-7000-8000-000000000000');
    expect([revoked.status, revoked.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    const inQuery = await fetch(`${h.baseUrl}/v1/messages/0190a000-0000-7000-8000-000000000000?api_key=${encodeURIComponent(h.apiKey)}`);
    expect(inQuery.status).toBe(401);
    // A key issued for a while works until then, and not after.
    const brief = await h.admin.createApiKey(h.tenantId, ['messages:read'], 'brief', { expiresInDays: 1 });
    expect(new Date(brief.expiresAt!).getTime() - Date.now()).toBeGreaterThan(86_300_000);
    expect((await get({ ...h, apiKey: brief.token }, '/v1/messages/0190a000-0000-7000-8000-000000000000')).status).toBe(404);
    await h.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [brief.id]);
    const expired = await get({ ...h, apiKey: brief.token }, '/v1/messages/0190a000-0000-7000-8000-000000000000');
    expect([expired.status, expired.body.code, expired.body.message]).toEqual([401, 'UNAUTHENTICATED', expect.stringContaining('expired')]);
    await expect(h.admin.createApiKey(h.tenantId, ['messages:read'], 'bad', { expiresInDays: 0 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it.each([
    ['metadata address', 'http://169.254.169.254/latest/meta-data'],
    ['ftp scheme', 'ftp://example.com/x'],
  ])('row 45: callback URL %s → 422 CALLBACK_URL_NOT_ALLOWED', async (_label, callbackUrl) => {
    // The harness allows private addresses for its own local receiver; a scheme check still applies,
    // and the strict check is the next test's tenant.
    const res = await send({ ...base, callbackUrl });
    if (res.status === 202) return expect(callbackUrl).toContain('169.254');
    expect([res.status, res.body.code]).toEqual([422, 'CALLBACK_URL_NOT_ALLOWED']);
  });

  it.each([
    ['row 46: sendAt in the past', { sendAt: '2020-01-01T00:00:00Z' }, 'INVALID_SCHEDULE'],
    ['row 46: sendAt 10 years ahead', { sendAt: '2036-01-01T00:00:00Z' }, 'INVALID_SCHEDULE'],
    ['row 46: no time zone', { sendAt: '2026-12-01T09:00:00' }, 'INVALID_SCHEDULE'],
    ['row 46: expiresAt in the past', { expiresAt: '2020-01-01T00:00:00Z' }, 'INVALID_EXPIRY'],
    ['row 46: expiresAt before sendAt', { sendAt: new Date(Date.now() + 7200_000).toISOString(), expiresAt: new Date(Date.now() + 3600_000).toISOString() }, 'INVALID_EXPIRY'],
  ])('%s → 422 %s', async (_label, extra, code) => {
    const res = await send({ ...base, ...extra });
    expect([res.status, res.body.code]).toEqual([422, code]);
  });

  it('every response carries a correlation id', async () => {
    const res = await send({ ...base, text: '' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
