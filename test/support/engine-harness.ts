import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DynamicModule, INestApplication, INestApplicationContext } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelTraits } from '@tsunagu/channels';
import { TsunaguConfig, inProcessConfig, policyDefaultsSchema } from '@tsunagu/config';
import { newId } from '@tsunagu/core';
import { CALLBACK_RESOLVER, IngestEventsService, TenantAdminService } from '@tsunagu/engine';
import { registerBuiltinChannels } from '@tsunagu/platform';
import type { AllLookup } from '@tsunagu/security';
import { ScriptedProvider, TestDatabase, createTestDatabase, createTestRedisPrefix, expectEventually, scriptedChannelModule } from '@tsunagu/testing';
import { createApiApp } from '../../apps/api/src/create-api-app';
import type { SandboxLineControl } from '../../apps/sandbox/src/line';
import { SandboxRbmControl } from '../../apps/sandbox/src/rbm';
import { createWorkerApp } from '../../apps/worker/src/create-worker-app';
import { addConfigCanaries, tapEngineSecrets } from './log-canary-taps';
import { addBodyCanary, addPhoneCanary, addSecretCanary, assertLogClean } from './log-canaries';

const E2E_LOG_DIR = join(__dirname, '..', '..', 'test-output', 'e2e-logs');
let engines = 0;

export const TRAITS: Record<string, ChannelTraits> = {
  rcs: { simBound: false, supportsCancel: true, supportsReadReceipts: true, idempotentSend: true, reportsDelivery: true, needsMobileNumber: true },
  sms: { simBound: true, supportsCancel: true, supportsReadReceipts: false, idempotentSend: false, reportsDelivery: true, needsMobileNumber: true },
  line: { simBound: false, supportsCancel: false, supportsReadReceipts: false, idempotentSend: true, reportsDelivery: true, needsMobileNumber: false },
};

/** The log level a test run asked for (TSUNAGU_TEST_LOG_LEVEL), else `otherwise`. */
function testLogLevel(otherwise: TsunaguConfig['logLevel']): TsunaguConfig['logLevel'] {
  return (process.env.TSUNAGU_TEST_LOG_LEVEL as TsunaguConfig['logLevel'] | undefined) ?? otherwise;
}

/** Short timeouts, no key cache or limits (tests that want them say so), private callbacks allowed, no breached-password look-ups. */
export function testConfig(overrides: Parameters<typeof inProcessConfig>[0] & Pick<TsunaguConfig, 'databaseUrl' | 'redisPrefix'>): TsunaguConfig {
  return inProcessConfig({
    port: 0,
    redisUrl: process.env.TSUNAGU_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    logLevel: testLogLevel('silent'),
    policy: policyDefaultsSchema.parse({ timeouts: { rcs: 2, sms: 2, line: 2 } }),
    // Never the internet: a test that checks breached passwords starts its own range API stand-in.
    console: { pwnedPasswordsUrl: null },
    ...overrides,
    // `/health` and `/metrics` want the operations token, `/ops/*` the operator token: each engine
    // gets both (`config.http.opsToken`, `config.http.operatorToken`).
    http: {
      apiKeyCacheMs: 0,
      rateLimitPerSecond: 0,
      maxBacklog: 0,
      opsToken: randomBytes(24).toString('base64url'),
      operatorToken: randomBytes(24).toString('base64url'),
      ...overrides.http,
    },
    callbacks: { allowPrivateUrls: true, timeoutMs: 2000, ...overrides.callbacks },
    worker: { concurrency: 10, dispatchConcurrency: 10, sendConcurrency: 10, directSends: 32, reconcileIntervalMs: 500, duePollMs: 50, ...overrides.worker },
  });
}

