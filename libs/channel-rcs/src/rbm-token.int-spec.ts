import { channelErrorOf } from '@tsunagu/channels/testing';
import { expectEventually } from '@tsunagu/testing';
// The adapter's stand-in; specs (never the library) import the sandbox app.
import { startSandboxRbm } from '../../../apps/sandbox/src/rbm';
import { AGENT_ID, attemptTo, nextPhone, TENANT } from './testing/rbm-test-env';
import { rbmTokenSpec } from './testing/rbm-token-spec';

/*
 * The RCS adapter's OAuth access tokens against the sandbox RBM over HTTP: one token per agent
 * shared by concurrent calls, renewed before it expires; a token RBM refuses (401) replaced within
 * the same call, the request made once more and the message held once; a key Google refuses failing
 * sends permanently without asking Google on every send; Google unavailable retryable; health from
 * what the calls saw, never asking for a token itself; no token or key in the logs.
 */

const { spec, adapterWith, agentHealth, records } = rbmTokenSpec();

const mainEmail = () => spec.env.accounts.main.clientEmail;
const secondEmail = () => spec.env.accounts.second.clientEmail;
const issued = (email = mainEmail()) => records().tokensIssued[email] ?? 0;
const asSecond = () => ({ serviceAccount: { clientEmail: secondEmail(), privateKey: spec.env.accounts.second.privateKey } });
const contactFor = (phoneE164: string) => ({ tenantId: TENANT, contactId: 'c', phoneE164, optOuts: [] });

describe('RBM access tokens: a token RBM refuses (401)', () => {
  it('is replaced within the send: one new token, the create made once more, one message held, a log line naming the attempt', async () => {
    const adapter = adapterWith();
    await adapter.send(attemptTo(nextPhone()));
    const before = { issued: issued(), refused: records().unauthenticatedCalls };
    expect(spec.env.sandbox.control.revokeIssuedTokens(mainEmail())).toBeGreaterThan(0);

    const attempt = attemptTo(nextPhone());
    expect(await adapter.send(attempt)).toMatchObject({ providerMessageId: attempt.attemptId, route: AGENT_ID, awaitsDelivery: true });
    expect(issued() - before.issued).toBe(1);
    expect(records().unauthenticatedCalls - before.refused).toBe(1);
    // Refused before RBM read it, so the create reached RBM's store once, and once only.
    expect(records().messages[attempt.attemptId]).toMatchObject({ createCount: 1, requestCount: 1 });
    expect(spec.logged.some((l) => l.includes('sent once more') && l.includes(attempt.attemptId))).toBe(true);
    expect(await agentHealth(adapter)).toMatchObject({ auth: 'ok', authLastRefusal: { code: 'rbm_unauthenticated', at: expect.any(String) } });
  });

  it('lets concurrent sends refused with one token share one new token, each message held once', async () => {
    const adapter = adapterWith();
    await adapter.send(attemptTo(nextPhone()));
    spec.env.sandbox.control.revokeIssuedTokens(mainEmail());
    const before = issued();
    const attempts = Array.from({ length: 8 }, () => attemptTo(nextPhone()));
    await Promise.all(attempts.map((a) => adapter.send(a)));
    expect(issued() - before).toBe(1);
    for (const a of attempts) expect(records().messages[a.attemptId]).toMatchObject({ createCount: 1 });
  });

  it('is replaced for a capability check and a revoke too', async () => {
    const adapter = adapterWith();
    const phone = nextPhone();
    // Delivered only after a minute: the revoke must find it pending however slow two token renewals are.
    spec.env.sandbox.control.script(phone, { outcome: 'capable', afterMs: 60_000 });
    const attempt = attemptTo(phone);
    await adapter.send(attempt);
    spec.env.sandbox.control.revokeIssuedTokens(mainEmail());
    expect(await adapter.capability(contactFor(phone))).toMatchObject({ reachable: true, reason: 'rcs_capable' });
    spec.env.sandbox.control.revokeIssuedTokens(mainEmail());
    expect(await adapter.cancel(attempt)).toBe('revoked');
    expect(records().revokes.filter((r) => r.messageId === attempt.attemptId)).toEqual([{ messageId: attempt.attemptId, status: 200 }]);
  });

  it('a create that RBM already holds (a lost answer, then a 401 on the resend) is the same message: 409 read as sent', async () => {
    const adapter = adapterWith();
    const attempt = attemptTo(nextPhone());
    await adapter.send(attempt);
    spec.env.sandbox.control.revokeIssuedTokens(mainEmail());
    // The queue's next try of the same attempt: refused once, resent with a new token, deduplicated by its messageId.
    expect(await adapter.send(attempt)).toMatchObject({ providerMessageId: attempt.attemptId, note: 'already_exists' });
    expect(records().messages[attempt.attemptId]).toMatchObject({ createCount: 1, requestCount: 2 });
  });
});

