import { createHmac, timingSafeEqual } from 'node:crypto';
import { AddressInfo, createServer as createTcpServer, Socket } from 'node:net';
import { expectEventually } from '@tsunagu/testing';
import { guardedPost } from '../libs/engine/src/callbacks/guarded-post';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';
import { Take, scriptedCrm } from './support/scripted-crm';

/**
 * How status callbacks reach a CRM that is slow, down or refusing, over real HTTP through the
 * worker: what is retried and how each try is signed, and that no CRM holds a worker.
 */

/**
 * A CRM that takes the request and then answers one byte every 200 ms, forever: `head` trickles
 * its status line itself, `body` sends `200 OK` at once and trickles an endless chunked body.
 * Every byte comes well inside any idle timeout.
 */
async function tricklingCrm(what: 'head' | 'body') {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let started = false;
    socket.on('data', () => {
      if (started) return;
      started = true;
      if (what === 'body') socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
      const head = 'HTTP/1.1 204 No Content\r\n';
      let i = 0;
      const timer = setInterval(() => {
        if (what === 'head') socket.write(i < head.length ? head[i++] : 'x');
        else socket.write('1\r\nx\r\n');
      }, 200);
      socket.on('close', () => clearInterval(timer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/crm`,
    connections: () => sockets.size,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** The README's recipe, written out the way a CRM would (no code of ours): key = base64 after `whsec_`. */
function crmVerifies(secret: string, take: Take): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${take.headers['webhook-id']}.${take.headers['webhook-timestamp']}.${take.body}`).digest();
  return String(take.headers['webhook-signature'])
    .split(' ')
    .some((s) => s.startsWith('v1,') && Buffer.from(s.slice(3), 'base64').length === expected.length && timingSafeEqual(Buffer.from(s.slice(3), 'base64'), expected));
}

describe('callback delivery: a slow CRM holds nothing up', () => {
  it.each(['head', 'body'] as const)('a CRM trickling its %s answers within the timeout, not never', async (what) => {
    const crm = await tricklingCrm(what);
    try {
      const started = Date.now();
      const result = await guardedPost(crm.url, '{}', {}, { timeoutMs: 1000, allowPrivate: true });
      // The status line is the answer: a 200 with an endless body is taken; a status line never finished is a timeout.
      expect(result).toEqual(what === 'body' ? { status: 200, error: null } : { status: null, error: 'etimedout' });
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      await crm.close();
    }
  });
});

describe('callback delivery through the worker', () => {
  let h: EngineHarness;
  let secret: string;
  beforeAll(async () => {
    h = await startEngine({ label: 'callback_delivery', channels: ['sms'], config: { callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } } });
    // The secret the CRM holds, as the CLI shows it once.
    secret = (await h.admin.rotateCallbackSecret(h.tenantId, 0)).callbackSecret;
  });
  afterAll(async () => h?.close());

  async function send(callbackUrl: string): Promise<string> {
    const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'callback delivery', callbackUrl }, { 'idempotency-key': `cbd-${Math.random()}` });
    expect(res.status).toBe(202);
    return (res.body as { id: string }).id;
  }

  const rowsOf = (messageId: string) =>
    h.query<{ id: string; status: string; tries: number; last_status: number | null; last_error: string | null }>(
      `SELECT id, status, tries, last_status, last_error FROM callbacks WHERE message_id = $1 ORDER BY created_at, id`,
      [messageId],
    );

  /** Once the message is delivered and every callback of it has come to `status`: those callbacks. */
  const settled = (messageId: string, status: 'delivered' | 'failed', timeoutMs = 15_000) =>
    expectEventually(
      async () => {
        const [m] = await h.query<{ status: string }>(`SELECT status FROM messages WHERE id = $1`, [messageId]);
        expect(m.status).toBe('delivered');
        const rows = await rowsOf(messageId);
        expect(rows.map((r) => r.status)).toEqual(rows.map(() => status));
        return rows;
      },
      { timeoutMs },
    );

  it('a 503 is tried again later with the same webhook-id, a fresh timestamp and a signature the README recipe verifies', async () => {
    const crm = await scriptedCrm([503, 204]);
    try {
      const id = await send(crm.url);
      const rows = await settled(id, 'delivered');
      // The one callback that met the 503 was delivered on its second try; the rest on their first.
      expect(rows.map((r) => r.tries).sort()).toEqual([...rows.map(() => 1).slice(1), 2]);
      const retried = rows.find((r) => r.tries === 2)!;
      expect(retried.last_status).toBe(204);
      const first = crm.takes.filter((t) => t.headers['webhook-id'] === retried.id);
      expect(first).toHaveLength(2);
      expect(first[1].body).toBe(first[0].body);
      expect(JSON.parse(first[0].body).id).toBe(retried.id);
      // Backed off (5 s, ±25 %), and signed afresh: the timestamp is that try's own, in seconds.
      expect(first[1].at - first[0].at).toBeGreaterThanOrEqual(3_500);
      for (const t of first) expect(Math.abs(Number(t.headers['webhook-timestamp']) - Math.floor(t.at / 1000))).toBeLessThanOrEqual(1);
      expect(Number(first[1].headers['webhook-timestamp'])).toBeGreaterThan(Number(first[0].headers['webhook-timestamp']));
      for (const t of crm.takes) expect(crmVerifies(secret, t)).toBe(true);
    } finally {
      await crm.close();
    }
  });

  it("a 408 (the CRM's own timeout) is tried again, not before the Retry-After it gave", async () => {
    // 8 s: past the longest first backoff (5 s + 25 %), so a retry that ignored it would come sooner.
    const crm = await scriptedCrm([408, 204], { 'retry-after': '8' });
    try {
      const id = await send(crm.url);
      const rows = await settled(id, 'delivered', 20_000);
      const retried = rows.find((r) => r.tries === 2)!;
      expect(retried.last_status).toBe(204);
      const takes = crm.takes.filter((t) => t.headers['webhook-id'] === retried.id);
      expect(takes).toHaveLength(2);
      expect(takes[1].at - takes[0].at).toBeGreaterThanOrEqual(8_000);
    } finally {
      await crm.close();
    }
  }, 30_000);

  it.each([400, 401, 410])('a %i is final: recorded, not tried again', async (status) => {
    const crm = await scriptedCrm([status]);
    try {
      const id = await send(crm.url);
      const rows = await settled(id, 'failed');
      expect(rows.map((r) => [r.tries, r.last_status])).toEqual(rows.map(() => [1, status]));
      expect(crm.takes).toHaveLength(rows.length);
    } finally {
      await crm.close();
    }
  });

  it('callbacks failed for good are counted for operators on /metrics, not only dropped', async () => {
    const [{ n }] = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM callbacks WHERE status = 'failed' AND tenant_id = $1`, [h.tenantId]);
    expect(n).toBeGreaterThanOrEqual(3); // the 400, 401 and 410 above
    const text = await (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${h.config.http.opsToken}` } })).text();
    // Under the tenant's id, so an operator with many tenants sees whose endpoint refuses.
    expect(text).toMatch(new RegExp(`^tsunagu_callbacks_failed\\{tenant="${h.tenantId}"\\} ${n}$`, 'm'));
  });

  it('a CRM trickling its answer does not hold the worker: the try times out and is scheduled again', async () => {
    const crm = await tricklingCrm('head');
    try {
      const id = await send(crm.url);
      const rows = await expectEventually(
        async () => {
          const rows = await rowsOf(id);
          expect(rows.length).toBeGreaterThan(0);
          expect(rows.map((r) => [r.status, r.tries, r.last_error])).toEqual(rows.map(() => ['pending', 1, 'etimedout']));
          return rows;
        },
        { timeoutMs: 10_000 },
      );
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await crm.close();
    }
  });
});