export interface EngineHarness {
  config: TsunaguConfig;
  db: TestDatabase;
  api: INestApplication;
  worker: INestApplicationContext | null;
  baseUrl: string;
  providers: Record<string, ScriptedProvider>;
  tenantId: string;
  apiKey: string;
  admin: TenantAdminService;
  /** Read the database the way an auditor would, to check what was (not) stored. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The api and the worker as two Nest apps on a database and a Redis prefix of their own, with
 * scripted channel adapters standing in for providers. Real PostgreSQL, real Redis, real HTTP.
 */
export async function startEngine(opts: {
  label: string;
  channels?: string[];
  config?: Partial<TsunaguConfig>;
  modules?: DynamicModule[];
  startWorker?: boolean;
  /** The real channel modules, configured for this tenant id (e.g. against the sandboxes). */
  realChannels?: (tenantId: string) => Record<string, unknown>;
  /** The database URL the engine connects with, from the test database's (e.g. through a proxy the test can cut). */
  databaseVia?: (url: string) => string;
  /**
   * A stand-in for the OS resolver that api and worker judge callback URLs with, on save and on
   * send (CALLBACK_RESOLVER): a name can then be public when saved and private when sent.
   */
  callbackResolver?: AllLookup;
  /**
   * The sandbox RBM the engine's RCS agents get their OAuth tokens from (`s.rbm.control`): every
   * access token it issued becomes a canary of this engine's scan on close, as the adapter sends
   * them as Bearer tokens and a log line could carry one.
   */
  rbmSandbox?: Pick<SandboxRbmControl, 'issuedTokens'>;
  /**
   * The sandbox LINE that issues the engine's LINE channels their access tokens
   * (`issueAccessTokens: true`; `s.line.control`): every token it issued becomes a canary too.
   */
  lineSandbox?: Pick<SandboxLineControl, 'issuedTokens'>;
}): Promise<EngineHarness> {
  const db = await createTestDatabase(opts.label);
  const redis = createTestRedisPrefix(opts.label);
  const tenantId = newId();
  if (opts.realChannels) registerBuiltinChannels();
  // Every engine logs at production's level to a file of its own, scanned for canaries on close
  // (log-canaries.ts), unless the test chose its own file or level.
  const logFile = opts.config?.logFile ?? join(E2E_LOG_DIR, `${opts.label}-${process.pid}-${++engines}.log`);
  // A file of ours left by an earlier run with the same pid would be scanned with this one's.
  if (!opts.config?.logFile) rmSync(logFile, { force: true });
  const config = testConfig({
    databaseUrl: opts.databaseVia ? opts.databaseVia(db.url) : db.url,
    redisPrefix: redis.prefix,
    logLevel: testLogLevel('info'),
    ...opts.config,
    // Never stdout (`logFile: undefined` in a test's config): the scan needs the file.
    logFile,
    ...(opts.realChannels ? { channels: opts.realChannels(tenantId) } : {}),
  });
  addConfigCanaries(config);
  requireTokenScan(config.channels, opts.rbmSandbox);
  requireLineTokenScan(config.channels, opts.lineSandbox);
  // At info and below Nest's start-up lines alone fill the file; above info an engine that had no
  // trouble writes nothing, which is no leak (and proves none absent: whatever it wrote is scanned).
  const quietLevel = ['info', 'debug', 'trace'].includes(config.logLevel) ? undefined : `log level ${config.logLevel} writes only on trouble`;
  const providers: Record<string, ScriptedProvider> = {};
  const modules = (opts.channels ?? (opts.realChannels ? [] : ['rcs', 'sms', 'line'])).map((name) => {
    providers[name] = new ScriptedProvider(name);
    return scriptedChannelModule(name, TRAITS[name], providers[name]);
  });
  const all = [...modules, ...(opts.modules ?? []), ...(opts.callbackResolver ? [callbackResolverModule(opts.callbackResolver)] : [])];
  const api = await createApiApp(config, all);
  await api.listen(0, '127.0.0.1');
  const baseUrl = `http://127.0.0.1:${(api.getHttpServer().address() as AddressInfo).port}`;
  const admin = api.get(TenantAdminService);
  // Every key, callback secret, staff password and console session made through this api from
  // here on is a canary too (log-canary-taps.ts).
  tapEngineSecrets(api);
  const tenant = await admin.createTenant(`tenant-${randomBytes(3).toString('hex')}`, null, tenantId);
  const key = await admin.createApiKey(tenant.id, ['messages:send', 'messages:read', 'admin']);

  const harness: EngineHarness = {
    config,
    db,
    api,
    worker: null,
    baseUrl,
    providers,
    tenantId: tenant.id,
    apiKey: key.token,
    admin,
    query: (sql, params) => api.get<DataSource>(getDataSourceToken()).query(sql, params),
    async startWorker() {
      if (harness.worker) return;
      harness.worker = await createWorkerApp(config, all);
      const ingest = harness.worker.get(IngestEventsService);
      for (const p of Object.values(providers)) p.sink = (events) => ingest.ingest(events);
    },
    async stopWorker() {
      // Reports the scripted providers still have on their timers go nowhere once the worker is
      // gone, as a provider's webhook would find no one listening.
      for (const p of Object.values(providers)) p.sink = null;
      await harness.worker?.close();
      harness.worker = null;
    },
    async close() {
      await harness.stopWorker();
      await api.close();
      await redis.cleanup();
      await db.drop();
      // Read once the engine has stopped: it can fetch no token after this.
      for (const token of opts.rbmSandbox?.issuedTokens() ?? []) addSecretCanary('rbm-access-token', token);
      for (const token of opts.lineSandbox?.issuedTokens() ?? []) addSecretCanary('line-access-token', token);
      assertLogClean(logFile, { mayBeEmpty: quietLevel });
    },
  };
  if (opts.startWorker !== false) await harness.startWorker();
  return harness;
}

/**
 * An RCS agent whose token URL answers gets live bearer tokens, which the scan can only look for if
 * the test hands over the sandbox that issued them (`rbmSandbox`): without it, this fails at start
 * rather than leaving the tokens unscanned. An agent pointed at port 1 or 9 (nothing listens) never gets one.
 */
function requireTokenScan(channels: unknown, rbmSandbox: unknown): void {
  const agents = (channels as { rcs?: { agents?: { tokenUrl?: string }[] } } | undefined)?.rcs?.agents ?? [];
  const live = agents.filter((a) => !a.tokenUrl || !['1', '9'].includes(new URL(a.tokenUrl).port));
  if (live.length && !rbmSandbox) {
    throw new Error('this engine has RCS agents with a live token URL: pass the sandbox RBM as rbmSandbox, so the tokens it issues are scanned for in the logs');
  }
}

/** The same for LINE channels that issue their own access tokens at their API's host. */
function requireLineTokenScan(channels: unknown, lineSandbox: unknown): void {
  const line = (channels as { line?: { apiBaseUrl?: string; channels?: { issueAccessTokens?: boolean }[] } } | undefined)?.line;
  const issuing = (line?.channels ?? []).some((c) => c.issueAccessTokens === true);
  const live = issuing && (!line?.apiBaseUrl || !['1', '9'].includes(new URL(line.apiBaseUrl).port));
  if (live && !lineSandbox) {
    throw new Error('this engine has LINE channels that issue access tokens from a live API: pass the sandbox LINE as lineSandbox, so the tokens it issues are scanned for in the logs');
  }
}

/** Global, so the engine's services (EngineModule, itself global) find the stand-in. */
function callbackResolverModule(resolve: AllLookup): DynamicModule {
  class StandInCallbackResolver {}
  return { module: StandInCallbackResolver, global: true, providers: [{ provide: CALLBACK_RESOLVER, useValue: resolve }], exports: [CALLBACK_RESOLVER] };
}

/** POST JSON with the harness key; returns status, body and headers. */
export async function post(h: EngineHarness, path: string, body: unknown, headers: Record<string, string> = {}) {
  const sent = body as { text?: unknown; to?: { phone?: unknown; lineUserId?: unknown } } | null;
  if (typeof body === 'object' && sent) {
    addBodyCanary(sent.text);
    if (typeof sent.to?.phone === 'string') addPhoneCanary(sent.to.phone);
    addSecretCanary('line-user-id', sent.to?.lineUserId);
  }
  const res = await fetch(`${h.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${h.apiKey}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export async function get(h: EngineHarness, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${h.baseUrl}${path}`, { headers: { authorization: `Bearer ${h.apiKey}`, ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/**
 * The platform operators' decision on a sender (`/ops/senders/:id/…`, behind the operator
 * token): organisations register senders, only operators approve them.
 */
export async function operatorDecides(h: EngineHarness, senderId: string, action: 'approve' | 'suspend', body: Record<string, unknown> = {}) {
  return post(h, `/ops/senders/${senderId}/${action}`, { reason: 'screened by the carriers', ...body }, { authorization: `Bearer ${h.config.http.operatorToken!}` });
}

/** The message's view (`GET /v1/messages/:id`) once it is in a final state. */
export async function finalView<T = Awaited<ReturnType<typeof get>>['body']>(h: EngineHarness, id: string, timeoutMs = 20000): Promise<T> {
  return expectEventually(
    async () => {
      const m = (await get(h, `/v1/messages/${id}`)).body as { status: string };
      expect(['delivered', 'read', 'failed', 'expired', 'cancelled']).toContain(m.status);
      return m as T;
    },
    { timeoutMs },
  );
}

let counter = 0;
/** A fresh Japanese mobile number per call, so scripts per number never collide. */
export function mobile(): string {
  counter += 1;
  const phone = `+8190${String(10_000_000 + ((process.pid * 1000 + counter) % 89_999_999)).padStart(8, '0')}`;
  addPhoneCanary(phone);
  return phone;
}
