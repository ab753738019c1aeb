import { ChannelError } from './channel-error';
import { RenewingToken, TOKEN_REFUSED_HOLD_MS, TOKEN_UNAVAILABLE_HOLD_MS, tokenPhase } from './renewing-token';
import { flushIssuance as flush, tokenIssuerByHand } from './testing/token-issuer.helper';

const MIN = 60_000;

describe('tokenPhase', () => {
  // LINE's 15 minutes: renewed in the last 3; Google's 60: in the last 12. Neither sent in the last 10 s.
  it.each([
    [null, 0, 'none'],
    [{ issuedAt: 0, expiresAt: 15 * MIN }, 0, 'fresh'],
    [{ issuedAt: 0, expiresAt: 15 * MIN }, 12 * MIN - 1, 'fresh'],
    [{ issuedAt: 0, expiresAt: 15 * MIN }, 12 * MIN, 'renew'],
    [{ issuedAt: 0, expiresAt: 15 * MIN }, 15 * MIN - 10_001, 'renew'],
    [{ issuedAt: 0, expiresAt: 15 * MIN }, 15 * MIN - 10_000, 'expired'],
    [{ issuedAt: 0, expiresAt: 15 * MIN }, 16 * MIN, 'expired'],
    [{ issuedAt: 0, expiresAt: 60 * MIN }, 48 * MIN - 1, 'fresh'],
    [{ issuedAt: 0, expiresAt: 60 * MIN }, 48 * MIN, 'renew'],
    [{ issuedAt: 0, expiresAt: 60 * MIN }, 60 * MIN - 10_001, 'renew'],
    [{ issuedAt: 0, expiresAt: 60 * MIN }, 60 * MIN - 10_000, 'expired'],
    [{ issuedAt: 0, expiresAt: 60 * MIN }, 61 * MIN, 'expired'],
  ] as const)('%j at %d ms → %s', (token, now, phase) => {
    expect(tokenPhase(token, now)).toBe(phase);
  });

  it('keeps the margin under a twentieth of a short life (the sandboxes issue tokens of seconds)', () => {
    const short = { issuedAt: 1000, expiresAt: 3000 };
    expect(tokenPhase(short, 2599)).toBe('fresh');
    expect(tokenPhase(short, 2600)).toBe('renew');
    expect(tokenPhase(short, 2899)).toBe('renew');
    expect(tokenPhase(short, 2900)).toBe('expired');
    expect(tokenPhase({ issuedAt: 5, expiresAt: 5 }, 5)).toBe('expired');
  });
});

/** A RenewingToken of 15-minute tokens from an issuer the test answers by hand. */
function rig() {
  const issuer = tokenIssuerByHand();
  const tokens = new RenewingToken(issuer.issue, { code: 'test_token_unavailable', message: 'no test token' }, issuer.now);
  return { ...issuer, tokens };
}
const unavailable = ChannelError.retryable('test_token_unavailable', 'down');
const refused = ChannelError.permanent('test_token_invalid_client', 'wrong secret');

/** A rig holding its first token, `t1`. */
async function holding() {
  const r = rig();
  const first = r.tokens.token();
  await r.answer();
  expect(await first).toBe('t1');
  return r;
}

/** A rig whose first issuance failed with `error`, and whose caller saw it. */
async function failedWith(error: ChannelError) {
  const r = rig();
  const first = expect(r.tokens.token()).rejects.toBe(error);
  await flush();
  await r.fail(error);
  await first;
  return r;
}