describe("callback delivery follows the tenant's URL", () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngine({ label: 'callback_follow', channels: ['sms'], config: { callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } } });
  });
  afterAll(async () => h?.close());

  it('a callback failing at the old URL is retried, through the worker, at the URL the tenant moved to', async () => {
    const [a, b] = [await scriptedCrm([503]), await scriptedCrm([204])];
    try {
      // Saved through the api's admin, before the worker (a process of its own) has read the tenant.
      await h.admin.setCallbackUrl(h.tenantId, a.url);
      const { messageId, waiting } = await sentAndWaiting(h, 'cbf');
      await h.admin.setCallbackUrl(h.tenantId, b.url);
      await allDeliveredAt(h, messageId, b.url, 15_000);
      // Each callback reached B once, its last try; every try before it went to A (the first for all of them).
      expect(b.takes.map((t) => t.headers['webhook-id']).sort()).toEqual(waiting.map((r) => r.id).sort());
      const tries = await h.query<{ callback_id: string; try: number; url: string; status: number }>(
        `SELECT t.callback_id, t.try, t.url, t.status FROM callback_tries t JOIN callbacks c ON c.id = t.callback_id WHERE c.message_id = $1 ORDER BY t.callback_id, t.try`,
        [messageId],
      );
      for (const { id } of waiting) {
        const own = tries.filter((t) => t.callback_id === id).map((t) => [t.try, t.url, t.status]);
        expect(own).toEqual([...own.slice(0, -1).map((_, i) => [i + 1, a.url, 503]), [own.length, b.url, 204]]);
        expect(own.length).toBeGreaterThanOrEqual(2);
      }
      expect(a.takes).toHaveLength(tries.filter((t) => t.url === a.url).length);
    } finally {
      await a.close();
      await b.close();
    }
  }, 40_000);

  it('a URL cleared and then set again (`--none`, then the new URL) loses nothing: tries in the gap wait, and the callbacks reach the new URL', async () => {
    const [a, b] = [await scriptedCrm([503]), await scriptedCrm([204])];
    try {
      await h.admin.setCallbackUrl(h.tenantId, a.url);
      const { messageId, waiting } = await sentAndWaiting(h, 'cbg');
      await h.admin.setCallbackUrl(h.tenantId, null);
      // Each callback's next try finds no URL: recorded, and the callback still pending.
      await allWaitingForUrl(h, messageId);
      await h.admin.setCallbackUrl(h.tenantId, b.url);
      await allDeliveredAt(h, messageId, b.url, 20_000);
      expect(b.takes.map((t) => t.headers['webhook-id']).sort()).toEqual(waiting.map((r) => r.id).sort());
      expect(a.takes).toHaveLength(waiting.length);
      // Each: A's 503, one or more tries to no URL, then B's 204.
      for (const { id } of waiting) {
        const own = (await triesOf(h, id)).map((t) => [t.url, t.status, t.error]);
        expect(own[0]).toEqual([a.url, 503, null]);
        expect(own.slice(1, -1).length).toBeGreaterThanOrEqual(1);
        for (const t of own.slice(1, -1)) expect(t).toEqual([null, null, 'callback_url_removed']);
        expect(own[own.length - 1]).toEqual([b.url, 204, null]);
      }
    } finally {
      await a.close();
      await b.close();
    }
  }, 60_000);
});

