import { EngineHarness, get, mobile, post, startEngine } from './support/engine-harness';

/** GET /v1/messages?reference=…: what a CRM sent under one of its references, newest first, page by page. */
describe('listing messages by the CRM reference', () => {
  let h: EngineHarness;
  const ids: string[] = [];

  beforeAll(async () => {
    h = await startEngine({ label: 'message_list', startWorker: false });
    for (let i = 0; i < 5; i++) {
      const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: `注文 ${i} のお知らせです`, metadata: { reference: 'order-42' } }, { 'idempotency-key': `list-${i}` });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: '別の注文のお知らせです', metadata: { reference: 'order-43' } }, { 'idempotency-key': 'list-other' });
    await post(h, `/v1/messages/${ids[0]}/cancel`, {});
  }, 30_000);
  afterAll(async () => h?.close());

  it('lists only that reference, newest first, in pages that join up', async () => {
    const first = await get(h, '/v1/messages?reference=order-42&limit=2');
    expect(first.status).toBe(200);
    const seen: string[] = first.body.items.map((m: { id: string }) => m.id);
    let cursor = first.body.nextCursor as string | null;
    while (cursor) {
      const next = await get(h, `/v1/messages?reference=order-42&limit=2&before=${encodeURIComponent(cursor)}`);
      seen.push(...next.body.items.map((m: { id: string }) => m.id));
      cursor = next.body.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect(first.body.items[0]).toMatchObject({ reference: 'order-42', status: 'accepted', category: 'transactional' });
  });

  it('narrows by status, and refuses a list without a reference or with a bad parameter', async () => {
    // The cancel of ids[0] is only requested (no worker runs here): still accepted. Cancelled ones: none yet.
    expect((await get(h, '/v1/messages?reference=order-42&status=cancelled')).body.items).toEqual([]);
    expect((await get(h, '/v1/messages?reference=order-42&status=accepted')).body.items).toHaveLength(5);
    for (const query of ['', '?status=accepted', '?reference=order-42&status=sent', '?reference=order-42&limit=0', '?reference=order-42&limit=101', '?reference=order-42&before=nonsense']) {
      const res = await get(h, `/v1/messages${query}`);
      expect([query, res.status, res.body.code]).toEqual([query, 400, 'INVALID_REQUEST']);
    }
  });

  it("shows another tenant nothing under the same reference", async () => {
    const other = await h.admin.createTenant(`list-other-${Date.now()}`);
    const key = (await h.admin.createApiKey(other.id, ['messages:read'])).token;
    const res = await fetch(`${h.baseUrl}/v1/messages?reference=order-42`, { headers: { authorization: `Bearer ${key}` } });
    expect([res.status, ((await res.json()) as { items: unknown[] }).items]).toEqual([200, []]);
  });
});
