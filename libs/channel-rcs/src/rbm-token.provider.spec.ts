import { ChannelError } from '@tsunagu/channels';
import { IssuedRbmToken } from './rbm-token.client';
import { RBM_TOKEN_REFUSED_HOLD_MS, RBM_TOKEN_UNAVAILABLE_HOLD_MS, rbmTokenPhase, RbmTokenProvider } from './rbm-token.provider';

const MIN = 60_000;

describe('rbmTokenPhase', () => {
  // Google's 60 minutes: renewed in the last 12, not sent in the last 10 s.
  const held = { issuedAt: 0, expiresAt: 60 * MIN };
  it.each([
    [null, 0, 'none'],
    [held, 0, 'fresh'],
    [held, 48 * MIN - 1, 'fresh'],
    [held, 48 * MIN, 'renew'],
    [held, 60 * MIN - 10_001, 'renew'],
    [held, 60 * MIN - 10_000, 'expired'],
    [held, 61 * MIN, 'expired'],
  ] as const)('%j at %d ms → %s', (token, now, phase) => {
    expect(rbmTokenPhase(token, now)).toBe(phase);
  });

  it('keeps the margin under a twentieth of a short life (the sandbox can issue tokens of seconds)', () => {
    const short = { issuedAt: 1000, expiresAt: 3000 };
    expect(rbmTokenPhase(short, 2599)).toBe('fresh');
    expect(rbmTokenPhase(short, 2600)).toBe('renew');
    expect(rbmTokenPhase(short, 2899)).toBe('renew');
    expect(rbmTokenPhase(short, 2900)).toBe('expired');
    expect(rbmTokenPhase({ issuedAt: 5, expiresAt: 5 }, 5)).toBe('expired');
  });
});

/** An issuer the test answers by hand, on a clock the test moves. */
function rig() {
  let now = 1_000_000;
  const pending: { resolve: (t: IssuedRbmToken) => void; reject: (e: unknown) => void }[] = [];
  let n = 0;
  const tokens = new RbmTokenProvider(
    () => new Promise<IssuedRbmToken>((resolve, reject) => pending.push({ resolve, reject })),
    () => now,
  );
  const settle = () => {
    const next = pending.shift();
    if (!next) throw new Error('no issuance was asked for');
    return next;
  };
  return {
    tokens,
    pending,
    answer: async (expiresInSeconds = 3600) => {
      settle().resolve({ accessToken: `t${++n}`, expiresInSeconds });
      await flush();
    },
    fail: async (error: unknown) => {
      settle().reject(error);
      await flush();
    },
    advance: (ms: number) => (now += ms),
  };
}
const flush = () => new Promise((resolve) => setImmediate(resolve));
const unavailable = ChannelError.retryable('rbm_token_unavailable', 'down');
const invalidKey = ChannelError.permanent('rbm_token_invalid_credentials', 'wrong key');