describe('callback delivery when the tenant changes its URL in another process', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngine({ label: 'callback_soon', channels: ['sms'], config: { callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 2 } } });
  });
  afterAll(async () => h?.close());

  const delivered = (messageId: string) =>
    expectEventually(
      async () => {
        const [m] = await h.query<{ status: string }>(`SELECT status FROM messages WHERE id = $1`, [messageId]);
        expect(m.status).toBe('delivered');
      },
      { timeoutMs: 10_000 },
    );

  it("a tenant's first URL gets the callbacks of the changes made from then on, though the worker had just read the tenant without one", async () => {
    const b = await scriptedCrm([204]);
    try {
      // Delivered with no URL: the worker's copy of the tenant, read for it, says none.
      const first = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'before the URL' }, { 'idempotency-key': `cbs-${Math.random()}` });
      expect(first.status).toBe(202);
      await delivered((first.body as { id: string }).id);
      expect(await h.query(`SELECT 1 FROM callbacks WHERE message_id = $1`, [(first.body as { id: string }).id])).toEqual([]);

      // The URL set as the CLI sets it (the api's admin, not the worker's); its announcement
      // reaches the worker over LISTEN a moment after the commit.
      await h.admin.setCallbackUrl(h.tenantId, b.url);
      await new Promise((r) => setTimeout(r, 250));
      const second = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'after the URL' }, { 'idempotency-key': `cbs-${Math.random()}` });
      expect(second.status).toBe(202);
      const messageId = (second.body as { id: string }).id;
      await delivered(messageId);
      // Every change of it has its callback, each delivered to the new URL (the cached copy,
      // fresh for 10 s, wrote none).
      await allDeliveredAt(h, messageId, b.url, 10_000);
      const statuses = await h.query<{ status: string }>(`SELECT payload->>'status' AS status FROM callbacks WHERE message_id = $1 AND payload->>'type' = 'message.status'`, [messageId]);
      expect(statuses.map((r) => r.status)).toContain('delivered');
    } finally {
      await b.close();
    }
  }, 30_000);

  it('setting the URL retries waiting callbacks now, not after the hour the old endpoint asked for', async () => {
    const [a, b] = [await scriptedCrm([503], { 'retry-after': '3600' }), await scriptedCrm([204])];
    try {
      await h.admin.setCallbackUrl(h.tenantId, a.url);
      const { messageId, waiting } = await sentAndWaiting(h, 'cbr');
      // Each waits an hour (the Retry-After, up to its cap) for its second try.
      const [wait] = await h.query<{ min: number }>(`SELECT min(extract(epoch FROM next_attempt_at - now()))::float AS min FROM callbacks WHERE message_id = $1`, [messageId]);
      expect(wait.min).toBeGreaterThan(3000);

      expect(await h.admin.setCallbackUrl(h.tenantId, b.url)).toEqual({ broughtForward: waiting.length });
      await allDeliveredAt(h, messageId, b.url, 10_000);
      expect(b.takes.map((t) => t.headers['webhook-id']).sort()).toEqual(waiting.map((r) => r.id).sort());
      expect(a.takes).toHaveLength(waiting.length);
    } finally {
      await a.close();
      await b.close();
    }
  }, 30_000);
});

