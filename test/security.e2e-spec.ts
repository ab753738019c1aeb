import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Delete, Get, Module, Type, UseGuards } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { guardedPostForTest } from './support/guarded-post';
import { createTestDatabase, createTestRedisPrefix, expectEventually } from '@tsunagu/testing';
import type { TsunaguConfig } from '@tsunagu/config';
import { API_SCOPES } from '@tsunagu/engine';
import { createApiApp } from '../apps/api/src/create-api-app';
import { ApiKeyGuard } from '../apps/api/src/http/api-key.guard';
import { DeclaredRoute, declaredRoutes } from '../apps/api/src/http/scopes';
import { EngineHarness, get, mobile, post, startEngine, testConfig } from './support/engine-harness';
import { addBodyCanary, addKeyCanary, findCanaries } from './support/log-canaries';
import { ApiKeysService } from '../apps/console/src/admin/admin.service';

/** The checks a bank's security review asks about, each one a test. */
describe('security', () => {
  describe('tenant isolation on every /v1 route', () => {
    let h: EngineHarness;
    let other: { token: string };
    let mine: { messageId: string; contactId: string; senderId: string; callbackId: string };

    beforeAll(async () => {
      h = await startEngine({ label: 'isolation' });
      const t2 = await h.admin.createTenant(`other-${Date.now()}`);
      other = { token: (await h.admin.createApiKey(t2.id, ['messages:send', 'messages:read', 'admin'])).token };
      const phone = mobile();
      const sent = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'isolation' }, { 'idempotency-key': 'iso-1' });
      const m = await get(h, `/v1/messages/${sent.body.id}`);
      const sender = await post(h, '/v1/senders', { address: '00051111', routes: [] });
      // A callback of the message that failed for good (the tenant has no URL here, so none is written).
      const [{ id: callbackId }] = await h.query<{ id: string }>(
        `INSERT INTO callbacks (id, tenant_id, message_id, url, payload, give_up_at, status) VALUES (gen_random_uuid(), $1, $2, 'https://crm.example.jp/cb', '{"type":"message.status","status":"accepted"}', now(), 'failed') RETURNING id`,
        [h.tenantId, sent.body.id],
      );
      mine = { messageId: sent.body.id, contactId: m.body.contactId, senderId: sender.body.id, callbackId };
    });
    afterAll(async () => h?.close());

    // Every row has all four cells: jest would take a missing one for a `done` callback.
    const routes: [string, string, (ids: typeof mine) => string, unknown][] = [
      ['GET', 'message', (i) => `/v1/messages/${i.messageId}`, undefined],
      ['POST', 'cancel', (i) => `/v1/messages/${i.messageId}/cancel`, {}],
      ['GET', 'message callbacks', (i) => `/v1/messages/${i.messageId}/callbacks`, undefined],
      ['POST', 'callback redeliver', (i) => `/v1/callbacks/${i.callbackId}/redeliver`, {}],
      ['GET', 'conversation', (i) => `/v1/contacts/${i.contactId}/conversation`, undefined],
      ['PUT', 'LINE link', (i) => `/v1/contacts/${i.contactId}/line-link`, { lineUserId: `U${'a'.repeat(32)}` }],
      ['DELETE', 'LINE unlink', (i) => `/v1/contacts/${i.contactId}/line-link`, undefined],
      ['DELETE', 'erase a contact', (i) => `/v1/contacts/${i.contactId}`, undefined],
      ['POST', 'sender approve', (i) => `/v1/senders/${i.senderId}/approve`, {}],
      ['POST', 'sender suspend', (i) => `/v1/senders/${i.senderId}/suspend`, {}],
    ];

    it.each(routes)('%s %s with another tenant’s id → 404 NOT_FOUND', async (method, _name, path, body) => {
      const res = await fetch(`${h.baseUrl}${path(mine)}`, {
        method,
        headers: { authorization: `Bearer ${other.token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { code: string }).code).toBe('NOT_FOUND');
    });

    it('the table covers every /v1 route that takes an id, as the controllers declare them', () => {
      const withId = v1Routes(h)
        .map((r) => r.route.replace(/:[A-Za-z]+/g, '{id}'))
        .filter((route) => route.includes('{id}'));
      const covered = routes.map(([method, , path]) => `${method} ${path({ messageId: '{id}', contactId: '{id}', senderId: '{id}', callbackId: '{id}' })}`);
      expect(withId.length).toBeGreaterThanOrEqual(routes.length);
      expect(withId.filter((route) => !covered.includes(route))).toEqual([]);
    });

    it('another tenant cannot find the contact by phone, nor list the senders', async () => {
      const phone = (await h.query<{ n: number }>(`SELECT 1 AS n FROM contacts WHERE id = $1`, [mine.contactId])).length;
      expect(phone).toBe(1);
      const lookup = await post({ ...h, apiKey: other.token }, '/v1/contacts/lookup', { phone: '+819012345678' });
      expect(lookup.status).toBe(404);
      const senders = await get({ ...h, apiKey: other.token }, '/v1/senders');
      expect(senders.body).toEqual([]);
    });

    it('every /v1 route the api serves, hidden from OpenAPI or not, is behind the API key guard and names a scope', async () => {
      const declared = v1Routes(h);
      expect(declared.length).toBeGreaterThanOrEqual(14);
      expect(declared.filter((r) => !r.guards.includes(ApiKeyGuard) || r.scopes.length === 0).map((r) => `${r.route} (${r.where})`)).toEqual([]);
      expect(declared.flatMap((r) => r.scopes).filter((s) => !(API_SCOPES as readonly string[]).includes(s))).toEqual([]);
      // What Express serves is what the controllers declare: no route reaches /v1 another way.
      expect(mountedV1Routes(h)).toEqual(declared.map((r) => r.route).sort());
      // And every operation OpenAPI documents is among them (it leaves out the hidden ones).
      const doc = (await (await fetch(`${h.baseUrl}/docs/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(doc.paths)
        .filter(([path]) => path.startsWith('/v1/'))
        .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{[^}]+\}/g, ':')}`));
      const served = declared.map((r) => r.route.replace(/:[A-Za-z]+/g, ':'));
      expect(documented.length).toBeGreaterThanOrEqual(10);
      expect(documented.filter((op) => !served.includes(op))).toEqual([]);
    });

    it('refuses, on every /v1 route, a key holding every scope but the route’s: 403 INSUFFICIENT_SCOPE naming it', async () => {
      const keys = new Map<string, string>();
      const actual: unknown[] = [];
      const expected: unknown[] = [];
      for (const r of v1Routes(h)) {
        const others = API_SCOPES.filter((s) => !r.scopes.includes(s));
        expect([r.route, others.length > 0]).toEqual([r.route, true]);
        const token = keys.get(others.join()) ?? (await h.admin.createApiKey(h.tenantId, [...others])).token;
        keys.set(others.join(), token);
        const [method, path] = r.route.split(' ');
        const res = await fetch(`${h.baseUrl}${path.replace(/:[A-Za-z]+/g, '0190a000-0000-7000-8000-000000000000')}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `scope-${method}-${path}` },
          body: method === 'GET' || method === 'DELETE' ? undefined : '{}',
        });
        const body = (await res.json()) as { code: string; details?: { missing?: string[] } };
        actual.push([r.route, res.status, body.code, body.details?.missing]);
        expected.push([r.route, 403, 'INSUFFICIENT_SCOPE', r.scopes]);
      }
      expect(actual.length).toBeGreaterThanOrEqual(14);
      expect(actual).toEqual(expected);
    });

    it.each([
      ['messages:read', 'POST', '/v1/messages', 'messages:send'],
      ['messages:send', 'GET', '/v1/senders', 'admin'],
      ['messages:send', 'POST', '/v1/senders', 'admin'],
    ])('a key with only %s gets 403 on %s %s (needs %s)', async (scope, method, path, needed) => {
      const key = await h.admin.createApiKey(h.tenantId, [scope]);
      const res = await fetch(`${h.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${key.token}`, 'content-type': 'application/json', 'idempotency-key': 'x' }, body: method === 'GET' ? undefined : '{}' });
      const body = (await res.json()) as { code: string; details: { missing: string[] } };
      expect([res.status, body.code, body.details.missing]).toEqual([403, 'INSUFFICIENT_SCOPE', [needed]]);
    });

    it('API keys are stored as SHA-256 hashes only, shown once, and revocable', async () => {
      const key = await h.admin.createApiKey(h.tenantId, ['messages:read']);
      const rows = await h.query<{ secret_hash: string }>(`SELECT secret_hash FROM api_keys WHERE id = $1`, [key.id]);
      expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
      const dump = JSON.stringify(await h.query(`SELECT * FROM api_keys`));
      // The secret is everything after `tsk_<id>_` (it may itself contain `_`: base64url).
      const secret = key.token.slice(`tsk_${key.id}_`.length);
      expect(key.token.startsWith(`tsk_${key.id}_`) && secret.length >= 20).toBe(true);
      expect(dump).not.toContain(secret);
      expect((await get({ ...h, apiKey: key.token }, '/v1/senders')).status).toBe(403);
      await h.admin.revokeApiKey(key.id);
      expect((await get({ ...h, apiKey: key.token }, `/v1/messages/${mine.messageId}`)).status).toBe(401);
    });

    it('phone numbers are encrypted at rest: no form of the number is stored in clear', async () => {
      const phone = mobile();
      await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: 'at rest' }, { 'idempotency-key': `rest-${Date.now()}` });
      const national = phone.replace('+81', '0');
      for (const table of ['contacts', 'messages', 'attempts', 'events', 'outbox', 'callbacks', 'idempotency_keys']) {
        const dump = JSON.stringify(await h.query(`SELECT * FROM ${table}`));
        expect(dump).not.toContain(phone.slice(3));
        expect(dump).not.toContain(national);
      }
    });
  });

  it('will not start an api with a /v1 route that names no scope or skips the key guard, hidden from OpenAPI or not', async () => {
    @UseGuards(ApiKeyGuard)
    @Controller('v1/unscoped')
    class Unscoped {
      @Delete(':id')
      @ApiExcludeEndpoint()
      erase() {}
    }
    @Controller('v1/unguarded')
    class Unguarded {
      @Get()
      list() {}
    }
    @Module({ controllers: [Unscoped, Unguarded] })
    class Leaky {}

    const db = await createTestDatabase('unscoped');
    const redis = createTestRedisPrefix('unscoped');
    const app = await createApiApp(testConfig({ databaseUrl: db.url, redisPrefix: redis.prefix }), [{ module: Leaky }]);
    try {
      const started = app.init();
      await expect(started).rejects.toThrow('DELETE /v1/unscoped/:id (Unscoped.erase) declares no scope');
      await expect(started).rejects.toThrow('GET /v1/unguarded (Unguarded.list) is not behind ApiKeyGuard');
    } finally {
      await app.close();
      await redis.cleanup();
      await db.drop();
    }
  });

  describe('API keys bound to networks', () => {
    let direct: EngineHarness;
    let proxied: EngineHarness;
    beforeAll(async () => {
      [direct, proxied] = await Promise.all([
        startEngine({ label: 'key_networks', startWorker: false }),
        // Behind a proxy on this machine: its X-Forwarded-For is believed.
        startEngine({ label: 'key_networks_proxy', startWorker: false, config: { http: { trustProxy: 'loopback' } as TsunaguConfig['http'] } }),
      ]);
    });
    afterAll(async () => {
      await direct?.close();
      await proxied?.close();
    });

    const call = (h: EngineHarness, token: string, headers: Record<string, string> = {}) =>
      fetch(`${h.baseUrl}/v1/messages/0190a000-0000-7000-8000-000000000000`, { headers: { authorization: `Bearer ${token}`, ...headers } }).then(async (r) => [r.status, ((await r.json()) as { code: string }).code]);

    it('refuses a key from outside its networks (403 FORBIDDEN), and takes it from inside', async () => {
      const elsewhere = (await direct.admin.createApiKey(direct.tenantId, ['messages:read'], 'office', { allowedNetworks: ['10.0.0.0/8', '2001:db8::/32'] })).token;
      const here = (await direct.admin.createApiKey(direct.tenantId, ['messages:read'], 'local', { allowedNetworks: ['127.0.0.0/8', '::1'] })).token;
      expect(await call(direct, elsewhere)).toEqual([403, 'FORBIDDEN']);
      expect(await call(direct, here)).toEqual([404, 'NOT_FOUND']);
      await expect(direct.admin.createApiKey(direct.tenantId, ['messages:read'], 'bad', { allowedNetworks: ['10.0.0.0/40'] })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    });

    it('believes X-Forwarded-For only from a trusted proxy', async () => {
      const partner = (h: EngineHarness) => h.admin.createApiKey(h.tenantId, ['messages:read'], 'partner', { allowedNetworks: ['203.0.113.0/24'] }).then((k) => k.token);
      const forwarded = { 'x-forwarded-for': '203.0.113.9' };
      // Not configured to trust a proxy: a client cannot claim an address by a header.
      expect(await call(direct, await partner(direct), forwarded)).toEqual([403, 'FORBIDDEN']);
      const viaProxy = await partner(proxied);
      expect(await call(proxied, viaProxy, forwarded)).toEqual([404, 'NOT_FOUND']);
      expect(await call(proxied, viaProxy, { 'x-forwarded-for': '198.51.100.1' })).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('API key revocation', () => {
    let h: EngineHarness;
    beforeAll(async () => {
      // Keys cached for a minute, as a busy deployment might: a revocation must not wait for it.
      h = await startEngine({ label: 'key_revocation', startWorker: false, config: { http: { apiKeyCacheMs: 60_000 } as TsunaguConfig['http'] } });
    });
    afterAll(async () => h?.close());

    const call = (token: string) =>
      fetch(`${h.baseUrl}/v1/messages/0190a000-0000-7000-8000-000000000000`, { headers: { authorization: `Bearer ${token}` } }).then(async (r) => [r.status, ((await r.json()) as { code: string }).code]);

    it.each([
      ['the CLI', (keyId: string) => h.admin.revokeApiKey(keyId)],
      ["the console's admin", (keyId: string) => h.api.get(ApiKeysService).revoke(h.tenantId, keyId)],
    ])('a key revoked by %s stops working at once on every api process, however long keys are cached', async (_by, revoke) => {
      const key = await h.admin.createApiKey(h.tenantId, ['messages:read']);
      expect(await call(key.token)).toEqual([404, 'NOT_FOUND']); // verified, and now cached
      expect(await revoke(key.id)).toBe(true);
      // The announcement reaches the guard over LISTEN a moment after the commit.
      await expectEventually(async () => expect(await call(key.token)).toEqual([401, 'UNAUTHENTICATED']), { timeoutMs: 2000 });
    });

    it("the console's admin revokes only its own organisation's keys", async () => {
      const other = await h.admin.createTenant(`other-${Date.now()}`);
      const theirs = await h.admin.createApiKey(other.id, ['messages:read']);
      expect(await h.api.get(ApiKeysService).revoke(h.tenantId, theirs.id)).toBe(false);
      expect(await call(theirs.token)).toEqual([404, 'NOT_FOUND']);
    });
  });

  describe('provider webhooks', () => {
    let h: EngineHarness;
    beforeAll(async () => {
      h = await startEngine({ label: 'webhooks', startWorker: false, realChannels: lineOnly });
    });
    afterAll(async () => h?.close());

    it('an unknown webhook path is 404, a bad LINE signature 401 with nothing stored, 5 MB refused with 413', async () => {
      const before = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`);
      // Our own channel's destination: its secret is known, so the signature is checked.
      const body = JSON.stringify({ destination: 'U' + 'c'.repeat(32), events: [] });
      const bad = await fetch(`${h.baseUrl}/webhooks/line`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': 'AAAA' }, body });
      expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([401, 'INVALID_SIGNATURE']);
      const missing = await fetch(`${h.baseUrl}/webhooks/line`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(missing.status).toBe(401);
      const unknown = await fetch(`${h.baseUrl}/webhooks/fax`, { method: 'POST', body: '{}' });
      expect(unknown.status).toBe(404);
      const huge = await fetch(`${h.baseUrl}/webhooks/line`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(5 * 1024 * 1024) });
      expect(huge.status).toBe(413);
      const after = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`);
      expect(after[0].n).toBe(before[0].n);
    });
    it('a webhook for an account we do not hold is 200 and ignored, never silently: counted on /metrics (BAD-INPUTS 36)', async () => {
      const count = async (outcome: string) => {
        const text = await (await fetch(`${h.baseUrl}/metrics`, { headers: { authorization: `Bearer ${h.config.http.opsToken}` } })).text();
        const line = text.split('\n').find((l) => l.startsWith(`tsunagu_webhook_requests_total{channel="line",outcome="${outcome}"}`));
        return line ? Number(line.split(' ').pop()) : 0;
      };
      const [ignored, refused] = [await count('ignored'), await count('refused')];
      const before = await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`);
      const elsewhere = JSON.stringify({ destination: 'U' + 'd'.repeat(32), events: [{ type: 'message', webhookEventId: '01J0000000000000000000000A' }] });
      const res = await fetch(`${h.baseUrl}/webhooks/line`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': 'AAAA' }, body: elsewhere });
      expect(res.status).toBe(200);
      const bad = await fetch(`${h.baseUrl}/webhooks/line`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': 'AAAA' }, body: JSON.stringify({ destination: 'U' + 'c'.repeat(32), events: [] }) });
      expect(bad.status).toBe(401);
      expect([await count('ignored'), await count('refused')]).toEqual([ignored + 1, refused + 1]);
      expect((await h.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`))[0].n).toBe(before[0].n);
    });
  });

  describe('load limits', () => {
    let h: EngineHarness;
    beforeAll(async () => {
      h = await startEngine({ label: 'limits', startWorker: false, config: { http: { bodyLimitBytes: 65536, apiKeyCacheMs: 0, rateLimitPerSecond: 5, maxBacklog: 3 } } });
    });
    afterAll(async () => h?.close());

    it('limits requests per API key with 429 and Retry-After, shared through Redis', async () => {
      // 30 at once against 5 a second: even spread over a slow machine's few seconds, most are refused.
      const results = await Promise.all(Array.from({ length: 30 }, () => get(h, '/v1/senders')));
      const limited = results.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(10);
      expect(limited[0].body.code).toBe('RATE_LIMITED');
      expect(Number(limited[0].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('refuses new messages with 503 and Retry-After while the backlog is past its limit', async () => {
      await expectEventually(async () => expect((await get(h, '/v1/senders')).status).toBe(200), { timeoutMs: 5000 });
      let overloaded: Awaited<ReturnType<typeof post>> | null = null;
      for (let i = 0; i < 12 && !overloaded; i++) {
        const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'backlog' }, { 'idempotency-key': `bl-${i}` });
        if (res.status === 503) overloaded = res;
        await new Promise((r) => setTimeout(r, 250)); // the backlog is sampled once a second
      }
      expect(overloaded?.body.code).toBe('OVERLOADED');
      expect(overloaded?.headers.get('retry-after')).toBe('5');
    });
  });

  describe('callback URLs', () => {
    let h: EngineHarness;
    beforeAll(async () => {
      h = await startEngine({ label: 'callbacks', startWorker: false, config: { callbacks: { allowPrivateUrls: false, timeoutMs: 1000, retryHours: 1 } } });
    });
    afterAll(async () => h?.close());

    it.each(['http://169.254.169.254/latest/meta-data', 'http://127.0.0.1:8080/hook', 'https://10.1.2.3/hook', 'https://localhost/hook', 'https://[::1]/hook'])(
      'refuses %s at accept time (422 CALLBACK_URL_NOT_ALLOWED)',
      async (callbackUrl) => {
        const res = await post(h, '/v1/messages', { to: { phone: mobile() }, category: 'transactional', text: 'cb', callbackUrl }, { 'idempotency-key': `cb-${callbackUrl}` });
        expect([res.status, res.body.code]).toEqual([422, 'CALLBACK_URL_NOT_ALLOWED']);
      },
    );

    it('re-checks the address in the connecting lookup at send time (DNS rebinding), literals included', async () => {
      expect(await guardedPostForTest('http://127.0.0.1:9/hook')).toEqual({ status: null, error: 'address_not_allowed' });
      expect(await guardedPostForTest('http://localhost:9/hook')).toEqual({ status: null, error: 'address_not_allowed' });
    });
  });

  describe('logs', () => {
    it('every e2e engine log is scanned on close for each number, body and key the suite used, in every form', () => {
      // The same scan the harness runs over each engine's log (test/support/log-canaries.ts).
      const phone = mobile();
      const national = `0${phone.slice(3)}`;
      addBodyCanary('カナリア本文-Q9');
      addKeyCanary(`tsu_live_${'k'.repeat(12)}_${'s'.repeat(43)}`);
      const lines = [
        '{"msg":"accepted","to":"+81 90-****-' + phone.slice(-4) + '"}',
        `{"msg":"x","phone":"${phone}"}`,
        `{"msg":"x","msisdn":"${phone.slice(1)}"}`,
        `{"msg":"x","to":"${national}"}`,
        `{"msg":"x","to":"${national.slice(0, 3)}-${national.slice(3, 7)}-${national.slice(7)}"}`,
        '{"msg":"x","text":"カナリア本文-Q9"}',
        `{"msg":"x","auth":"Bearer ${'s'.repeat(43)}"}`,
      ];
      expect(findCanaries(lines.join('\n'))).toEqual(['phone on line 2', 'phone on line 3', 'phone on line 4', 'phone on line 5', 'body on line 6', 'key on line 7']);
    });

    it('carry no phone number, body or key, even at debug level, through a whole fallback', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'tsunagu-logs-'));
      const logFile = join(dir, 'engine.log');
      const h = await startEngine({ label: 'logs', config: { logLevel: 'debug', logFile } });
      try {
        const phone = mobile();
        const canaryText = 'カナリア本文-7Q4Z';
        h.providers.rcs.script(phone, { send: 'accept', then: 'none' });
        const res = await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: canaryText }, { 'idempotency-key': 'log-1' });
        await post(h, '/v1/messages', { to: { phone }, category: 'transactional', text: `カード 4111 1111 1111 1111 ${canaryText}` }, { 'idempotency-key': 'log-2' });
        await post(h, '/v1/messages', { to: { phone: `${phone}\u0000` }, category: 'transactional', text: canaryText }, { 'idempotency-key': 'log-3' });
        await expectEventually(async () => expect((await get(h, `/v1/messages/${res.body.id}`)).body.status).toBe('delivered'), { timeoutMs: 15000 });
        await expectEventually(() => expect(existsSync(logFile) && readFileSync(logFile, 'utf8').length > 0).toBe(true));
        const log = readFileSync(logFile, 'utf8');
        expect(log.split('\n').length).toBeGreaterThan(3);
        // The secret is the token's last 43 characters (base64url, which may itself hold `_`).
        const secret = h.apiKey.slice(-43);
        expect(secret).toHaveLength(43);
        for (const needle of [phone, phone.slice(1), phone.replace('+81', '0'), canaryText, '4111 1111', h.apiKey, secret]) {
          expect(log).not.toContain(needle);
        }
      } finally {
        await h.close();
      }
    });
  });
});

function lineOnly(tenantId: string): Record<string, unknown> {
  return {
    line: {
      channels: [{ id: '2000000001', tenantId, botUserId: `U${'c'.repeat(32)}`, channelSecret: 'd'.repeat(32), channelAccessToken: 'token', pnpEnabled: false, default: true }],
      apiBaseUrl: 'http://127.0.0.1:9',
    },
  };
}

/** Every /v1 route of the running api, read from its controllers' decorators (hidden ones too). */
function v1Routes(h: EngineHarness): DeclaredRoute[] {
  const controllers = [...h.api.get(ModulesContainer).values()].flatMap((m) => [...m.controllers.values()].map((w) => w.metatype as Type));
  return declaredRoutes(controllers).filter((r) => / \/v1(\/|$)/.test(r.route));
}

/** Every /v1 route Express has mounted, as `METHOD /path`, sorted. */
function mountedV1Routes(h: EngineHarness): string[] {
  type Layer = { route?: { path: string; methods: Record<string, boolean> } };
  const app = h.api.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
  return app.router.stack
    .flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path}`) : []))
    .filter((route) => / \/v1(\/|$)/.test(route))
    .sort();
}
