import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo, isIP } from 'node:net';
import { DataSource } from 'typeorm';
import { inProcessConfig } from '@tsunagu/config';
import { createDataSource, MessageEntity } from '@tsunagu/database';
import { AllLookup, DataKeys, PhoneCipher } from '@tsunagu/security';
import { createTestDatabase, TestDatabase } from '@tsunagu/testing';
import { inTx } from '../infra/tx';
import { TenantAdminService } from '../tenants/tenant-admin.service';
import { TenantSettingsService } from '../tenants/tenant-settings.service';
import { CALLBACK_URL_REMOVED, CallbackSenderService } from './callback-sender.service';
import { CallbackWriter } from './callback.writer';

/**
 * Where a pending callback goes, and how it is signed, when the tenant changes its callback URL
 * or rotates its secret while the callback waits for a retry. Real PostgreSQL, real HTTP
 * receivers on loopback. The tenant is changed as the CLI changes it, in another process: the
 * admin here has its own tenant cache, and the sender's cache is warm with the tenant as it was.
 */

interface Take {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A CRM endpoint answering every POST with `status` (after `delayMs`); counts TCP connections, so a refused try shows as none. */
async function receiver(status: number, delayMs = 0) {
  const takes: Take[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      takes.push({ path: req.url ?? '', headers: req.headers, body });
      setTimeout(() => res.writeHead(status).end(), delayMs);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    connections: () => connections,
    url: `http://127.0.0.1:${port}/crm`,
    takes,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** The README's recipe, written out as a CRM would (no code of ours): key = base64 after `whsec_`. */
function verifies(secret: string, take: Take): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${take.headers['webhook-id']}.${take.headers['webhook-timestamp']}.${take.body}`).digest();
  return String(take.headers['webhook-signature'])
    .split(' ')
    .some((s) => s.startsWith('v1,') && Buffer.from(s.slice(3), 'base64').length === expected.length && timingSafeEqual(Buffer.from(s.slice(3), 'base64'), expected));
}

describe('CallbackSenderService: pending callbacks follow the tenant, on a real PostgreSQL', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const cipher = new PhoneCipher(DataKeys.fromBase64(randomBytes(32).toString('base64')));
  const config = inProcessConfig({ callbacks: { allowPrivateUrls: true, timeoutMs: 1000, retryHours: 1 } });
  const closing: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('callbacksender');
    ds = await createDataSource(db.url).initialize();
  });
  afterEach(async () => {
    for (const close of closing.splice(0)) await close();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** The worker (sender and writer) and the CLI (admin), each with its own tenant cache, as two processes. */
  function processes(c = config, resolve?: AllLookup) {
    const workerTenants = new TenantSettingsService(ds, c, cipher);
    return {
      sender: new CallbackSenderService(ds, workerTenants, c, resolve),
      writer: new CallbackWriter(workerTenants, c),
      admin: new TenantAdminService(ds, cipher, new TenantSettingsService(ds, c, cipher), c, resolve),
    };
  }

  async function open(status: number, delayMs = 0) {
    const r = await receiver(status, delayMs);
    closing.push(r.close);
    return r;
  }

  /** A tenant with `url`, and one pending callback of one of its messages (the message's own URL: `messageUrl`). */
  async function pendingCallback(p: ReturnType<typeof processes>, url: string, messageUrl: string | null = null) {
    const { id: tenantId, callbackSecret } = await p.admin.createTenant(`cb-${randomBytes(4).toString('hex')}`, url);
    const [contactId, conversationId, messageId] = [randomUUID(), randomUUID(), randomUUID()];
    await ds.query(`INSERT INTO contacts (id, tenant_id, phone_enc, phone_bidx) VALUES ($1, $2, '\\x00'::bytea, $3)`, [contactId, tenantId, `bidx-${contactId}`]);
    await ds.query(`INSERT INTO conversations (id, tenant_id, contact_id) VALUES ($1, $2, $3)`, [conversationId, tenantId, contactId]);
    await ds.query(
      `INSERT INTO messages (id, tenant_id, contact_id, conversation_id, direction, status, category, callback_url) VALUES ($1, $2, $3, $4, 'outbound', 'dispatching', 'transactional', $5)`,
      [messageId, tenantId, contactId, conversationId, messageUrl],
    );
    const message = await ds.getRepository(MessageEntity).findOneByOrFail({ id: messageId });
    await inTx(ds, (tx) => p.writer.write(tx, message, { type: 'message.status', status: 'dispatching', reason: null }));
    const [{ id }] = (await ds.query(`SELECT id FROM callbacks WHERE message_id = $1`, [messageId])) as { id: string }[];
    return { tenantId, callbackSecret, callbackId: id };
  }

  const row = async (id: string) =>
    ((await ds.query(`SELECT status, tries, url, last_status, last_error FROM callbacks WHERE id = $1`, [id])) as Record<string, unknown>[])[0];
  const tries = async (id: string) =>
    ((await ds.query(`SELECT try, url, status, error FROM callback_tries WHERE callback_id = $1 ORDER BY try`, [id])) as { try: number; url: string | null; status: number | null; error: string | null }[]).map(
      (t) => [t.try, t.url, t.status, t.error],
    );

  it('a callback failing at receiver A is retried at receiver B once the tenant points there, and each try records its URL', async () => {
    const p = processes();
    const [a, b] = [await open(503), await open(204)];
    const { tenantId, callbackSecret, callbackId } = await pendingCallback(p, a.url);

    expect(await p.sender.deliver(callbackId)).toBe('retry');
    // The retry is scheduled as before: a job for the second try, through the outbox.
    expect(await ds.query(`SELECT job_id FROM outbox WHERE job_id = $1`, [`callback-${callbackId}-1`])).toHaveLength(1);

    await p.admin.setCallbackUrl(tenantId, b.url);
    expect(await p.sender.deliver(callbackId)).toBe('delivered');

    expect(a.takes).toHaveLength(1);
    expect(b.takes).toHaveLength(1);
    // The same callback: its id, the body A was sent, signed by the tenant's secret.
    expect(b.takes[0].headers['webhook-id']).toBe(callbackId);
    expect(b.takes[0].body).toBe(a.takes[0].body);
    expect(verifies(callbackSecret, b.takes[0])).toBe(true);
    expect(await tries(callbackId)).toEqual([
      [1, a.url, 503, null],
      [2, b.url, 204, null],
    ]);
    expect(await row(callbackId)).toMatchObject({ status: 'delivered', tries: 2, url: b.url, last_status: 204 });
  });

  it("a message's own callbackUrl stays its callbacks' target when the tenant's changes", async () => {
    const p = processes();
    const [own, a, b] = [await open(204), await open(204), await open(204)];
    const { tenantId, callbackId } = await pendingCallback(p, a.url, own.url);
    await p.admin.setCallbackUrl(tenantId, b.url);

    expect(await p.sender.deliver(callbackId)).toBe('delivered');
    expect([own.takes.length, a.takes.length, b.takes.length]).toEqual([1, 0, 0]);
    expect(await tries(callbackId)).toEqual([[1, own.url, 204, null]]);
  });

  it('a try made while the tenant has no URL loses nothing: the callback waits, and reaches the URL the tenant then sets', async () => {
    const p = processes();
    const [a, b] = [await open(503), await open(204)];
    const { tenantId, callbackSecret, callbackId } = await pendingCallback(p, a.url);
    expect(await p.sender.deliver(callbackId)).toBe('retry');

    // `tenant:set-callback-url --none`, then the new URL: a try falls in the gap.
    await p.admin.setCallbackUrl(tenantId, null);
    expect(await p.sender.deliver(callbackId)).toBe('retry');
    expect(await row(callbackId)).toMatchObject({ status: 'pending', tries: 2, url: a.url, last_status: null, last_error: CALLBACK_URL_REMOVED });
    // Tried again with the usual backoff (the third try's job, through the outbox), not sooner.
    const jobs = (await ds.query(`SELECT extract(epoch FROM available_at - now())::float AS wait FROM outbox WHERE job_id = $1`, [`callback-${callbackId}-2`])) as { wait: number }[];
    expect(jobs).toHaveLength(1);
    expect(jobs[0].wait).toBeGreaterThanOrEqual(7); // 10 s, ±25 %

    await p.admin.setCallbackUrl(tenantId, b.url);
    expect(await p.sender.deliver(callbackId)).toBe('delivered');
    expect(a.takes).toHaveLength(1);
    expect(b.takes).toHaveLength(1);
    expect(b.takes[0].body).toBe(a.takes[0].body);
    expect(verifies(callbackSecret, b.takes[0])).toBe(true);
    expect(await tries(callbackId)).toEqual([
      [1, a.url, 503, null],
      [2, null, null, CALLBACK_URL_REMOVED],
      [3, b.url, 204, null],
    ]);
    expect(await row(callbackId)).toMatchObject({ status: 'delivered', tries: 3, url: b.url });
  });

  it('setting the URL brings a waiting callback forward: a job for its next try now, and the delayed job then finds the try made', async () => {
    const p = processes();
    const [a, b] = [await open(503), await open(204)];
    const { tenantId, callbackId } = await pendingCallback(p, a.url);
    expect(await p.sender.deliver(callbackId, 0)).toBe('retry');

    expect(await p.admin.setCallbackUrl(tenantId, b.url)).toEqual({ broughtForward: 1 });
    const jobs = (await ds.query(`SELECT job_id, payload, available_at <= now() AS now FROM outbox WHERE job_id LIKE $1 ORDER BY job_id`, [`callback-${callbackId}-1%`])) as {
      job_id: string;
      payload: unknown;
      now: boolean;
    }[];
    // The delayed job (in 5 s ± 25 %) stays; the one brought forward is due now, for the same second try.
    expect(jobs).toEqual([
      { job_id: `callback-${callbackId}-1`, payload: { callbackId, tries: 1 }, now: false },
      { job_id: `callback-${callbackId}-1-sooner`, payload: { callbackId, tries: 1 }, now: true },
    ]);
    expect(await ds.query(`SELECT next_attempt_at <= now() AS due FROM callbacks WHERE id = $1`, [callbackId])).toEqual([{ due: true }]);

    expect(await p.sender.deliver(callbackId, 1)).toBe('delivered');
    // The delayed job of the same try comes later and sends nothing.
    expect(await p.sender.deliver(callbackId, 1)).toBe('skipped');
    expect([a.takes.length, b.takes.length]).toEqual([1, 1]);
    expect(await tries(callbackId)).toEqual([
      [1, a.url, 503, null],
      [2, b.url, 204, null],
    ]);
  });

  it('brings forward as many as are waiting, a batch per transaction (a CRM down for a day leaves thousands)', async () => {
    const p = processes();
    const [a, b] = [await open(503), await open(204)];
    const { tenantId, callbackId } = await pendingCallback(p, a.url);
    // 2,500 more of the same message's callbacks, each waiting on its second try.
    await ds.query(
      `INSERT INTO callbacks (id, tenant_id, message_id, url, payload, give_up_at, tries, next_attempt_at)
       SELECT gen_random_uuid(), tenant_id, message_id, url, payload, give_up_at, 1, now() + interval '20 minutes' FROM callbacks, generate_series(1, 2500) WHERE id = $1`,
      [callbackId],
    );
    expect(await p.admin.setCallbackUrl(tenantId, b.url)).toEqual({ broughtForward: 2500 });
    const [jobs] = (await ds.query(`SELECT count(*)::int AS n FROM outbox o JOIN callbacks c ON o.job_id = 'callback-' || c.id || '-1-sooner' WHERE c.tenant_id = $1`, [tenantId])) as { n: number }[];
    expect(jobs.n).toBe(2500);
    expect(await ds.query(`SELECT count(*)::int AS n FROM callbacks WHERE tenant_id = $1 AND next_attempt_at > now()`, [tenantId])).toEqual([{ n: 0 }]);
  });

  it('two jobs for the same try at once (one brought forward, its delayed twin) make one POST: the try is claimed before it is made', async () => {
    const p = processes();
    // A slow CRM: both jobs would have read the callback before either recorded its try.
    const slow = await open(204, 300);
    const { callbackId } = await pendingCallback(p, slow.url);
    const outcomes = await Promise.all([p.sender.deliver(callbackId, 0), p.sender.deliver(callbackId, 0)]);
    expect(outcomes.sort()).toEqual(['delivered', 'skipped']);
    expect(slow.takes).toHaveLength(1);
    expect(await tries(callbackId)).toEqual([[1, slow.url, 204, null]]);
    expect(await row(callbackId)).toMatchObject({ status: 'delivered', tries: 1 });
  });

  it('a try claimed by a process that died before recording it is taken up again once its POST could no longer be running', async () => {
    const p = processes();
    const a = await open(204);
    const { callbackId } = await pendingCallback(p, a.url);
    // Claimed as deliver claims it, and never recorded: the process was killed mid-POST.
    await ds.query(`UPDATE callbacks SET tries = tries + 1, next_attempt_at = now() + interval '1 second' WHERE id = $1`, [callbackId]);
    expect(await p.sender.deliver(callbackId, 0)).toBe('skipped');
    // The reconciler's job, queued at the count it reads, makes the next try.
    expect(await p.sender.deliver(callbackId, 1)).toBe('delivered');
    expect(await tries(callbackId)).toEqual([[2, a.url, 204, null]]);
  });

  it("clearing the URL brings nothing forward, nor does a new URL a callback going to its message's own URL", async () => {
    const p = processes();
    const [own, a] = [await open(503), await open(204)];
    const { tenantId, callbackId } = await pendingCallback(p, a.url, own.url);
    expect(await p.sender.deliver(callbackId, 0)).toBe('retry');
    expect(await p.admin.setCallbackUrl(tenantId, null)).toEqual({ broughtForward: 0 });
    expect(await p.admin.setCallbackUrl(tenantId, a.url)).toEqual({ broughtForward: 0 });
    expect(await ds.query(`SELECT job_id FROM outbox WHERE job_id = $1`, [`callback-${callbackId}-1-sooner`])).toEqual([]);
  });

  it('a callback whose tenant never sets a URL again waits until its give-up time and only then ends cancelled, sending nothing more', async () => {
    const p = processes();
    const a = await open(503);
    const { tenantId, callbackId } = await pendingCallback(p, a.url);
    expect(await p.sender.deliver(callbackId)).toBe('retry');
    await p.admin.setCallbackUrl(tenantId, null);

    // Every try before the give-up time leaves it pending.
    expect(await p.sender.deliver(callbackId)).toBe('retry');
    expect(await p.sender.deliver(callbackId)).toBe('retry');
    expect(await row(callbackId)).toMatchObject({ status: 'pending', tries: 3 });

    // Its give-up time comes (as if the retry period had passed) with still no URL.
    await ds.query(`UPDATE callbacks SET give_up_at = now() - interval '1 second' WHERE id = $1`, [callbackId]);
    expect(await p.sender.deliver(callbackId)).toBe('cancelled');
    expect(await row(callbackId)).toMatchObject({ status: 'cancelled', tries: 4, url: a.url, last_error: CALLBACK_URL_REMOVED });
    expect((await tries(callbackId)).slice(1)).toEqual([2, 3, 4].map((n) => [n, null, null, CALLBACK_URL_REMOVED]));
    // Over: a job still queued for it finds it so; a URL set afterwards does not revive it.
    await p.admin.setCallbackUrl(tenantId, a.url);
    expect(await p.sender.deliver(callbackId)).toBe('skipped');
    expect(a.takes).toHaveLength(1);
  });

  it('the last wait before the give-up time ends at it, so a callback with no URL is cancelled when it comes, not a backoff step later', async () => {
    const p = processes();
    const a = await open(503);
    const { tenantId, callbackId } = await pendingCallback(p, a.url);
    await p.admin.setCallbackUrl(tenantId, null);
    // Two seconds to go: less than the first backoff (5 s, ±25 %).
    await ds.query(`UPDATE callbacks SET give_up_at = now() + interval '2 seconds' WHERE id = $1`, [callbackId]);
    expect(await p.sender.deliver(callbackId)).toBe('retry');
    const [r] = (await ds.query(`SELECT abs(extract(epoch FROM next_attempt_at - give_up_at)) < 0.001 AS at_give_up, status FROM callbacks WHERE id = $1`, [callbackId])) as { at_give_up: boolean; status: string }[];
    expect(r).toEqual({ at_give_up: true, status: 'pending' });
  });

  it('the try after a rotation is signed by the new secret (the old one beside it while its overlap lasts; alone once it is cut)', async () => {
    const p = processes();
    const a = await open(503);
    const { tenantId, callbackSecret: first, callbackId } = await pendingCallback(p, a.url);
    expect(await p.sender.deliver(callbackId)).toBe('retry');

    const { callbackSecret: second } = await p.admin.rotateCallbackSecret(tenantId, 24);
    expect(await p.sender.deliver(callbackId)).toBe('retry');
    expect([verifies(second, a.takes[1]), verifies(first, a.takes[1])]).toEqual([true, true]);

    // A leaked secret: no overlap, so it signs nothing from the next try on.
    const { callbackSecret: third } = await p.admin.rotateCallbackSecret(tenantId, 0);
    expect(await p.sender.deliver(callbackId)).toBe('retry');
    expect([verifies(third, a.takes[2]), verifies(second, a.takes[2]), verifies(first, a.takes[2])]).toEqual([true, false, false]);
  });

  it("the new URL is judged again when sent: a name public when saved that resolves to loopback then is refused, and nothing connects", async () => {
    const b = await open(204);
    // A stand-in for the OS resolver: crm-b is public when the CLI saves it, loopback when sent to.
    const answers: Record<string, string[][]> = { 'crm-a.rebind.test': [['93.184.215.14']], 'crm-b.rebind.test': [['93.184.215.14'], ['127.0.0.1']] };
    const resolve: AllLookup = (hostname, _options, callback) => {
      const list = answers[hostname];
      if (!list) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
      const answer = list.length > 1 ? (list.shift() as string[]) : list[0];
      callback(null, answer.map((address) => ({ address, family: isIP(address) })));
    };
    const p = processes(inProcessConfig({ callbacks: { allowPrivateUrls: false, timeoutMs: 1000, retryHours: 1 } }), resolve);
    const { tenantId, callbackId } = await pendingCallback(p, 'https://crm-a.rebind.test/crm');
    const target = `https://crm-b.rebind.test:${b.port}/crm`;
    await p.admin.setCallbackUrl(tenantId, target);

    expect(await p.sender.deliver(callbackId)).toBe('failed');
    expect(b.connections()).toBe(0);
    expect(await tries(callbackId)).toEqual([[1, target, null, 'address_not_allowed']]);
  });
});
