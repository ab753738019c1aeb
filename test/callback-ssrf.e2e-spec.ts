import { createServer, Server } from 'node:http';
import { AddressInfo, isIP } from 'node:net';
import { AllLookup, assertCallbackUrlAllowed, hostLookupOf } from '@tsunagu/security';
import { expectEventually } from '@tsunagu/testing';
import { guardedPostForTest } from './support/guarded-post';
import { EngineHarness, mobile, post, startEngine } from './support/engine-harness';

/**
 * Server-side request forgery through callbacks, at send time: the tenant's URL passed the check
 * when it was saved, and the sender must still connect to nothing private. Every trap below is a
 * real HTTP listener on 127.0.0.1 that counts TCP connections, so a refused callback shows as
 * zero connections, not as a request that merely failed.
 */

interface Listener {
  port: number;
  connections: number;
  requests: string[];
  close(): Promise<void>;
}

/** An HTTP listener on loopback answering every request with `answer` (status and headers). */
async function listen(answer: (path: string) => [number, Record<string, string>] = () => [204, {}]): Promise<Listener> {
  const server: Server = createServer((req, res) => {
    listener.requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const [status, headers] = answer(req.url ?? '/');
      res.writeHead(status, headers).end();
    });
  });
  const listener: Listener = {
    port: 0,
    connections: 0,
    requests: [],
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
  server.on('connection', () => listener.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  listener.port = (server.address() as AddressInfo).port;
  return listener;
}

/**
 * A stand-in for the OS resolver (not for our code): `host` gives the answers in order, the last
 * one from then on, as an attacker's DNS with a short TTL would. One resolver serves both the
 * check on save (through hostLookupOf, as the engine asks it) and the sender's connecting lookup.
 */
function rebindingResolver(host: string, answers: string[][]) {
  const asked: string[] = [];
  const resolve: AllLookup = (hostname, _options, callback) => {
    asked.push(hostname);
    if (hostname !== host) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    const answer = answers.length > 1 ? (answers.shift() as string[]) : answers[0];
    callback(null, answer.map((address) => ({ address, family: isIP(address) })));
  };
  return { resolve, lookup: hostLookupOf(resolve), asked };
}

describe('callback SSRF at send time', () => {
  let trap: Listener;
  beforeEach(async () => {
    trap = await listen();
  });
  afterEach(async () => trap.close());

  it('a name that was public when saved and resolves to 127.0.0.1 when sent is refused in the connecting lookup', async () => {
    const dns = rebindingResolver('crm.rebind.test', [['93.184.215.14'], ['127.0.0.1']]);
    const url = `https://crm.rebind.test:${trap.port}/crm`;
    await expect(assertCallbackUrlAllowed(url, { allowPrivate: false, lookup: dns.lookup })).resolves.toBeUndefined();

    expect(await guardedPostForTest(url, { resolve: dns.resolve })).toEqual({ status: null, error: 'address_not_allowed' });
    expect(dns.asked).toEqual(['crm.rebind.test', 'crm.rebind.test']); // once on save, once when sending
    expect(trap.connections).toBe(0);

    // The trap does take what reaches it: connected to directly (private allowed), it counts one.
    expect(await guardedPostForTest(`http://127.0.0.1:${trap.port}/crm`, { allowPrivate: true })).toEqual({ status: 204, error: null });
    expect([trap.connections, trap.requests]).toEqual([1, ['POST /crm']]);
  });

  it.each(['[::127.0.0.1]', '[::ffff:127.0.0.1]', '0177.0.0.1', '0x7f.1', '2130706433'])(
    'the literal %s is refused before any connection',
    async (host) => {
      expect(await guardedPostForTest(`http://${host}:${trap.port}/crm`)).toEqual({ status: null, error: 'address_not_allowed' });
      expect(trap.connections).toBe(0);
    },
  );

  it('a 302 to a private address is not followed: guardedPost answers the 302 itself', async () => {
    const redirector = await listen(() => [302, { location: `http://127.0.0.1:${trap.port}/stolen` }]);
    try {
      expect(await guardedPostForTest(`http://127.0.0.1:${redirector.port}/crm`, { allowPrivate: true })).toEqual({ status: 302, error: null });
      expect(redirector.requests).toEqual(['POST /crm']);
      expect(trap.connections).toBe(0);
    } finally {
      await redirector.close();
    }
  });
});

/** Waits for the message to be delivered and every callback it brought to be final; returns them. */
async function finalCallbacks(h: EngineHarness, messageId: string) {
  return expectEventually(
    async () => {
      const [m] = await h.query<{ status: string }>(`SELECT status FROM messages WHERE id = $1`, [messageId]);
      expect(m.status).toBe('delivered');
      const rows = await h.query<{ url: string; status: string; tries: number; last_status: number | null; last_error: string | null }>(
        `SELECT url, status, tries, last_status, last_error FROM callbacks WHERE message_id = $1 ORDER BY created_at`,
        [messageId],
      );
      expect(rows.length).toBeGreaterThanOrEqual(2); // accepted … delivered
      expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
      return rows;
    },
    { timeoutMs: 15_000 },
  );
}

async function sendMessage(h: EngineHarness, body: Record<string, unknown> = {}): Promise<string> {
  const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'callback ssrf', ...body }, { 'idempotency-key': `ssrf-${Math.random()}` });
  expect(res.status).toBe(202);
  return (res.body as { id: string }).id;
}