describe('RbmTokenProvider', () => {
  it('issues once for concurrent callers and reuses the token while it is fresh', async () => {
    const r = rig();
    const waiting = [r.tokens.token(), r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(waiting)).toEqual(['t1', 't1', 't1']);
    r.advance(48 * MIN - 1);
    expect(await r.tokens.token()).toBe('t1');
    expect(r.pending).toHaveLength(0);
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true, authLastRefusal: null });
  });

  it('renews when a fifth of the life is left, callers sharing the one renewal', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    expect(await first).toBe('t1');
    r.advance(48 * MIN);
    const during = [r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(during)).toEqual(['t2', 't2']);
  });

  it('sends with the held token while a renewal fails, and fails once it has expired', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    await first;
    r.advance(50 * MIN);
    const renewing = r.tokens.token();
    await flush();
    await r.fail(unavailable);
    expect(await renewing).toBe('t1');
    expect(r.tokens.state()).toMatchObject({ auth: 'rbm_token_unavailable', up: false });
    // The next try waits a moment: a failing token endpoint is not asked on every send.
    expect(await r.tokens.token()).toBe('t1');
    expect(r.pending).toHaveLength(0);
    r.advance(10 * MIN);
    const late = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await late;
  });

  it('holds a refusal of the key for a while instead of asking Google on every send', async () => {
    const r = rig();
    const first = expect(r.tokens.token()).rejects.toBe(invalidKey);
    await flush();
    await r.fail(invalidKey);
    await first;
    for (let i = 0; i < 5; i++) await expect(r.tokens.token()).rejects.toBe(invalidKey);
    r.advance(RBM_TOKEN_REFUSED_HOLD_MS - 1);
    await expect(r.tokens.token()).rejects.toBe(invalidKey);
    expect(r.pending).toHaveLength(0);
    expect(r.tokens.state()).toMatchObject({
      auth: 'rbm_token_invalid_credentials',
      authValidUntil: null,
      authLastRefusal: { code: 'rbm_token_invalid_credentials', at: expect.any(String) },
      up: false,
    });
    r.advance(1);
    const again = r.tokens.token();
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await again).toBe('t1');
    // Up again; the refusal stays on record for whoever looks at health later.
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true, authLastRefusal: { code: 'rbm_token_invalid_credentials' } });
  });

  it('holds an unreachable token endpoint only briefly', async () => {
    const r = rig();
    const first = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await first;
    await expect(r.tokens.token()).rejects.toBe(unavailable);
    expect(r.tokens.state().authLastRefusal).toBeNull();
    r.advance(RBM_TOKEN_UNAVAILABLE_HOLD_MS);
    const again = r.tokens.token();
    await flush();
    await r.answer();
    expect(await again).toBe('t1');
  });

  it('turns anything but a ChannelError from the issuer into retryable rbm_token_unavailable', async () => {
    const r = rig();
    const first = expect(r.tokens.token()).rejects.toMatchObject({ kind: 'retryable', code: 'rbm_token_unavailable' });
    await flush();
    await r.fail(new Error('surprise'));
    await first;
  });

  it('drops a refused token once: concurrent 401s with it lead to one new token', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    const refusedToken = await first;
    r.tokens.refused(refusedToken);
    r.tokens.refused(refusedToken);
    const retries = [r.tokens.token(), r.tokens.token(), r.tokens.token()];
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect(await Promise.all(retries)).toEqual(['t2', 't2', 't2']);
    // A late 401 to the old token leaves the new one alone.
    r.tokens.refused(refusedToken);
    expect(await r.tokens.token()).toBe('t2');
    expect(r.pending).toHaveLength(0);
    expect(r.tokens.state()).toMatchObject({ auth: 'ok', up: true, authLastRefusal: { code: 'rbm_unauthenticated' } });
  });

  it('drops a refused token while its renewal is in flight without asking twice', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    const old = await first;
    r.tokens.refused(old);
    const a = r.tokens.token();
    await flush();
    // A second 401 with the same token arrives while the new one is being issued.
    r.tokens.refused(old);
    const b = r.tokens.token();
    await flush();
    expect(r.pending).toHaveLength(1);
    await r.answer();
    expect([await a, await b]).toEqual(['t2', 't2']);
  });

  it('never falls back to a refused token when its renewal fails', async () => {
    const r = rig();
    const first = r.tokens.token();
    await r.answer();
    r.advance(50 * MIN);
    r.tokens.refused(await first);
    const retry = expect(r.tokens.token()).rejects.toBe(unavailable);
    await flush();
    await r.fail(unavailable);
    await retry;
  });

  it('says when the held token expires, by the wall clock, and asks for nothing to say it', async () => {
    const r = rig();
    expect(r.tokens.state()).toEqual({ auth: 'not_issued', authValidUntil: null, authLastRefusal: null, up: true });
    expect(r.pending).toHaveLength(0);
    const first = r.tokens.token();
    await r.answer(3600);
    await first;
    const until = Date.parse(r.tokens.state().authValidUntil as string);
    expect(Math.abs(until - (Date.now() + 3_600_000))).toBeLessThan(1000);
    expect(r.pending).toHaveLength(0);
  });
});