describe('RBM access tokens: Google refusing or failing', () => {
  afterEach(() => spec.env.sandbox.control.tokenOutcome(secondEmail(), 'issue'));

  it('a key Google refuses mid-run fails sends permanently, names no key, is asked for once, and shows in health', async () => {
    const adapter = adapterWith(asSecond());
    await adapter.send(attemptTo(nextPhone()));
    // The key is deleted in Google's console: its tokens stop working, and it gets no new ones.
    spec.env.sandbox.control.tokenOutcome(secondEmail(), 'refuse');
    spec.env.sandbox.control.revokeIssuedTokens(secondEmail());
    const before = records();

    const attempts = [attemptTo(nextPhone()), attemptTo(nextPhone()), attemptTo(nextPhone())];
    for (const attempt of attempts) {
      const err = await channelErrorOf(adapter.send(attempt));
      expect([err.kind, err.code]).toEqual(['permanent', 'rbm_token_invalid_credentials']);
      expect(err.message).toContain('invalid_grant');
      expect(err.message).not.toContain('PRIVATE KEY');
      expect(records().messages[attempt.attemptId]).toBeUndefined();
    }
    expect(await adapter.capability(contactFor(nextPhone()))).toMatchObject({ reachable: false, reason: 'capability_lookup_failed', ttlSeconds: 0 });
    const after = records();
    // One refusal, held: not one token request per send.
    expect([after.tokenRequests - before.tokenRequests, after.tokenRefusals - before.tokenRefusals]).toEqual([1, 1]);
    // The one 401 that led to it; the later sends never reached RBM.
    expect(after.unauthenticatedCalls - before.unauthenticatedCalls).toBe(1);

    const health = await adapter.health();
    expect(health.up).toBe(false);
    expect(await agentHealth(adapter)).toMatchObject({
      auth: 'rbm_token_invalid_credentials',
      authValidUntil: null,
      authLastRefusal: { code: 'rbm_token_invalid_credentials', at: expect.any(String) },
      lastCall: { outcome: 'no_token' },
    });
    expect(JSON.stringify(health)).not.toContain('PRIVATE KEY');
  });

  it('Google answering 503 for a token is retryable, sends nothing, and is asked again after a moment', async () => {
    const adapter = adapterWith(asSecond());
    spec.env.sandbox.control.tokenOutcome(secondEmail(), 'unavailable');
    const attempt = attemptTo(nextPhone());
    expect(await channelErrorOf(adapter.send(attempt))).toMatchObject({ kind: 'retryable', code: 'rbm_token_unavailable' });
    expect(records().messages[attempt.attemptId]).toBeUndefined();
    expect(await agentHealth(adapter)).toMatchObject({ auth: 'rbm_token_unavailable', authLastRefusal: null });
    expect((await adapter.health()).up).toBe(false);

    spec.env.sandbox.control.tokenOutcome(secondEmail(), 'issue');
    await expectEventually(() => adapter.send(attempt), { timeoutMs: 5000, intervalMs: 200 });
    expect(records().messages[attempt.attemptId]).toMatchObject({ createCount: 1 });
    expect(await agentHealth(adapter)).toMatchObject({ auth: 'ok' });
    expect((await adapter.health()).up).toBe(true);
  });

  it('a token endpoint that cannot be reached is retryable rbm_token_unavailable', async () => {
    const adapter = adapterWith({ tokenUrl: 'http://127.0.0.1:9/token' }, { requestTimeoutMs: 1000 });
    expect(await channelErrorOf(adapter.send(attemptTo(nextPhone())))).toMatchObject({ kind: 'retryable', code: 'rbm_token_unavailable' });
    expect((await adapter.health()).up).toBe(false);
  });

  it('a private key that is no key at all is a permanent failure before any request', async () => {
    const adapter = adapterWith({ serviceAccount: { clientEmail: mainEmail(), privateKey: 'not a PEM' } });
    const before = records().tokenRequests;
    expect(await channelErrorOf(adapter.send(attemptTo(nextPhone())))).toMatchObject({ kind: 'permanent', code: 'rbm_token_invalid_credentials' });
    expect(records().tokenRequests).toBe(before);
  });
});

