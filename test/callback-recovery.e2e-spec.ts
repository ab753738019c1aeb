import { expectEventually } from '@tsunagu/testing';
import { EngineHarness, get, mobile, post, startEngine } from './support/engine-harness';
import { scriptedCrm } from './support/scripted-crm';

/**
 * A CRM reading what was sent to it, and getting callbacks again: one callback redelivered, and
 * every callback that failed in a period recovered after an outage longer than the retries. Real
 * HTTP to the api, through the worker to CRM stand-ins.
 */
type View = { id: string; status: string; tries: number; event: { type: string; status: string }; attempts: { try: number; origin: string | null; status: number | null }[] };

/** An engine of its own per block: callbacks one test leaves pending are brought forward when the next sets its URL. */
function engineFor(label: string) {
  const engine = { h: null as unknown as EngineHarness };
  beforeAll(async () => {
    engine.h = await startEngine({ label, channels: ['sms'], config: { callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } } });
  });
  afterAll(async () => engine.h?.close());
  return engine;
}

async function sent(h: EngineHarness): Promise<string> {
  const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'callback log' }, { 'idempotency-key': `cbl-${Math.random()}` });
  expect(res.status).toBe(202);
  return (res.body as { id: string }).id;
}

/** Once the message is delivered and every callback of it is `status`: the callbacks as the API lists them. */
const settled = (h: EngineHarness, messageId: string, status: string) =>
  expectEventually(
    async () => {
      const res = await get(h, `/v1/messages/${messageId}/callbacks`);
      expect(res.status).toBe(200);
      const views = res.body as View[];
      expect(views.map((v) => v.event.status)).toContain('delivered');
      expect(views.map((v) => v.status)).toEqual(views.map(() => status));
      return views;
    },
    { timeoutMs: 15_000 },
  );

describe('callback log and redelivery', () => {
  const engine = engineFor('callback_log');

  it("lists a message's callbacks with each try: where it went (host only), what came back", async () => {
    const h = engine.h;
    const crm = await scriptedCrm([204]);
    try {
      await h.admin.setCallbackUrl(h.tenantId, `${crm.url}?token=s3cret`);
      const messageId = await sent(h);
      const views = await settled(h, messageId, 'delivered');
      expect(views.length).toBeGreaterThanOrEqual(2);
      for (const v of views) {
        expect(v.tries).toBe(1);
        expect(v.attempts).toEqual([{ try: 1, at: expect.any(String), origin: new URL(crm.url).origin, status: 204, error: null }]);
      }
      // The path and the query (a token the CRM put in its URL) are never shown.
      expect(JSON.stringify(views)).not.toContain('s3cret');
      expect(crm.takes.map((t) => t.headers['webhook-id']).sort()).toEqual(views.map((v) => v.id).sort());

      expect((await get(h, `/v1/messages/not-a-uuid/callbacks`)).body.code).toBe('INVALID_ID');
      expect((await get(h, `/v1/messages/0190a000-0000-7000-8000-000000000000/callbacks`)).status).toBe(404);
    } finally {
      await crm.close();
    }
  }, 30_000);

  it('redelivers one callback, delivered before, under the same webhook-id; refuses one still being tried (409) and one with nowhere to go (422)', async () => {
    const h = engine.h;
    const [a, slow] = [await scriptedCrm([204]), await scriptedCrm([503], { 'retry-after': '1800' })];
    try {
      await h.admin.setCallbackUrl(h.tenantId, a.url);
      const messageId = await sent(h);
      const [first] = await settled(h, messageId, 'delivered');
      const before = a.takes.length;

      const res = await post(h, `/v1/callbacks/${first.id}/redeliver`, {});
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: first.id, status: 'pending', tries: 1 });
      await expectEventually(async () => {
        const [again] = (await get(h, `/v1/messages/${messageId}/callbacks`)).body as View[];
        expect([again.status, again.tries, again.attempts.map((t) => t.try)]).toEqual(['delivered', 2, [1, 2]]);
      });
      const taken = a.takes.slice(before);
      expect(taken.map((t) => t.headers['webhook-id'])).toEqual([first.id]);
      expect(taken[0].body).toBe(a.takes.find((t) => t.headers['webhook-id'] === first.id)!.body);

      // Still being tried (half an hour's Retry-After ahead): 409, nothing more queued.
      await h.admin.setCallbackUrl(h.tenantId, slow.url);
      const waiting = await sent(h);
      const pending = await expectEventually(async () => {
        const views = (await get(h, `/v1/messages/${waiting}/callbacks`)).body as View[];
        expect(views.length).toBeGreaterThan(0);
        expect(views.map((v) => [v.status, v.tries])).toEqual(views.map(() => ['pending', 1]));
        return views;
      });
      const busy = await post(h, `/v1/callbacks/${pending[0].id}/redeliver`, {});
      expect([busy.status, busy.body.code]).toEqual([409, 'CALLBACK_ALREADY_PENDING']);

      // Delivered once, and now no URL anywhere: 422, and it stays as it was.
      await h.admin.setCallbackUrl(h.tenantId, null);
      const nowhere = await post(h, `/v1/callbacks/${first.id}/redeliver`, {});
      expect([nowhere.status, nowhere.body.code]).toEqual([422, 'NO_CALLBACK_URL']);
      expect(await h.query(`SELECT status FROM callbacks WHERE id = $1`, [first.id])).toEqual([{ status: 'delivered' }]);

      expect((await post(h, `/v1/callbacks/0190a000-0000-7000-8000-000000000000/redeliver`, {})).status).toBe(404);
    } finally {
      await a.close();
      await slow.close();
    }
  }, 40_000);

});