describe('RenewingToken', () => {
  it('issues once for concurrent callers and reuses the token while it is fresh', async () => {
    const r = rig();
    const waiting = [r.tokens.token(), r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(waiting)).toEqual(['t1', 't1', 't1']);
    r.advance(12 * MIN - 1);
    expect(await r.tokens.token()).toBe('t1');
    expect(r.pending).toHaveLength(0);
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true });
  });

  it('renews when a fifth of the life is left, callers sharing the one renewal', async () => {
    const r = await holding();
    r.advance(12 * MIN);
    const during = [r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(during)).toEqual(['t2', 't2']);
  });

  it('sends with the held token while a renewal fails, and fails once it has expired', async () => {
    const r = await holding();
    r.advance(13 * MIN);
    const renewing = r.tokens.token();
    await flush();
    await r.fail(unavailable);
    expect(await renewing).toBe('t1');
    expect(r.tokens.state()).toMatchObject({ auth: 'test_token_unavailable', authValidUntil: expect.any(String), up: false });
    // The next try waits a moment: a failing provider is not asked on every send.
    expect(await r.tokens.token()).toBe('t1');
    expect(r.pending).toHaveLength(0);
    r.advance(2 * MIN);
    const late = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await late;
  });

  it('holds a refusal of the credentials for a while instead of asking on every send', async () => {
    const r = await failedWith(refused);
    for (let i = 0; i < 5; i++) await expect(r.tokens.token()).rejects.toBe(refused);
    r.advance(TOKEN_REFUSED_HOLD_MS - 1);
    await expect(r.tokens.token()).rejects.toBe(refused);
    expect(r.pending).toHaveLength(0);
    expect(r.tokens.state()).toEqual({ auth: 'test_token_invalid_client', authValidUntil: null, up: false });
    r.advance(1);
    const again = r.tokens.token();
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await again).toBe('t1');
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true });
  });

  it('holds an unreachable provider only briefly', async () => {
    const r = await failedWith(unavailable);
    await expect(r.tokens.token()).rejects.toBe(unavailable);
    r.advance(TOKEN_UNAVAILABLE_HOLD_MS - 1);
    await expect(r.tokens.token()).rejects.toBe(unavailable);
    expect(r.pending).toHaveLength(0);
    r.advance(1);
    const again = r.tokens.token();
    await flush();
    await r.answer();
    expect(await again).toBe('t1');
  });

  it("turns anything but a ChannelError from the issuer into the channel's retryable code", async () => {
    const r = rig();
    const first = expect(r.tokens.token()).rejects.toMatchObject({ kind: 'retryable', code: 'test_token_unavailable', message: 'no test token' });
    await flush();
    await r.fail(new Error('surprise'));
    await first;
    expect(r.tokens.state()).toMatchObject({ auth: 'test_token_unavailable', up: false });
  });

  it('drops a refused token once: concurrent 401s with it lead to one new token', async () => {
    const r = await holding();
    expect(r.tokens.refused('t1')).toBe(true);
    expect(r.tokens.refused('t1')).toBe(true);
    const retries = [r.tokens.token(), r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(retries)).toEqual(['t2', 't2', 't2']);
    // A late 401 to the old token leaves the new one alone.
    expect(r.tokens.refused('t1')).toBe(true);
    expect(await r.tokens.token()).toBe('t2');
    expect(r.pending).toHaveLength(0);
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true });
  });

  it('drops a refused token while its renewal is in flight without asking twice', async () => {
    const r = await holding();
    r.tokens.refused('t1');
    const a = r.tokens.token();
    await flush();
    // A second 401 with the same token arrives while the new one is being issued.
    r.tokens.refused('t1');
    const b = r.tokens.token();
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect([await a, await b]).toEqual(['t2', 't2']);
  });

  it('never falls back to a refused token when its renewal fails', async () => {
    const r = await holding();
    r.advance(13 * MIN);
    r.tokens.refused('t1');
    const retry = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await retry;
  });

  it('says when the held token expires, by the wall clock, and asks for nothing to say it', async () => {
    const r = rig();
    expect(r.tokens.state()).toEqual({ auth: 'not_issued', authValidUntil: null, up: true });
    expect(r.pending).toHaveLength(0);
    const first = r.tokens.token();
    await r.answer(900);
    await first;
    const until = Date.parse(r.tokens.state().authValidUntil as string);
    expect(Math.abs(until - (Date.now() + 900_000))).toBeLessThan(1000);
    expect(r.pending).toHaveLength(0);
  });
});
