import { ChannelError } from '@tsunagu/channels';
import { flushIssuance as flush, tokenIssuerByHand } from '@tsunagu/channels/testing';
import { TokenEndpointClock } from './rbm-clock';
import { RbmTokenProvider } from './rbm-token.provider';

/*
 * What is RBM's own here: the code of an unclassified failure and the last refusal in health.
 * Issuing, holding and renewing are RenewingToken's, specified in
 * libs/channels/src/renewing-token.spec.ts.
 */

function rig() {
  const issuer = tokenIssuerByHand();
  return { ...issuer, tokens: new RbmTokenProvider(issuer.issue, issuer.now) };
}

/** A rig whose first issuance failed with `error`, and whose caller saw it as `seen`. */
async function failedWith(error: unknown, seen: unknown = error) {
  const r = rig();
  const first = expect(r.tokens.token()).rejects.toEqual(seen);
  await flush();
  await r.fail(error);
  await first;
  return r;
}
const unavailable = ChannelError.retryable('rbm_token_unavailable', 'down');
const invalidKey = ChannelError.permanent('rbm_token_invalid_credentials', 'wrong key');

describe('RbmTokenProvider', () => {
  it('shows no refusal until there is one', async () => {
    const r = rig();
    expect(r.tokens.state()).toEqual({ auth: 'not_issued', authValidUntil: null, authLastRefusal: null, clock: null, up: true });
    const first = r.tokens.token();
    await r.answer(3600);
    await first;
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true, authLastRefusal: null });
  });

  it('keeps a refusal of the key on record after a new token is had', async () => {
    const r = await failedWith(invalidKey);
    expect(r.tokens.state()).toEqual({
      auth: 'rbm_token_invalid_credentials',
      authValidUntil: null,
      authLastRefusal: { code: 'rbm_token_invalid_credentials', at: expect.any(String) },
      clock: null,
      up: false,
    });
    r.advance(30_000);
    const again = r.tokens.token();
    await flush();
    await r.answer(3600);
    expect(await again).toBe('t1');
    // Up again; the refusal stays on record for whoever looks at health later.
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true, authLastRefusal: { code: 'rbm_token_invalid_credentials' } });
  });

  it('records no refusal when the token endpoint is only unreachable', async () => {
    const r = await failedWith(unavailable);
    expect(r.tokens.state()).toMatchObject({ auth: 'rbm_token_unavailable', authLastRefusal: null, up: false });
  });

  it("records a refusal for the assertion's time, retryable as it is, and shows the clock the issuer read", async () => {
    const issuer = tokenIssuerByHand();
    const clock = new TokenEndpointClock('agent-1');
    const tokens = new RbmTokenProvider(issuer.issue, issuer.now, clock);
    const first = expect(tokens.token()).rejects.toMatchObject({ kind: 'retryable', code: 'rbm_token_clock_skew' });
    await flush();
    // What the issuer saw: an answer dated ten minutes ahead of us.
    clock.observe(new Date(Date.now() + 600_000).toUTCString());
    await issuer.fail(ChannelError.retryable('rbm_token_clock_skew', 'clock'));
    await first;
    expect(tokens.state()).toMatchObject({
      auth: 'rbm_token_clock_skew',
      authLastRefusal: { code: 'rbm_token_clock_skew' },
      clock: { off: true, skewMs: expect.any(Number) },
      up: false,
    });
    expect(Math.abs((tokens.state().clock?.skewMs ?? 0) - 600_000)).toBeLessThan(2000);
  });

  it('turns anything but a ChannelError from the issuer into retryable rbm_token_unavailable', async () => {
    const r = await failedWith(new Error('surprise'), expect.objectContaining({ kind: 'retryable', code: 'rbm_token_unavailable' }));
    expect(r.tokens.state().authLastRefusal).toBeNull();
  });

  it('records a 401 to a held token as rbm_unauthenticated, and drops only that token', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer(3600);
    const refusedToken = await first;
    r.tokens.refused(refusedToken);
    const retry = r.tokens.token();
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer(3600);
    expect(await retry).toBe('t2');
    r.tokens.refused(refusedToken);
    expect(await r.tokens.token()).toBe('t2');
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true, authLastRefusal: { code: 'rbm_unauthenticated', at: expect.any(String) } });
  });
});
