import { randomUUID } from 'node:crypto';
import { Logger, LoggerService } from '@nestjs/common';
import { channelErrorOf } from '@tsunagu/channels/testing';
import { expectEventually } from '@tsunagu/testing';
// The adapter's stand-in; specs (never the library) import the sandbox app.
import { newLineUserId, startSandboxLine, StartedSandboxLine } from '../../../apps/sandbox/src/line';
import { LineChannelConfig } from './line-channel.options';
import { LineAdapter } from './line.adapter';
import { attemptFor, closedPort } from './testing/line-fixtures.helper';
import { lineSchemaValidator } from './testing/line-openapi.helper';

/*
 * Channels configured with `issueAccessTokens: true` against the sandbox LINE over HTTP: the
 * adapter issues stateless channel access tokens at /oauth2/v3/token with the channel id and
 * secret, reuses them, renews them before they expire and after a 401, and turns a refused
 * secret into a permanent failure that names no secret.
 */

const ISSUING: LineChannelConfig = {
  id: '1650000101',
  tenantId: 'tenant-t',
  botUserId: `U${'1'.repeat(32)}`,
  channelSecret: 'issuing-secret-1650000101',
  issueAccessTokens: true,
  pnpEnabled: true,
  default: true,
};
const sandboxChannel = { channelId: ISSUING.id, channelSecret: ISSUING.channelSecret, botUserId: ISSUING.botUserId };

const contact = (linked = true) => ({
  tenantId: ISSUING.tenantId,
  contactId: randomUUID(),
  phoneE164: `+8190${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`,
  lineUserId: linked ? newLineUserId() : null,
  optOuts: [],
});

/** Everything the adapters log in this file, as written. */
const logged: string[] = [];
const capture: LoggerService = {
  log: (...args: unknown[]) => void logged.push(JSON.stringify(args)),
  warn: (...args: unknown[]) => void logged.push(JSON.stringify(args)),
  error: (...args: unknown[]) => void logged.push(JSON.stringify(args)),
};

let sandbox: StartedSandboxLine;
beforeAll(async () => {
  Logger.overrideLogger(capture);
  sandbox = await startSandboxLine({ channels: [sandboxChannel], pnpDeliveryDelayMs: 50 });
});
afterAll(async () => {
  await sandbox?.close();
  Logger.overrideLogger(new Logger());
});

const adapterFor = (s: StartedSandboxLine, over: Partial<LineChannelConfig> = {}) =>
  new LineAdapter({ channels: [{ ...ISSUING, ...over }], apiBaseUrl: s.baseUrl, requestTimeoutMs: 5000 });
const issued = (s: StartedSandboxLine = sandbox) => s.control.records().tokensIssued[ISSUING.id] ?? 0;
const channelHealth = async (adapter: LineAdapter) =>
  ((await adapter.health()).detail.channels as Record<string, Record<string, unknown>>)[ISSUING.id];