describe('RBM access tokens: health and renewal', () => {
  it('health asks for no token: not_issued before any call, ok with its expiry after one', async () => {
    const adapter = adapterWith(asSecond());
    const before = records().tokenRequests;
    for (let i = 0; i < 3; i++) expect(await adapter.health()).toMatchObject({ up: true });
    expect(await agentHealth(adapter)).toMatchObject({ auth: 'not_issued', authValidUntil: null, authLastRefusal: null, lastCall: null });
    expect(records().tokenRequests).toBe(before);

    await adapter.send(attemptTo(nextPhone()));
    const after = await agentHealth(adapter);
    expect(after).toMatchObject({ auth: 'ok', lastCall: { outcome: 200 } });
    // The sandbox's tokens live an hour, as Google's do.
    expect(Math.abs(Date.parse(after.authValidUntil as string) - (Date.now() + 3_600_000))).toBeLessThan(5000);
    await adapter.health();
    expect(records().tokenRequests).toBe(before + 1);
  });

  it('renews the token when a fifth of its life is left, never waiting for a 401', async () => {
    // Four-second tokens: renewed at 3.2 s, where the last-moment margin alone would only renew at 3.8 s.
    const { main } = spec.env.accounts;
    const short = await startSandboxRbm({ serviceAccountPublicKeys: { [main.clientEmail]: main.publicKey }, clientToken: spec.env.clientToken, tokenTtlSeconds: 4 });
    try {
      const adapter = adapterWith({ baseUrl: short.baseUrl, tokenUrl: short.tokenUrl });
      await adapter.send(attemptTo(nextPhone()));
      const first = Date.now();
      const count = () => short.control.records().tokensIssued[main.clientEmail] ?? 0;
      expect(count()).toBe(1);
      await expectEventually(
        async () => {
          await adapter.send(attemptTo(nextPhone()));
          expect(count()).toBe(2);
        },
        { timeoutMs: 8000, intervalMs: 50 },
      );
      const renewedAfter = Date.now() - first;
      expect(renewedAfter).toBeGreaterThanOrEqual(3000);
      expect(renewedAfter).toBeLessThan(3900);
      expect(short.control.records().unauthenticatedCalls).toBe(0);
    } finally {
      await short.close();
    }
  });
});

describe('RBM access tokens in the logs', () => {
  it('logged neither an issued token nor a private key', () => {
    expect(spec.logged.length).toBeGreaterThan(0);
    const log = spec.logged.join('\n');
    expect(log).not.toContain('PRIVATE KEY');
    const tokens = spec.env.sandbox.control.issuedTokens();
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.filter((t) => log.includes(t))).toEqual([]);
  });
});