describe('callback SSRF through the worker', () => {
  let trap: Listener;
  beforeEach(async () => {
    trap = await listen();
  });
  afterEach(async () => trap.close());

  describe('private callbacks refused (production settings)', () => {
    // The api's save-time check and the worker's connecting lookup both ask this stand-in
    // (CALLBACK_RESOLVER): public for the save, 127.0.0.1 from then on.
    const dns = rebindingResolver('crm.rebind.test', [['93.184.215.14'], ['127.0.0.1']]);
    let h: EngineHarness;
    beforeAll(async () => {
      h = await startEngine({
        label: 'callback_ssrf',
        config: { callbacks: { allowPrivateUrls: false, timeoutMs: 1000, retryHours: 1 } },
        callbackResolver: dns.resolve,
      });
    });
    afterAll(async () => h?.close());

    it('a tenant URL whose name resolves to loopback when sent is refused and recorded, never retried, and nothing connects', async () => {
      const url = `https://crm.rebind.test:${trap.port}/crm`;
      // Saved the way the CLI saves it, through the check on save: the name is public now.
      await h.admin.setCallbackUrl(h.tenantId, url);
      expect(dns.asked).toEqual(['crm.rebind.test']);

      const rows = await finalCallbacks(h, await sendMessage(h));
      expect(rows.map((r) => [r.url, r.status, r.tries, r.last_status, r.last_error])).toEqual(rows.map(() => [url, 'failed', 1, null, 'address_not_allowed']));
      // Asked again for each callback, as it was sent: the answer was judged, and nothing connected.
      expect(dns.asked).toEqual(['crm.rebind.test', ...rows.map(() => 'crm.rebind.test')]);
      expect(trap.connections).toBe(0);
      // The trap was listening all along: a plain request to it does count.
      await (await fetch(`http://127.0.0.1:${trap.port}/crm`, { method: 'POST' })).arrayBuffer();
      expect(trap.connections).toBe(1);
    });
  });

  describe('private callbacks allowed (callbacks.allowPrivateUrls, the e2e receiver on loopback)', () => {
    let h: EngineHarness;
    beforeAll(async () => {
      h = await startEngine({ label: 'callback_redirect' });
    });
    afterAll(async () => h?.close());

    it.each([302, 307, 308])('a CRM answering %i to a private address is not followed: recorded as failed with that status', async (status) => {
      const redirector = await listen(() => [status, { location: `http://127.0.0.1:${trap.port}/stolen` }]);
      try {
        const callbackUrl = `http://127.0.0.1:${redirector.port}/crm`;
        const rows = await finalCallbacks(h, await sendMessage(h, { callbackUrl }));
        expect(rows.map((r) => [r.status, r.tries, r.last_status])).toEqual(rows.map(() => ['failed', 1, status]));
        expect(redirector.requests).toEqual(rows.map(() => 'POST /crm'));
        expect(trap.connections).toBe(0);
      } finally {
        await redirector.close();
      }
    });
  });
});