/** A message sent under the tenant's URL, once every callback of it (delivered) has met that URL once and waits for its retry. */
async function sentAndWaiting(h: EngineHarness, label: string) {
  const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'callback gap' }, { 'idempotency-key': `${label}-${Math.random()}` });
  expect(res.status).toBe(202);
  const messageId = (res.body as { id: string }).id;
  const waiting = await expectEventually(
    async () => {
      const [m] = await h.query<{ status: string }>(`SELECT status FROM messages WHERE id = $1`, [messageId]);
      expect(m.status).toBe('delivered');
      // A try is counted when it is claimed, before it is made: waiting means its answer is recorded too.
      const rows = await h.query<{ id: string; status: string; tries: number; recorded: number; give_up_at: Date }>(
        `SELECT id, status, tries, (SELECT count(*)::int FROM callback_tries t WHERE t.callback_id = c.id) AS recorded, give_up_at FROM callbacks c WHERE message_id = $1`,
        [messageId],
      );
      expect(rows.map((r) => [r.status, r.tries, r.recorded])).toEqual(rows.map(() => ['pending', 1, 1]));
      return rows;
    },
    { timeoutMs: 10_000 },
  );
  return { messageId, waiting };
}

/** Waits until every callback of the message has made a try that found no URL, and is still pending. */
const allWaitingForUrl = (h: EngineHarness, messageId: string) =>
  expectEventually(
    async () => {
      const rows = await h.query<{ status: string; last_error: string | null }>(`SELECT status, last_error FROM callbacks WHERE message_id = $1`, [messageId]);
      expect(rows.map((r) => [r.status, r.last_error])).toEqual(rows.map(() => ['pending', 'callback_url_removed']));
    },
    { timeoutMs: 10_000 },
  );

