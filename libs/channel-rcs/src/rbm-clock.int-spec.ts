import { channelErrorOf } from '@tsunagu/channels/testing';
import { AGENT_ID, attemptTo, nextPhone } from './testing/rbm-test-env';
import { rbmTokenSpec } from './testing/rbm-token-spec';

/*
 * This machine's clock off against Google's, over HTTP against the sandbox RBM with its clock moved
 * (`clockOffset`): the token endpoint refuses the assertion for its time, in Google's words, with
 * its own time in `Date`. The adapter reads the skew off that answer, asks again at once signed by
 * the endpoint's time, and sends; one warning names the skew, health shows it; a key refused
 * behind a wrong clock is still told apart as the key's.
 */

const { spec, adapterWith, agentHealth, records } = rbmTokenSpec();
afterEach(() => {
  spec.env.sandbox.control.clockOffset(0);
  spec.env.sandbox.control.tokenOutcome(spec.env.accounts.main.clientEmail, 'issue');
});

/** Token requests and refusals since `before`. */
const tokenTraffic = (before: ReturnType<typeof records>) => {
  const now = records();
  return { requests: now.tokenRequests - before.tokenRequests, refusals: now.tokenRefusals - before.tokenRefusals };
};
const clockWarnings = (from: number) => spec.logged.slice(from).filter((l) => l.startsWith('["warn"') && l.includes('clock'));

describe("RBM access tokens with this machine's clock off", () => {
  it.each([
    ['behind', 600],
    ['ahead of', -600],
  ])("our clock %s Google's by 10 minutes: refused for the time, asked again at once by the endpoint's time, sent; one warning; health shows it", async (way, seconds) => {
    spec.env.sandbox.control.clockOffset(seconds);
    const adapter = adapterWith();
    const from = spec.logged.length;
    const before = records();

    const attempt = attemptTo(nextPhone());
    expect(await adapter.send(attempt)).toMatchObject({ providerMessageId: attempt.attemptId, route: AGENT_ID });
    expect(records().messages[attempt.attemptId]).toMatchObject({ createCount: 1 });
    expect(tokenTraffic(before)).toEqual({ requests: 2, refusals: 1 });

    // A token later (RBM refused the held one): signed by the endpoint's time straight away, no refusal.
    spec.env.sandbox.control.revokeIssuedTokens(spec.env.accounts.main.clientEmail);
    const again = records();
    await adapter.send(attemptTo(nextPhone()));
    expect(tokenTraffic(again)).toEqual({ requests: 1, refusals: 0 });

    const warnings = clockWarnings(from);
    expect(warnings).toHaveLength(1);
    const named = new RegExp(`this machine's clock is ${way} the RBM token endpoint's by (\\d+) s`).exec(warnings[0]);
    // Date has whole seconds, and the answer took its time to arrive.
    expect(Math.abs(Number(named?.[1]) - 600)).toBeLessThanOrEqual(3);
    expect(warnings[0]).toContain(AGENT_ID);
    expect(warnings[0]).not.toContain('PRIVATE KEY');

    const health = await agentHealth(adapter);
    expect(health).toMatchObject({ auth: 'ok', clock: { off: true, measuredAt: expect.any(String) } });
    expect(Math.abs((health.clock as { skewMs: number }).skewMs - seconds * 1000)).toBeLessThan(3000);
    // The sends go, so the channel is up; the clock is named in its detail.
    expect((await adapter.health()).up).toBe(true);
  });

  it('put right again: the next token is refused once for the old offset, asked again by our own time, and a line says the clocks agree', async () => {
    spec.env.sandbox.control.clockOffset(600);
    const adapter = adapterWith();
    await adapter.send(attemptTo(nextPhone()));
    spec.env.sandbox.control.clockOffset(0);
    spec.env.sandbox.control.revokeIssuedTokens(spec.env.accounts.main.clientEmail);
    const from = spec.logged.length;
    const before = records();

    const attempt = attemptTo(nextPhone());
    expect(await adapter.send(attempt)).toMatchObject({ providerMessageId: attempt.attemptId });
    expect(tokenTraffic(before)).toEqual({ requests: 2, refusals: 1 });
    expect(spec.logged.slice(from).some((l) => l.includes("clock agrees with the RBM token endpoint's again"))).toBe(true);
    expect(clockWarnings(from)).toEqual([]);
    expect(await agentHealth(adapter)).toMatchObject({ auth: 'ok', clock: { off: false } });
  });

  it("a key Google refuses behind a wrong clock is still the key's: permanent rbm_token_invalid_credentials once signed by the endpoint's time", async () => {
    spec.env.sandbox.control.clockOffset(600);
    spec.env.sandbox.control.tokenOutcome(spec.env.accounts.main.clientEmail, 'refuse');
    const adapter = adapterWith();
    const before = records();

    const attempt = attemptTo(nextPhone());
    const err = await channelErrorOf(adapter.send(attempt));
    expect([err.kind, err.code]).toEqual(['permanent', 'rbm_token_invalid_credentials']);
    expect(records().messages[attempt.attemptId]).toBeUndefined();
    // Refused for the time, then (signed by the endpoint's time) for the key.
    expect(tokenTraffic(before)).toEqual({ requests: 2, refusals: 2 });
    expect(await agentHealth(adapter)).toMatchObject({
      auth: 'rbm_token_invalid_credentials',
      authLastRefusal: { code: 'rbm_token_invalid_credentials' },
      clock: { off: true },
    });
  });

  it('logged neither an issued token nor a private key', () => {
    const log = spec.logged.join('\n');
    expect(log).not.toContain('PRIVATE KEY');
    expect(spec.env.sandbox.control.issuedTokens().filter((t) => log.includes(t))).toEqual([]);
  });
});
