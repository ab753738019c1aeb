import { channelErrorOf } from '@tsunagu/channels/testing';
import { nextPhone, attemptTo, RbmTestEnv, startRbmTestEnv, TENANT } from './testing/rbm-test-env';

// OAuth through the sandbox's token endpoint, timeouts, and health.
let env: RbmTestEnv;

beforeAll(async () => {
  env = await startRbmTestEnv();
});
afterAll(async () => {
  await env?.close();
});

describe('RcsAdapter against the sandbox RBM: auth and health', () => {
  it('fetches one token and reuses it across calls', async () => {
    const { second } = env.accounts;
    const adapter = env.makeAdapter([
      env.agent({ serviceAccount: { clientEmail: second.clientEmail, privateKey: second.privateKey } }),
    ]);
    const phone = nextPhone();
    const contact = { tenantId: TENANT, contactId: 'c', phoneE164: phone, optOuts: [] };
    const attempt = attemptTo(phone);
    await Promise.all([adapter.capability(contact), adapter.capability(contact)]);
    await adapter.send(attempt);
    await adapter.cancel(attempt);
    await adapter.capability(contact);
    expect(env.sandbox.control.records().tokensIssued[second.clientEmail]).toBe(1);
    expect((await adapter.health()).up).toBe(true);
  });

  it('a key the token endpoint does not know gets no token: lookups fail safe, sends fail permanently, health is down', async () => {
    const { unknown } = env.accounts;
    const adapter = env.makeAdapter([
      env.agent({ serviceAccount: { clientEmail: env.accounts.main.clientEmail, privateKey: unknown.privateKey } }),
    ]);
    const refusalsBefore = env.sandbox.control.records().tokenRefusals;
    const contact = { tenantId: TENANT, contactId: 'c', phoneE164: nextPhone(), optOuts: [] };
    expect(await adapter.capability(contact)).toMatchObject({ reachable: false, reason: 'capability_lookup_failed' });
    expect(await channelErrorOf(adapter.send(attemptTo(contact.phoneE164)))).toMatchObject({ kind: 'permanent', code: 'rbm_token_invalid_credentials' });
    expect(env.sandbox.control.records().tokenRefusals).toBeGreaterThan(refusalsBefore);
    const health = await adapter.health();
    expect(health.up).toBe(false);
    expect((health.detail.agents as Record<string, { auth: string }>)['tsunagu-test-agent'].auth).toBe('rbm_token_invalid_credentials');
    expect(JSON.stringify(health.detail)).not.toContain('PRIVATE KEY');
  });

  it('the sandbox refuses calls without its bearer token', async () => {
    const res = await fetch(`${env.sandbox.baseUrl}/v1/phones/%2B819012345678/capabilities?requestId=r&agentId=a`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { status: 'UNAUTHENTICATED' } });
  });

  it('an RBM that never answers: capability fails safe and a send is retryable rbm_unreachable', async () => {
    const { createServer } = await import('node:net');
    const sockets = new Set<import('node:net').Socket>();
    const blackHole = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blackHole.address() as import('node:net').AddressInfo).port;
      const adapter = env.makeAdapter([env.agent({ baseUrl: `http://127.0.0.1:${port}` })], { requestTimeoutMs: 300 });
      const contact = { tenantId: TENANT, contactId: 'c', phoneE164: nextPhone(), optOuts: [] };
      expect(await adapter.capability(contact)).toMatchObject({ reachable: false, reason: 'capability_lookup_failed', ttlSeconds: 0 });
      expect(await channelErrorOf(adapter.send(attemptTo(contact.phoneE164)))).toMatchObject({ kind: 'retryable', code: 'rbm_unreachable' });
      const health = await adapter.health();
      expect(health.detail).toMatchObject({ agents: { 'tsunagu-test-agent': { auth: 'ok', lastCall: { outcome: 'unreachable' } } } });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });

  it('a token RBM stops accepting (401) is dropped and that call made once more with a fresh one', async () => {
    const adapter = env.makeAdapter([env.agent()]);
    try {
      await adapter.send(attemptTo(nextPhone()));
      // The sandbox forgets every token it issued, as Google does a revoked one.
      env.sandbox.control.reset();
      const attempt = attemptTo(nextPhone());
      expect(await adapter.send(attempt)).toMatchObject({ providerMessageId: attempt.attemptId });
      await adapter.send(attemptTo(nextPhone()));
      expect(env.sandbox.control.records().tokensIssued[env.accounts.main.clientEmail]).toBe(1);
      expect(env.sandbox.control.records().unauthenticatedCalls).toBe(1);
    } finally {
      adapter.onApplicationShutdown();
    }
  });

  it('the sandbox is scriptable over HTTP', async () => {
    const phone = nextPhone();
    const script = await fetch(`${env.sandbox.baseUrl}/control/script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone, outcome: 'not_capable' }),
    });
    expect(script.status).toBe(204);
    const contact = { tenantId: TENANT, contactId: 'c', phoneE164: phone, optOuts: [] };
    expect((await env.adapter.capability(contact)).reachable).toBe(false);
    const bad = await fetch(`${env.sandbox.baseUrl}/control/script`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone, outcome: 'explode' }),
    });
    expect(bad.status).toBe(400);
    const records = (await (await fetch(`${env.sandbox.baseUrl}/control/records`)).json()) as { capabilityChecks: number };
    expect(records.capabilityChecks).toBeGreaterThan(0);
  });
});