/** Waits until every callback of the message is delivered, its last try at `url`. */
const allDeliveredAt = (h: EngineHarness, messageId: string, url: string, timeoutMs: number) =>
  expectEventually(
    async () => {
      const rows = await h.query<{ status: string; url: string }>(`SELECT status, url FROM callbacks WHERE message_id = $1`, [messageId]);
      expect(rows.map((r) => [r.status, r.url])).toEqual(rows.map(() => ['delivered', url]));
    },
    { timeoutMs },
  );

const triesOf = (h: EngineHarness, callbackId: string) =>
  h.query<{ try: number; url: string | null; status: number | null; error: string | null; at: Date }>(
    `SELECT try, url, status, error, at FROM callback_tries WHERE callback_id = $1 ORDER BY try`,
    [callbackId],
  );

describe('callback delivery while the tenant has no URL', () => {
  // A retry period of 15 s, so the give-up time comes within the test.
  const retryHours = 15 / 3600;
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngine({ label: 'callback_gap', channels: ['sms'], config: { callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours } } });
  });
  afterAll(async () => h?.close());

  const metrics = async () => (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${h.config.http.opsToken}` } })).text();

  it('a callback whose tenant never sets a URL again stays pending through its tries, and is cancelled at its give-up time, not before', async () => {
    const a = await scriptedCrm([503]);
    try {
      await h.admin.setCallbackUrl(h.tenantId, a.url);
      const { messageId, waiting } = await sentAndWaiting(h, 'cbn');
      await h.admin.setCallbackUrl(h.tenantId, null);
      // A try in the gap leaves each callback pending, and counted as pending.
      await allWaitingForUrl(h, messageId);
      expect(await metrics()).toMatch(new RegExp(`^tsunagu_callbacks_pending ${waiting.length}$`, 'm'));

      await expectEventually(
        async () => {
          const rows = await h.query<{ status: string; last_error: string | null }>(`SELECT status, last_error FROM callbacks WHERE message_id = $1`, [messageId]);
          expect(rows.map((r) => [r.status, r.last_error])).toEqual(rows.map(() => ['cancelled', 'callback_url_removed']));
        },
        { timeoutMs: 20_000 },
      );
      for (const { id, give_up_at } of waiting) {
        const own = await triesOf(h, id);
        const [gap, last] = [own.slice(1, -1), own[own.length - 1]];
        // Tried in the gap before its give-up time, each try kept; ended by the try at that time.
        expect(gap.length).toBeGreaterThanOrEqual(1);
        for (const t of [...gap, last]) expect([t.url, t.status, t.error]).toEqual([null, null, 'callback_url_removed']);
        for (const t of gap) expect(t.at.getTime()).toBeLessThan(give_up_at.getTime());
        expect(last.at.getTime()).toBeGreaterThanOrEqual(give_up_at.getTime());
        // When it came, not a backoff step later.
        expect(last.at.getTime() - give_up_at.getTime()).toBeLessThan(3_000);
      }
      // Nothing more went to the old URL; a cancellation is not an endpoint failing.
      expect(a.takes).toHaveLength(waiting.length);
      const text = await metrics();
      expect(text).toMatch(new RegExp(`^tsunagu_callbacks_failed\\{tenant="${h.tenantId}"\\} 0$`, 'm'));
      expect(text).toMatch(/^tsunagu_callbacks_pending 0$/m);
    } finally {
      await a.close();
    }
  }, 45_000);
});