describe('callback recovery', () => {
  const engine = engineFor('callback_recovery');

  it('recovers every callback that failed in a period, at the URL the CRM has now, and only once', async () => {
    const h = engine.h;
    const [gone, back] = [await scriptedCrm([410]), await scriptedCrm([204])];
    try {
      const since = new Date(Date.now() - 1000).toISOString();
      await h.admin.setCallbackUrl(h.tenantId, gone.url);
      const messages = [await sent(h), await sent(h)];
      const failed = (await Promise.all(messages.map((m) => settled(h, m, 'failed')))).flat();

      await h.admin.setCallbackUrl(h.tenantId, back.url);
      const res = await post(h, '/v1/callbacks/recover', { since });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ redelivered: failed.length, nextCursor: null });
      for (const m of messages) await settled(h, m, 'delivered');
      expect(back.takes.map((t) => t.headers['webhook-id']).sort()).toEqual(failed.map((v) => v.id).sort());

      // Nothing is left failed in the period: asking again sends nothing.
      expect((await post(h, '/v1/callbacks/recover', { since })).body).toEqual({ redelivered: 0, nextCursor: null });
      expect(back.takes).toHaveLength(failed.length);
    } finally {
      await gone.close();
      await back.close();
    }
  }, 40_000);

  it.each([
    [{}, 'INVALID_REQUEST'],
    [{ since: 'yesterday' }, 'INVALID_REQUEST'],
    [{ since: '2026-12-01T00:00:00' }, 'INVALID_REQUEST'],
    [{ since: new Date(Date.now() - 40 * 86_400_000).toISOString() }, 'INVALID_REQUEST'],
    [{ since: new Date().toISOString(), until: new Date(Date.now() - 60_000).toISOString() }, 'INVALID_REQUEST'],
    [{ since: new Date().toISOString(), status: 'failed' }, 'UNKNOWN_FIELD'],
    [{ since: new Date(Date.now() - 60_000).toISOString(), after: 'not-a-cursor' }, 'INVALID_REQUEST'],
  ])('a recovery of %j is refused: 400 %s', async (body, code) => {
    const res = await post(engine.h, '/v1/callbacks/recover', body);
    expect([res.status, res.body.code]).toEqual([400, code]);
  });
});