describe('LINE channel access tokens issued by Tsunagu', () => {
  it('issues one token for concurrent sends and reuses it', async () => {
    const adapter = adapterFor(sandbox);
    const before = issued();
    const first = [contact(), contact(), contact(), contact(false), contact(false)].map((c) => attemptFor(c));
    await Promise.all(first.map((a) => adapter.send(a)));
    for (let i = 0; i < 3; i++) await adapter.send(attemptFor(contact()));
    expect(issued() - before).toBe(1);
    const sent = sandbox.control.records().requests.filter((r) => first.some((a) => a.attemptId === (r.retryKey ?? r.deliveryTag)));
    expect(sent.map((r) => [r.status, r.botUserId])).toEqual(first.map(() => [200, ISSUING.botUserId]));
    expect(await channelHealth(adapter)).toMatchObject({ auth: 'ok', authValidUntil: expect.any(String), lastCode: null });
    expect((await adapter.health()).up).toBe(true);
  });

  it('renews the token before it expires, never waiting for a 401', async () => {
    // Four-second tokens: renewed once less than a fifth of their life is left (at 3.2 s), where
    // the last-moment margin alone (a twentieth, 200 ms) would only renew at 3.8 s.
    const short = await startSandboxLine({ channels: [sandboxChannel], issuedTokenTtlSeconds: 4 });
    try {
      const adapter = adapterFor(short);
      await adapter.send(attemptFor(contact()));
      expect(issued(short)).toBe(1);
      await expectEventually(
        async () => {
          await adapter.send(attemptFor(contact()));
          expect(issued(short)).toBe(2);
        },
        { timeoutMs: 8000, intervalMs: 50 },
      );
      const records = short.control.records();
      expect(records.requests.filter((r) => r.status !== 200)).toEqual([]);
      const [one, two] = records.tokenRequests.map((r) => Date.parse(r.at));
      expect(two - one).toBeGreaterThanOrEqual(3100);
      expect(two - one).toBeLessThan(3600);
    } finally {
      await short.close();
    }
  });

  it('after a 401 (the token revoked) issues a new token once and sends the push once more, delivered once', async () => {
    const adapter = adapterFor(sandbox);
    await adapter.send(attemptFor(contact()));
    const before = issued();
    expect(sandbox.control.expireIssuedTokens(ISSUING.botUserId)).toBeGreaterThan(0);
    const attempt = attemptFor(contact());
    const result = await adapter.send(attempt);
    expect(result.providerMessageId).toEqual(expect.any(String));
    expect(issued() - before).toBe(1);
    const tries = sandbox.control.records().requests.filter((r) => r.retryKey === attempt.attemptId);
    expect(tries.map((r) => r.status)).toEqual([401, 200]);
    expect(sandbox.control.messageCount(attempt.attemptId)).toBe(1);
    expect(logged.some((l) => l.includes('issued a new one and sent once more') && l.includes(attempt.attemptId))).toBe(true);
  });

  it('after a 401 resends a PNP message too (refused before acceptance), which arrives once', async () => {
    const adapter = adapterFor(sandbox);
    await adapter.send(attemptFor(contact()));
    sandbox.control.expireIssuedTokens();
    const attempt = attemptFor(contact(false));
    expect(await adapter.send(attempt)).toMatchObject({ awaitsDelivery: true, note: 'pnp' });
    const records = sandbox.control.records();
    expect(records.requests.filter((r) => r.deliveryTag === attempt.attemptId).map((r) => r.status)).toEqual([401, 200]);
    expect(records.messages.filter((m) => m.deliveryTag === attempt.attemptId)).toHaveLength(1);
  });

  it('lets concurrent sends refused with one token share one new token', async () => {
    const adapter = adapterFor(sandbox);
    await adapter.send(attemptFor(contact()));
    sandbox.control.expireIssuedTokens();
    const before = issued();
    const attempts = Array.from({ length: 6 }, () => attemptFor(contact()));
    await Promise.all(attempts.map((a) => adapter.send(a)));
    expect(issued() - before).toBe(1);
    for (const a of attempts) expect(sandbox.control.messageCount(a.attemptId)).toBe(1);
  });

  it('a wrong secret is a permanent failure naming no secret: nothing is sent, LINE is not asked again at once, health is down', async () => {
    const wrong = 'wrong-secret-0123456789';
    const adapter = adapterFor(sandbox, { channelSecret: wrong });
    const refusalsBefore = sandbox.control.records().tokenRefusals;
    const requestsBefore = sandbox.control.records().requests.length;
    for (const attempt of [attemptFor(contact()), attemptFor(contact(false))]) {
      const err = await channelErrorOf(adapter.send(attempt));
      expect([err.kind, err.code]).toEqual(['permanent', 'line_token_invalid_client']);
      expect(err.message).toContain('invalid_client');
      expect(err.message).not.toContain(wrong);
    }
    const records = sandbox.control.records();
    expect(records.tokenRefusals - refusalsBefore).toBe(1);
    expect(records.requests.length).toBe(requestsBefore);
    const health = await adapter.health();
    expect(health.up).toBe(false);
    expect(health.detail.channels).toMatchObject({ [ISSUING.id]: { auth: 'line_token_invalid_client', lastStatus: 'token', lastCode: 'line_token_invalid_client' } });
    expect(JSON.stringify(health)).not.toContain(wrong);
  });

  it('LINE unreachable for a token is retryable, for a PNP send too (nothing was sent)', async () => {
    const port = await closedPort();
    const adapter = new LineAdapter({ channels: [ISSUING], apiBaseUrl: `http://127.0.0.1:${port}`, requestTimeoutMs: 2000 });
    for (const attempt of [attemptFor(contact()), attemptFor(contact(false))]) {
      const err = await channelErrorOf(adapter.send(attempt));
      expect([err.kind, err.code]).toEqual(['retryable', 'line_token_unavailable']);
    }
    expect((await adapter.health()).up).toBe(false);
  });
});

describe("the token requests match LINE's OpenAPI description, and no token or secret was logged", () => {
  it('validates every form sent and an answer against channel-access-token.yml', async () => {
    const schema = lineSchemaValidator('channel-access-token.yml');
    const bySecret = schema('IssueStatelessChannelTokenByClientSecretRequest');
    const byJwt = schema('IssueStatelessChannelTokenByJWTAssertionRequest');
    const answer = schema('IssueStatelessChannelAccessTokenResponse');
    // The validators must be able to fail, or this test proves nothing.
    expect(bySecret({ grant_type: 'authorization_code', client_id: '1' })).toBe(false);
    expect(answer({ access_token: 'x' })).toBe(false);

    const sent = sandbox.control.records().tokenRequests;
    expect(sent.length).toBeGreaterThan(3);
    const problems: string[] = [];
    sent.forEach((r, i) => {
      if (!/^application\/x-www-form-urlencoded\b/.test(r.contentType ?? '')) problems.push(`#${i}: content-type ${r.contentType}`);
      // The request body is `oneOf` the two forms: it must be exactly the client-secret one.
      if (!bySecret(r.form)) problems.push(`#${i}: ${JSON.stringify(bySecret.errors?.slice(0, 3))}`);
      if (byJwt(r.form)) problems.push(`#${i}: also reads as the JWT-assertion form`);
      if (r.form?.client_id !== ISSUING.id) problems.push(`#${i}: client_id ${r.form?.client_id}`);
    });
    expect(problems).toEqual([]);

    const res = await fetch(`${sandbox.baseUrl}/oauth2/v3/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: ISSUING.id, client_secret: ISSUING.channelSecret }),
    });
    const body: unknown = await res.json();
    expect(answer(body)).toBe(true);
  });

  it('logged neither an issued token nor the secret', () => {
    expect(logged.length).toBeGreaterThan(0);
    const log = logged.join('\n');
    expect(log).not.toContain(ISSUING.channelSecret);
    const tokens = sandbox.control.issuedTokens();
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.filter((t) => log.includes(t))).toEqual([]);
  });
});
